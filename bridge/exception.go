package bridge

import (
	"log/slog"
	"runtime/debug"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"

	"github.com/resilog/resilog/internal/attrvalue"
	"github.com/resilog/resilog/internal/exception"
)

// firstError returns the first error a holds, as its value or in its groups, or nil.
// LogValuers are not resolved here: their errors are converted to messages like any
// other value, but do not describe the record's exception.
func firstError(a slog.Attr, depth int) error {
	switch a.Value.Kind() {
	case slog.KindAny:
		err, _ := a.Value.Any().(error)
		return err
	case slog.KindGroup:
		if depth >= attrvalue.MaxDepth {
			return nil
		}
		for _, g := range a.Value.Group() {
			if err := firstError(g, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// addException describes err with exception.type, exception.message and, when err carries
// a stack or captureStack is set, exception.stacktrace.
func addException(rec *log.Record, err error, captureStack bool) {
	rec.AddAttributes(attribute.String(exception.TypeKey, exception.Type(err)), attribute.String(exception.MessageKey, exception.Message(err)))
	if st := exception.Stack(err); st != "" {
		rec.AddAttributes(attribute.String(exception.StacktraceKey, st))
	} else if captureStack {
		rec.AddAttributes(attribute.String(exception.StacktraceKey, string(debug.Stack())))
	}
}
