// Package corpus generates the redaction corpus — lines that hold a secret of every kind
// of the rule table in realistic surroundings, and lines that look close but hold none —
// and scores a redaction function against it, per kind.
//
// The corpus is generated, not stored: Generate with the same seed gives the same lines,
// with valid check digits wherever the kind has them, so a detector is measured on values
// it was not written against.
package corpus

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
)

// Seed is the seed of the corpus the tests and the README report on.
const Seed = 12

// Sample is one line of the corpus.
type Sample struct {
	Kind   string // the kind the line holds (positives) or imitates (negatives)
	Form   string // the surroundings: free_text, kv, json, header, url, xml, flag…
	Line   string
	Secret string // positives: what must not survive redaction; "" for negatives
}

// Generate returns the positives and negatives for seed.
func Generate(seed uint64) (positives, negatives []Sample) {
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	for _, k := range kinds {
		for range k.n {
			v := k.value(g)
			forms := valueForms
			if k.keys != nil {
				forms = append(slices.Clone(keyForms), valueForms...)
				if !k.byValue {
					forms = keyForms
				}
			}
			if k.context != nil {
				line, secret := k.context(g, v)
				positives = append(positives, Sample{k.kind, "own", line, secret})
				continue
			}
			f := forms[g.r.IntN(len(forms))]
			key := ""
			if k.keys != nil {
				key = k.keys[g.r.IntN(len(k.keys))]
			}
			positives = append(positives, Sample{k.kind, f.name, f.render(g, key, v.text), v.secret})
		}
		for _, neg := range k.negatives {
			for range neg.n {
				negatives = append(negatives, Sample{Kind: k.kind, Form: neg.name, Line: neg.line(g)})
			}
		}
	}
	return positives, negatives
}

// Score is how an engine did on one kind.
type Score struct {
	Kind                 string
	Positives, Caught    int
	Negatives, Disturbed int
	Missed               []Sample // positives whose secret survived
	FalsePositives       []Sample // negatives that were changed
}

// Recall is the share of positives whose secret was removed.
func (s Score) Recall() float64 {
	if s.Positives == 0 {
		return 1
	}
	return float64(s.Caught) / float64(s.Positives)
}

// FPR is the share of negatives that were changed.
func (s Score) FPR() float64 {
	if s.Negatives == 0 {
		return 0
	}
	return float64(s.Disturbed) / float64(s.Negatives)
}

// Evaluate runs redact over the samples and scores it per kind, in kind order. A positive
// is caught when its secret no longer appears in the output; a negative is disturbed
// when the output differs from the input in any way.
func Evaluate(redact func(string) string, positives, negatives []Sample) []Score {
	byKind := map[string]*Score{}
	var order []string
	score := func(kind string) *Score {
		if s, ok := byKind[kind]; ok {
			return s
		}
		byKind[kind] = &Score{Kind: kind}
		order = append(order, kind)
		return byKind[kind]
	}
	for _, p := range positives {
		s := score(p.Kind)
		s.Positives++
		if strings.Contains(redact(p.Line), p.Secret) {
			s.Missed = append(s.Missed, p)
		} else {
			s.Caught++
		}
	}
	for _, n := range negatives {
		s := score(n.Kind)
		s.Negatives++
		if redact(n.Line) != n.Line {
			s.Disturbed++
			s.FalsePositives = append(s.FalsePositives, n)
		}
	}
	out := make([]Score, 0, len(order))
	for _, k := range order {
		out = append(out, *byKind[k])
	}
	return out
}

// Total sums scores into one, named kind.
func Total(kind string, scores []Score) Score {
	t := Score{Kind: kind}
	for _, s := range scores {
		t.Positives += s.Positives
		t.Caught += s.Caught
		t.Negatives += s.Negatives
		t.Disturbed += s.Disturbed
		t.Missed = append(t.Missed, s.Missed...)
		t.FalsePositives = append(t.FalsePositives, s.FalsePositives...)
	}
	return t
}

// WriteTable writes scores as a Markdown table.
func WriteTable(w io.Writer, scores []Score) error {
	var b strings.Builder
	b.WriteString("| kind | positives | recall | negatives | false positives |\n|---|---:|---:|---:|---:|\n")
	rate := func(n int, r float64) string {
		if n == 0 {
			return "—"
		}
		return fmt.Sprintf("%.3f", r)
	}
	for _, s := range scores {
		fmt.Fprintf(&b, "| %s | %d | %s | %d | %s |\n", s.Kind, s.Positives, rate(s.Positives, s.Recall()), s.Negatives, rate(s.Negatives, s.FPR()))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Load reads a corpus file in the shared corpus's format: category, line and, for
// positives, the secret, separated by tabs. Every sample gets kind.
func Load(path, kind string) ([]Sample, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Sample
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if sc.Text() == "" {
			continue
		}
		parts := strings.Split(sc.Text(), "\t")
		if len(parts) < 2 {
			return nil, fmt.Errorf("%s: a line without a tab: %q", path, sc.Text())
		}
		s := Sample{Kind: kind, Form: parts[0], Line: parts[1]}
		if len(parts) > 2 {
			s.Secret = parts[2]
		}
		out = append(out, s)
	}
	return out, sc.Err()
}
