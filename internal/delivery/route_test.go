package delivery

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/exporter"
	"github.com/resilog/resilog/internal/accounting"
	"github.com/resilog/resilog/internal/recordtest"
)

// failover drives a Route as the batcher does: deliver, else hand to the fallback.
type failover struct{ *Route }

func newFailover(primary, fallback sdklog.Exporter, p Policy) failover {
	var probe func(context.Context) error
	if pr, ok := primary.(interface{ Probe(context.Context) error }); ok {
		probe = pr.Probe
	}
	return failover{NewRoute(primary, probe, fallback, p.WithDefaults(), NewLedger())}
}

func (f failover) Export(ctx context.Context, records []sdklog.Record) error {
	if f.Deliver(ctx, records, nil) {
		f.ToFallback(ctx, records, nil, accounting.ExportFailed)
	}
	return nil
}

const (
	BreakerClosed = "closed"
	BreakerOpen   = "open"
)

type stats struct {
	Counts
	FallbackQueued int
	Breaker        string
}

func (f failover) Stats() stats {
	s := stats{Counts: f.ledger.Counts(), FallbackQueued: f.FallbackQueued(), Breaker: BreakerClosed}
	if s.BreakerOpen {
		s.Breaker = BreakerOpen
	}
	return s
}

func (f failover) Delivering() bool { return f.delivering.Load() }

// scripted is a primary whose answers the test decides.
type scripted struct {
	mu       sync.Mutex
	answers  []error // consumed in order; nil means success; when empty, next
	next     error
	attempts []time.Time
	got      int
	down     atomic.Bool // probes fail while set
	probes   atomic.Int32
}

func (s *scripted) Export(ctx context.Context, records []sdklog.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts = append(s.attempts, time.Now())
	err := s.next
	if len(s.answers) > 0 {
		err, s.answers = s.answers[0], s.answers[1:]
	}
	if err == nil {
		s.got += len(records)
	}
	return err
}
func (s *scripted) ForceFlush(context.Context) error { return nil }
func (s *scripted) Shutdown(context.Context) error   { return nil }
func (s *scripted) attemptTimes() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.attempts...)
}
func (s *scripted) received() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got
}
func (s *scripted) setNext(err error) {
	s.mu.Lock()
	s.next = err
	s.mu.Unlock()
}

// probing adds Probe to scripted.
type probing struct{ *scripted }

func (p probing) Probe(context.Context) error {
	p.probes.Add(1)
	if p.down.Load() {
		return errors.New("down")
	}
	return nil
}

var (
	errTransient = &exporter.ExportError{Err: errors.New("connection refused")}
	errPermanent = &exporter.ExportError{Err: errors.New("400 Bad Request"), Permanent: true}
)

func records(n int) []sdklog.Record {
	out := make([]sdklog.Record, n)
	for i := range out {
		out[i] = recordtest.Make("x", func(r *log.Record) {
			r.SetBody(attribute.StringValue("r"))
			r.AddAttributes(attribute.Int("seq", i))
		})
	}
	return out
}

func fastConfig() Policy {
	return Policy{RetryInitial: time.Millisecond, RetryMax: 4 * time.Millisecond, ProbeInterval: 10 * time.Millisecond}
}

func checkBalance(t *testing.T, f failover, given int) {
	t.Helper()
	s := f.Stats()
	var dropped uint64
	for _, n := range s.Dropped {
		dropped += n
	}
	if s.Exported+s.Fallback+dropped != uint64(given) {
		t.Fatalf("exported %d + fallback %d + dropped %d != %d given (%+v)", s.Exported, s.Fallback, dropped, given, s)
	}
}

func TestFailoverRetriesTransientThenDelivers(t *testing.T) {
	p := &scripted{answers: []error{errTransient, errTransient}}
	fb := new(recordtest.Exporter)
	f := newFailover(p, fb, fastConfig())
	if err := f.Export(context.Background(), records(10)); err != nil {
		t.Fatal(err)
	}
	if err := f.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := f.Stats()
	if s.Exported != 10 || s.Fallback != 0 || s.Retries != 2 || len(p.attemptTimes()) != 3 {
		t.Fatalf("stats %+v after %d attempts, want 10 exported after 3 attempts", s, len(p.attemptTimes()))
	}
	checkBalance(t, f, 10)
}

func TestFailoverPermanentErrorIsNotRetried(t *testing.T) {
	p := &scripted{answers: []error{errPermanent}}
	fb := new(recordtest.Exporter)
	f := newFailover(p, fb, fastConfig())
	_ = f.Export(context.Background(), records(7))
	if err := f.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(p.attemptTimes()); n != 1 {
		t.Fatalf("%d attempts for a permanent error, want exactly 1", n)
	}
	if s := f.Stats(); s.Fallback != 7 || s.Permanent != 1 || s.Breaker != BreakerClosed {
		t.Fatalf("stats %+v, want the 7 rejected records in the fallback and the breaker closed", s)
	}
	if len(fb.Records()) != 7 {
		t.Fatalf("fallback holds %d records", len(fb.Records()))
	}
	checkBalance(t, f, 7)
}

func TestFailoverHonoursRetryAfter(t *testing.T) {
	ra := &exporter.ExportError{Err: errors.New("503"), RetryAfter: 150 * time.Millisecond}
	p := &scripted{answers: []error{ra, ra}}
	f := newFailover(p, new(recordtest.Exporter), fastConfig())
	_ = f.Export(context.Background(), records(1))
	_ = f.Shutdown(context.Background())
	at := p.attemptTimes()
	if len(at) != 3 {
		t.Fatalf("%d attempts, want 3", len(at))
	}
	for i := 1; i < len(at); i++ {
		if gap := at[i].Sub(at[i-1]); gap < 150*time.Millisecond {
			t.Errorf("attempt %d came %v after the previous one; the server asked for 150ms", i+1, gap)
		}
	}
	checkBalance(t, f, 1)
}

func TestFailoverBreakerOpensAndProbesBack(t *testing.T) {
	p := probing{&scripted{next: errTransient}}
	p.down.Store(true)
	fb := new(recordtest.Exporter)
	cfg := fastConfig()
	cfg.RetryMaxElapsed = time.Hour
	f := newFailover(p, fb, cfg)

	// Three failed attempts open the breaker; the batch goes to the fallback.
	_ = f.Export(context.Background(), records(5))
	if s := f.Stats(); s.Breaker != BreakerOpen || f.Delivering() {
		t.Fatalf("breaker %s, delivering %v after repeated failures", s.Breaker, f.Delivering())
	}
	attempts := len(p.attemptTimes())
	// While open, batches skip the primary.
	for range 10 {
		_ = f.Export(context.Background(), records(5))
	}
	if n := len(p.attemptTimes()); n != attempts {
		t.Fatalf("primary saw %d more attempts while the breaker was open", n-attempts)
	}
	// The collector comes back: a probe succeeds, the breaker closes, delivery resumes.
	p.setNext(nil)
	p.down.Store(false)
	deadline := time.Now().Add(5 * time.Second)
	for f.Stats().Breaker == BreakerOpen {
		if time.Now().After(deadline) {
			t.Fatal("breaker still open 5s after the primary came back")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if f.Delivering() {
		t.Fatal("delivering before a batch reached the primary again")
	}
	_ = f.Export(context.Background(), records(5))
	if !f.Delivering() {
		t.Fatal("not delivering after a batch reached the primary")
	}
	if err := f.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := p.received(); got != 5 {
		t.Fatalf("primary received %d records after recovery, want 5", got)
	}
	if s := f.Stats(); s.Fallback != 55 {
		t.Fatalf("fallback wrote %d, want 55 (%+v)", s.Fallback, s)
	}
	if p.probes.Load() == 0 {
		t.Fatal("no probe was sent")
	}
	checkBalance(t, f, 60)
}

func TestFailoverWithoutProberUsesTrialBatch(t *testing.T) {
	p := &scripted{next: errTransient}
	f := newFailover(p, new(recordtest.Exporter), fastConfig())
	_ = f.Export(context.Background(), records(1))
	if f.Stats().Breaker != BreakerOpen {
		t.Fatal("breaker did not open")
	}
	p.setNext(nil)
	deadline := time.Now().Add(5 * time.Second)
	for p.received() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no trial batch reached the primary within 5s")
		}
		_ = f.Export(context.Background(), records(1))
		time.Sleep(5 * time.Millisecond)
	}
	if f.Stats().Breaker != BreakerClosed {
		t.Fatal("a successful trial batch did not close the breaker")
	}
	_ = f.Shutdown(context.Background())
}

// blockingWriter never returns from Write until released.
type blockingExporter struct{ release chan struct{} }

func (b blockingExporter) Export(ctx context.Context, _ []sdklog.Record) error {
	<-b.release
	return nil
}
func (blockingExporter) ForceFlush(context.Context) error { return nil }
func (blockingExporter) Shutdown(context.Context) error   { return nil }

func TestFailoverBlockedFallbackNeverBlocks(t *testing.T) {
	p := &scripted{next: errPermanent}
	fb := blockingExporter{release: make(chan struct{})}
	defer close(fb.release)
	cfg := fastConfig()
	cfg.FallbackRecords = 100
	cfg.FallbackWait = 10 * time.Millisecond
	f := newFailover(p, fb, cfg)
	start := time.Now()
	for range 50 {
		_ = f.Export(context.Background(), records(10))
	}
	// Each export waits at most FallbackWait for room, then drops.
	if d := time.Since(start); d > 50*cfg.FallbackWait+5*time.Second {
		t.Fatalf("50 exports took %v with the fallback blocked", d)
	}
	// Spill with a done context (the log call's overflow path) never waits.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	start = time.Now()
	f.Spill(done, records(10), nil, accounting.Shutdown)
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Spill with a done context took %v", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_ = f.Shutdown(ctx)
	s := f.Stats()
	if s.Dropped["fallback_full"] == 0 || s.Dropped["shutdown"] == 0 {
		t.Fatalf("dropped %v, want fallback_full and shutdown counts", s.Dropped)
	}
	checkBalance(t, f, 510)
}

func TestSpillRecordNeverWaits(t *testing.T) {
	fb := blockingExporter{release: make(chan struct{})}
	cfg := fastConfig()
	cfg.FallbackRecords = 3
	f := newFailover(&scripted{}, fb, cfg)
	recs := records(10)
	start := time.Now()
	for i := range recs {
		f.SpillRecord(&recs[i], 0, accounting.QueueFull)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("10 spills took %v with the fallback blocked", d)
	}
	// Three fit (the one being written, blocked, counts among them); seven did not.
	if got := f.Stats().Dropped["fallback_full"]; got != 7 {
		t.Fatalf("fallback_full = %d, want 7 (%+v)", got, f.Stats())
	}
	close(fb.release)
	if err := f.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkBalance(t, f, 10)
}

// TestFailoverShutdownWaitsForExportsThenCountsThemOnce: Shutdown waits for the exports
// under way until its deadline; the records of one still running then are counted as
// dropped (reason shutdown), and its late return counts nothing more.
func TestFailoverShutdownWaitsForExportsThenCountsThemOnce(t *testing.T) {
	for _, stuck := range []bool{false, true} {
		primary := blockingExporter{release: make(chan struct{})}
		fb := new(recordtest.Exporter)
		f := newFailover(primary, fb, fastConfig())
		returned := make(chan struct{})
		go func() {
			defer close(returned)
			_ = f.Export(context.Background(), records(10))
		}()
		for f.running() == 0 {
			runtime.Gosched()
		}
		within := 5 * time.Second
		if stuck {
			within = 50 * time.Millisecond
		} else {
			time.AfterFunc(50*time.Millisecond, func() { close(primary.release) })
		}
		ctx, cancel := context.WithTimeout(context.Background(), within)
		_ = f.Shutdown(ctx)
		cancel()
		s := f.Stats()
		if stuck {
			if s.Exported != 0 || s.Dropped["shutdown"] != 10 {
				t.Errorf("stuck past the deadline: %+v, want the 10 records dropped with reason shutdown", s)
			}
			close(primary.release)
		} else if s.Exported != 10 {
			t.Errorf("returned before the deadline: %+v, want Shutdown to wait and the 10 exported", s)
		}
		<-returned
		checkBalance(t, f, 10)
	}
}

// running returns the number of deliveries under way.
func (f failover) running() int {
	f.callMu.Lock()
	defer f.callMu.Unlock()
	return len(f.calls)
}

// hungProbe is a primary that is down and whose probes hang until their context ends, as
// against a collector that accepts connections and never answers.
type hungProbe struct {
	*scripted
	probing chan struct{} // receives when a probe starts
}

func (h hungProbe) Probe(ctx context.Context) error {
	select {
	case h.probing <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return ctx.Err()
}

// TestFailoverShutdownEndsAProbeUnderWay: a probe under way ends with Shutdown, not at its
// own timeout (here an hour), so that Shutdown keeps its bound.
func TestFailoverShutdownEndsAProbeUnderWay(t *testing.T) {
	primary := hungProbe{scripted: &scripted{next: errTransient}, probing: make(chan struct{}, 1)}
	cfg := fastConfig()
	cfg.ProbeTimeout = time.Hour
	f := newFailover(primary, new(recordtest.Exporter), cfg)
	_ = f.Export(context.Background(), records(5)) // three transient failures open the breaker
	<-primary.probing
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Shutdown(context.Background())
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown still waits for a probe with an hour's timeout")
	}
	checkBalance(t, f, 5)
}
