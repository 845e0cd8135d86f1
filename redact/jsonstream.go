package redact

import (
	"encoding/json"
	"io"
	"strings"
	"unicode/utf8"
)

// jsonStreamMax bounds what a JSONWriter holds of one token (a string, a number, a value
// masked whole): a longer string is decoded and redacted as it streams, a longer value
// under a secret key is replaced by its kind's placeholder unread.
const jsonStreamMax = 1 << 20

// jsonStreamFlush is how much redacted output a JSONWriter collects before writing it.
const jsonStreamFlush = 64 << 10

// JSONWriter redacts one JSON value of any length written through it (a log line of many
// megabytes that is a JSON object), in bounded memory (a few MiB), structurally as
// [Redactor.JSON] does: keys and strings are decoded before they are matched, the value
// under a secret key is masked whole whatever its type, numbers are checked as numbers.
// What it does not redact is copied byte for byte, except strings longer than 1 MiB,
// which are decoded and redacted as they stream (as [Writer] does with text) and written
// back with the minimal JSON escapes; a key that long is not read, and the value under
// it is masked as a secret's. A value nested deeper than Config.MaxDepth is replaced by
// the too_deep placeholder. Where the input stops being JSON, the rest of it is redacted
// as text. Close writes what is held back; it does not close the underlying writer. A
// JSONWriter is not safe for concurrent use.
type JSONWriter struct {
	r     *Redactor
	w     io.Writer
	out   []byte
	err   error
	state jsonState
	stack []byte // the open containers, '{' or '['
	isKey bool   // the string being read is a key
	next  Kind   // the kind of secret the next value is (its key's), or KindNone
	tok   []byte // the string or number being read, raw

	// A value masked whole, skipped as it streams.
	skipKind  Kind
	skipDepth int
	skipStr   bool // inside a string
	skipEsc   bool // after a backslash in a string
	skipRaw   []byte
	skipOver  bool // longer than jsonStreamMax: not kept

	// A string longer than jsonStreamMax, decoded into a text Writer.
	text   *Writer
	dec    []byte
	esc    int  // 0, or 1 after a backslash, or 2-5 reading the hex digits of \u
	hex    rune // the \u escape read so far
	high   rune // a high surrogate waiting for its low half, or 0
	escOut jsonEscaper

	plain *Writer // the rest, redacted as text, once the input is not JSON
}

type jsonState uint8

const (
	jsValue  jsonState = iota // a value is expected
	jsKey                     // a key or '}' is expected
	jsColon                   // ':' is expected
	jsAfter                   // ',' or a closing bracket is expected (or the end)
	jsString                  // reading a string into tok
	jsScalar                  // reading a number or a literal into tok
	jsSkip                    // skipping a value masked whole
	jsStream                  // decoding a long string into text
	jsPlain                   // not JSON: the rest goes to plain
)

// NewJSONWriter returns a JSONWriter that writes the redacted JSON to w.
func (r *Redactor) NewJSONWriter(w io.Writer) *JSONWriter {
	jw := &JSONWriter{r: r, w: w}
	jw.escOut.jw = jw
	return jw
}

// Write redacts p as part of the JSON value and writes what is final. It returns len(p)
// unless the underlying writer failed.
func (jw *JSONWriter) Write(p []byte) (int, error) {
	if jw.err != nil {
		return 0, jw.err
	}
	for i, c := range p {
		if jw.state == jsPlain {
			jw.plain.Write(p[i:])
			break
		}
		jw.step(c)
	}
	if len(jw.out) >= jsonStreamFlush {
		jw.flush()
	}
	if jw.err != nil {
		return 0, jw.err
	}
	return len(p), nil
}

// Close ends the value: what is held back is written (a value left open, as text).
func (jw *JSONWriter) Close() error {
	switch jw.state {
	case jsScalar:
		jw.endScalar()
	case jsSkip:
		if jw.skipDepth == 0 && !jw.skipStr {
			jw.endSkip()
		} else {
			jw.emit(jsonString(placeholder(jw.skipKind)))
		}
	case jsString:
		jw.toPlain(nil)
	case jsStream:
		jw.endStream()
	}
	if jw.plain != nil {
		if err := jw.plain.Close(); err != nil && jw.err == nil {
			jw.err = err
		}
	}
	jw.flush()
	return jw.err
}

func (jw *JSONWriter) step(c byte) {
	switch jw.state {
	case jsString:
		jw.tok = append(jw.tok, c)
		if c == '\\' && !jw.skipEsc {
			jw.skipEsc = true
			return
		}
		escaped := jw.skipEsc
		jw.skipEsc = false
		if c == '"' && !escaped {
			jw.endString()
		} else if len(jw.tok) > jsonStreamMax {
			jw.startStream()
		}
		return
	case jsStream:
		jw.decode(c)
		return
	case jsScalar:
		if strings.IndexByte(",}] \t\r\n", c) < 0 {
			if jw.tok = append(jw.tok, c); len(jw.tok) > jsonStreamMax {
				jw.toPlain(nil)
			}
			return
		}
		jw.endScalar()
	case jsSkip:
		if jw.skipc(c) {
			return
		}
	}
	if jw.state == jsPlain { // the token before c was not JSON
		jw.plain.Write([]byte{c})
		return
	}
	if isJSONSpace(c) {
		jw.out = append(jw.out, c)
		return
	}
	switch jw.state {
	case jsValue:
		jw.startValue(c)
	case jsKey:
		switch {
		case c == '"':
			jw.state, jw.isKey, jw.skipEsc, jw.tok = jsString, true, false, append(jw.tok[:0], c)
		case c == '}' && jw.top() == '{':
			jw.close(c)
		default:
			jw.toPlain([]byte{c})
		}
	case jsColon:
		if c != ':' {
			jw.toPlain([]byte{c})
			return
		}
		jw.out = append(jw.out, c)
		jw.state = jsValue
	case jsAfter:
		switch {
		case len(jw.stack) == 0:
			jw.toPlain([]byte{c}) // after the value: text
		case c == ',':
			jw.out = append(jw.out, c)
			jw.state = jsValue
			if jw.top() == '{' {
				jw.state = jsKey
			}
		case c == '}' && jw.top() == '{', c == ']' && jw.top() == '[':
			jw.close(c)
		default:
			jw.toPlain([]byte{c})
		}
	}
}

func (jw *JSONWriter) top() byte {
	if len(jw.stack) == 0 {
		return 0
	}
	return jw.stack[len(jw.stack)-1]
}

func (jw *JSONWriter) close(c byte) {
	jw.stack = jw.stack[:len(jw.stack)-1]
	jw.out = append(jw.out, c)
	jw.state = jsAfter
}

func (jw *JSONWriter) startValue(c byte) {
	kind := jw.next
	jw.next = KindNone
	if (c == '{' || c == '[') && kind == KindNone && len(jw.stack) >= jw.r.maxDepth {
		kind = KindTooDeep
	}
	if kind != KindNone {
		jw.state, jw.skipKind, jw.skipRaw, jw.skipOver = jsSkip, kind, jw.skipRaw[:0], false
		jw.skipDepth, jw.skipStr, jw.skipEsc = 0, false, false
		jw.skipc(c)
		return
	}
	switch {
	case c == '{' || c == '[':
		jw.stack = append(jw.stack, c)
		jw.out = append(jw.out, c)
		jw.state = jsValue
		if c == '{' {
			jw.state = jsKey
		}
	case c == ']' && jw.top() == '[':
		jw.close(c)
	case c == '"':
		jw.state, jw.isKey, jw.skipEsc, jw.tok = jsString, false, false, append(jw.tok[:0], c)
	case c == '-' || isDigit(c) || c >= 'a' && c <= 'z':
		jw.state, jw.tok = jsScalar, append(jw.tok[:0], c)
	default:
		jw.toPlain([]byte{c})
	}
}

// endString handles the string in tok, closing quote included.
func (jw *JSONWriter) endString() {
	var s string
	if err := json.Unmarshal(jw.tok, &s); err != nil {
		jw.toPlain(nil)
		return
	}
	if jw.isKey {
		info := jw.r.keyOf(s)
		if info.masked != "" {
			jw.emit(jsonString(info.masked))
		} else {
			jw.out = append(jw.out, jw.tok...)
		}
		jw.next, jw.state = info.kind, jsColon
		return
	}
	if red, changed := jw.r.text(s); changed {
		jw.emit(jsonString(red))
	} else {
		jw.out = append(jw.out, jw.tok...)
	}
	jw.state = jsAfter
}

func (jw *JSONWriter) endScalar() {
	t := jw.tok
	switch {
	case t[0] >= 'a' && t[0] <= 'z':
		if s := string(t); s != "true" && s != "false" && s != "null" {
			jw.toPlain(nil)
			return
		}
		jw.out = append(jw.out, t...)
	case !json.Valid(t):
		jw.toPlain(nil)
		return
	default:
		if masked, ok := jw.r.number(t); ok && jw.r.minNumber > 0 {
			jw.emit(jsonString(masked))
		} else {
			jw.out = append(jw.out, t...)
		}
	}
	jw.state = jsAfter
}

// skipc reads c as part of a value masked whole; false when c follows the value (the
// end of a number or literal), to be read again.
func (jw *JSONWriter) skipc(c byte) bool {
	scalar := len(jw.skipRaw) > 0 && jw.skipDepth == 0 && !jw.skipStr
	if scalar && strings.IndexByte(",}] \t\r\n", c) >= 0 {
		jw.endSkip()
		return false
	}
	if !jw.skipOver {
		if jw.skipRaw = append(jw.skipRaw, c); len(jw.skipRaw) > jsonStreamMax {
			jw.skipOver, jw.skipRaw = true, jw.skipRaw[:1]
		}
	}
	switch {
	case jw.skipStr:
		switch {
		case jw.skipEsc:
			jw.skipEsc = false
		case c == '\\':
			jw.skipEsc = true
		case c == '"':
			jw.skipStr = false
			if jw.skipDepth == 0 {
				jw.endSkip()
			}
		}
	case scalar:
		// a number or a literal: it ends at the next delimiter
	case c == '"':
		jw.skipStr = true
	case c == '{' || c == '[':
		jw.skipDepth++
	case c == '}' || c == ']':
		if jw.skipDepth--; jw.skipDepth == 0 {
			jw.endSkip()
		}
	}
	return true
}

// endSkip writes the mask of the value skipped.
func (jw *JSONWriter) endSkip() {
	jw.state = jsAfter
	kind := jw.skipKind
	if jw.skipOver || kind == KindTooDeep {
		jw.emit(jsonString(placeholder(kind)))
		return
	}
	text := string(jw.skipRaw)
	if len(text) > 0 && text[0] == '"' {
		var s string
		if json.Unmarshal(jw.skipRaw, &s) == nil {
			text = s
		}
	}
	if alreadyMasked(text) {
		jw.out = append(jw.out, jw.skipRaw...)
		return
	}
	mask := jw.r.maskFor(kind)
	if mask == MaskDrop {
		mask = MaskPlaceholder // the key stays, so the value must too
	}
	jw.emit(jsonString(jw.r.maskSecret(kind, mask, text)))
}

// startStream goes on with the string in tok, too long to hold, decoded into a text
// Writer whose output is escaped back into the JSON string.
func (jw *JSONWriter) startStream() {
	jw.state = jsStream
	jw.out = append(jw.out, '"')
	jw.text = jw.r.NewWriter(&jw.escOut)
	jw.esc, jw.high, jw.dec = 0, 0, jw.dec[:0]
	raw := jw.tok[1:]
	if jw.skipEsc { // tok ends in the backslash of an escape
		raw = raw[:len(raw)-1]
	}
	for _, c := range raw {
		jw.decode(c)
	}
	if jw.skipEsc {
		jw.esc, jw.skipEsc = 1, false
	}
	jw.tok = jw.tok[:0]
}

// decode reads c of a streamed string.
func (jw *JSONWriter) decode(c byte) {
	switch {
	case jw.esc == 1:
		jw.esc = 0
		switch c {
		case 'u':
			jw.esc, jw.hex = 2, 0
			return
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		}
		jw.rune(rune(c))
	case jw.esc >= 2:
		jw.hex = jw.hex<<4 | rune(hexVal(c))
		if jw.esc++; jw.esc == 6 {
			jw.esc = 0
			jw.rune(jw.hex)
		}
	case c == '\\':
		jw.esc = 1
	case c == '"':
		jw.endStream()
		return
	default:
		jw.flushHigh()
		jw.dec = append(jw.dec, c)
	}
	if len(jw.dec) >= 4<<10 {
		jw.text.Write(jw.dec)
		jw.dec = jw.dec[:0]
	}
}

// rune appends a decoded escape, pairing UTF-16 surrogates.
func (jw *JSONWriter) rune(r rune) {
	switch {
	case r >= 0xD800 && r < 0xDC00:
		jw.flushHigh()
		jw.high = r
		return
	case r >= 0xDC00 && r < 0xE000 && jw.high != 0:
		r = 0x10000 + (jw.high-0xD800)<<10 + (r - 0xDC00)
		jw.high = 0
	default:
		jw.flushHigh()
	}
	jw.dec = utf8.AppendRune(jw.dec, r)
}

func (jw *JSONWriter) flushHigh() {
	if jw.high != 0 {
		jw.dec = utf8.AppendRune(jw.dec, utf8.RuneError)
		jw.high = 0
	}
}

func (jw *JSONWriter) endStream() {
	jw.flushHigh()
	jw.text.Write(jw.dec)
	if err := jw.text.Close(); err != nil && jw.err == nil {
		jw.err = err
	}
	jw.text, jw.dec = nil, jw.dec[:0]
	jw.out = append(jw.out, '"')
	if jw.isKey {
		// A key too long to read: its value is masked as a secret's.
		jw.state, jw.next = jsColon, KindSecret
		return
	}
	jw.state = jsAfter
}

// toPlain redacts the rest of the input as text, starting with what is held and then
// extra: it is not JSON after all.
func (jw *JSONWriter) toPlain(extra []byte) {
	jw.plain = jw.r.NewWriter(jsonRaw{jw})
	switch jw.state {
	case jsString, jsScalar:
		jw.plain.Write(jw.tok)
	}
	jw.plain.Write(extra)
	jw.state = jsPlain
}

func (jw *JSONWriter) emit(b []byte) { jw.out = append(jw.out, b...) }

func (jw *JSONWriter) flush() {
	if len(jw.out) == 0 || jw.err != nil {
		return
	}
	if _, err := jw.w.Write(jw.out); err != nil {
		jw.err = err
	}
	jw.out = jw.out[:0]
}

func jsonString(s string) []byte { return appendJSONString(nil, s) }

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0
}

// jsonEscaper writes a text Writer's output into a JSON string: quotes, backslashes and
// control characters escaped.
type jsonEscaper struct{ jw *JSONWriter }

func (e *jsonEscaper) Write(p []byte) (int, error) {
	const hexDigits = "0123456789abcdef"
	for _, c := range p {
		switch {
		case c == '"' || c == '\\':
			e.jw.out = append(e.jw.out, '\\', c)
		case c == '\n':
			e.jw.out = append(e.jw.out, '\\', 'n')
		case c == '\r':
			e.jw.out = append(e.jw.out, '\\', 'r')
		case c == '\t':
			e.jw.out = append(e.jw.out, '\\', 't')
		case c < 0x20:
			e.jw.out = append(e.jw.out, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		default:
			e.jw.out = append(e.jw.out, c)
		}
	}
	if len(e.jw.out) >= jsonStreamFlush {
		e.jw.flush()
	}
	return len(p), e.jw.err
}

// jsonRaw writes a text Writer's output as it is (the input stopped being JSON).
type jsonRaw struct{ jw *JSONWriter }

func (r jsonRaw) Write(p []byte) (int, error) {
	r.jw.out = append(r.jw.out, p...)
	if len(r.jw.out) >= jsonStreamFlush {
		r.jw.flush()
	}
	return len(p), r.jw.err
}
