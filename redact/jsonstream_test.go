package redact

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// streamJSON writes in through a JSONWriter in pieces of the given size.
func streamJSON(t *testing.T, r *Redactor, in string, piece int) string {
	t.Helper()
	var out bytes.Buffer
	w := r.NewJSONWriter(&out)
	for rest := in; rest != ""; {
		n := min(len(rest), piece)
		if m, err := w.Write([]byte(rest[:n])); err != nil || m != n {
			t.Fatalf("Write: %d, %v", m, err)
		}
		rest = rest[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestJSONWriterMatchesJSON: a JSON value streamed through a JSONWriter, in pieces of any
// size, comes out as JSON redacts it whole: keys and values decoded before matching,
// values under secret keys masked whatever their type, clean values byte for byte.
func TestJSONWriterMatchesJSON(t *testing.T) {
	r := newTestRedact(t, Config{})
	for _, in := range []string{
		`{"pass\u0077ord":"hunter2","k":"v"}`,
		`{"k":"sk\u002dproj-RkjEkeFeW6pGPExMIe35ymTM5LNGhXgtGIztEQFZrihKR87Ct358x208LsT3BlbkFJEfYLVt1NG8asAmjrYEb"}`,
		`{"password":{"v":"hunter2","n":[1,{"x":"}"}]},"after":1}`,
		`{"token": 123456, "ok": true, "nothing": null, "f": -1.5e3}`,
		`[ {"card": "4111 1111 1111 1111"}, 4111111111111111, "mail jane@example.com" ]`,
		`{"msg":"login password=hunter22 ok","esc":"a\"b\\c\u003c","e":""}`,
		`{"api_key":"[REDACTED:secret]","nested":{"deeper":{"secret":["a","b"]}}}`,
		`{"a" : { } , "b":[ ], "c":"\ud83d\ude00"}`,
		`{"clean": "nothing here", "n": 42}`,
	} {
		want, err := r.JSON([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		for _, piece := range []int{1, 3, 7, len(in)} {
			if got := streamJSON(t, r, in, piece); got != string(want) {
				t.Errorf("in pieces of %d:\n  in %s\n got %s\nwant %s", piece, in, got, want)
			}
		}
	}
}

// TestJSONWriterLongString: a string longer than the JSONWriter holds is decoded as it
// streams, so that a secret in it is found, and the line stays valid JSON.
func TestJSONWriterLongString(t *testing.T) {
	r := newTestRedact(t, Config{MaxString: 4 << 20})
	pad := strings.Repeat("x\\u0041\\n", jsonStreamMax/8)
	for name, c := range map[string]struct{ in, leak string }{
		"secret in a long value":  {`{"msg":"` + pad + ` pass\u0077ord=hunter22 \ud83d\ude00 \"q\"` + pad + `","k":1}`, "hunter22"},
		"value of a long key":     {`{"` + pad + `":"hunter22"}`, "hunter22"},
		"long value under a key":  {`{"password":"` + pad + `hunter22"}`, "hunter22"},
		"long object under a key": {`{"password":{"a":"` + pad + `hunter22"}}`, "hunter22"},
	} {
		t.Run(name, func(t *testing.T) {
			out := streamJSON(t, r, c.in, 4096)
			if strings.Contains(out, c.leak) {
				t.Errorf("%q leaks", c.leak)
			}
			if !json.Valid([]byte(out)) {
				t.Errorf("not JSON any more: …%s", out[max(0, len(out)-200):])
			}
		})
	}
}

// TestJSONWriterNotJSON: where the input stops being JSON, the rest is redacted as text.
func TestJSONWriterNotJSON(t *testing.T) {
	r := newTestRedact(t, Config{})
	for _, in := range []string{
		`{"a":1} password=hunter22`,
		`{"a": nope password=hunter22}`,
		`{"a":"unterminated password=hunter22`,
		`{"a":1,,, password=hunter22`,
	} {
		for _, piece := range []int{1, len(in)} {
			if out := streamJSON(t, r, in, piece); strings.Contains(out, "hunter22") {
				t.Errorf("%s (pieces of %d): leaks: %s", in, piece, out)
			}
		}
	}
}

// TestJSONWriterTooDeep: a value nested deeper than MaxDepth is replaced, not followed.
func TestJSONWriterTooDeep(t *testing.T) {
	r := newTestRedact(t, Config{MaxDepth: 4})
	in := `{"a":[[[[["password=hunter22"]]]]],"b":"ok"}`
	out := streamJSON(t, r, in, 5)
	if strings.Contains(out, "hunter22") || !strings.Contains(out, KindTooDeep.Placeholder()) || !json.Valid([]byte(out)) {
		t.Errorf("got %s", out)
	}
}
