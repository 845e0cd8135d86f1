package processor

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/recordsize"
	"github.com/resilog/resilog/internal/recordtest"
)

// attackSeqs returns the seq attributes of recs, in order.
func attackSeqs(recs []sdklog.Record) []int64 {
	var out []int64
	for _, r := range recs {
		r.WalkAttributes(func(kv attribute.KeyValue) bool {
			if kv.Key == "seq" {
				out = append(out, kv.Value.AsInt64())
			}
			return true
		})
	}
	return out
}

// attackWait polls cond for up to 20s (a bound only a hang reaches).
func attackWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting after 20s for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestStatsSnapshotNeverOverCounts: Stats() must never report more records finished
// (exported + fallback + dropped) than were emitted — every record is counted as emitted
// before its fate. Ledger.Counts loads Emitted first and the fates after, so a record
// emitted and dropped between those loads is in the fates but not in Emitted: a snapshot
// says exported+fallback+dropped > emitted (a negative number still under way, which a
// metrics dashboard computing emitted - done shows as a wrap-around to 2^64).
// Correct: load the fates first and Emitted last (or take a consistent snapshot), so that
// emitted >= exported + fallback + dropped in every snapshot.
func TestStatsSnapshotNeverOverCounts(t *testing.T) {
	b := newBatch(t, new(recordtest.Exporter), nil, BatchConfig{MaxBatch: 1, MaxQueueRecords: 1,
		Exporters: 1, Interval: time.Hour, Overflow: OverflowDropNewest})
	defer b.Shutdown(context.Background())

	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rec(0, log.SeverityInfo)
			for !stop.Load() {
				_ = b.OnEmit(context.Background(), r) // mostly queue_full: counted at once
			}
		}()
	}
	defer func() { stop.Store(true); wg.Wait() }()

	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		s := b.Stats()
		var dropped uint64
		for _, n := range s.Dropped {
			dropped += n
		}
		if s.Exported+s.Fallback+dropped > s.Emitted {
			t.Fatalf("a Stats snapshot counts more fates than records emitted: exported %d + fallback %d + dropped %d = %d > emitted %d",
				s.Exported, s.Fallback, dropped, s.Exported+s.Fallback+dropped, s.Emitted)
		}
	}
}

// flaky is a primary whose exports each wait for a verdict from the test (nil: accepted),
// ignoring their context when stubborn: a collector that accepted the connection and
// never answers. Each export announces itself on calls with its records and the channel
// its verdict is to be sent on.
type flaky struct {
	recordtest.Exporter
	calls    chan flakyCall
	stubborn bool
}

type flakyCall struct {
	recs    []sdklog.Record
	verdict chan error
}

func newFlaky() *flaky { return &flaky{calls: make(chan flakyCall, 100)} }

func (f *flaky) Export(ctx context.Context, recs []sdklog.Record) error {
	c := flakyCall{recs: recs, verdict: make(chan error, 1)}
	f.calls <- c
	if f.stubborn {
		if err := <-c.verdict; err != nil {
			return err
		}
		return f.Exporter.Export(ctx, recs)
	}
	select {
	case err := <-c.verdict:
		if err != nil {
			return err
		}
		return f.Exporter.Export(ctx, recs)
	case <-ctx.Done():
		return ctx.Err()
	}
}

var errRefused = errors.New("connection refused")

// TestBreakerOpeningKeepsCallOrderBehindInflightBatch: at the moment the breaker opens, a
// record logged by a goroutine after an earlier record of its own that is still being
// exported reaches the fallback before it. The breaker opens because another export
// failed; record A (goroutine G's first) is still in its export attempt; G then logs C,
// which the open breaker sends straight into the fallback's buffer (the queue is empty,
// no hand-off is under way); A's attempt then fails too and A is handed to the fallback
// after C. The fallback (stdout) shows G's records out of call order.
// Correct: while the breaker is open, each goroutine's records reach the fallback in call
// order, including the records taken for export before it opened (README: "in the order
// each goroutine logged them"); C must wait behind A.
func TestBreakerOpeningKeepsCallOrderBehindInflightBatch(t *testing.T) {
	f := newFlaky()
	fb := new(recordtest.Exporter)
	b, err := NewBatch(Route{Primary: f, Fallback: fb},
		BatchConfig{MaxBatch: 1, Exporters: 2, Interval: time.Hour},
		FailoverConfig{BreakerFailures: 1, ProbeInterval: time.Hour, RetryInitial: time.Millisecond, RetryMax: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Shutdown(context.Background())

	// Goroutine G (this one) logs A: its export starts and waits.
	_ = b.OnEmit(context.Background(), rec(1, log.SeverityInfo)) // MaxBatch 1: sealed at once
	a := <-f.calls
	// Another goroutine's record X: its export fails, which opens the breaker (1 failure).
	_ = b.OnEmit(context.Background(), rec(100, log.SeverityInfo))
	x := <-f.calls
	x.verdict <- errRefused
	attackWait(t, "the breaker to open and X to reach the fallback", func() bool {
		return b.Stats().Breaker == BreakerOpen && len(fb.Records()) == 1
	})
	// G logs C while its A is still in the export.
	_ = b.OnEmit(context.Background(), rec(2, log.SeverityInfo))
	// A's export fails as well.
	a.verdict <- errRefused
	attackWait(t, "A and C to reach the fallback", func() bool { return len(fb.Records()) == 3 })

	var g []int64
	for _, s := range attackSeqs(fb.Records()) {
		if s < 100 {
			g = append(g, s)
		}
	}
	if len(g) != 2 || g[0] != 1 || g[1] != 2 {
		t.Fatalf("goroutine G logged seq 1 then 2; the fallback got them in the order %v: out of call order while the breaker is open", g)
	}
}

// TestShutdownCountsBatchesWaitingTheirTurn: once Shutdown has returned, every
// record must be counted (README "Guarantees, exactly": Emitted == Exported + Fallback +
// DroppedTotal; an export still running at the deadline has its records counted as
// dropped{shutdown}). With the breaker open and no probe, one batch is the trial sent to
// the primary; the batches taken after it wait for their turn (handInTurn) before they
// begin a delivery. If the trial export hangs (a collector that accepted the connection
// and never answers), Shutdown gives up at its deadline and counts the trial's records
// (settleCalls), but not those of the batches waiting their turn: they are in no queue,
// no delivery under way, and no count. The balance is short by them after Shutdown, and
// for ever if the export never returns.
// Correct: after Shutdown returns, the records of batches waiting their turn are counted
// (dropped, reason shutdown), and not again if the hung export returns later.
func TestShutdownCountsBatchesWaitingTheirTurn(t *testing.T) {
	f := newFlaky()
	f.stubborn = true
	fb := new(recordtest.Exporter)
	b, err := NewBatch(Route{Primary: f, Fallback: fb}, // no Probe: a trial batch probes
		BatchConfig{MaxBatch: 1, Exporters: 3, Interval: time.Hour},
		FailoverConfig{BreakerFailures: 1, ProbeInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var hung flakyCall
	defer func() {
		if hung.verdict != nil {
			hung.verdict <- nil // let the hung export return at last
		}
	}()

	_ = b.OnEmit(context.Background(), rec(0, log.SeverityInfo))
	(<-f.calls).verdict <- errRefused // the breaker opens
	attackWait(t, "the breaker to open", func() bool { return b.Stats().Breaker == BreakerOpen })
	// Records go straight to the fallback until a trial batch is due; the first one after
	// that is the trial export, which hangs.
	for i := 1; hung.verdict == nil; i++ {
		_ = b.OnEmit(context.Background(), rec(i, log.SeverityInfo))
		select {
		case hung = <-f.calls:
		case <-time.After(5 * time.Millisecond):
		}
		if i > 4000 {
			t.Fatal("no trial batch in 20s")
		}
	}
	// Two more batches (ERROR: sealed at once) are taken by the other two exporters and
	// wait for their turn behind the trial.
	before := b.Stats().Emitted
	_ = b.OnEmit(context.Background(), rec(10001, log.SeverityError))
	_ = b.OnEmit(context.Background(), rec(10002, log.SeverityError))
	attackWait(t, "the two batches to leave the queue", func() bool { return b.Stats().QueueRecords == 0 })

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_ = b.Shutdown(ctx)
	s := b.Stats()
	var dropped uint64
	for _, n := range s.Dropped {
		dropped += n
	}
	if s.Exported+s.Fallback+dropped != s.Emitted {
		t.Fatalf("after Shutdown: exported %d + fallback %d + dropped %d (%v) != emitted %d: %d records (of the %d logged behind the hung trial) in no count",
			s.Exported, s.Fallback, dropped, s.Dropped, s.Emitted, s.Emitted-(s.Exported+s.Fallback+dropped), s.Emitted-before)
	}
}

// down fails every export, as a collector that is not there.
type attackDown struct{ recordtest.Exporter }

func (*attackDown) Export(context.Context, []sdklog.Record) error { return errRefused }

// TestOverflowSpillKeepsQueuedRecordsInOrderWhileOpen checks the documented order while
// the breaker is open (README, OverflowFallback): each goroutine's records reach the
// fallback in call order, except a record that finds the queue full, which the fallback
// overflow policy hands over at once (the log call never waits) and which may overtake
// its goroutine's records still on their way. Here the fallback's writer is blocked
// (stdout nobody reads, for a while): G's big record 1 does not fit in the fallback's
// buffer, so it goes through the queue and its hand-off waits for room; record 2 waits in
// the queue behind it; record 3 finds the queue full and is handed over at once. The
// records that went through the queue (0, 1, 2) keep their order, and none is lost.
// (Keeping 3 behind them would take waiting in the log call, dropping 3, or a queue
// beyond its bound: the attack that found this asked for strict order; it is documented
// instead.)
func TestOverflowSpillKeepsQueuedRecordsInOrderWhileOpen(t *testing.T) {
	small := recordsize.Of(rec(0, log.SeverityInfo))
	bigRec := func(seq int) *sdklog.Record {
		r := recordtest.Make("t", func(r *log.Record) {
			r.SetSeverity(log.SeverityInfo)
			r.SetBody(attribute.StringValue("m"))
			r.AddAttributes(attribute.Int("seq", seq), attribute.String("blob", strings.Repeat("x", 8*small)))
		})
		return &r
	}
	fb := newGated() // the fallback: its writes block until the gate opens
	b, err := NewBatch(Route{Primary: new(attackDown), Fallback: fb},
		BatchConfig{MaxBatch: 1, MaxQueueRecords: 1, Exporters: 1, Interval: time.Hour},
		FailoverConfig{BreakerFailures: 1, ProbeInterval: time.Hour, FallbackBytes: 3 * small, FallbackWait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Shutdown(context.Background())

	// Record 0 opens the breaker and reaches the fallback, whose write blocks.
	_ = b.OnEmit(context.Background(), rec(0, log.SeverityError))
	waitInflight(t, fb)
	if b.Stats().Breaker != BreakerOpen {
		t.Fatal("the breaker is not open")
	}
	// Goroutine G (this one) logs 1 (big: it does not fit in the fallback's buffer now),
	// then 2 and 3 (small).
	_ = b.OnEmit(context.Background(), bigRec(1))
	attackWait(t, "record 1's hand-off to start", func() bool { return b.Stats().QueueRecords == 0 })
	_ = b.OnEmit(context.Background(), rec(2, log.SeverityInfo))
	_ = b.OnEmit(context.Background(), rec(3, log.SeverityInfo))
	close(fb.gate) // stdout drains
	attackWait(t, "the four records to reach the fallback", func() bool { return len(fb.Records()) == 4 })
	got := attackSeqs(fb.Records())
	var queued []int64
	seen3 := false
	for _, s := range got {
		if s == 3 {
			seen3 = true
		} else {
			queued = append(queued, s)
		}
	}
	if !seen3 || len(queued) != 3 || queued[0] != 0 || queued[1] != 1 || queued[2] != 2 {
		t.Fatalf("goroutine G logged 0, 1, 2, 3 with the breaker open (3 overflowing the queue); the fallback got %v: want 0, 1, 2 in order and 3 anywhere", got)
	}
}

// TestExportTimeoutOneNanosecondRefused: Validate accepts ExportTimeout 1ns (only negative
// values are refused), and NewBatch then loses records with a healthy collector and a
// healthy fallback. Every export's context is over before it starts, so nothing is ever
// exported; the timeouts count as collector failures and open the breaker; and
// Shutdown(context.Background()) gets ExportTimeout (1ns) as its deadline, so the records
// still queued are dropped (reason shutdown) instead of being written to a fallback that
// works.
// Correct: Validate (and so NewBatch) refuses an ExportTimeout no export can meet, or
// NewBatch delivers: with a healthy primary nothing is dropped.
func TestExportTimeoutOneNanosecondRefused(t *testing.T) {
	cfg := BatchConfig{ExportTimeout: time.Nanosecond, Interval: time.Hour}
	primary, fb := new(recordtest.Exporter), new(recordtest.Exporter)
	b, err := NewBatch(Route{Primary: primary, Fallback: fb}, cfg, FailoverConfig{})
	if err != nil {
		if !errors.Is(err, ErrInvalidConfig) {
			t.Fatalf("NewBatch with ExportTimeout 1ns: %v, want ErrInvalidConfig", err)
		}
		return // refused: the gap is closed
	}
	for i := range 100 {
		_ = b.OnEmit(context.Background(), rec(i, log.SeverityInfo))
	}
	_ = b.Shutdown(context.Background())
	s := b.Stats()
	if len(s.Dropped) != 0 || s.Exported != 100 {
		t.Fatalf("Validate accepted ExportTimeout 1ns; with a healthy primary and fallback, exported %d of 100, fallback %d, dropped %v",
			s.Exported, s.Fallback, s.Dropped)
	}
}

// TestShutdownDoesNotWaitForAStubbornProbe: Shutdown must return by its deadline whatever
// the primary does (DESIGN: "No public call blocks on I/O without a bound"); an Export that
// ignores its context is given up at the deadline and its records counted. A Probe that
// ignores its context is not: Route.Shutdown waits for the probe loop (probing.Wait) with
// no bound, so a probe stuck on a collector that accepted the connection and never
// answers holds Shutdown for ever, past its 200ms deadline.
// Correct: Shutdown stops waiting for the probe at its deadline (the probe finishes in the
// background, as a stubborn export does) and returns.
func TestShutdownDoesNotWaitForAStubbornProbe(t *testing.T) {
	probing := make(chan struct{}, 1)
	release := make(chan struct{})
	defer close(release)
	probe := func(context.Context) error { // ignores its context
		select {
		case probing <- struct{}{}:
		default:
		}
		<-release
		return errRefused
	}
	b, err := NewBatch(Route{Primary: new(attackDown), Probe: probe, Fallback: new(recordtest.Exporter)},
		BatchConfig{Interval: time.Hour},
		FailoverConfig{BreakerFailures: 1, ProbeInterval: time.Millisecond, ProbeTimeout: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_ = b.OnEmit(context.Background(), rec(0, log.SeverityError)) // opens the breaker
	select {
	case <-probing:
	case <-time.After(20 * time.Second):
		t.Fatal("no probe in 20s")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- b.Shutdown(ctx) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Shutdown with a 200ms deadline had not returned 20s later: it waits for a probe that ignores its context")
	}
}

// flipping fails its first export, then accepts every one: a collector that was down for
// a moment and is back.
type flipping struct {
	recordtest.Exporter
	failed atomic.Bool
}

func (f *flipping) Export(ctx context.Context, recs []sdklog.Record) error {
	if f.failed.CompareAndSwap(false, true) {
		return errRefused
	}
	return f.Exporter.Export(ctx, recs)
}

// TestProbeTimeoutOneNanosecondRefused: FailoverConfig.Validate accepts ProbeTimeout 1ns
// (only negative values are refused). Every probe's context is then over before the probe
// starts, so no probe can succeed: once the breaker opens it never closes, and every
// record goes to the fallback for the life of the process although the collector came
// back at once (here it failed one export; the probe honours its context, as the OTLP
// exporter's does).
// Correct: Validate refuses a ProbeTimeout no probe can meet, or the breaker closes once
// the collector is back.
func TestProbeTimeoutOneNanosecondRefused(t *testing.T) {
	primary := new(flipping)
	probe := func(ctx context.Context) error { return ctx.Err() } // the collector is back: only a done ctx fails it
	b, err := NewBatch(Route{Primary: primary, Probe: probe, Fallback: new(recordtest.Exporter)},
		BatchConfig{Interval: time.Hour},
		FailoverConfig{BreakerFailures: 1, ProbeInterval: time.Millisecond, ProbeTimeout: time.Nanosecond})
	if err != nil {
		if !errors.Is(err, ErrInvalidConfig) {
			t.Fatalf("NewBatch with ProbeTimeout 1ns: %v, want ErrInvalidConfig", err)
		}
		return // refused: the gap is closed
	}
	defer b.Shutdown(context.Background())
	_ = b.OnEmit(context.Background(), rec(0, log.SeverityError)) // its export fails: the breaker opens
	attackWait(t, "the breaker to open", func() bool { return b.Stats().Breaker == BreakerOpen })
	deadline := time.Now().Add(20 * time.Second)
	for b.Stats().Breaker == BreakerOpen {
		if time.Now().After(deadline) {
			t.Fatalf("Validate accepted ProbeTimeout 1ns; the collector has been back for 20s (probed every 1ms) and the breaker is still open: %+v", b.Stats())
		}
		time.Sleep(time.Millisecond)
	}
}

// discard accepts every export and keeps nothing.
type discard struct{ recordtest.Exporter }

func (*discard) Export(context.Context, []sdklog.Record) error { return nil }

// TestSamplerDoesNotRetainMessageBytes: the sampler keeps each distinct message it has
// seen as a map key (up to 4096 per shard, 65,536 in all) until its window is over and
// the shard fills up: the count is bounded, the bytes are not. 400 distinct 1 MiB messages
// (a request body logged as the message), all exported, leave ~400 MiB held by Sample
// after the queue is empty: 6x the queue's own bound in bytes (64 MiB); with 65,536
// such messages it is 64 GiB. DESIGN: "never grows memory without bound".
// Correct: the sampler's memory is bounded in bytes (hash the message, or cap the key's
// length), so that what it holds after the records are gone is small.
func TestSamplerDoesNotRetainMessageBytes(t *testing.T) {
	b := newBatch(t, new(discard), nil, BatchConfig{})
	s, err := NewSample(b, Sampling{First: 1, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const n, size = 400, 1 << 20
	for i := range n {
		msg := fmt.Sprintf("%08d", i) + strings.Repeat("x", size)
		_ = s.OnEmit(context.Background(), msgRec(msg, log.SeverityInfo))
		if i%8 == 7 { // keep the queue under its bound: nothing is dropped
			_ = s.ForceFlush(context.Background())
		}
	}
	if err := s.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := b.Stats(); st.QueueRecords != 0 || st.Exported != n {
		t.Fatalf("stats %+v: want all %d exported and the queue empty", st, n)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	runtime.KeepAlive(s)
	_ = s.Shutdown(context.Background())
	if held > 100<<20 {
		t.Fatalf("with every record exported and the queue empty, the heap holds %d MiB more than before: the sampler keeps each distinct message's bytes (%d messages of %d KiB)",
			held>>20, n, size>>10)
	}
}

// slowWriter is a fallback that takes a little while per write, as stdout to a slow pipe.
type slowWriter struct{ recordtest.Exporter }

func (w *slowWriter) Export(ctx context.Context, r []sdklog.Record) error {
	time.Sleep(50 * time.Microsecond)
	return w.Exporter.Export(ctx, r)
}

// TestForceFlushWaitsForBatchesAnotherSpills: ForceFlush must return nil only when every
// record logged before the call has been exported, written by the fallback, or dropped
// and counted — a caller that then exits must lose nothing silently. With the collector
// hung, a first ForceFlush (short deadline) gives up on it: it pops the queued batches
// and hands them to the fallback, which is slow, outside b.mu. A second ForceFlush
// started then sees an empty queue and no export under way (the popped batches are in
// neither), and the fallback's Drain returns as soon as the fallback's buffer is empty
// for a moment between two hand-offs. It returns nil with most records neither written
// nor counted: Stats then says exported + fallback + dropped is far below emitted.
// Correct: a ForceFlush waits for batches another ForceFlush (or Shutdown) has taken
// and not yet handed over, as it waits for exports under way.
func TestForceFlushWaitsForBatchesAnotherSpills(t *testing.T) {
	const n = 2000
	for attempt := range 10 {
		g := newGated() // a hung collector
		b, err := NewBatch(Route{Primary: g, Fallback: new(slowWriter)},
			BatchConfig{MaxBatch: 10, Exporters: 1, Interval: time.Hour}, FailoverConfig{FallbackRecords: 1})
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			_ = b.OnEmit(context.Background(), rec(i, log.SeverityInfo))
		}
		waitInflight(t, g)
		first := make(chan struct{})
		go func() {
			defer close(first)
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			_ = b.ForceFlush(ctx) // gives up on the collector at 400ms and spills the queue
		}()
		attackWait(t, "the first ForceFlush to take the queue", func() bool { return b.Stats().QueueRecords == 0 })
		err = b.ForceFlush(context.Background())
		s := b.Stats()
		var dropped uint64
		for _, d := range s.Dropped {
			dropped += d
		}
		<-first
		close(g.gate)
		_ = b.Shutdown(context.Background())
		if err == nil && s.Exported+s.Fallback+dropped < n {
			t.Fatalf("attempt %d: the second ForceFlush returned nil with %d of the %d records logged before it neither written nor counted (exported %d, fallback %d, dropped %d)",
				attempt, n-(s.Exported+s.Fallback+dropped), n, s.Exported, s.Fallback, dropped)
		}
	}
}

// TestValidateBoundsExporterCount: BatchConfig.Validate bounds MaxBatch
// (MaxBatchLimit: "a Batch allocates its batch buffers up front") but not Exporters, which
// NewBatch turns into as many goroutines at once, each of which can hold a batch of
// MaxBatch records in flight beyond the queue's bound. Exporters 1<<30 validates; NewBatch
// then starts 2^30 goroutines (at least 2 KiB of stack each: 2 TiB) and the process dies
// of it (not run here for that reason).
// Correct: Validate refuses an Exporters count above a sane limit (as it does MaxBatch),
// so that New and NewBatch return ErrInvalidConfig instead of taking the process down.
func TestValidateBoundsExporterCount(t *testing.T) {
	if err := (BatchConfig{Exporters: 1 << 30}).Validate(); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("BatchConfig{Exporters: 1<<30}.Validate() = %v: NewBatch would start 2^30 export goroutines", err)
	}
	// The floors and the ceiling themselves are accepted.
	if err := (BatchConfig{Exporters: 64, ExportTimeout: time.Millisecond}).Validate(); err != nil {
		t.Fatalf("BatchConfig{Exporters: 64, ExportTimeout: 1ms}.Validate() = %v", err)
	}
	if err := (FailoverConfig{ProbeTimeout: time.Millisecond}).Validate(); err != nil {
		t.Fatalf("FailoverConfig{ProbeTimeout: 1ms}.Validate() = %v", err)
	}
}
