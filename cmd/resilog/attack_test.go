package main

import (
	"strings"
	"testing"
)

// A JSON line up to 1 MiB is redacted structurally; a longer one is streamed as text, which
// reads neither JSON escapes nor nesting. The same objects that the structural path
// redacts pass once a padding attribute makes the line long: a key or a value spelled
// with \u escapes (a JSON reader decodes them), and an object under a secret key, whose
// opening brace alone is masked (the output is no longer JSON either).
func TestAttackLongJSONLineSkipsStructure(t *testing.T) {
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
		})
	}
}
