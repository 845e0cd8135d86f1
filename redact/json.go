package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrNotJSON is wrapped by JSON's errors when its input is not one valid JSON value.
var ErrNotJSON = errors.New("redact: not a JSON value")

// JSON redacts one JSON value (a log line that is a JSON object, typically) structurally:
// a member whose key is secret has its value masked whatever its type, keys and every
// other string are scanned as text, numbers are checked like numbers, recursively through
// objects and arrays.
//
// Only what is redacted changes: the members' order, spacing and escapes elsewhere are
// kept byte for byte, and an input with nothing to redact is returned as it is (the same
// slice). A masked value is written as a JSON string.
func (r *Redactor) JSON(in []byte) ([]byte, error) {
	out, _, err := r.jsonEdit(in)
	return out, err
}

// jsonEdit is JSON, saying whether anything changed.
func (r *Redactor) jsonEdit(in []byte) ([]byte, bool, error) {
	if !json.Valid(in) {
		return nil, false, ErrNotJSON
	}
	e := jsonEditor{r: r, in: in}
	e.ws()
	if err := e.value(0); err != nil {
		return nil, false, err
	}
	if e.out == nil {
		return in, false, nil
	}
	return append(e.out, in[e.last:]...), true, nil
}

// jsonEditor walks valid JSON, copying it to out only from the first edit on.
type jsonEditor struct {
	r     *Redactor
	in    []byte
	pos   int
	out   []byte // nil until the first edit
	last  int    // in[:last] is in out already
	quiet int    // > 0 inside a value masked whole: walk it, change nothing
}

// edit replaces in[start:end] with repl.
func (e *jsonEditor) edit(start, end int, repl []byte) {
	if e.out == nil {
		e.out = make([]byte, 0, len(e.in)+16)
	}
	e.out = append(e.out, e.in[e.last:start]...)
	e.out = append(e.out, repl...)
	e.last = end
}

func (e *jsonEditor) ws() {
	for e.pos < len(e.in) {
		switch e.in[e.pos] {
		case ' ', '\t', '\n', '\r':
			e.pos++
		default:
			return
		}
	}
}

// value walks the value at e.pos (the input is valid JSON: only depth is checked).
func (e *jsonEditor) value(depth int) error {
	switch c := e.in[e.pos]; {
	case c == '{' || c == '[':
		if depth >= e.r.maxDepth {
			return fmt.Errorf("%w: nested deeper than %d", ErrNotJSON, e.r.maxDepth)
		}
		if c == '[' {
			return e.array(depth)
		}
		return e.object(depth)
	case c == '"':
		start := e.pos
		s := e.str()
		if e.quiet == 0 {
			if red, changed := e.r.text(s); changed {
				e.edit(start, e.pos, appendJSONString(nil, red))
			}
		}
	case c == '-' || isDigit(c):
		start := e.pos
		for e.pos < len(e.in) && strings.IndexByte("+-.eE0123456789", e.in[e.pos]) >= 0 {
			e.pos++
		}
		if e.quiet == 0 && e.r.minNumber > 0 {
			if masked, ok := e.r.number(e.in[start:e.pos]); ok {
				e.edit(start, e.pos, appendJSONString(nil, masked))
			}
		}
	default: // true, false, null
		for e.pos < len(e.in) && e.in[e.pos] >= 'a' && e.in[e.pos] <= 'z' {
			e.pos++
		}
	}
	return nil
}

func (e *jsonEditor) array(depth int) error {
	e.pos++ // [
	for {
		e.ws()
		if e.in[e.pos] == ']' {
			e.pos++
			return nil
		}
		if err := e.value(depth + 1); err != nil {
			return err
		}
		e.ws()
		if e.in[e.pos] == ',' {
			e.pos++
		}
	}
}

func (e *jsonEditor) object(depth int) error {
	e.pos++ // {
	for {
		e.ws()
		if e.in[e.pos] == '}' {
			e.pos++
			return nil
		}
		if e.in[e.pos] == ',' {
			e.pos++
			continue
		}
		kStart := e.pos
		key := e.str()
		info := cleanKey
		if e.quiet == 0 {
			info = e.r.keyOf(key)
			if info.masked != "" {
				e.edit(kStart, e.pos, appendJSONString(nil, info.masked))
			}
		}
		e.ws()
		e.pos++ // :
		e.ws()
		if info.kind == KindNone {
			if err := e.value(depth + 1); err != nil {
				return err
			}
			continue
		}
		// A secret key: its value is masked whole, whatever its type.
		vStart := e.pos
		var text string
		if e.in[e.pos] == '"' {
			text = e.str()
		} else {
			e.quiet++
			err := e.value(depth + 1)
			e.quiet--
			if err != nil {
				return err
			}
			text = string(e.in[vStart:e.pos])
		}
		if alreadyMasked(text) || e.in[vStart] != '"' && notSecret(key, text) { // "tokens": 1200
			continue
		}
		mask := e.r.maskFor(info.kind)
		if mask == MaskDrop {
			mask = MaskPlaceholder // the key stays, so the line stays valid
		}
		e.edit(vStart, e.pos, appendJSONString(nil, e.r.maskSecret(info.kind, mask, text)))
	}
}

// str reads the string at e.pos and returns it decoded.
func (e *jsonEditor) str() string {
	start := e.pos
	e.pos++ // "
	escaped := false
	for e.in[e.pos] != '"' {
		if e.in[e.pos] == '\\' {
			escaped = true
			e.pos++
		}
		e.pos++
	}
	e.pos++
	raw := e.in[start:e.pos]
	if !escaped {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	_ = json.Unmarshal(raw, &s) // valid: json.Valid said so
	return s
}

// appendJSONString appends s quoted, without encoding/json's HTML escaping.
func appendJSONString(out []byte, s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return append(out, bytes.TrimRight(b.Bytes(), "\n")...)
}
