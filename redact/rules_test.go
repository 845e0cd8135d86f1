package redact

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
)

var updateREADME = flag.Bool("update-readme", false, "rewrite the README's table of kinds from the rule table")

const (
	kindsBegin = "<!-- kinds: generated from redact.Rules by TestREADMEKinds (go test ./redact -update-readme) -->\n"
	kindsEnd   = "<!-- end of kinds -->\n"
)

// kindsTable renders the rule table as the README shows it.
func kindsTable() string {
	var b strings.Builder
	b.WriteString("| kind | group | by key (normalised; `*x`: any key ending with x) | by value, anywhere in a string | default mask |\n")
	b.WriteString("|---|---|---|---|---|\n")
	for _, r := range Rules() {
		keys := make([]string, 0, len(r.Keys)+len(r.KeySuffixes))
		keys = append(keys, r.Keys...)
		for _, s := range r.KeySuffixes {
			keys = append(keys, "*"+s)
		}
		mask := "`" + placeholder(r.Kind) + "`"
		if r.Mask == MaskLast4 {
			mask = "last four digits: `****4242`"
		}
		doc := r.Doc
		if doc == "" {
			doc = "—"
		}
		byKey := "—"
		if len(keys) > 0 {
			byKey = strings.Join(keys, ", ")
		}
		b.WriteString("| `" + string(r.Kind) + "` | " + r.Group.String() + " | " + byKey + " | " + doc + " | " + mask + " |\n")
	}
	return b.String()
}

// TestREADMEKinds keeps the README's table of kinds what the rule table says.
func TestREADMEKinds(t *testing.T) {
	path := filepath.Join("..", "README.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	i := strings.Index(readme, kindsBegin)
	j := strings.Index(readme, kindsEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md has no table of kinds between %q and %q", kindsBegin, kindsEnd)
	}
	want := kindsTable()
	if got := readme[i+len(kindsBegin) : j]; got != want {
		if !*updateREADME {
			t.Fatalf("README.md's table of kinds is not the rule table's; run go test ./redact -run TestREADMEKinds -update-readme\ngot:\n%s\nwant:\n%s", got, want)
		}
		readme = readme[:i+len(kindsBegin)] + want + readme[j:]
		if err := os.WriteFile(path, []byte(readme), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestEveryRule checks each entry of the rule table for what the engine relies on, and
// derives a test from what it declares: each key masks its value, each token prefix
// masks a token of its minimum length.
func TestEveryRule(t *testing.T) {
	r := newTestRedact(t, Config{})
	seen := map[Kind]bool{}
	for _, rule := range Rules() {
		t.Run(string(rule.Kind), func(t *testing.T) {
			if seen[rule.Kind] || !kindName(string(rule.Kind)) {
				t.Fatalf("kind %q is repeated or not a valid name", rule.Kind)
			}
			seen[rule.Kind] = true
			if rule.Group < 0 || rule.Group >= numGroups {
				t.Errorf("unknown group %d", rule.Group)
			}
			if len(rule.Keys)+len(rule.KeySuffixes)+len(rule.Tokens) == 0 && rule.Detect == nil {
				t.Error("the rule finds nothing: no keys, tokens or detector")
			}
			if rule.Detect == nil && (rule.Needs != 0 || rule.Validate != nil || rule.NumberDigits > 0 || len(rule.Triggers) > 0) {
				t.Error("Needs, Triggers, Validate and NumberDigits need a Detect")
			}
			if rule.Detect != nil && rule.Needs == 0 {
				t.Error("a detector needs its Needs (else it never runs)")
			}
			if rule.Needs&NeedPrefix != 0 && len(rule.Triggers) == 0 {
				t.Error("NeedPrefix without Triggers")
			}
			for _, w := range rule.Triggers {
				if c := w[0]; isDigit(c) || charClass[c] == clsTrigger {
					t.Errorf("trigger %q starts with a digit or a separator", w)
				}
			}
			for _, k := range append(append([]string{}, rule.Keys...), rule.KeySuffixes...) {
				if string(normalizeKey(nil, k)) != k {
					t.Errorf("key %q is not normalised", k)
				}
				if allowKeys[k] {
					t.Errorf("key %q is also allowed", k)
				}
			}
			for _, k := range rule.Keys {
				if got := r.keyKind(k); got != rule.Kind {
					t.Errorf("key %q is taken for %q", k, got)
				}
				out, _, _ := r.KeyValue(attribute.String(k, "s3cr3t-v4lue"))
				if strings.Contains(out.Value.AsString(), "s3cr3t") {
					t.Errorf("key %q: value kept: %v", k, out.Value)
				}
			}
			for _, k := range rule.KeySuffixes {
				if got := r.keyKind("my_" + k); got != rule.Kind {
					t.Errorf("key my_%s is taken for %q", k, got)
				}
			}
			for _, tok := range rule.Tokens {
				if isDigit(tok.Prefix[0]) {
					t.Errorf("token prefix %q starts with a digit", tok.Prefix)
				}
				fill := "Q"
				for _, c := range []string{"Q", "a", "0"} { // a character the token's charset takes
					if tok.Charset == nil || tok.Charset(c[0]) {
						fill = c
						break
					}
				}
				value := tok.Prefix + strings.Repeat(fill, max(0, tok.Min-len(tok.Prefix)))
				if got := r.String("x " + value + " y"); got != "x "+placeholder(rule.Kind)+" y" {
					t.Errorf("token %q: got %q", value, got)
				}
				if short := value[:len(value)-1]; r.String(short) != short && len(tok.Prefix) < len(short) {
					t.Errorf("token %q shorter than %d was masked", short, tok.Min)
				}
			}
		})
	}
}

// TestLongTokenPrefixAfterHyphen: a key joined to a name or path by a hyphen
// (/srv/deploy-sk-proj-…/app) is found as at a word start when its prefix is long enough
// not to be the end of a hyphenated word; a short prefix after a hyphen is not a token.
func TestLongTokenPrefixAfterHyphen(t *testing.T) {
	r := newTestRedact(t, Config{})
	const key = "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh3iJk6lMn9o"
	for in, want := range map[string]string{
		"/srv/deploy-" + key + "/app": "/srv/deploy-[REDACTED:openai_key]/app",
		"cfg=/etc/x-sk-ant-api03-Zy9xW8vU7tS6rQ5pO4nM3lK2jI1hG0fE9dC8bA7zY6xW5vU4tS3rQ2p": "cfg=/etc/x-[REDACTED:anthropic_key]",
		// "sk-" and "key-" after a hyphen are the end of a word, not a key's start.
		"team-sk-staging-frontend-deployment-config-v2-blue-green-canary": "team-sk-staging-frontend-deployment-config-v2-blue-green-canary",
		"cache-key-0123456789abcdef0123456789abcdef0123":                  "cache-key-0123456789abcdef0123456789abcdef0123",
	} {
		if got := r.String(in); got != want {
			t.Errorf("%q\n got %q\nwant %q", in, got, want)
		}
		if got, want := mayContain(in), scanFlags(in)&worthScanning != 0; got != want {
			t.Errorf("mayContain(%q) = %v, scanFlags says %v", in, got, want)
		}
	}
}
