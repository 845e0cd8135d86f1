package accounting

import "strings"

// BreaksLine reports whether r, though valid in a JSON string, could split or reorder the
// line for some reader: C1 controls (U+0085 NEL is a line break to Python's splitlines and
// to Unicode), the line and paragraph separators, the bidirectional overrides, isolates
// and marks (U+200E, U+200F, U+061C) that make a terminal show text in another order than
// it is stored, and the invisible U+200B and U+FEFF (the console escapes them too).
func BreaksLine(r rune) bool {
	return r >= 0x80 && r <= 0x9f || r == '\u2028' || r == '\u2029' ||
		r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069' ||
		r == '\u200b' || r == '\u200e' || r == '\u200f' || r == '\u061c' || r == '\ufeff'
}

// maxLine bounds the text of another party (a server's answer can be 64 KiB) quoted in a
// report line.
const maxLine = 512

// OneLine makes s safe to quote in one report line: line breaks, controls and bidi
// overrides become spaces, and it is cut at 512 bytes.
func OneLine(s string) string {
	if len(s) > maxLine {
		s = strings.ToValidUTF8(s[:maxLine], "") + "…"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || BreaksLine(r) {
			return ' '
		}
		return r
	}, s)
}
