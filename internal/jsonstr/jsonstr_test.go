package jsonstr

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAppendIsOneLineOfValidJSON(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", `"plain"`},
		{"q\"b\\", `"q\"b\\"`},
		{"a\nb\rc\td", `"a\nb\rc\td"`},
		{"\x00\x1f\x7f", `"\u0000\u001f\u007f"`},
		{"nel\u0085ls\u2028ps\u2029", `"nel\u0085ls\u2028ps\u2029"`},
		{"bidi\u202e\u2066zw\u200b\ufeff", `"bidi\u202e\u2066zw\u200b\ufeff"`},
		{"bad\xff\xfeend", `"bad\ufffd\ufffdend"`},
		{"héllo ✓", `"héllo ✓"`},
	} {
		got := string(Append(nil, tc.in))
		if got != tc.want {
			t.Errorf("Append(%q) = %s, want %s", tc.in, got, tc.want)
		}
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil {
			t.Errorf("Append(%q) = %s: not JSON: %v", tc.in, got, err)
		}
		if utf8.ValidString(tc.in) && back != tc.in {
			t.Errorf("Append(%q) decodes to %q", tc.in, back)
		}
		if strings.ContainsAny(got, "\n\r\u0085\u2028\u2029") || !utf8.ValidString(got) {
			t.Errorf("Append(%q) = %q: not one line of valid UTF-8", tc.in, got)
		}
	}
}
