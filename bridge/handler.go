package bridge

import (
	"context"
	"log/slog"
	"runtime"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
)

// Handler is a named slog.Handler that emits into an OpenTelemetry LoggerProvider.
//
// Records are converted as the upstream bridge (otelslog) converts them. The common case
// — no group opened with WithGroup, and only scalar attributes (strings, numbers, bools,
// durations, times) on the record and bound with WithAttrs — is converted here, with the
// same result and without the upstream bridge's per-record attribute buffer (one heap
// allocation of 64 bytes per attribute); everything else goes through otelslog.
type Handler struct {
	level      slog.Leveler
	errorStack bool
	source     bool
	inner      *otelslog.Handler
	// logger is the provider's logger for the fast path; nil when every record goes
	// through inner (no provider given, a group is open, or a bound attribute is not
	// scalar).
	logger log.Logger
	bound  []attribute.KeyValue // attributes bound with WithAttrs, converted
}

var _ slog.Handler = (*Handler)(nil)

type config struct {
	provider   log.LoggerProvider
	level      slog.Leveler
	source     bool
	errorStack bool
}

// Option configures [NewHandler].
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithLoggerProvider sets the provider records are emitted to. Without it the global
// provider (otel.GetLoggerProvider) is used.
func WithLoggerProvider(p log.LoggerProvider) Option {
	return optionFunc(func(c *config) { c.provider = p })
}

// WithLevel sets the minimum level; records below it are rejected in Enabled. The default
// is slog.LevelInfo. Pass a *slog.LevelVar to change it at run time.
func WithLevel(l slog.Leveler) Option {
	return optionFunc(func(c *config) { c.level = l })
}

// WithSource adds code.file.path, code.line.number and code.function.name to every record.
func WithSource(on bool) Option {
	return optionFunc(func(c *config) { c.source = on })
}

// WithErrorStack captures the stack at the log call for records at ERROR and above that
// hold an error without a stack of its own.
func WithErrorStack(on bool) Option {
	return optionFunc(func(c *config) { c.errorStack = on })
}

// NewHandler returns a Handler whose records carry name as their instrumentation scope.
func NewHandler(name string, opts ...Option) *Handler {
	c := config{level: slog.LevelInfo}
	for _, o := range opts {
		o.apply(&c)
	}
	if c.level == nil {
		c.level = slog.LevelInfo
	}
	var oo []otelslog.Option
	var logger log.Logger
	if c.provider != nil {
		oo = append(oo, otelslog.WithLoggerProvider(c.provider))
		logger = c.provider.Logger(name) // the scope otelslog gives it: the name alone
	}
	return &Handler{level: c.level, errorStack: c.errorStack, source: c.source, inner: otelslog.NewHandler(name, oo...), logger: logger}
}

// Enabled reports whether l passes the level gate and the provider wants the record.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level.Level() && h.inner.Enabled(ctx, l)
}

// Handle converts r and emits it. An error attribute, under any key and in any group,
// keeps its key (with the error's message); the first one is also described by
// exception.type, exception.message and exception.stacktrace (when the error carries a
// stack, or WithErrorStack is on). Handle always returns nil: delivery failures are
// accounted for by the processors and exporters, never pushed back onto the caller.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if h.logger != nil {
		if rec, ok := h.convert(r); ok {
			h.logger.Emit(ctx, rec)
			return nil
		}
	}
	if hasError(r) {
		r = withExceptions(r, h.errorStack)
	}
	if h.source && r.PC != 0 {
		r = r.Clone()
		r.AddAttrs(sourceAttrs(r.PC)...)
	}
	return h.inner.Handle(ctx, r)
}

// sourceAttrs describes the call site pc. Only for records whose call site is known:
// the log package's records have none.
func sourceAttrs(pc uintptr) []slog.Attr {
	f, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	return []slog.Attr{slog.String("code.file.path", f.File), slog.Int("code.line.number", f.Line), slog.String("code.function.name", f.Function)}
}

// sevOffset maps slog levels onto OpenTelemetry severities, as otelslog does.
const sevOffset = slog.Level(log.SeverityDebug) - slog.LevelDebug

// convert is otelslog's conversion of r, source attributes included, in one pass over its
// attributes. It reports false as soon as an attribute is not a keyed scalar (isScalar):
// such records, errors among them, go through otelslog.
func (h *Handler) convert(r slog.Record) (log.Record, bool) {
	var rec log.Record
	rec.SetTimestamp(r.Time)
	rec.SetBody(attribute.StringValue(r.Message))
	rec.SetSeverity(log.Severity(r.Level + sevOffset))
	rec.SetSeverityText(r.Level.String())
	if len(h.bound) > 0 {
		rec.AddAttributes(h.bound...)
	}
	ok := true
	r.Attrs(func(a slog.Attr) bool {
		if ok = isScalar(a); ok {
			rec.AddAttributes(scalarKeyValue(a))
		}
		return ok
	})
	if ok && h.source && r.PC != 0 {
		for _, a := range sourceAttrs(r.PC) {
			rec.AddAttributes(scalarKeyValue(a))
		}
	}
	return rec, ok
}

// isScalar reports whether a has a key and a value otelslog converts without looking
// inside it: not a group, a LogValuer or an arbitrary value (an error among them).
func isScalar(a slog.Attr) bool {
	if a.Key == "" {
		return false
	}
	switch a.Value.Kind() {
	case slog.KindBool, slog.KindDuration, slog.KindFloat64, slog.KindInt64, slog.KindString, slog.KindTime, slog.KindUint64:
		return true
	}
	return false
}

// scalarKeyValue converts a scalar attribute exactly as otelslog does: durations in
// nanoseconds, times in Unix nanoseconds, an unsigned integer beyond int64 as a float.
func scalarKeyValue(a slog.Attr) attribute.KeyValue {
	kv := attribute.KeyValue{Key: attribute.Key(a.Key)}
	switch v := a.Value; v.Kind() {
	case slog.KindBool:
		kv.Value = attribute.BoolValue(v.Bool())
	case slog.KindDuration:
		kv.Value = attribute.Int64Value(v.Duration().Nanoseconds())
	case slog.KindFloat64:
		kv.Value = attribute.Float64Value(v.Float64())
	case slog.KindInt64:
		kv.Value = attribute.Int64Value(v.Int64())
	case slog.KindString:
		kv.Value = attribute.StringValue(v.String())
	case slog.KindTime:
		kv.Value = attribute.Int64Value(v.Time().UnixNano())
	case slog.KindUint64:
		const maxInt64 = ^uint64(0) >> 1
		if u := v.Uint64(); u > maxInt64 {
			kv.Value = attribute.Float64Value(float64(u))
		} else {
			kv.Value = attribute.Int64Value(int64(u))
		}
	}
	return kv
}

// WithAttrs returns a Handler that adds attrs to every record.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	// Errors bound with With keep their key and message (the upstream bridge would drop
	// the key and keep one as the record's error).
	var first error
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = replaceErrors(a, &first, 0)
	}
	h2 := &Handler{level: h.level, errorStack: h.errorStack, source: h.source, inner: h.inner.WithAttrs(clean).(*otelslog.Handler)}
	if h.logger != nil {
		bound := make([]attribute.KeyValue, len(h.bound), len(h.bound)+len(clean))
		copy(bound, h.bound)
		for _, a := range clean {
			if !isScalar(a) {
				return h2 // otelslog keeps the bound attributes from here on
			}
			bound = append(bound, scalarKeyValue(a))
		}
		h2.logger, h2.bound = h.logger, bound
	}
	return h2
}

// WithGroup returns a Handler that nests later attributes under name.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	// Groups are otelslog's: no fast path below a group.
	return &Handler{level: h.level, errorStack: h.errorStack, source: h.source, inner: h.inner.WithGroup(name).(*otelslog.Handler)}
}
