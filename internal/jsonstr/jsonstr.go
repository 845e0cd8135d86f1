// Package jsonstr writes JSON strings that stay one line and valid UTF-8 whatever they
// hold: the one string escaper of resilog's JSON outputs (JSON lines, console, OTLP/JSON).
package jsonstr

import (
	"unicode/utf8"

	"github.com/resilog/resilog/internal/accounting"
)

const hexDigits = "0123456789abcdef"

// Append appends s as a JSON string. Besides what JSON requires, it escapes DEL and
// the runes of [accounting.BreaksLine] as \uXXXX and replaces invalid UTF-8 with U+FFFD, so the
// output is valid UTF-8 and one line, for every line splitter, whatever s holds.
func Append(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != 0x7f {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if accounting.BreaksLine(r) {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', hexDigits[r>>12], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
