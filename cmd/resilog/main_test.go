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

func redactLines(t *testing.T, lines []string) []string {
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
	out := redactLines(t, lines)
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
	for i, got := range redactLines(t, lines) {
		if got != lines[i] {
			t.Errorf("%s changed: %q -> %q", neg[i].category, lines[i], got)
		}
	}
	// A JSON line with nothing to redact keeps its members, order and spelling.
	in := `{"z":1,"a":"https://api.example.com/v1/orders?page=2&limit=50","n":null,"b":[true,1.5e3]}`
	if got := redactLines(t, []string{in})[0]; got != in {
		t.Errorf("clean JSON changed: %s", got)
	}
}

func TestRedactJSONKeys(t *testing.T) {
	in := `{"user":"bob","password":{"nested":"x"},"card_number":4111111111111111,"headers":{"Authorization":"Bearer abcdefghijklmnop"}}`
	want := `{"user":"bob","password":"[REDACTED:secret]","card_number":"****1111","headers":{"Authorization":"[REDACTED:authorization]"}}`
	if got := redactLines(t, []string{in})[0]; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Not JSON after all: redacted as text.
	if got := redactLines(t, []string{`{broken password=hunter22`})[0]; got != `{broken password=[REDACTED:secret]` {
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
