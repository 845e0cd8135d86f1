package resilog

import (
	"context"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/log/embedded"
)

// global is the LoggerProvider WithGlobal installs in otel, the same one for every
// pipeline of the process, pointed at the pipeline installed last. OpenTelemetry's global
// hands a logger obtained before the first SetLoggerProvider (a library's package-level
// otelslog logger) to the first provider set, once and for good: were each pipeline set
// itself, such loggers would stay on the first pipeline after a second WithGlobal (a
// reload), and their records be dropped once it is shut down.
var global = new(forwarder)

// install points the global provider at lp, and sets it in otel unless it is there
// already (or was replaced there by another since).
func (f *forwarder) install(lp log.LoggerProvider) {
	f.current.Store(&lp)
	if otel.GetLoggerProvider() != log.LoggerProvider(f) {
		otel.SetLoggerProvider(f)
	}
}

type forwarder struct {
	embedded.LoggerProvider
	current atomic.Pointer[log.LoggerProvider] // the pipeline installed last
}

var _ log.LoggerProvider = (*forwarder)(nil)

func (f *forwarder) Logger(name string, opts ...log.LoggerOption) log.Logger {
	return &forwardLogger{f: f, name: name, opts: append([]log.LoggerOption(nil), opts...)}
}

// forwardLogger is a Logger of the pipeline installed last: it asks that pipeline's
// provider for its Logger once per installation, then costs one atomic load per call.
type forwardLogger struct {
	embedded.Logger
	f      *forwarder
	name   string
	opts   []log.LoggerOption
	cached atomic.Pointer[forwardEntry]
}

type forwardEntry struct {
	from *log.LoggerProvider
	log.Logger
}

func (l *forwardLogger) logger() log.Logger {
	p := l.f.current.Load()
	e := l.cached.Load()
	if e == nil || e.from != p {
		e = &forwardEntry{from: p, Logger: (*p).Logger(l.name, l.opts...)}
		l.cached.Store(e)
	}
	return e.Logger
}

func (l *forwardLogger) Emit(ctx context.Context, r log.Record) { l.logger().Emit(ctx, r) }

func (l *forwardLogger) Enabled(ctx context.Context, param log.EnabledParameters) bool {
	return l.logger().Enabled(ctx, param)
}
