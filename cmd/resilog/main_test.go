package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/resilog/resilog/redact"
)

type sample struct{ category, line, secret string }

func corpus(t *testing.T, name string) []sample {
	t.Helper()
	path := filepath.Join("..", "..", "..", "shared", "corpus", name)
	if _, err := os.Stat(path); err != nil {
		path = filepath.Join("..", "..", "redact", "testdata", name)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []sample
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		parts := strings.Split(sc.Text(), "\t")
		if len(parts) < 2 {
			continue
		}
		s := sample{category: parts[0], line: parts[1]}
		if len(parts) > 2 {
			s.secret = parts[2]
		}
		out = append(out, s)
	}
	return out
}

func runLines(t *testing.T, lines []string) []string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"redact"}, strings.NewReader(strings.Join(lines, "\n")+"\n"), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	if len(out) != len(lines) {
		t.Fatalf("%d lines in, %d out", len(lines), len(out))
	}
	return out
}

func TestRedactCorpusAsTextAndJSON(t *testing.T) {
	pos := corpus(t, "redact-positives.tsv")
	var lines []string
	for _, s := range pos {
		j, _ := json.Marshal(map[string]any{"level": "INFO", "msg": "event", "detail": s.line, "ctx": map[string]any{"inner": s.line}})
		lines = append(lines, s.line, string(j))
	}
	out := runLines(t, lines)
	for i, s := range pos {
		text, js := out[2*i], out[2*i+1]
		if strings.Contains(text, s.secret) {
			t.Errorf("%s as text: %q", s.category, text)
		}
		// The secret may be JSON-escaped inside the line (PEM's \n): compare both forms.
		esc, _ := json.Marshal(s.secret)
		if strings.Contains(js, s.secret) || strings.Contains(js, strings.Trim(string(esc), `"`)) {
			t.Errorf("%s in JSON: %q", s.category, js)
		}
		if !json.Valid([]byte(js)) {
			t.Errorf("%s: output is not JSON: %q", s.category, js)
		}
	}
}

func TestRedactNegativesUnchanged(t *testing.T) {
	neg := corpus(t, "redact-negatives.tsv")
	var lines []string
	for _, s := range neg {
		lines = append(lines, s.line)
	}
	for i, got := range runLines(t, lines) {
		if got != lines[i] {
			t.Errorf("%s changed: %q -> %q", neg[i].category, lines[i], got)
		}
	}
	// A JSON line with nothing to redact keeps its members, order and spelling.
	in := `{"z":1,"a":"https://api.example.com/v1/orders?page=2&limit=50","n":null,"b":[true,1.5e3]}`
	if got := runLines(t, []string{in})[0]; got != in {
		t.Errorf("clean JSON changed: %s", got)
	}
}

func TestRedactJSONKeys(t *testing.T) {
	in := `{"user":"bob","password":{"nested":"x"},"card_number":4111111111111111,"headers":{"Authorization":"Bearer abcdefghijklmnop"}}`
	want := `{"user":"bob","password":"[REDACTED:secret]","card_number":"****1111","headers":{"Authorization":"[REDACTED:authorization]"}}`
	if got := runLines(t, []string{in})[0]; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Not JSON after all: redacted as text.
	if got := runLines(t, []string{`{broken password=hunter22`})[0]; got != `{broken password=[REDACTED:secret]` {
		t.Errorf("got %s", got)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestRedactUnreadableInput(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"redact"}, failingReader{}, &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), "disk on fire") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	if code := run([]string{"redact", "-off", "nonsense"}, strings.NewReader(""), &stdout, &stderr); code == 0 {
		t.Fatal("an unknown group was accepted")
	}
	if code := run([]string{"frobnicate"}, strings.NewReader(""), &stdout, &stderr); code == 0 {
		t.Fatal("an unknown command was accepted")
	}
}

// runRaw runs resilog redact on in as it is and returns stdout, stderr and the exit code.
func runRaw(t *testing.T, in string, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"redact"}, args...), strings.NewReader(in), &stdout, &stderr)
	return stdout.String(), stderr.String(), code
}

// TestRedactKeepsWhatItDoesNotRedact: lines with nothing to redact come out byte for
// byte; a JSON line keeps its spacing and escapes outside the values it masks.
func TestRedactKeepsWhatItDoesNotRedact(t *testing.T) {
	clean := "first line\r\n" +
		"   indented line\n" +
		"\t{\"msg\": \"a \\u003c b\",  \"n\" : 1.50}  \r\n" +
		"[1, 2,\t3]\n" +
		"caf\xe9 latin-1 \xff\n" +
		"\n" +
		"no final newline"
	if out, errs, code := runRaw(t, clean); out != clean || errs != "" || code != 0 {
		t.Errorf("exit %d, stderr %q, output changed:\n%q\n%q", code, errs, clean, out)
	}
	in := "{\"msg\": \"a \\u003c b\", \"password\" : \"hunter22\",  \"ctx\": {\"to\":\"jane@example.com\"}}\r\n" +
		"  user=bob password=hunter22 caf\xe9\n" +
		"[\"x\", {\"token\": 123456789}]"
	want := "{\"msg\": \"a \\u003c b\", \"password\" : \"[REDACTED:secret]\",  \"ctx\": {\"to\":\"[REDACTED:email]\"}}\r\n" +
		"  user=bob password=[REDACTED:secret] caf\xe9\n" +
		"[\"x\", {\"token\": \"[REDACTED:secret]\"}]"
	if out, errs, code := runRaw(t, in); out != want || errs != "" || code != 0 {
		t.Errorf("exit %d, stderr %q\ngot  %q\nwant %q", code, errs, out, want)
	}
}

// TestRedactLongLine: a line over 1 MiB is streamed and scanned as text, not replaced.
func TestRedactLongLine(t *testing.T) {
	filler := strings.Repeat("lorem ipsum dolor ", 200<<10/18)
	line := "start password=hunter22 " + filler + " mid 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 " + filler + filler +
		`"api_key":"7f3c9a1b2d4e6f8091a2b3c4" ` + filler + filler + filler + " end jane@example.com"
	if len(line) < 1<<20 {
		t.Fatalf("the line is only %d bytes", len(line))
	}
	in := "before\n" + line + "\r\nafter\n"
	out, errs, code := runRaw(t, in)
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	r, err := redact.New(redact.Config{MaxString: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if want := "before\n" + r.String(line) + "\r\nafter\n"; out != want {
		t.Errorf("the long line came out as %d bytes, not as the engine redacts it whole (%d)", len(out), len(want))
	}
	for _, secret := range []string{"hunter22", "ghp_LpVv", "7f3c9a1b", "jane@"} {
		if strings.Contains(out, secret) {
			t.Errorf("%s is still there", secret)
		}
	}
}

// TestRedactReportsWholeReplacements: a value replaced unread is reported on stderr with
// its line, and fails the run with -strict.
func TestRedactReportsWholeReplacements(t *testing.T) {
	in := "ok line\n{\"blob\": \"" + strings.Repeat("x", 100) + "\"}\n"
	for _, strict := range []bool{false, true} {
		var stdout, stderr bytes.Buffer
		code := redactLines(redactOptions{cfg: redact.Config{MaxString: 64}, maxLine: 4096, strict: strict}, strings.NewReader(in), &stdout, &stderr)
		if want := "ok line\n{\"blob\": \"[REDACTED:too_large]\"}\n"; stdout.String() != want {
			t.Errorf("got %q", stdout.String())
		}
		if !strings.Contains(stderr.String(), "line 2: 1 value(s)") {
			t.Errorf("stderr %q does not report line 2", stderr.String())
		}
		if wantCode := map[bool]int{false: 0, true: 3}[strict]; code != wantCode {
			t.Errorf("strict=%v: exit %d, want %d", strict, code, wantCode)
		}
	}
}

// A JSON line over 1 MiB is redacted as JSON, streamed: the same objects that the
// structural path redacts on a short line are redacted once a padding attribute makes the
// line long — a key or a value spelled with \u escapes, and an object under a secret key
// (masked whole) — and the line stays JSON.
func TestLongJSONLineIsRedactedAsJSON(t *testing.T) {
	const key = "sk-proj-RkjEkeFeW6pGPExMIe35ymTM5LNGhXgtGIztEQFZrihKR87Ct358x208LsT3BlbkFJEfYLVt1NG8asAmjrYEb"
	for name, c := range map[string]struct{ fields, secret string }{
		"escaped key":      {`"pass\u0077ord":"hunter2"`, "hunter2"},
		"escaped value":    {`"k":"sk\u002dproj-` + key[len("sk-proj-"):] + `"`, key[len("sk-proj-"):]},
		"object under key": {`"password":{"v":"hunter2"}`, "hunter2"},
	} {
		t.Run(name, func(t *testing.T) {
			short := "{" + c.fields + "}\n"
			if out, _, _ := runRaw(t, short); strings.Contains(out, c.secret) {
				t.Fatalf("the short line leaks already: %s", out)
			}
			long := `{"pad":"` + strings.Repeat("A", maxLine) + `",` + c.fields + "}\n"
			out, _, _ := runRaw(t, long)
			if i := strings.Index(out, c.secret); i >= 0 {
				t.Errorf("a line over %d bytes leaks: …%s", maxLine, out[max(0, i-40):])
			}
			if !json.Valid([]byte(out)) {
				t.Errorf("a line over %d bytes is no longer JSON: …%s", maxLine, out[max(0, len(out)-80):])
			}
		})
	}
}
