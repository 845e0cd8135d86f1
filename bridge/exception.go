package bridge

import (
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"runtime/debug"
	"strings"
)

// Exception attribute keys (OpenTelemetry semantic conventions).
const (
	exceptionType       = "exception.type"
	exceptionMessage    = "exception.message"
	exceptionStacktrace = "exception.stacktrace"
)

// hasError reports whether any attribute of r (groups included) holds an error.
func hasError(r slog.Record) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = attrHasError(a, 0)
		return !found
	})
	return found
}

func attrHasError(a slog.Attr, depth int) bool {
	switch a.Value.Kind() {
	case slog.KindAny:
		_, ok := a.Value.Any().(error)
		return ok
	case slog.KindGroup:
		if depth > 32 {
			return false
		}
		for _, g := range a.Value.Group() {
			if attrHasError(g, depth+1) {
				return true
			}
		}
	}
	return false
}

// withExceptions returns a copy of r in which every error attribute keeps its key with the
// error's message as its value, and the first error (in attribute order, groups included)
// is described by exception.type, exception.message and exception.stacktrace. The upstream
// bridge would take one top-level error, drop its key, and ignore the others.
func withExceptions(r slog.Record, captureStack bool) slog.Record {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	var first error
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(replaceErrors(a, &first, 0))
		return true
	})
	if first == nil {
		return r
	}
	out.AddAttrs(slog.String(exceptionType, errorType(first)), slog.String(exceptionMessage, safeError(first)))
	if st := errorStack(first); st != "" {
		out.AddAttrs(slog.String(exceptionStacktrace, st))
	} else if captureStack && r.Level >= slog.LevelError {
		out.AddAttrs(slog.String(exceptionStacktrace, string(debug.Stack())))
	}
	return out
}

func replaceErrors(a slog.Attr, first *error, depth int) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			if *first == nil {
				*first = err
			}
			return slog.String(a.Key, safeError(err))
		}
	case slog.KindGroup:
		if depth > 32 {
			return a
		}
		g := a.Value.Group()
		attrs := make([]slog.Attr, len(g))
		for i, x := range g {
			attrs[i] = replaceErrors(x, first, depth+1)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(attrs...)}
	}
	return a
}

// safeError is err.Error(), or a description of the panic a broken Error method raised.
func safeError(err error) (msg string) {
	defer func() {
		if p := recover(); p != nil {
			msg = fmt.Sprintf("!PANIC in Error method of %T: %v", err, p)
		}
	}()
	if v := reflect.ValueOf(err); v.Kind() == reflect.Pointer && v.IsNil() {
		return "<nil>"
	}
	return err.Error()
}

// errorType names the Go type of err. Wrapping added by fmt.Errorf is looked through to
// the cause; a joined error lists the types of its errors.
func errorType(err error) string {
	for {
		switch e := err.(type) {
		case interface{ Unwrap() []error }:
			var types []string
			for _, x := range e.Unwrap() {
				if x != nil {
					types = append(types, errorType(x))
				}
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
}

// errorStack returns the stack an error carries: a StackTrace() method (github.com/pkg/
// errors and compatible) anywhere in its chain, formatted with %+v, or a Stack() []byte.
func errorStack(err error) (stack string) {
	defer func() {
		if recover() != nil {
			stack = "" // a nil receiver or a broken method: no stack rather than a crash
		}
	}()
	for e := err; e != nil; e = errors.Unwrap(e) {
		if s, ok := e.(interface{ Stack() []byte }); ok {
			return string(s.Stack())
		}
		if m := reflect.ValueOf(e).MethodByName("StackTrace"); m.IsValid() && m.Type().NumIn() == 0 && m.Type().NumOut() == 1 {
			return strings.TrimSpace(fmt.Sprintf("%+v", m.Call(nil)[0].Interface()))
		}
	}
	return ""
}
