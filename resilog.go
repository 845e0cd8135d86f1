package resilog

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"

	"github.com/resilog/resilog/bridge"
	"github.com/resilog/resilog/internal/accounting"
	"github.com/resilog/resilog/redact"
)

// Pipeline is a running resilog data path. Its methods are safe for concurrent use.
type Pipeline struct {
	provider   log.LoggerProvider // gated by levels: what users and libraries get
	ungated    log.LoggerProvider // the same without the gate, for Handler's bridges, which gate by themselves
	sdk        *sdklog.LoggerProvider
	resource   *resource.Resource
	levels     *bridge.Levels
	source     bool
	errorStack bool
	chain      *Processor       // the processors after the resource
	build      *debug.BuildInfo // the binary's modules, for the scope's version; nil if unknown

	shutdownOnce sync.Once
	shutDown     atomic.Bool // Shutdown has begun
	shutdownErr  error
}

// New builds the pipeline from opts and the OTEL_* environment. ctx bounds resource
// detection, exporter construction and the replay of the spool (WithSpool); it is not
// retained. When ctx ends while the replay waits for room in the queue, New stops
// replaying and returns the pipeline with the records queued so far: the others stay in
// the spool for the next New on the directory, and one line on stderr says so.
func New(ctx context.Context, opts ...Option) (*Pipeline, error) {
	o, s, engine, err := prepare(opts)
	if err != nil {
		return nil, err
	}
	o.ownProvider = true
	res, err := buildResource(ctx, &o, s, engine)
	if err != nil {
		return nil, err
	}
	p := &Pipeline{resource: res, levels: s.levels}
	p.build, _ = debug.ReadBuildInfo()

	// Key deduplication is done by processor.DedupKeys, which is cheaper than the SDK's, and
	// attribute limits by processor.Limit after redaction: the SDK's would cut values before
	// redaction sees them, and these options also keep it from reading
	// OTEL_LOGRECORD_ATTRIBUTE_* itself.
	popts := []sdklog.LoggerProviderOption{sdklog.WithResource(res), sdklog.WithAllowKeyDuplication(),
		sdklog.WithAttributeCountLimit(-1), sdklog.WithAttributeValueLengthLimit(-1)}
	if p.chain, err = newChain(ctx, &o, s, engine); err != nil {
		return nil, err
	}
	if len(p.chain.sinks) > 0 {
		popts = append(popts, sdklog.WithProcessor(&exactResource{res: res}), sdklog.WithProcessor(p.chain))
	}
	p.sdk = sdklog.NewLoggerProvider(popts...)
	p.provider = scopes{sdk: p.sdk, engine: engine, levels: p.levels}
	p.ungated = scopes{sdk: p.sdk, engine: engine}

	p.source, p.errorStack = o.source, o.errorStack
	if o.global {
		otel.SetErrorHandler(stderrErrorHandler{})
		global.install(p.provider)
		slog.SetDefault(p.Logger(s.serviceName))
	}
	return p, nil
}

// buildResource merges the detected (or given) resource, OTEL_RESOURCE_ATTRIBUTES, the
// options and the service name, and redacts the result with engine (nil: redaction off):
// resource attributes reach the collector with every batch, like record attributes.
func buildResource(ctx context.Context, o *options, s settings, engine *redact.Redactor) (*resource.Resource, error) {
	base, env := o.resource, s.envResource
	if base == nil {
		detected, err := detectResource(ctx)
		if err != nil {
			return nil, err
		}
		base = detected
	} else if len(env) > 0 {
		// WithResource is an option: its attributes beat OTEL_RESOURCE_ATTRIBUTES', as the
		// SDK's own WithResource does.
		merged, err := resource.Merge(resource.NewSchemaless(env...), base)
		if err != nil {
			return nil, fmt.Errorf("resilog: merging resource: %w", err)
		}
		base, env = merged, nil
	}
	// Later entries win: OTEL_RESOURCE_ATTRIBUTES, then options, then the service name.
	attrs := append(append([]attribute.KeyValue(nil), env...), o.resourceAttrs...)
	if s.serviceName != "" {
		attrs = append(attrs, semconv.ServiceName(s.serviceName))
	} else if !hasServiceName(base, attrs) {
		attrs = append(attrs, semconv.ServiceName("unknown_service:"+filepath.Base(os.Args[0])))
	}
	res, err := resource.Merge(base, resource.NewSchemaless(attrs...))
	if err != nil {
		return nil, fmt.Errorf("resilog: merging resource: %w", err)
	}
	if engine == nil {
		return res, nil
	}
	// The SDK's own merge of the environment into this resource is undone by
	// exactResource: what is redacted here is what every record carries.
	redacted, changed := make([]attribute.KeyValue, 0, res.Len()), false
	for _, kv := range res.Attributes() {
		out, keep, c := engine.KeyValue(kv)
		changed = changed || c || !keep
		if keep {
			redacted = append(redacted, out)
		}
	}
	// The schema URL leaves with every batch too (ResourceLogs.schema_url), like the scope's.
	schemaURL := engine.String(res.SchemaURL())
	if !changed && schemaURL == res.SchemaURL() {
		return res, nil
	}
	return resource.NewWithAttributes(schemaURL, redacted...), nil
}

func hasServiceName(base *resource.Resource, attrs []attribute.KeyValue) bool {
	if _, ok := base.Set().Value(semconv.ServiceNameKey); ok {
		return true
	}
	for _, kv := range attrs {
		if kv.Key == semconv.ServiceNameKey {
			return true
		}
	}
	return false
}

// Logger returns a slog.Logger whose records carry name (by convention the import path of
// the calling package) as their instrumentation scope, with, when name is a package of the
// binary's modules, that module's version (from the build information), and the schema
// URL of the semantic conventions the bridge's attributes follow.
func (p *Pipeline) Logger(name string) *slog.Logger {
	return slog.New(p.Handler(name))
}

// Handler returns the slog.Handler behind [Pipeline.Logger].
func (p *Pipeline) Handler(name string) slog.Handler {
	return bridge.NewHandler(name, bridge.WithLoggerProvider(p.ungated), bridge.WithLevel(p.levels.For(name)),
		bridge.WithSource(p.source), bridge.WithErrorStack(p.errorStack),
		bridge.WithVersion(moduleVersion(p.build, name)), bridge.WithSchemaURL(semconv.SchemaURL))
}

// stderrErrorHandler writes the OpenTelemetry SDK's errors to stderr, never to a logger
// that could lead back into the pipeline, through resilog's stderr report (which never
// waits on stderr).
type stderrErrorHandler struct{}

func (stderrErrorHandler) Handle(err error) {
	accounting.Stderr().Print("resilog: opentelemetry: " + err.Error())
}

// Levels returns the levels by logger name (from WithLevels, WithLevel or
// RESILOG_LOG_LEVELS), to change them at run time (Set) or to mount as an http.Handler that
// shows and changes them. They gate every logger of the pipeline: Pipeline.Logger's, and
// those any bridge creates on Pipeline.LoggerProvider or, with WithGlobal, on the global
// provider, by their instrumentation scope name. Never nil.
func (p *Pipeline) Levels() *bridge.Levels { return p.levels }

// LoggerProvider returns the OpenTelemetry LoggerProvider at the head of the pipeline, for
// bridges other than slog. Its loggers obey the levels ([Pipeline.Levels]) of their scope
// name: a call below its level is disabled. With redaction on, the scope its loggers are
// created with (name, version, attributes, schema URL) is redacted, as are each record's
// event name, severity text, body and attributes.
func (p *Pipeline) LoggerProvider() log.LoggerProvider { return p.provider }

// Resource returns the Resource every record carries; give it to the TracerProvider so that
// logs and traces describe the same service.
func (p *Pipeline) Resource() *resource.Resource { return p.resource }

// ForceFlush exports every record emitted so far. With a deadline on ctx, it waits for
// the collector until 80% of the time left, then writes what is still queued or being
// exported to the fallback, as Shutdown does; it returns nil when every record emitted
// before the call was exported or written, else ctx's error. A ctx without a deadline is
// given one of the batch export timeout (BatchConfig.ExportTimeout,
// OTEL_BLRP_EXPORT_TIMEOUT, 30s by default): ForceFlush never waits without a bound,
// whatever the collector or stdout do. After Shutdown it does nothing.
func (p *Pipeline) ForceFlush(ctx context.Context) error {
	if p.shutDown.Load() {
		return nil
	}
	return p.sdk.ForceFlush(ctx)
}

// Shutdown flushes and stops the pipeline. It returns by ctx's deadline or, if ctx has
// none (context.Background()), within the batch export timeout (BatchConfig.ExportTimeout,
// OTEL_BLRP_EXPORT_TIMEOUT, 30s by default), whatever the collector, stdout or the disk
// do, and whatever ForceFlush or log calls are under way: the exports stop at 80% of the
// time, what is left goes to the fallback, and what the fallback cannot write in time is
// dropped and counted (reason shutdown). Later calls return the first call's result.
// Records logged after Shutdown are discarded and counted (emitted, and dropped with
// reason shutdown).
//
// Shutdown returns the goroutine count to what it was before New, except for a write
// blocked on stdout, stderr or a file, which cannot be abandoned: the goroutine in it (the
// fallback's writer, the stderr report's) remains until the write returns, then counts
// nothing and ends.
func (p *Pipeline) Shutdown(ctx context.Context) error {
	p.shutdownOnce.Do(func() {
		p.shutDown.Store(true)
		if len(p.chain.sinks) == 0 {
			p.shutdownErr = p.sdk.Shutdown(ctx)
			return
		}
		// The chain is shut down here rather than by the SDK's LoggerProvider.Shutdown:
		// that one first waits for every ForceFlush and log call under way (a log call
		// waiting for room under OverflowBlock, which only the queue's Shutdown wakes),
		// without calling any processor's Shutdown if ctx ends first, and after it the SDK
		// discards records before any processor sees them, uncounted. Each exporter's
		// queue bounds its Shutdown by the export timeout when ctx has no deadline, shuts
		// its route down, and from then on counts every record it is given as dropped
		// (shutdown).
		p.shutdownErr = p.chain.Shutdown(ctx)
	})
	return p.shutdownErr
}
