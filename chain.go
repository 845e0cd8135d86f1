package resilog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/metric"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/bridge"
	"github.com/resilog/resilog/exporter"
	"github.com/resilog/resilog/internal/spool"
	"github.com/resilog/resilog/processor"
	"github.com/resilog/resilog/redact"
)

// Processor is resilog's processor chain as one sdklog.Processor, for an application
// that builds its own LoggerProvider: keys made unique, correlation, redaction,
// attribute limits, then for each exporter a bounded queue, batching, retries, a breaker
// and the fallback, all accounted for in [Processor.Stats]. [New] uses the same chain.
//
// Register it first, so that every processor after it sees the record redacted:
//
//	proc, err := resilog.NewProcessor(ctx)
//	provider := sdklog.NewLoggerProvider(sdklog.WithResource(res), sdklog.WithProcessor(proc),
//		sdklog.WithAttributeCountLimit(-1), sdklog.WithAttributeValueLengthLimit(-1))
//	…
//	proc.Shutdown(ctx) // first: see NewProcessor
//	provider.Shutdown(ctx)
//
// The two limit options keep the SDK from cutting attributes before redaction has seen
// them (resilog applies the limits after it). Levels (WithLevels, RESILOG_LOG_LEVELS,
// WithLevel) gate records by their instrumentation scope name: Enabled answers for them,
// and a record below its logger's level goes to no exporter and is not counted, as a
// disabled log call would be (it is still redacted, for the processors registered after
// this one, which the SDK calls whatever this one does). The instrumentation scope and the provider's resource are the application's
// and are not redacted. Options that shape a provider or a logger (WithServiceName,
// WithResource, WithResourceAttributes, WithGlobal, WithSource, WithErrorStack) have no
// effect here.
//
// Its methods are safe for concurrent use.
type Processor struct {
	// steps change the record in place: DedupKeys, Correlate, Redact (unless off), Limit.
	steps []sdklog.Processor
	limit *processor.Limit
	sinks []*sink      // one per exporter; none with exporter "none"
	spool *spool.Spool // WithSpool, RESILOG_SPOOL_DIR: the first sink's records; nil without

	gate    bool // NewProcessor: levels apply here; New's provider applies them per logger
	levels  *bridge.Levels
	metrics metric.Registration

	shutdownOnce sync.Once
	shutdownErr  error
	shut         atomic.Bool // Shutdown has begun: ForceFlush does nothing
}

var _ sdklog.Processor = (*Processor)(nil)

// NewProcessor builds resilog's processor chain from opts and the OTEL_* environment, as
// [New] does, for a LoggerProvider the caller builds (see [Processor]). ctx bounds
// exporter construction and the replay of the spool, as for [New]; it is not retained. Call its Shutdown before the
// provider's Shutdown, before the program ends: the SDK's LoggerProvider.Shutdown calls
// it too, but not when its ctx ends while a ForceFlush or a log call is under way (it then
// returns the ctx's error and never calls a processor again), which would leave the
// queues, their goroutines and the exporters running. Shutdown may also be called after
// the provider's (a second call returns the first's result): do so when the provider's
// Shutdown returned an error.
func NewProcessor(ctx context.Context, opts ...Option) (*Processor, error) {
	o, s, engine, err := prepare(opts)
	if err != nil {
		return nil, err
	}
	c, err := newChain(ctx, &o, s, engine)
	if err != nil {
		return nil, err
	}
	c.gate = true
	return c, nil
}

// prepare applies opts, resolves them with the environment, and builds the redaction
// engine (nil when redaction is off): what New and NewProcessor both start from.
func prepare(opts []Option) (options, settings, *redact.Redactor, error) {
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	s, err := resolve(&o)
	if err != nil {
		return o, settings{}, nil, err
	}
	engine, err := newEngine(&o)
	return o, s, engine, err
}

// newEngine builds the redaction engine; nil when redaction is off.
func newEngine(o *options) (*redact.Redactor, error) {
	if o.noRedaction {
		return nil, nil
	}
	engine, err := redact.New(o.redaction)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return engine, nil
}

// newChain builds the processors between the provider and the exporters, in this order:
// keys made unique (instead of the SDK's per-record hash map), correlation, redaction,
// attribute limits, then one delivery unit per exporter. Correlation comes before
// redaction because it adds the attributes bound to the context, which are user data
// like any other; redaction comes before anything that keeps, cuts or exports a record,
// every exporter and fallback included. With no exporter (exporter "none"), the steps
// still change the record, for the processors registered after the chain.
func newChain(ctx context.Context, o *options, s settings, engine *redact.Redactor) (*Processor, error) {
	c := &Processor{levels: s.levels}
	outs, err := buildExporters(ctx, o, s)
	if err != nil {
		return nil, err
	}
	c.steps = []sdklog.Processor{processor.NewDedupKeys(), processor.NewCorrelate(o.correlation)}
	if engine != nil {
		c.steps = append(c.steps, processor.NewRedact(engine))
	}
	c.limit = processor.NewLimit(s.limits)
	c.steps = append(c.steps, c.limit)
	for _, out := range outs {
		k, err := newSink(out, o.failover, s.batch, o.sampling)
		if err != nil {
			_ = c.Shutdown(ctx)
			return nil, err
		}
		c.sinks = append(c.sinks, k)
	}
	if len(c.sinks) > 0 {
		if c.spool, err = openSpool(ctx, s.spool, c.sinks[0]); err != nil {
			_ = c.Shutdown(ctx)
			return nil, err
		}
	}
	if o.meterProvider != nil && len(c.sinks) > 0 {
		if c.metrics, err = registerMetrics(o.meterProvider, c.Stats); err != nil {
			_ = c.Shutdown(ctx)
			return nil, fmt.Errorf("resilog: registering metrics: %w", err)
		}
	}
	return c, nil
}

// output is one exporter of the list with the fallback its records go to when it fails.
type output struct {
	name              string
	primary, fallback sdklog.Exporter
	probe             func(context.Context) error // nil: trial batches probe the primary
}

// buildExporters builds the exporters of the list (or WithSDKExporter's), then those of
// WithAdditionalExporter; with OTEL_SDK_DISABLED, only the console exporter, which
// resolve left alone in the list. The console exporter writes stdout and falls back to stderr;
// every other exporter falls back to WithFallback's exporter, or JSON lines on stdout,
// one instance shared by all of them.
func buildExporters(ctx context.Context, o *options, s settings) ([]output, error) {
	var outs []output
	if s.disabled {
		unused(ctx, o)
	}
	// One writer at a time per file descriptor: the console exporter and the stdout
	// fallback would otherwise tear each other's lines.
	stdout, stderr := newTurn(), newTurn()
	if o.sdkExporter != nil && !s.disabled {
		outs = append(outs, output{name: customExporter, primary: guardForeign(o.sdkExporter, customExporter, !o.ownProvider)})
	} else {
		for _, name := range s.exporters {
			var out output
			switch name {
			case ExporterOTLP:
				e, err := exporter.NewOTLP(ctx, s.otlp)
				if err != nil {
					shutdownOutputs(ctx, outs)
					return nil, fmt.Errorf("resilog: building %s exporter: %w", name, err)
				}
				out = output{name: name, primary: e, probe: e.Probe}
			case ExporterConsole:
				var e sdklog.Exporter = exporter.NewJSONLines(os.Stdout)
				if s.console == "text" {
					e = exporter.NewConsole(os.Stdout)
				}
				out = output{name: name, primary: guard(e, name, stdout)}
				if o.fallback == nil {
					out.fallback = guard(defaultFallback(s, os.Stderr), "fallback", stderr)
				}
			default: // ExporterNone, which resolveExporters leaves out of the list
				continue
			}
			outs = append(outs, out)
		}
	}
	for _, x := range o.additional {
		if s.disabled {
			break // telemetry off: the console exporter alone
		}
		outs = append(outs, output{name: x.name, primary: guardForeign(x.exporter, x.name, !o.ownProvider)})
	}
	users := 0
	for _, out := range outs {
		if out.fallback == nil {
			users++
		}
	}
	if users == 0 {
		return outs, nil
	}
	// The fallback is shared: its Exports take turns, whichever exporter's records they carry.
	var fallback sdklog.Exporter
	if o.fallback != nil {
		fallback = guardForeign(o.fallback, "fallback", !o.ownProvider)
	} else {
		fallback = guard(defaultFallback(s, os.Stdout), "fallback", stdout)
	}
	share := shareFallback(fallback, users)
	for i := range outs {
		if outs[i].fallback == nil {
			outs[i].fallback = share()
		}
	}
	return outs, nil
}

// defaultFallback is the fallback when WithFallback gives none: w in the resolved format.
func defaultFallback(s settings, w *os.File) sdklog.Exporter {
	if s.fallback == FallbackFormatOTLPJSON {
		return exporter.NewOTLPJSONLines(w)
	}
	return exporter.NewJSONLines(w)
}

// unused shuts down the exporters given in code that telemetry being off leaves unused
// (WithSDKExporter's, WithAdditionalExporter's): the pipeline owns them, and they would
// otherwise never be shut down.
func unused(ctx context.Context, o *options) {
	if o.sdkExporter != nil {
		_ = o.sdkExporter.Shutdown(ctx)
	}
	for _, x := range o.additional {
		_ = x.exporter.Shutdown(ctx)
	}
}

// shutdownOutputs releases the exporters built before one failed to build.
func shutdownOutputs(ctx context.Context, outs []output) {
	for _, out := range outs {
		_ = out.primary.Shutdown(ctx)
	}
}

// Enabled reports whether a record of param's severity and scope passes the levels and
// will be exported: false when there is no exporter (exporter "none").
// A Processor from New takes every record: New's loggers apply the levels themselves.
func (c *Processor) Enabled(_ context.Context, param sdklog.EnabledParameters) bool {
	return len(c.sinks) > 0 && (!c.gate || c.admits(param.InstrumentationScope.Name, param.Severity))
}

// admits applies the levels to a record of scope name at severity sev.
func (c *Processor) admits(name string, sev log.Severity) bool {
	return !below(sev, c.levels.Level(name))
}

// admitsRecord applies the levels to r. A record without a severity passes only when
// its slog level is unknown too: otelslog gives a slog level below DEBUG-4 severity 0
// (SeverityUndefined) and its name as the severity text ("DEBUG-5"), which New's
// loggers gate by that level.
func (c *Processor) admitsRecord(r *sdklog.Record) bool {
	name := r.InstrumentationScope().Name
	if r.Severity() != log.SeverityUndefined {
		return c.admits(name, r.Severity())
	}
	var l slog.Level
	if l.UnmarshalText([]byte(r.SeverityText())) != nil {
		return true
	}
	return l >= c.levels.Level(name)
}

// OnEmit runs the record through the chain and hands it to every exporter's queue; it
// never waits on I/O. A record below its logger's level goes to no exporter and is not
// counted, as a disabled log call is; it is still redacted, because the processors
// registered after this one see it. Errors of the steps are joined, and the record goes
// on, as the SDK does between processors.
func (c *Processor) OnEmit(ctx context.Context, r *sdklog.Record) error {
	var errs []error
	for _, p := range c.steps {
		if err := p.OnEmit(ctx, r); err != nil {
			errs = append(errs, err)
		}
	}
	if c.gate && !c.admitsRecord(r) {
		return errors.Join(errs...)
	}
	if len(c.sinks) == 1 {
		errs = append(errs, c.sinks[0].OnEmit(ctx, r))
		return errors.Join(errs...)
	}
	// Every exporter with room gets the record before the call waits for room in any
	// queue (OverflowBlock): a stuck exporter does not hold the record from the others.
	var buf [4]*sink
	full := buf[:0]
	for _, k := range c.sinks {
		if !k.offer(ctx, r) {
			full = append(full, k)
		}
	}
	switch len(full) {
	case 0:
	case 1:
		errs = append(errs, full[0].OnEmit(ctx, r))
	default:
		// Wait for room in every full queue at once, not in turn: the first queue's wait
		// (up to BlockTimeout) must not keep the record from the next one.
		errs = append(errs, eachOf(full, func(k *sink) error { return k.OnEmit(ctx, r) }))
	}
	return errors.Join(errs...)
}

// ForceFlush exports every record emitted so far, to every exporter at once, with the
// bounds of [Pipeline.ForceFlush]. After Shutdown it does nothing and returns nil.
func (c *Processor) ForceFlush(ctx context.Context) error {
	if c.shut.Load() {
		return nil
	}
	return c.eachSink(func(k *sink) error { return k.ForceFlush(ctx) })
}

// Shutdown flushes and stops every exporter's queue at once, with the bounds and
// accounting of [Pipeline.Shutdown]. Later calls return the first call's result.
func (c *Processor) Shutdown(ctx context.Context) error {
	c.shutdownOnce.Do(func() {
		c.shut.Store(true)
		err := c.eachSink(func(k *sink) error { return k.Shutdown(ctx) })
		if c.spool != nil {
			// What was not released (a shutdown deadline passed) stays for the next run.
			err = errors.Join(err, c.spool.Close())
		}
		if c.metrics != nil {
			err = errors.Join(err, c.metrics.Unregister())
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("resilog: shutdown deadline passed before all records were exported: %w", err)
		}
		c.shutdownErr = err
	})
	return c.shutdownErr
}

// eachSink runs f on every sink concurrently, so that one slow exporter does not spend
// the others' time, and joins the errors.
func (c *Processor) eachSink(f func(*sink) error) error { return eachOf(c.sinks, f) }

// eachOf runs f on every sink of sinks concurrently and joins the errors.
func eachOf(sinks []*sink, f func(*sink) error) error {
	if len(sinks) == 1 {
		return f(sinks[0])
	}
	errs := make([]error, len(sinks))
	var wg sync.WaitGroup
	for i, k := range sinks {
		wg.Go(func() { errs[i] = f(k) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Levels returns the per-logger levels, to change them at run time (Set) or to mount as
// an http.Handler. Never nil.
func (c *Processor) Levels() *bridge.Levels { return c.levels }
