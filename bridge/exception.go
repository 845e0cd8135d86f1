package bridge

import (
	"log/slog"
	"runtime/debug"

	"github.com/resilog/resilog/internal/exception"
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
	out.AddAttrs(slog.String(exception.TypeKey, exception.Type(first)), slog.String(exception.MessageKey, exception.Message(first)))
	if st := exception.Stack(first); st != "" {
		out.AddAttrs(slog.String(exception.StacktraceKey, st))
	} else if captureStack && r.Level >= slog.LevelError {
		out.AddAttrs(slog.String(exception.StacktraceKey, string(debug.Stack())))
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
			return slog.String(a.Key, exception.Message(err))
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
