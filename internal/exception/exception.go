// Package exception describes errors and panics with OpenTelemetry's exception.*
// attributes, the same way everywhere in resilog: the bridge for logged errors,
// propagation for recovered panics.
package exception

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// Attribute keys (OpenTelemetry semantic conventions).
const (
	TypeKey       = "exception.type"
	MessageKey    = "exception.message"
	StacktraceKey = "exception.stacktrace"
)

// Message is err.Error(), or a description of the panic a broken Error method raised.
func Message(err error) (msg string) {
	defer func() {
		if p := recover(); p != nil {
			msg = fmt.Sprintf("!PANIC in Error method of %T: %s", err, Sprint("%v", p))
		}
	}()
	if isNilPointer(err) {
		return "<nil>"
	}
	return err.Error()
}

// Sprint is fmt.Sprintf(verb, x) that never panics, except that a byte slice is the text
// it holds (invalid UTF-8 replaced): fmt would print it as a list of decimals, which no
// redaction rule reads. fmt recovers from a panicking method of what it prints, but not
// from a second panic raised while it describes the first (an Error that panics with a
// value whose own Error panics); that gives a "!PANIC printing" description instead. It is
// resilog's one guarded formatter for caller values.
func Sprint(verb string, x any) (out string) {
	if b, ok := x.([]byte); ok {
		return BytesText(b)
	}
	defer func() {
		if recover() != nil {
			out = fmt.Sprintf("!PANIC printing %T", x)
		}
	}()
	return fmt.Sprintf(verb, x)
}

// BytesText is b as text, invalid UTF-8 replaced by U+FFFD.
func BytesText(b []byte) string { return strings.ToValidUTF8(string(b), "\uFFFD") }

// maxChain bounds how far Type and Stack follow Unwrap: a broken Unwrap may return its
// receiver, or a tree without end.
const maxChain = 100

// Type names the Go type of err. Wrapping added by fmt.Errorf is looked through to
// the cause; a joined error lists the types of its errors. A typed nil, a panicking or
// endless Unwrap yields the type err itself has, never a panic or a loop.
func Type(err error) string {
	budget := maxChain
	return typeOf(err, &budget)
}

func typeOf(err error, budget *int) (name string) {
	if err == nil {
		return "<nil>"
	}
	defer func() {
		if recover() != nil {
			name = reflect.TypeOf(err).String()
		}
	}()
	for ; *budget > 0; *budget-- {
		switch e := err.(type) {
		case interface{ Unwrap() []error }:
			if isNilPointer(err) {
				return reflect.TypeOf(err).String()
			}
			*budget--
			var types []string
			for _, x := range e.Unwrap() {
				if x != nil && *budget > 0 {
					types = append(types, typeOf(x, budget))
				}
			}
			if len(types) == 0 {
				return reflect.TypeOf(err).String()
			}
			return strings.Join(types, ", ")
		case interface{ Unwrap() error }:
			t := reflect.TypeOf(err).String()
			if t == "*fmt.wrapError" || t == "*fmt.wrapErrors" {
				if inner := e.Unwrap(); inner != nil {
					err = inner
					continue
				}
			}
		}
		return reflect.TypeOf(err).String()
	}
	return reflect.TypeOf(err).String()
}

func isNilPointer(x any) bool {
	v := reflect.ValueOf(x)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// Stack returns the stack an error carries: a StackTrace() method (github.com/pkg/
// errors and compatible) anywhere in its chain, formatted with %+v, or a Stack() []byte.
func Stack(err error) (stack string) {
	defer func() {
		if recover() != nil {
			stack = "" // a nil receiver or a broken method: no stack rather than a crash
		}
	}()
	for i, e := 0, err; e != nil && i < maxChain; i, e = i+1, errors.Unwrap(e) {
		if s, ok := e.(interface{ Stack() []byte }); ok {
			return string(s.Stack())
		}
		if m := reflect.ValueOf(e).MethodByName("StackTrace"); m.IsValid() && m.Type().NumIn() == 0 && m.Type().NumOut() == 1 {
			return strings.TrimSpace(fmt.Sprintf("%+v", m.Call(nil)[0].Interface()))
		}
	}
	return ""
}
