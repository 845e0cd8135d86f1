package bridge

import (
	"context"
	"log/slog"
	"runtime"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel/log"
)

// Handler is a named slog.Handler that emits into an OpenTelemetry LoggerProvider.
type Handler struct {
	level      slog.Leveler
	errorStack bool
	source     bool
	inner      *otelslog.Handler
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
	if c.provider != nil {
		oo = append(oo, otelslog.WithLoggerProvider(c.provider))
	}
	return &Handler{level: c.level, errorStack: c.errorStack, source: c.source, inner: otelslog.NewHandler(name, oo...)}
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
	if hasError(r) {
		r = withExceptions(r, h.errorStack)
	}
	if h.source && r.PC != 0 {
		// Only when the call site is known: the log package's records have none.
		f, _ := runtime.CallersFrames([]uintptr{r.PC}).Next()
		r = r.Clone()
		r.AddAttrs(slog.String("code.file.path", f.File), slog.Int("code.line.number", f.Line), slog.String("code.function.name", f.Function))
	}
	return h.inner.Handle(ctx, r)
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
	return &Handler{level: h.level, errorStack: h.errorStack, source: h.source, inner: h.inner.WithAttrs(clean).(*otelslog.Handler)}
}

// WithGroup returns a Handler that nests later attributes under name.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &Handler{level: h.level, errorStack: h.errorStack, source: h.source, inner: h.inner.WithGroup(name).(*otelslog.Handler)}
}
