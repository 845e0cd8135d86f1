// Package exception describes errors and panics with OpenTelemetry's exception.*
// attributes, the same way everywhere in resilog: the bridge for logged errors,
// propagation for recovered panics.
package exception

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
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

// Sprint is fmt.Sprintf(verb, x), verb %v or %+v, that never panics nor recurses without
// bound: resilog's one guarded formatter for values a caller hands in (a recovered panic
// value, say).
//
// fmt recovers from a panicking method of what it prints, but then prints the panic value,
// and re-panics if that panics too; and it follows maps and slices without looking for
// cycles, to a fatal stack overflow. So a byte slice is its text (fmt's list of decimals
// is read by no redaction rule); an error or fmt.Stringer is asked for its text here, a
// panic described by its type alone; a value whose maps, slices and interfaces hold a
// cycle, or more than maxPrinted values, is described by its type; a value that panics
// while fmt prints it gives a "!PANIC printing" description.
func Sprint(verb string, x any) (out string) {
	defer func() {
		if recover() != nil {
			out = fmt.Sprintf("!PANIC printing %T", x)
		}
	}()
	switch m := x.(type) {
	case []byte:
		return BytesText(m) // not fmt's list of decimals, which no redaction rule reads
	case nil:
		return fmt.Sprintf(verb, x)
	case string:
		return m
	case error:
		return callText("Error", m, m.Error)
	case fmt.Stringer:
		return callText("String", m, m.String)
	case fmt.Formatter, fmt.GoStringer:
		return fmt.Sprintf("[%T not printed]", x)
	}
	budget := maxPrinted
	if !printable(reflect.ValueOf(x), 0, &budget, nil) {
		return fmt.Sprintf("[%T not printed: cyclic or over %d values]", x, maxPrinted)
	}
	return fmt.Sprintf(verb, x)
}

// BytesText is b as text, invalid UTF-8 replaced by U+FFFD.
func BytesText(b []byte) string { return strings.ToValidUTF8(string(b), "\uFFFD") }

// maxPrinted bounds how many values Sprint lets fmt print.
const maxPrinted = 1 << 12

// callText is method's text, or a description of its panic that does not print the
// panic value (it might panic or recurse in turn), nor a nil receiver's.
func callText(method string, recv any, text func() string) (out string) {
	defer func() {
		if p := recover(); p != nil {
			if isNilPointer(recv) {
				out = "<nil>"
			} else if s, ok := p.(string); ok {
				out = fmt.Sprintf("!PANIC in %s method of %T: %s", method, recv, s)
			} else {
				out = fmt.Sprintf("!PANIC in %s method of %T: a %T", method, recv, p)
			}
		}
	}()
	return text()
}

// printable reports whether fmt prints v in a bounded number of steps: no map or slice
// on the path to itself, at most *budget values, MaxDepth levels. It follows what fmt
// follows: maps, slices, arrays, struct fields, interfaces, and a pointer at the top only.
func printable(v reflect.Value, depth int, budget *int, path []uintptr) bool {
	if *budget--; *budget < 0 || depth > maxChain {
		return false
	}
	switch v.Kind() {
	case reflect.Interface:
		return v.IsNil() || printable(v.Elem(), depth+1, budget, path)
	case reflect.Pointer:
		return depth > 0 || v.IsNil() || printable(v.Elem(), depth+1, budget, path)
	case reflect.Map, reflect.Slice:
		if v.IsNil() {
			return true
		}
		if slices.Contains(path, v.Pointer()) {
			return false
		}
		path = append(path, v.Pointer())
		if v.Kind() == reflect.Map {
			for it := v.MapRange(); it.Next(); {
				if !printable(it.Key(), depth+1, budget, path) || !printable(it.Value(), depth+1, budget, path) {
					return false
				}
			}
			return true
		}
		fallthrough
	case reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			*budget -= v.Len() / 64 // bytes print as one string
			return *budget >= 0
		}
		for i := range v.Len() {
			if !printable(v.Index(i), depth+1, budget, path) {
				return false
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if !printable(v.Field(i), depth+1, budget, path) {
				return false
			}
		}
	}
	return true
}

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
