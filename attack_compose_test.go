package resilog

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/recordtest"
	"github.com/resilog/resilog/processor"
)

// serialOnly is a fallback exporter that holds the SDK's contract for exporters
// ("Export should never be called concurrently with other Export calls"): it records
// whether a second Export ever entered while one was running. The first Export waits (up
// to 5s) for a second to enter, so that an overlap, if the caller allows one, is seen
// by order, not by timing luck; a caller that serialises its Exports just makes the
// first one wait 5s.
type serialOnly struct {
	recordtest.Exporter
	inflight   atomic.Int32
	overlapped atomic.Bool
	once       sync.Once
	second     chan struct{}
}

func (s *serialOnly) Export(ctx context.Context, recs []sdklog.Record) error {
	if s.inflight.Add(1) > 1 {
		s.overlapped.Store(true)
		s.once.Do(func() { close(s.second) })
	}
	defer s.inflight.Add(-1)
	select {
	case <-s.second:
	case <-time.After(5 * time.Second):
	}
	return s.Exporter.Export(ctx, recs)
}

// TestSharedFallbackTakesOneExportAtATime: WithFallback's exporter is shared by
// every exporter of the list that has no fallback of its own (here WithSDKExporter's and
// WithAdditionalExporter's). Each of their Failovers has its own fallback buffer and
// writer goroutine, and both writers call the one shared exporter's Export at the same
// time. The SDK's Exporter contract says Export is never called concurrently, so a user
// fallback written to it (a file writer, a vendor exporter) is corrupted or races.
// Correct: the shared fallback's Export calls are serialised (as the SDK promises its
// exporters), whatever the number of exporters sharing it.
func TestSharedFallbackTakesOneExportAtATime(t *testing.T) {
	ctx := context.Background()
	fb := &serialOnly{second: make(chan struct{})}
	p, err := New(ctx, envOf(nil), WithSDKExporter(new(failingExporter)),
		WithAdditionalExporter("second", new(failingExporter)), WithFallback(fb))
	if err != nil {
		t.Fatal(err)
	}
	p.Logger("x").Info("one record, refused by both exporters")
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(fb.Records()); n != 2 {
		t.Errorf("the fallback received %d records, want 2 (one per exporter)", n)
	}
	if fb.overlapped.Load() {
		t.Errorf("the shared fallback's Export was called concurrently by two exporters' fallback writers (the SDK promises exporters it never is)")
	}
}

// shutdownCounter is an exporter that counts its Shutdown calls.
type shutdownCounter struct {
	recordtest.Exporter
	n atomic.Int32
}

func (c *shutdownCounter) Shutdown(context.Context) error { c.n.Add(1); return nil }

// TestDisabledShutsTheAdditionalExporterDown: WithAdditionalExporter's doc says
// "The pipeline shuts e down". With OTEL_SDK_DISABLED=true (or WithDisabled(true)), New
// returns a no-op pipeline and NewProcessor drops o.additional: e (a file, a vendor
// exporter holding connections and goroutines) is never shut down, by Pipeline.Shutdown,
// Processor.Shutdown or the provider's Shutdown. Correct: the exporters handed to the
// pipeline are shut down by its Shutdown (or at New, since they are never used).
func TestDisabledShutsTheAdditionalExporterDown(t *testing.T) {
	ctx := context.Background()
	env := map[string]string{"OTEL_SDK_DISABLED": "true"}

	e := new(shutdownCounter)
	p, err := New(ctx, envOf(env), WithAdditionalExporter("audit", e))
	if err != nil {
		t.Fatal(err)
	}
	_ = p.Shutdown(ctx)
	if n := e.n.Load(); n != 1 {
		t.Errorf("New, disabled: the additional exporter was shut down %d times by Pipeline.Shutdown, want 1", n)
	}

	e2 := new(shutdownCounter)
	proc, err := NewProcessor(ctx, envOf(env), WithAdditionalExporter("audit", e2))
	if err != nil {
		t.Fatal(err)
	}
	provider := sdklog.NewLoggerProvider(sdklog.WithProcessor(proc))
	_ = provider.Shutdown(ctx)
	_ = proc.Shutdown(ctx)
	if n := e2.n.Load(); n != 1 {
		t.Errorf("NewProcessor, disabled: the additional exporter was shut down %d times, want 1", n)
	}
}

// signalHung is hung{} that says when an Export has begun.
type signalHung struct {
	entered chan struct{}
	once    sync.Once
	shut    atomic.Int32
}

func (h *signalHung) Export(ctx context.Context, _ []sdklog.Record) error {
	h.once.Do(func() { close(h.entered) })
	<-ctx.Done()
	return ctx.Err()
}
func (*signalHung) ForceFlush(context.Context) error { return nil }
func (h *signalHung) Shutdown(context.Context) error { h.shut.Add(1); return nil }

// TestProcessorShutdownBeforeTheProvidersAsDocumented: the SDK's
// LoggerProvider.Shutdown (v1.47.0) first waits for the ForceFlush and log calls under
// way and, when its ctx ends first, returns without calling any processor's Shutdown —
// and every later provider.Shutdown returns nil at once, and the provider calls its
// processors no more. With a ForceFlush running against a hung exporter,
// provider.Shutdown(500ms) left the queue, the route and their goroutines running forever
// and the exporter never shut down, and the docs said "provider.Shutdown shuts proc down".
//
// A processor cannot notice this: the SDK gives it no call after giving up. So the docs
// (Processor, README, ExampleNewProcessor) now say to call proc.Shutdown before the
// provider's Shutdown, and, since proc.Shutdown may also be called after it (a second
// call returns the first's result), that an application whose provider.Shutdown returned
// an error must call proc.Shutdown. This asserts both: after the provider gives up (and
// says so), proc.Shutdown ends the chain; and proc.Shutdown first, during a ForceFlush,
// ends the ForceFlush and lets the provider's Shutdown through.
func TestProcessorShutdownBeforeTheProvidersAsDocumented(t *testing.T) {
	for _, procFirst := range []bool{false, true} {
		before := takeGoroutines()
		h := &signalHung{entered: make(chan struct{})}
		proc, err := NewProcessor(context.Background(), envOf(nil), WithSDKExporter(h),
			WithFallback(new(recordtest.Exporter)), WithBatch(processor.BatchConfig{ExportTimeout: 2 * time.Second}))
		if err != nil {
			t.Fatal(err)
		}
		provider := sdklog.NewLoggerProvider(sdklog.WithProcessor(proc),
			sdklog.WithAttributeCountLimit(-1), sdklog.WithAttributeValueLengthLimit(-1))
		log := otelslog.NewLogger("t", otelslog.WithLoggerProvider(provider))
		for i := range 100 {
			log.Info("m", "seq", i)
		}
		flushed := make(chan error, 1)
		go func() { flushed <- provider.ForceFlush(context.Background()) }()
		select {
		case <-h.entered:
		case <-time.After(20 * time.Second):
			t.Fatal("no export began")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		if procFirst { // the documented order
			_ = proc.Shutdown(ctx)
			if err := provider.Shutdown(ctx); err != nil {
				t.Errorf("proc.Shutdown, then provider.Shutdown: %v, want nil (proc's Shutdown ended its ForceFlush)", err)
			}
		} else {
			if err := provider.Shutdown(ctx); err == nil {
				t.Errorf("provider.Shutdown gave up during a ForceFlush without an error: the application cannot know to call proc.Shutdown")
			}
			// As documented, since the provider's returned an error, with a ctx of its own
			// (the provider's has ended).
			sctx, scancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			_ = proc.Shutdown(sctx)
			scancel()
		}
		cancel()
		<-flushed
		if n := h.shut.Load(); n != 1 {
			t.Errorf("proc.Shutdown first: %v: the exporter was shut down %d times, want 1", procFirst, n)
		}
		if left := before.since(0); len(left) > 0 {
			t.Errorf("proc.Shutdown first: %v: %d of the chain's goroutines still run after Shutdown", procFirst, len(left))
			logGoroutines(t, left[:min(2, len(left))])
		}
	}
}

// TestAdditionalExporterTakesOneExportAtATime: WithAdditionalExporter invites "a
// vendor's exporter" as a second sink, and the SDK's Exporter contract lets such an
// exporter assume "Export should never be called concurrently with other Export calls"
// (stdoutlog's, for one, shares one json.Encoder across Exports). The sink built for it
// runs BatchConfig.Exporters (4) exports at once through its Failover, which calls e.Export
// from each: a second Export enters while the first runs. Correct: an exporter handed to
// WithAdditionalExporter gets one Export at a time (or the option documents that e must be
// safe for concurrent Export, which the SDK's contract does not require).
func TestAdditionalExporterTakesOneExportAtATime(t *testing.T) {
	ctx := context.Background()
	vendor := &serialOnly{second: make(chan struct{})}
	p, err := New(ctx, envOf(nil), WithSDKExporter(new(recordtest.Exporter)), WithAdditionalExporter("vendor", vendor),
		WithBatch(processor.BatchConfig{MaxBatch: 10}))
	if err != nil {
		t.Fatal(err)
	}
	l := p.Logger("x")
	for i := range 200 {
		l.Info("m", "i", i)
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Logf("Shutdown: %v", err)
	}
	if vendor.overlapped.Load() {
		t.Errorf("the additional exporter's Export was called while another of its Exports was running")
	}
}

// TestNewProcessorGatesLevelsBelowDebugLikeNew: NewProcessor gates by severity,
// shifting it back to a slog level (sev-9), and lets a record "without a severity" pass.
// otelslog maps slog level L to severity L+9, so a record logged at slog.Level(-9) (below
// DEBUG) arrives with severity 0, SeverityUndefined: under the default INFO level
// NewProcessor's Enabled says yes and OnEmit exports it, where New's loggers (which gate
// the slog level in the bridge) drop it. Correct: the same level gate as New's — a record
// below INFO is not exported.
func TestNewProcessorGatesLevelsBelowDebugLikeNew(t *testing.T) {
	ctx := context.Background()
	exp := new(recordtest.Exporter)
	proc, err := NewProcessor(ctx, envOf(nil), WithSDKExporter(exp))
	if err != nil {
		t.Fatal(err)
	}
	provider := sdklog.NewLoggerProvider(sdklog.WithProcessor(proc))
	l := otelslog.NewLogger("x", otelslog.WithLoggerProvider(provider))
	l.Log(ctx, slog.Level(-9), "below debug")
	l.Debug("debug")
	_ = provider.Shutdown(ctx)

	exp2 := new(recordtest.Exporter)
	p, err := New(ctx, envOf(nil), WithSDKExporter(exp2))
	if err != nil {
		t.Fatal(err)
	}
	p.Logger("x").Log(ctx, slog.Level(-9), "below debug")
	_ = p.Shutdown(ctx)

	if n, n2 := len(exp.Records()), len(exp2.Records()); n != n2 {
		t.Errorf("a record at slog level -9 under the default INFO level: NewProcessor exported %d, New %d", n, n2)
	}
}

// stuckWrite is an exporter whose Export ignores its context, as the console exporter's
// write to a stdout pipe nobody reads does; it returns when released.
type stuckWrite struct{ release chan struct{} }

func (s stuckWrite) Export(context.Context, []sdklog.Record) error { <-s.release; return nil }
func (stuckWrite) ForceFlush(context.Context) error                { return nil }
func (stuckWrite) Shutdown(context.Context) error                  { return nil }

// TestProcessorForceFlushAfterShutdownReturnsAtOnce: the SDK's Processor contract says
// "After Shutdown is called, calls to OnEmit, Shutdown, or ForceFlush should perform no
// operation and return nil", Pipeline.ForceFlush says "After Shutdown it does nothing",
// and Processor's doc says its ForceFlush is bounded as the Pipeline's. When Shutdown
// abandoned an export stuck in a write (an exporter of the list writing a blocked
// stdout), a later Processor.ForceFlush — the provider's ForceFlush calls it when the
// application shut proc down itself, as the doc allows — waits its whole default bound
// (ExportTimeout, 30s unless set; 1s here) for that abandoned export and returns
// context.DeadlineExceeded. Correct: after Shutdown, ForceFlush returns nil at once.
func TestProcessorForceFlushAfterShutdownReturnsAtOnce(t *testing.T) {
	ctx := context.Background()
	release := make(chan struct{})
	defer close(release)
	proc, err := NewProcessor(ctx, envOf(nil), WithSDKExporter(new(recordtest.Exporter)),
		WithAdditionalExporter("console-on-a-blocked-pipe", stuckWrite{release}),
		WithFallback(new(recordtest.Exporter)), WithBatch(processor.BatchConfig{ExportTimeout: time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	provider := sdklog.NewLoggerProvider(sdklog.WithProcessor(proc))
	l := otelslog.NewLogger("x", otelslog.WithLoggerProvider(provider))
	for i := range 50 {
		l.Error("m", "i", i)
	}
	sctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	_ = proc.Shutdown(sctx)
	cancel()
	if err := provider.ForceFlush(ctx); err != nil {
		t.Errorf("the provider's ForceFlush after proc.Shutdown: %v, want nil at once (the processor is shut down)", err)
	}
	if err := proc.ForceFlush(ctx); err != nil {
		t.Errorf("proc.ForceFlush after proc.Shutdown: %v, want nil at once", err)
	}
}

// vendorDown is a vendor's exporter whose intake is down: its error is net/http's, which
// quotes the request URL with its query — where such intakes take their API key.
type vendorDown struct{ recordtest.Exporter }

const vendorKey = "0f3c9a7b5e1d2468ace0fdb97531eca8"

func (*vendorDown) Export(context.Context, []sdklog.Record) error {
	return &url.Error{Op: "Post", URL: "https://http-intake.logs.example.com/api/v2/logs?dd-api-key=" + vendorKey,
		Err: errors.New("dial tcp 192.0.2.1:443: connect: connection refused")}
}

// TestAdditionalExporterErrorIsScrubbedAndNamed: Stats.LastExportError is documented
// "with the endpoint but without credentials (userinfo, query, header values)", and the
// same text goes to stderr. resilog's OTLP exporter strips them itself; an exporter given
// to WithAdditionalExporter (a vendor's) returns its own error, and the Failover copies
// err.Error() verbatim into LastExportError and the stderr report: the API key in the
// intake URL's query leaves the process on stderr. Correct: an exporter's error text is
// scrubbed (URLs' userinfo and query, the redaction engine) before it is kept or printed.
func TestAdditionalExporterErrorIsScrubbedAndNamed(t *testing.T) {
	ctx := context.Background()
	p, err := New(ctx, envOf(nil), WithSDKExporter(new(recordtest.Exporter)),
		WithAdditionalExporter("vendor", new(vendorDown)), WithFallback(new(recordtest.Exporter)),
		WithFailover(processor.FailoverConfig{RetryMaxElapsed: 300 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	p.Logger("x").Error("one record")
	_ = p.Shutdown(ctx)
	s := p.Stats()
	for _, e := range s.Exporters {
		if strings.Contains(e.LastExportError, vendorKey) {
			t.Errorf("exporter %s: LastExportError quotes the API key: %s", e.Name, e.LastExportError)
		}
	}
	if strings.Contains(s.LastExportError, vendorKey) {
		t.Errorf("Stats.LastExportError quotes the API key: %s", s.LastExportError)
	}
}

// TestBlockPolicyStuckExporterDoesNotStarveTheOthers: the README promises that with
// several exporters "a slow or failing one never holds up the others". With
// WithOverflow(OverflowBlock), Processor.OnEmit handed the record to each exporter's queue
// in turn, and the first exporter's full queue held the log call for its BlockTimeout
// before the next exporter was even given the record. Correct: every exporter with room
// gets the record before the log call waits for room in any queue.
//
// (The attack first asked that the healthy exporter get all 10 records at once while the
// other is stuck. Under OverflowBlock the application asked each log call to wait up to
// BlockTimeout for room in the queue (here a minute): one goroutine's next record does
// not exist while its call waits, whatever the other exporters do. What the policy can
// promise is that the wait does not keep the record from the others, which this asserts.)
func TestBlockPolicyStuckExporterDoesNotStarveTheOthers(t *testing.T) {
	ctx := context.Background()
	release := make(chan struct{})
	healthy := new(recordtest.Exporter)
	p, err := New(ctx, envOf(nil), WithSDKExporter(stuckWrite{release}), WithAdditionalExporter("healthy", healthy),
		WithFallback(new(recordtest.Exporter)), WithOverflow(processor.OverflowBlock),
		WithBatch(processor.BatchConfig{MaxQueueRecords: 1, MaxBatch: 1, Exporters: 1, BlockTimeout: time.Minute, ExportTimeout: time.Minute}))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		close(release)
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_ = p.Shutdown(sctx)
		cancel()
	}()
	l := p.Logger("x")
	var returned atomic.Int32
	go func() {
		for i := range 10 {
			l.Error("m", "i", i) // ERROR: each is exported at once
			returned.Add(1)
		}
	}()
	// The stuck exporter's worker holds record 0, its queue record 1: the call for
	// record 2 waits for room there (a minute), and record 2 must reach the healthy
	// exporter meanwhile.
	deadline := time.Now().Add(20 * time.Second)
	for len(healthy.Records()) < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n, r := len(healthy.Records()), returned.Load(); n < 3 || r != 2 {
		t.Errorf("the healthy exporter received %d records in 20s with %d log calls returned, want 3 with 2 returned: "+
			"the stuck exporter's full queue holds the waiting call's record back from it", n, r)
	}
}

// shutdownHangs is an exporter whose Shutdown never returns within the test (a vendor
// exporter waiting on a connection), until released.
type shutdownHangs struct {
	recordtest.Exporter
	release chan struct{}
}

func (s *shutdownHangs) Shutdown(context.Context) error { <-s.release; return nil }

// TestHungExporterShutdownDoesNotHoldTheSharedFallback: the fallback shared by the
// exporters of the list is shut down by the last of their Failovers, each of which shuts
// its primary down first and its (shared) fallback after, in one goroutine. An additional
// exporter whose own Shutdown hangs therefore never releases its share: after
// Pipeline.Shutdown returns, WithFallback's exporter (a file the other, healthy exporters
// fell back to) is never shut down — never flushed or closed — although every exporter
// that writes it is done. Correct: a Failover releases the fallback whatever its primary's
// Shutdown does (the two shut down independently), so the shared fallback is shut down
// once every Failover has stopped writing to it.
func TestHungExporterShutdownDoesNotHoldTheSharedFallback(t *testing.T) {
	ctx := context.Background()
	release := make(chan struct{})
	defer close(release)
	fb := new(shutdownCounter)
	p, err := New(ctx, envOf(nil), WithSDKExporter(new(failingExporter)),
		WithAdditionalExporter("hangs-on-shutdown", &shutdownHangs{release: release}), WithFallback(fb))
	if err != nil {
		t.Fatal(err)
	}
	p.Logger("x").Error("one record: the primary refuses it, the fallback takes it")
	sctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	err = p.Shutdown(sctx)
	t.Logf("Shutdown: %v", err)
	if n := fb.n.Load(); n != 1 {
		t.Errorf("the shared fallback was shut down %d times after Shutdown returned, want 1", n)
	}
}
