package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// JSON redacts one JSON value (a log line that is a JSON object, typically) structurally:
// a member whose key is secret has its value masked whatever its type, every other
// string is scanned as text, recursively through objects and arrays. The result is
// compact JSON with the members in their original order.
func (r *Redactor) JSON(in []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(in))
	dec.UseNumber()
	out, err := r.jsonValue(dec, nil, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("redact: trailing data after the JSON value")
	}
	return out, nil
}

func (r *Redactor) jsonValue(dec *json.Decoder, out []byte, depth int) ([]byte, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if depth >= r.maxDepth {
			return nil, fmt.Errorf("redact: JSON nested deeper than %d", r.maxDepth)
		}
		if t == '[' {
			out = append(out, '[')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					out = append(out, ',')
				}
				if out, err = r.jsonValue(dec, out, depth+1); err != nil {
					return nil, err
				}
			}
			_, _ = dec.Token() // ]
			return append(out, ']'), nil
		}
		out = append(out, '{')
		for i := 0; dec.More(); i++ {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			key, _ := kt.(string)
			if i > 0 {
				out = append(out, ',')
			}
			out = appendJSONString(out, r.String(key))
			out = append(out, ':')
			if kind := r.keyKind(key); kind != KindNone {
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return nil, err
				}
				var text string
				if json.Unmarshal(raw, &text) != nil {
					text = string(raw) // a number, an object…: masked all the same
				}
				if alreadyMasked(text) {
					out = appendJSONString(out, text)
					continue
				}
				mask := r.maskFor(kind)
				if mask == MaskDrop {
					mask = MaskPlaceholder // the key stays, so the line stays valid
				}
				out = appendJSONString(out, r.maskSecret(kind, mask, text))
				continue
			}
			if out, err = r.jsonValue(dec, out, depth+1); err != nil {
				return nil, err
			}
		}
		_, _ = dec.Token() // }
		return append(out, '}'), nil
	case string:
		return appendJSONString(out, r.String(t)), nil
	case json.Number:
		s := t.String()
		if masked, ok := r.number([]byte(s)); ok {
			return appendJSONString(out, masked), nil
		}
		return append(out, s...), nil
	case bool:
		if t {
			return append(out, "true"...), nil
		}
		return append(out, "false"...), nil
	case nil:
		return append(out, "null"...), nil
	}
	return nil, fmt.Errorf("redact: unexpected JSON token %v", tok)
}

// appendJSONString appends s quoted, without encoding/json's HTML escaping, so that
// lines with nothing to redact come out as they went in.
func appendJSONString(out []byte, s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return append(out, bytes.TrimRight(b.Bytes(), "\n")...)
}
