package bridge

import (
	"context"
	"log/slog"
	"runtime"
	"slices"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"

	"github.com/resilog/resilog/internal/attrvalue"
)

// Handler is a named slog.Handler that emits into an OpenTelemetry LoggerProvider.
//
// Attributes keep slog.JSONHandler's shape: a group opened with WithGroup holds the
// attributes bound after it and the record's own, nested in the order the groups were
// opened; a group left without any attribute is omitted; a group attribute with an empty
// key is inlined; an empty attribute is dropped. Values are converted once, by one
// converter that never panics (see the package documentation).
type Handler struct {
	level      slog.Leveler
	errorStack bool
	source     bool
	logger     log.Logger
	bound      []attribute.KeyValue // bound with WithAttrs before any group, converted
	groups     []group              // opened with WithGroup, outermost first
}

// group is a group opened with WithGroup and the attributes bound inside it.
type group struct {
	name  string
	attrs []attribute.KeyValue
}

var _ slog.Handler = (*Handler)(nil)

type config struct {
	provider   log.LoggerProvider
	level      slog.Leveler
	source     bool
	errorStack bool
	version    string
	schemaURL  string
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

// WithLevel sets the minimum level; records below it are rejected in Enabled, and dropped
// by Handle for callers that handle without asking. The default is slog.LevelInfo (a nil
// leveler, typed or not, means it too). Pass a *slog.LevelVar to change it at run time.
func WithLevel(l slog.Leveler) Option {
	return optionFunc(func(c *config) { c.level = l })
}

// WithSource adds code.file.path, code.line.number and code.function.name to every
// record, at the top level whatever group is open.
func WithSource(on bool) Option {
	return optionFunc(func(c *config) { c.source = on })
}

// WithErrorStack captures the stack at the log call for records at ERROR and above that
// hold an error without a stack of its own.
func WithErrorStack(on bool) Option {
	return optionFunc(func(c *config) { c.errorStack = on })
}

// WithVersion sets the version of the instrumentation scope, by convention the version of
// the module that logs (otelslog's WithVersion).
func WithVersion(version string) Option {
	return optionFunc(func(c *config) { c.version = version })
}

// WithSchemaURL sets the schema URL of the instrumentation scope: the semantic conventions
// its records' attributes follow (otelslog's WithSchemaURL).
func WithSchemaURL(url string) Option {
	return optionFunc(func(c *config) { c.schemaURL = url })
}

// NewHandler returns a Handler whose records carry name as their instrumentation scope,
// with the version and schema URL of WithVersion and WithSchemaURL.
func NewHandler(name string, opts ...Option) *Handler {
	c := config{level: slog.LevelInfo}
	for _, o := range opts {
		o.apply(&c)
	}
	if isNil(c.level) {
		c.level = slog.LevelInfo
	}
	if c.provider == nil {
		c.provider = otel.GetLoggerProvider()
	}
	return &Handler{level: c.level, errorStack: c.errorStack, source: c.source, logger: c.provider.Logger(name,
		log.WithInstrumentationVersion(c.version), log.WithSchemaURL(c.schemaURL))}
}

// sevOffset maps slog levels onto OpenTelemetry severities, as otelslog does.
const sevOffset = slog.Level(log.SeverityDebug) - slog.LevelDebug

// Enabled reports whether l passes the level gate and the provider wants the record.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool {
	if l < h.level.Level() {
		return false
	}
	if ctx == nil {
		ctx = context.Background()
	}
	return h.logger.Enabled(ctx, log.EnabledParameters{Severity: log.Severity(l + sevOffset)})
}

// Handle converts r and emits it. An error attribute, under any key and in any group,
// keeps its key (with the error's message); the first one among the record's attributes
// is also described by exception.type, exception.message and exception.stacktrace (when
// the error carries a stack, or WithErrorStack is on), at the top level. Handle always
// returns nil: delivery failures are accounted for by the processors and exporters, never
// pushed back onto the caller.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < h.level.Level() {
		return nil // a caller that handles without asking Enabled (a fan-out handler)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	var rec log.Record
	rec.SetTimestamp(r.Time)
	rec.SetBody(attribute.StringValue(r.Message))
	rec.SetSeverity(log.Severity(r.Level + sevOffset))
	rec.SetSeverityText(r.Level.String())
	if len(h.bound) > 0 {
		rec.AddAttributes(h.bound...)
	}
	var first error
	if len(h.groups) == 0 {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key != "" && attrvalue.IsScalar(a.Value) {
				rec.AddAttributes(attribute.KeyValue{Key: attribute.Key(a.Key), Value: attrvalue.FromSlog(a.Value)})
				return true
			}
			if first == nil {
				first = firstError(a, 0)
			}
			rec.AddAttributes(attrvalue.AppendSlogAttr(nil, a)...)
			return true
		})
	} else if kvs := h.nest(r, &first); len(kvs) > 0 {
		rec.AddAttributes(kvs...)
	}
	if first != nil {
		addException(&rec, first, h.errorStack && r.Level >= slog.LevelError)
	}
	if h.source && r.PC != 0 {
		f, _ := runtime.CallersFrames([]uintptr{r.PC}).Next()
		rec.AddAttributes(
			attribute.String("code.file.path", f.File),
			attribute.Int("code.line.number", f.Line),
			attribute.String("code.function.name", f.Function))
	}
	h.logger.Emit(ctx, rec)
	return nil
}

// nest returns the record's attributes inside the open groups with the attributes bound
// in each, leaving out the groups that end up empty, as slog.JSONHandler does.
func (h *Handler) nest(r slog.Record, first *error) []attribute.KeyValue {
	var inner []attribute.KeyValue
	r.Attrs(func(a slog.Attr) bool {
		if *first == nil {
			*first = firstError(a, 0)
		}
		inner = attrvalue.AppendSlogAttr(inner, a)
		return true
	})
	for i := len(h.groups) - 1; i >= 0; i-- {
		g := h.groups[i]
		if len(g.attrs)+len(inner) == 0 {
			continue
		}
		kvs := make([]attribute.KeyValue, 0, len(g.attrs)+len(inner))
		kvs = append(append(kvs, g.attrs...), inner...)
		inner = []attribute.KeyValue{{Key: attribute.Key(g.name), Value: attribute.MapValue(kvs...)}}
	}
	return inner
}

// WithAttrs returns a Handler that adds attrs to every record, inside the groups open
// now. They are converted once, here.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	var kvs []attribute.KeyValue
	for _, a := range attrs {
		kvs = attrvalue.AppendSlogAttr(kvs, a)
	}
	if len(kvs) == 0 {
		return h
	}
	h2 := *h
	if len(h.groups) == 0 {
		h2.bound = append(slices.Clip(h.bound), kvs...)
	} else {
		h2.groups = slices.Clone(h.groups)
		g := &h2.groups[len(h2.groups)-1]
		g.attrs = append(slices.Clip(g.attrs), kvs...)
	}
	return &h2
}

// WithGroup returns a Handler that nests later attributes under name. Groups are nested
// at most attrvalue.MaxDepth (100) deep: past that, later attributes stay in the innermost
// group kept, so that no chain of calls builds a record too deep to encode or parse.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" || len(h.groups) >= attrvalue.MaxDepth {
		return h
	}
	h2 := *h
	h2.groups = append(slices.Clip(h.groups), group{name: name})
	return &h2
}
