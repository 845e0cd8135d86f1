// Command corpusgen generates the redaction corpus and reports how the engine does on it:
// recall and false-positive rate per kind, over the generated corpus (fixed seed) and the
// shared corpus.
//
//	go run ./redact/internal/corpusgen -report            # the table (make redact-eval)
//	go run ./redact/internal/corpusgen -report -v         # and every miss
//	go run ./redact/internal/corpusgen -out dir           # write the corpus as TSV files
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/resilog/resilog/redact"
	"github.com/resilog/resilog/redact/internal/corpus"
)

func main() {
	report := flag.Bool("report", false, "print recall and false-positive rate per kind")
	verbose := flag.Bool("v", false, "with -report: list every miss and false positive")
	out := flag.String("out", "", "write positives.tsv and negatives.tsv to this directory")
	seed := flag.Uint64("seed", corpus.Seed, "the generator's seed")
	shared := flag.String("shared", sharedDir, "the shared corpus directory")
	flag.Parse()
	if err := run(os.Stdout, *report, *verbose, *out, *seed, *shared); err != nil {
		fmt.Fprintln(os.Stderr, "corpusgen:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, report, verbose bool, out string, seed uint64, shared string) error {
	pos, neg := corpus.Generate(seed)
	if out != "" {
		if err := write(filepath.Join(out, "positives.tsv"), pos); err != nil {
			return err
		}
		if err := write(filepath.Join(out, "negatives.tsv"), neg); err != nil {
			return err
		}
	}
	if !report {
		return nil
	}
	r, err := redact.New(redact.Config{})
	if err != nil {
		return err
	}
	scores := corpus.Evaluate(r.String, pos, neg)
	sp, err := corpus.Load(filepath.Join(shared, "redact-positives.tsv"), "shared corpus")
	if err != nil {
		return err
	}
	sn, err := corpus.Load(filepath.Join(shared, "redact-negatives.tsv"), "shared corpus")
	if err != nil {
		return err
	}
	sharedScore := corpus.Evaluate(r.String, sp, sn)
	all := append(scores, corpus.Total("**generated, all kinds**", scores))
	all = append(all, sharedScore...)
	if err := corpus.WriteTable(w, all); err != nil {
		return err
	}
	if verbose {
		for _, s := range all {
			for _, m := range s.Missed {
				fmt.Fprintf(w, "missed %s/%s: %q -> %q\n", s.Kind, m.Form, m.Line, r.String(m.Line))
			}
			for _, m := range s.FalsePositives {
				fmt.Fprintf(w, "false positive %s/%s: %q -> %q\n", s.Kind, m.Form, m.Line, r.String(m.Line))
			}
		}
	}
	return nil
}

// sharedDir is the engine's copy of the shared corpus, from the module root.
const sharedDir = "redact/testdata"

func write(path string, samples []corpus.Sample) error {
	var b strings.Builder
	for _, s := range samples {
		line := strings.NewReplacer("\\", `\\`, "\t", `\t`, "\n", `\n`).Replace(s.Line)
		fmt.Fprintf(&b, "%s/%s\t%s", s.Kind, s.Form, line)
		if s.Secret != "" {
			fmt.Fprintf(&b, "\t%s", s.Secret)
		}
		b.WriteByte('\n')
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
