package processor

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/exporter"
	"github.com/resilog/resilog/internal/recordsize"
	"github.com/resilog/resilog/internal/recordtest"
)

func rec(seq int, sev log.Severity) *sdklog.Record {
	r := recordtest.Make("t", func(r *log.Record) {
		r.SetSeverity(sev)
		r.SetBody(attribute.StringValue("m"))
		r.AddAttributes(attribute.Int("seq", seq))
	})
	return &r
}

func seqs(recs []sdklog.Record) map[int64]bool {
	m := map[int64]bool{}
	for _, r := range recs {
		r.WalkAttributes(func(kv attribute.KeyValue) bool {
			if kv.Key == "seq" {
				m[kv.Value.AsInt64()] = true
			}
			return true
		})
	}
	return m
}

// gated blocks every Export until the gate opens, and keeps what it got.
type gated struct {
	recordtest.Exporter
	reject bool // rejects each batch for good once through the gate
	gate   chan struct{}
	spill  recordtest.Exporter
	mu     sync.Mutex
	calls  int
}

func newGated() *gated { return &gated{gate: make(chan struct{})} }

func (g *gated) Export(ctx context.Context, recs []sdklog.Record) error {
	g.mu.Lock()
	g.calls++
	g.mu.Unlock()
	select {
	case <-g.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	if g.reject {
		return &exporter.ExportError{Err: errors.New("400"), Permanent: true}
	}
	return g.Exporter.Export(ctx, recs)
}

// newBatch returns a Batch exporting to primary, with fallback (nil: none).
func newBatch(t *testing.T, primary, fallback sdklog.Exporter, cfg BatchConfig) *Batch {
	t.Helper()
	b, err := NewBatch(Route{Primary: primary, Fallback: fallback}, cfg, FailoverConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newGatedBatch returns a Batch exporting to g, its fallback g.spill.
func newGatedBatch(t *testing.T, g *gated, cfg BatchConfig) *Batch {
	t.Helper()
	return newBatch(t, g, &g.spill, cfg)
}

func balance(t *testing.T, b *Batch) {
	t.Helper()
	s := b.Stats()
	var dropped uint64
	for _, n := range s.Dropped {
		dropped += n
	}
	if s.Exported+s.Fallback+dropped != s.Emitted {
		t.Fatalf("exported %d + fallback %d + dropped %d != emitted %d (%+v)", s.Exported, s.Fallback, dropped, s.Emitted, s)
	}
}

func TestBatchDeliversEverythingConcurrently(t *testing.T) {
	exp := new(recordtest.Exporter)
	b := newBatch(t, exp, nil, BatchConfig{MaxBatch: 64, Exporters: 3})
	var wg sync.WaitGroup
	const goroutines, each = 8, 2000
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				_ = b.OnEmit(context.Background(), rec(g*each+i, log.SeverityInfo))
			}
		}()
	}
	wg.Wait()
	if err := b.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := seqs(exp.Records()); len(got) != goroutines*each {
		t.Fatalf("exported %d distinct records, want %d", len(got), goroutines*each)
	}
	balance(t, b)
}

func TestBatchFlushesOnError(t *testing.T) {
	exp := new(recordtest.Exporter)
	b := newBatch(t, exp, nil, BatchConfig{Interval: time.Hour})
	defer b.Shutdown(context.Background())
	for i := range 5 {
		_ = b.OnEmit(context.Background(), rec(i, log.SeverityInfo))
	}
	_ = b.OnEmit(context.Background(), rec(5, log.SeverityError))
	deadline := time.Now().Add(5 * time.Second)
	for len(exp.Records()) < 6 {
		if time.Now().After(deadline) {
			t.Fatalf("an ERROR record did not flush the batch (interval 1h): %d exported", len(exp.Records()))
		}
		time.Sleep(time.Millisecond)
	}
	if got := seqs(exp.Records()); len(got) != 6 {
		t.Fatalf("exported %v, want the five records before the error and the error", got)
	}
}

func TestBatchForceFlush(t *testing.T) {
	exp := new(recordtest.Exporter)
	b := newBatch(t, exp, nil, BatchConfig{Interval: time.Hour})
	defer b.Shutdown(context.Background())
	for i := range 100 {
		_ = b.OnEmit(context.Background(), rec(i, log.SeverityInfo))
	}
	if err := b.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(exp.Records()); n != 100 {
		t.Fatalf("ForceFlush returned with %d of 100 exported", n)
	}
}

// fill emits n records into a Batch whose single exporter is stuck on the first batch
// (records 0-9); records 10-29 fill the queue and the rest overflow.
func fill(t *testing.T, cfg BatchConfig, n int) (*Batch, *gated) {
	t.Helper()
	g := newGated()
	cfg.MaxBatch, cfg.Exporters, cfg.MaxQueueRecords, cfg.Interval = 10, 1, 20, time.Hour
	b := newGatedBatch(t, g, cfg)
	for i := range n {
		_ = b.OnEmit(context.Background(), rec(i, log.SeverityInfo))
		if i == 9 {
			waitInflight(t, g)
		}
	}
	return b, g
}

func waitInflight(t *testing.T, g *gated) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		g.mu.Lock()
		c := g.calls
		g.mu.Unlock()
		if c > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the exporter never received the first batch")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestBatchOverflowPolicies(t *testing.T) {
	// One batch of 10 is in flight (stuck), 20 wait in the queue, the rest overflow.
	const n = 50
	t.Run("fallback", func(t *testing.T) {
		b, g := fill(t, BatchConfig{}, n)
		close(g.gate)
		_ = b.Shutdown(context.Background())
		spilled := len(g.spill.Records())
		if spilled == 0 {
			t.Fatal("nothing was spilled to the fallback")
		}
		all := append(g.Records(), g.spill.Records()...)
		if got := seqs(all); len(got) != n {
			t.Fatalf("%d distinct records delivered or spilled, want all %d", len(got), n)
		}
		if s := b.Stats(); len(s.Dropped) != 0 {
			t.Fatalf("dropped %v with the fallback policy", s.Dropped)
		}
		balance(t, b)
	})
	t.Run("drop_newest", func(t *testing.T) {
		b, g := fill(t, BatchConfig{Overflow: OverflowDropNewest}, n)
		close(g.gate)
		_ = b.Shutdown(context.Background())
		s := b.Stats()
		if s.Dropped["queue_full"] == 0 {
			t.Fatalf("no queue_full drops: %+v", s)
		}
		if got := seqs(g.Records()); len(got) != 30 || !got[29] || got[30] {
			t.Fatalf("drop_newest kept %v: want records 0-29 kept and 30-49 dropped", got)
		}
		balance(t, b)
	})
	t.Run("drop_oldest", func(t *testing.T) {
		b, g := fill(t, BatchConfig{Overflow: OverflowDropOldest}, n)
		close(g.gate)
		_ = b.Shutdown(context.Background())
		got := seqs(g.Records())
		if len(got) != 30 || !got[0] || got[10] || got[29] || !got[30] || !got[n-1] {
			t.Fatalf("drop_oldest kept %v: want 0-9 (in flight) and 30-49 kept, 10-29 dropped", got)
		}
		balance(t, b)
	})
	t.Run("block", func(t *testing.T) {
		b, g := fill(t, BatchConfig{Overflow: OverflowBlock, BlockTimeout: 5 * time.Millisecond}, 30)
		start := time.Now()
		_ = b.OnEmit(context.Background(), rec(999, log.SeverityInfo))
		if waited := time.Since(start); waited < 5*time.Millisecond {
			t.Fatalf("block policy returned after %v, before its timeout", waited)
		}
		if b.Stats().Dropped["block_timeout"] != 1 {
			t.Fatalf("stats %+v, want one block_timeout drop", b.Stats())
		}
		close(g.gate)
		_ = b.Shutdown(context.Background())
		balance(t, b)
	})
}

func TestBatchShutdownDeadlineSpillsTheRest(t *testing.T) {
	g := newGated() // never opens: a hung collector
	b := newGatedBatch(t, g, BatchConfig{MaxBatch: 10, Exporters: 2, Interval: time.Hour})
	for i := range 100 {
		_ = b.OnEmit(context.Background(), rec(i, log.SeverityInfo))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_ = b.Shutdown(ctx)
	if took := time.Since(start); took > 200*time.Millisecond+time.Second {
		t.Fatalf("Shutdown took %v with a 200ms deadline", took)
	}
	// The two stuck batches are aborted and go to the fallback, as does the rest.
	if spilled := len(g.spill.Records()); spilled != 100 {
		t.Fatalf("spilled %d, want the 20 aborted and the 80 never attempted (%+v)", spilled, b.Stats())
	}
	balance(t, b)
	// After shutdown, records are counted, not queued.
	_ = b.OnEmit(context.Background(), rec(1000, log.SeverityInfo))
	if b.Stats().Dropped["shutdown"] != 1 {
		t.Fatalf("a record after Shutdown was not counted: %+v", b.Stats())
	}
}

func TestParseOverflow(t *testing.T) {
	for _, o := range []Overflow{OverflowFallback, OverflowDropNewest, OverflowDropOldest, OverflowBlock} {
		got, err := ParseOverflow(o.String())
		if err != nil || got != o {
			t.Errorf("ParseOverflow(%q) = %v, %v", o, got, err)
		}
	}
	if _, err := ParseOverflow("lose_everything"); err == nil {
		t.Error("an unknown policy parsed")
	}
}

// stubborn ignores its context: an export that outlives the shutdown deadline.
type stubborn struct{ release chan struct{} }

func (s stubborn) Export(context.Context, []sdklog.Record) error { <-s.release; return nil }
func (stubborn) ForceFlush(context.Context) error                { return nil }
func (stubborn) Shutdown(context.Context) error                  { return nil }

func TestBatchShutdownAccountsForStuckExports(t *testing.T) {
	exp := stubborn{release: make(chan struct{})}
	b := newBatch(t, exp, nil, BatchConfig{MaxBatch: 10, Exporters: 2, Interval: time.Hour})
	for i := range 50 {
		_ = b.OnEmit(context.Background(), rec(i, log.SeverityInfo))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := b.Shutdown(ctx); err == nil {
		t.Error("Shutdown reported success with exports stuck")
	}
	balance(t, b) // complete as soon as Shutdown returns
	close(exp.release)
	time.Sleep(50 * time.Millisecond)
	balance(t, b) // and the late returns are not counted twice
	if s := b.Stats(); s.Dropped["shutdown"] != 50 {
		t.Errorf("stats %+v, want all 50 dropped with reason shutdown", s)
	}
}

// TestBatchForceFlushDeadlineSpillsTheRest: with the export hung, ForceFlush gives up on
// it at 80% of its deadline, spills the queued batches, aborts the one under way, and
// returns within the deadline.
func TestBatchForceFlushDeadlineSpillsTheRest(t *testing.T) {
	b, g := fill(t, BatchConfig{}, 30) // batch 0-9 stuck in the export, 10-29 queued
	defer func() {
		close(g.gate)
		_ = b.Shutdown(context.Background())
	}()
	const deadline = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	err := b.ForceFlush(ctx)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("ForceFlush = %v, want nil: every record left the queue", err)
	}
	if took > deadline+100*time.Millisecond {
		t.Fatalf("ForceFlush took %v with a %v deadline", took, deadline)
	}
	if took < deadline*7/10 {
		t.Fatalf("ForceFlush gave up after %v, before 80%% of its %v deadline", took, deadline)
	}
	if got := seqs(g.spill.Records()); len(got) != 30 || !got[0] || !got[29] {
		t.Fatalf("spilled %d records, want the 20 queued (10-29) and the 10 aborted (0-9)", len(got))
	}
	if s := b.Stats(); len(s.Dropped) != 0 || s.QueueRecords != 0 {
		t.Fatalf("stats %+v: want nothing dropped and the queue empty", s)
	}
	balance(t, b)
}

// TestBatchQueueBoundFollowsTheExports: the queue takes up to MaxQueueBytes while exports
// succeed (a burst outrunning a working collector), but only StalledQueueBytes once none
// has succeeded for a second (a hung collector), when none ever has, and when they go to
// the fallback.
func TestBatchQueueBoundFollowsTheExports(t *testing.T) {
	size := recordsize.Of(rec(0, log.SeverityInfo))
	cfg := BatchConfig{MaxBatch: 10, Exporters: 1, Interval: time.Hour,
		StalledQueueBytes: 50 * size, MaxQueueBytes: 200 * size}
	emit := func(b *Batch, from, n int) {
		for i := from; i < from+n; i++ {
			_ = b.OnEmit(context.Background(), rec(i, log.SeverityInfo))
		}
	}
	// exportOne lets records 0-9, one batch, through the gate: an export succeeded (or,
	// if g rejects, went to the fallback). It waits for the ledger to count them, not for
	// the exporter to hold them: the exporter holds them before Export returns and the
	// route learns of the outcome.
	exportOne := func(b *Batch, g *gated) {
		emit(b, 0, 10)
		g.gate <- struct{}{}
		for s := b.Stats(); s.Exported+s.Fallback < 10; s = b.Stats() {
			time.Sleep(time.Millisecond)
		}
	}
	wantStalledBound := func(t *testing.T, b *Batch, g *gated) {
		t.Helper()
		if s := b.Stats(); s.QueueBytes > cfg.StalledQueueBytes || handedToFallback(b) == 0 {
			t.Fatalf("queue %d bytes (stalled bound %d), %d spilled: want the stalled bound to hold", s.QueueBytes, cfg.StalledQueueBytes, handedToFallback(b))
		}
	}
	finish := func(t *testing.T, b *Batch, g *gated) {
		t.Helper()
		close(g.gate)
		_ = b.Shutdown(context.Background())
		balance(t, b)
	}
	t.Run("never succeeded", func(t *testing.T) {
		g := newGated()
		b := newGatedBatch(t, g, cfg)
		emit(b, 0, 300)
		wantStalledBound(t, b, g)
		finish(t, b, g)
	})
	t.Run("exports going to the fallback", func(t *testing.T) {
		g := newGated()
		g.reject = true
		b := newGatedBatch(t, g, cfg)
		exportOne(b, g)
		emit(b, 10, 150)
		wantStalledBound(t, b, g)
		finish(t, b, g)
	})
	t.Run("flowing, then stalled", func(t *testing.T) {
		g := newGated()
		b := newGatedBatch(t, g, cfg)
		exportOne(b, g)
		// The next export waits at the gate: the queue grows past the stalled bound.
		emit(b, 10, 150)
		if s := b.Stats(); s.QueueBytes <= cfg.StalledQueueBytes || handedToFallback(b) != 0 {
			t.Fatalf("queue %d bytes (stalled bound %d), %d spilled: want the burst queued while exports flow", s.QueueBytes, cfg.StalledQueueBytes, handedToFallback(b))
		}
		emit(b, 160, 100) // beyond MaxQueueBytes
		if s := b.Stats(); s.QueueBytes > cfg.MaxQueueBytes || handedToFallback(b) == 0 {
			t.Fatalf("queue %d bytes (bound %d), %d spilled: want MaxQueueBytes to hold", s.QueueBytes, cfg.MaxQueueBytes, handedToFallback(b))
		}
		// A second later the export under way has not returned: stalled.
		time.Sleep(1100 * time.Millisecond)
		spilled := handedToFallback(b)
		emit(b, 260, 1)
		if handedToFallback(b) < spilled+1 {
			t.Fatalf("with exports stalled and the queue above the stalled bound, a new record was queued")
		}
		finish(t, b, g)
		all := append(g.Records(), g.spill.Records()...)
		if got := seqs(all); len(got) != 261 {
			t.Fatalf("%d distinct records delivered or spilled, want 261", len(got))
		}
	})
}

// TestBatchBlockedCallerRacingShutdown: a log call waiting for room under OverflowBlock
// must not add its record to a queue that Shutdown has already sealed and taken (the
// record was then counted as emitted and never exported, spilled or dropped). The race
// is between the waiting call and the export that makes room, released while Shutdown
// runs; without the fix 237 of 400 iterations lost a record here.
func TestBatchBlockedCallerRacingShutdown(t *testing.T) {
	for i := range 400 {
		g := newGated()
		b := newGatedBatch(t, g, BatchConfig{MaxBatch: 2, MaxQueueRecords: 2, Exporters: 1, Interval: time.Hour,
			Overflow: OverflowBlock, BlockTimeout: time.Minute})
		_ = b.OnEmit(context.Background(), rec(0, log.SeverityInfo))
		_ = b.OnEmit(context.Background(), rec(1, log.SeverityInfo))
		waitInflight(t, g) // the first batch is held; the next two fill the queue
		_ = b.OnEmit(context.Background(), rec(2, log.SeverityInfo))
		_ = b.OnEmit(context.Background(), rec(3, log.SeverityInfo))
		blocked := make(chan struct{})
		go func() {
			defer close(blocked)
			_ = b.OnEmit(context.Background(), rec(4, log.SeverityInfo))
		}()
		runtime.Gosched()
		close(g.gate)
		if err := b.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		<-blocked
		s := b.Stats()
		var dropped uint64
		for _, n := range s.Dropped {
			dropped += n
		}
		if s.Exported+dropped+s.Fallback != s.Emitted {
			t.Fatalf("iteration %d: exported %d + dropped %d + fallback %d != emitted %d (%+v)", i, s.Exported, dropped, s.Fallback, s.Emitted, s)
		}
	}
}

// handedToFallback returns the records handed to the fallback, written or not yet.
func handedToFallback(b *Batch) int {
	s := b.Stats()
	return int(s.Fallback) + s.FallbackQueued
}

// TestNewBatchValidates (issue 14, item 11): NewBatch refuses what it used to clamp or
// ignore silently (a batch above MaxBatchLimit or the queue, an unvalidated
// FailoverConfig), with an error wrapping ErrInvalidConfig.
func TestNewBatchValidates(t *testing.T) {
	for _, c := range []struct {
		name  string
		route Route
		cfg   BatchConfig
		fcfg  FailoverConfig
	}{
		{"batch above the largest", Route{Primary: new(recordtest.Exporter)}, BatchConfig{MaxBatch: MaxBatchLimit + 1}, FailoverConfig{}},
		{"batch above the queue", Route{Primary: new(recordtest.Exporter)}, BatchConfig{MaxBatch: 100, MaxQueueRecords: 10}, FailoverConfig{}},
		{"stalled bound above the default queue bound", Route{Primary: new(recordtest.Exporter)}, BatchConfig{StalledQueueBytes: 1 << 30}, FailoverConfig{}},
		{"unknown overflow", Route{Primary: new(recordtest.Exporter)}, BatchConfig{Overflow: OverflowBlock + 1}, FailoverConfig{}},
		{"negative probe interval", Route{Primary: new(recordtest.Exporter)}, BatchConfig{}, FailoverConfig{ProbeInterval: -time.Second}},
		{"no primary", Route{Fallback: new(recordtest.Exporter)}, BatchConfig{}, FailoverConfig{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := NewBatch(c.route, c.cfg, c.fcfg)
			if b != nil || !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("NewBatch = %v, %v; want nil and ErrInvalidConfig", b, err)
			}
		})
	}
	if err := (BatchConfig{}).Validate(); err != nil {
		t.Fatalf("the zero BatchConfig (all defaults) = %v", err)
	}
	if err := (FailoverConfig{}).Validate(); err != nil {
		t.Fatalf("the zero FailoverConfig (all defaults) = %v", err)
	}
}
