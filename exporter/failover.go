package exporter

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/accounting"
	"github.com/resilog/resilog/internal/wake"
)

// Prober is implemented by primaries that can check the collector is back without
// sending records ([OTLP] sends an empty export request).
type Prober interface {
	Probe(ctx context.Context) error
}

// Breaker states, as reported by [Failover.Stats].
const (
	BreakerClosed = "closed" // batches go to the primary
	BreakerOpen   = "open"   // batches go straight to the fallback; the primary is probed
)

// FailoverConfig tunes a [Failover]. Zero fields take the default written beside them.
type FailoverConfig struct {
	// RetryInitial is the first backoff delay (100ms); it doubles up to RetryMax (2s), with
	// jitter, and never undercuts a delay the server asked for (Retry-After, RetryInfo).
	RetryInitial, RetryMax time.Duration
	// RetryMaxElapsed bounds the retries of one batch (15s); then it goes to the fallback.
	// It also bounds Shutdown and ForceFlush when their context has no deadline.
	RetryMaxElapsed time.Duration
	// BreakerFailures is how many transient failures in a row open the breaker (3).
	BreakerFailures int
	// ProbeInterval is how often an open breaker probes the primary (500ms); delivery
	// resumes at the first successful probe.
	ProbeInterval time.Duration
	// ProbeTimeout bounds one probe (1s).
	ProbeTimeout time.Duration
	// FallbackRecords and FallbackBytes bound the fallback's own buffer (16,384 records,
	// 16 MiB); records beyond them are dropped with reason fallback_full.
	FallbackRecords, FallbackBytes int
	// FallbackWait is how long an export waits for room in a full fallback buffer (1s)
	// before dropping; the log call itself never waits for it.
	FallbackWait time.Duration
}

func (c *FailoverConfig) setDefaults() {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.RetryInitial, 100*time.Millisecond)
	def(&c.RetryMax, 2*time.Second)
	def(&c.RetryMaxElapsed, 15*time.Second)
	def(&c.ProbeInterval, 500*time.Millisecond)
	def(&c.ProbeTimeout, time.Second)
	def(&c.FallbackWait, time.Second)
	if c.BreakerFailures <= 0 {
		c.BreakerFailures = 3
	}
	if c.FallbackRecords <= 0 {
		c.FallbackRecords = 16384
	}
	if c.FallbackBytes <= 0 {
		c.FallbackBytes = 16 << 20
	}
}

// Failover sends each batch to a primary exporter and, when the primary cannot take it, to
// a fallback, so that a record ends in exactly one of: the primary, the fallback, or the
// dropped count (with a reason).
//
// Transient failures (connection refused included) are retried with exponential backoff
// and jitter; permanent ones are not, and their records go to the fallback. After
// BreakerFailures transient failures in a row the breaker opens: batches go straight to
// the fallback while the primary is probed in the background, and delivery resumes at the
// first successful probe. The fallback has its own bounded buffer and goroutine, so a
// blocked stdout never blocks Export.
//
// Why the primary fails is said on stderr, through the drop report's writer (it never
// blocks): the first failure of each kind at once, with its cause and the endpoint without
// credentials, then at most one line per kind per report interval while it persists, and
// a line when delivery resumes. [FailoverStats] keeps the last error.
//
// Export never returns an error: every record is accounted for in [Failover.Stats].
// Export takes no ownership of the records slice. It is safe for concurrent use.
type Failover struct {
	primary sdklog.Exporter
	prober  Prober
	fb      *fallbackQueue
	cfg     FailoverConfig
	drops   accounting.Drops
	// failures reports on the drop report's writer why the primary fails.
	failures failureReport

	open        atomic.Bool
	trial       atomic.Bool // without a Prober: let one batch through as a probe
	consecutive atomic.Int32
	probeAfter  atomic.Int64 // unix nanos before which no probe is sent (Retry-After)

	exported, retries, permanent, transient atomic.Uint64
	// delivering: the last batch exported went to the primary, not the fallback.
	delivering atomic.Bool

	// calls are the Exports under way. Shutdown waits for them until its deadline, then
	// counts their records as dropped (reason shutdown) and marks them abandoned, so that
	// a late return counts nothing: each record is counted once.
	callMu sync.Mutex
	calls  map[*exportCall]struct{}
	idle   *sync.Cond // on callMu: an Export finished
	closed bool       // under callMu: Shutdown has begun

	stop     chan struct{}
	stopOnce sync.Once
	// stopped ends with stop: a probe under way does not hold Shutdown up.
	stopped     context.Context
	stopProbing context.CancelFunc
	probing     sync.WaitGroup
	probeMu     sync.Mutex
	prunning    bool
}

// NewFailover returns a Failover from primary to fallback.
func NewFailover(primary, fallback sdklog.Exporter, cfg FailoverConfig) *Failover {
	cfg.setDefaults()
	f := &Failover{primary: primary, cfg: cfg, stop: make(chan struct{}), calls: map[*exportCall]struct{}{}}
	f.idle = sync.NewCond(&f.callMu)
	f.stopped, f.stopProbing = context.WithCancel(context.Background())
	f.failures.drops = &f.drops
	f.prober, _ = primary.(Prober)
	f.fb = newFallbackQueue(fallback, cfg.FallbackRecords, cfg.FallbackBytes, &f.drops)
	return f
}

// FailoverStats is what a Failover did with the records it was given.
type FailoverStats struct {
	Exported       uint64            // accepted by the primary
	Fallback       uint64            // written by the fallback
	Dropped        map[string]uint64 // by reason
	FallbackQueued int               // waiting in the fallback's buffer
	Retries        uint64            // export attempts beyond the first
	Permanent      uint64            // batches the primary rejected for good (HTTP 4xx, gRPC InvalidArgument…)
	Transient      uint64            // export attempts that failed in a way a retry can fix (unreachable, 503…)
	Breaker        string            // BreakerClosed or BreakerOpen
	// LastError is the primary's last failure (an export or a probe), without credentials;
	// "" if it never failed. LastErrorTime is when it happened.
	LastError     string
	LastErrorTime time.Time
	// ReportLinesLost counts the lines of the stderr report (drops, export failures) lost
	// because stderr was blocked. The stderr report is the process's: so is this count.
	ReportLinesLost uint64
}

// Stats returns the counters so far.
func (f *Failover) Stats() FailoverStats {
	s := FailoverStats{
		Exported:        f.exported.Load(),
		Fallback:        f.fb.written.Load(),
		Dropped:         f.drops.Snapshot(),
		FallbackQueued:  f.fb.queued(),
		Retries:         f.retries.Load(),
		Permanent:       f.permanent.Load(),
		Transient:       f.transient.Load(),
		Breaker:         BreakerClosed,
		ReportLinesLost: f.drops.Report().Lost(),
	}
	s.LastError, s.LastErrorTime = f.failures.last()
	if f.open.Load() {
		s.Breaker = BreakerOpen
	}
	return s
}

// exportCall is one Export under way.
type exportCall struct {
	records   int
	abandoned bool // under callMu: Shutdown counted its records
}

// Export delivers records to the primary or, failing that, the fallback. An Export still
// running when Shutdown's deadline passes has its records counted as dropped (reason
// shutdown) then; whatever it returns later is not counted again.
func (f *Failover) Export(ctx context.Context, records []sdklog.Record) error {
	if len(records) == 0 {
		return nil
	}
	c := f.begin(len(records))
	if c == nil { // Shutdown has begun: the fallback takes them or counts them
		f.toFallback(ctx, records)
		return nil
	}
	var err error
	if f.open.Load() && !f.trial.CompareAndSwap(true, false) {
		err = errBreakerOpen
	} else {
		err = f.deliver(ctx, records)
	}
	if !f.end(c) {
		return nil
	}
	if err != nil {
		f.delivering.Store(false)
		f.toFallback(ctx, records)
		return nil
	}
	f.delivering.Store(true)
	f.exported.Add(uint64(len(records)))
	return nil
}

// errBreakerOpen stands for the primary's last failure while the breaker is open.
var errBreakerOpen = errors.New("breaker open")

// begin registers an Export of n records, or returns nil once Shutdown has begun.
func (f *Failover) begin(n int) *exportCall {
	f.callMu.Lock()
	defer f.callMu.Unlock()
	if f.closed {
		return nil
	}
	c := &exportCall{records: n}
	f.calls[c] = struct{}{}
	return c
}

// end unregisters c and reports whether its records are still its to count (false: a
// shutdown deadline passed and counted them).
func (f *Failover) end(c *exportCall) bool {
	f.callMu.Lock()
	defer f.callMu.Unlock()
	delete(f.calls, c)
	f.idle.Broadcast()
	return !c.abandoned
}

// settleCalls stops new Exports from trying the primary and waits until those under way
// return or ctx ends; the records of any still running are then counted as dropped.
func (f *Failover) settleCalls(ctx context.Context) {
	defer wake.WhenDone(ctx, f.idle)()
	f.callMu.Lock()
	f.closed = true
	for len(f.calls) > 0 && ctx.Err() == nil {
		f.idle.Wait()
	}
	held := 0
	for c := range f.calls {
		c.abandoned = true
		held += c.records
	}
	clear(f.calls)
	f.callMu.Unlock()
	f.drops.Add(accounting.Shutdown, held)
}

// Delivering reports whether the last batch exported reached the primary. Export returns
// nil either way; the batch processor asks this before it lets its queue grow past its
// bound for stalled exports, so that a queue in front of the fallback stays small.
func (f *Failover) Delivering() bool { return f.delivering.Load() }

// toFallback queues records for the fallback, waiting up to FallbackWait for room (Export
// runs on the batch processor's goroutines, never on the log call's). When ctx is already
// done — a shutdown deadline — it takes what fits at once and counts the rest as dropped
// at once, so that the accounting is complete when Shutdown returns.
func (f *Failover) toFallback(ctx context.Context, records []sdklog.Record) {
	wctx, cancel := context.WithTimeout(ctx, f.cfg.FallbackWait)
	defer cancel()
	f.fb.enqueue(wctx, records)
}

// SpillRecord is Spill for one record that the caller still owns: it is cloned straight
// into the fallback's buffer, never waiting.
func (f *Failover) SpillRecord(r *sdklog.Record) { f.fb.enqueueOne(r) }

// Spill hands records straight to the fallback, without trying the primary, waiting for
// room in its buffer until ctx is done (a done ctx: not at all). The batch processor
// spills what its queue cannot hold, and what is left at a shutdown deadline.
func (f *Failover) Spill(ctx context.Context, records []sdklog.Record) { f.fb.enqueue(ctx, records) }

func (f *Failover) deliver(ctx context.Context, records []sdklog.Record) error {
	backoff := f.cfg.RetryInitial
	deadline := time.Now().Add(f.cfg.RetryMaxElapsed)
	for {
		err := f.primary.Export(ctx, records)
		if err == nil {
			f.succeeded()
			f.failures.succeeded()
			return nil
		}
		if ctx.Err() == nil { // else the caller gave up: not the primary's failure
			f.failures.failed(err)
		}
		var ee *ExportError
		if errors.As(err, &ee) && ee.Permanent {
			// The collector answered: it is up, it just will not take this batch.
			f.permanent.Add(1)
			f.consecutive.Store(0)
			return err
		}
		f.transient.Add(1)
		retryAfter := time.Duration(0)
		if ee != nil {
			retryAfter = ee.RetryAfter
		}
		if f.failed(retryAfter) || ctx.Err() != nil {
			return err
		}
		delay := backoff/2 + rand.N(backoff/2+1)
		delay = max(delay, retryAfter)
		if time.Now().Add(delay).After(deadline) {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-f.stop:
			t.Stop()
			return err
		}
		f.retries.Add(1)
		backoff = min(2*backoff, f.cfg.RetryMax)
	}
}

func (f *Failover) succeeded() {
	f.consecutive.Store(0)
	f.open.Store(false)
}

// failed records a transient failure and reports whether the breaker is now open.
func (f *Failover) failed(retryAfter time.Duration) bool {
	if retryAfter > 0 {
		f.probeAfter.Store(time.Now().Add(retryAfter).UnixNano())
	}
	if f.open.Load() {
		return true
	}
	if int(f.consecutive.Add(1)) < f.cfg.BreakerFailures {
		return false
	}
	if f.open.CompareAndSwap(false, true) {
		f.startProbing()
	}
	return true
}

func (f *Failover) startProbing() {
	f.probeMu.Lock()
	defer f.probeMu.Unlock()
	if f.prunning {
		return
	}
	select {
	case <-f.stop:
		return
	default:
	}
	f.prunning = true
	f.probing.Add(1)
	go f.probe()
}

// probe runs while the breaker is open.
func (f *Failover) probe() {
	defer f.probing.Done()
	defer func() {
		f.probeMu.Lock()
		f.prunning = false
		f.probeMu.Unlock()
		// The breaker may have opened again between the last check and clearing prunning.
		if f.open.Load() {
			select {
			case <-f.stop:
			default:
				f.startProbing()
			}
		}
	}()
	t := time.NewTicker(f.cfg.ProbeInterval)
	defer t.Stop()
	for f.open.Load() {
		select {
		case <-f.stop:
			return
		case <-t.C:
		}
		if time.Now().UnixNano() < f.probeAfter.Load() {
			continue
		}
		if f.prober == nil {
			f.trial.Store(true) // the next batch is the probe
			continue
		}
		ctx, cancel := context.WithTimeout(f.stopped, f.cfg.ProbeTimeout)
		err := f.prober.Probe(ctx)
		cancel()
		if err == nil {
			f.succeeded()
			return
		}
		if f.stopped.Err() == nil { // else Shutdown ended the probe: not the primary's failure
			f.failures.failed(err)
		}
	}
}

// ForceFlush waits until the fallback has written what it was given, or ctx ends (a ctx
// without a deadline: RetryMaxElapsed).
func (f *Failover) ForceFlush(ctx context.Context) error {
	ctx, cancel := wake.WithDefaultTimeout(ctx, f.cfg.RetryMaxElapsed)
	defer cancel()
	return errors.Join(f.primary.ForceFlush(ctx), f.fb.drain(ctx))
}

// Shutdown stops probing and retrying, waits for the Exports under way, writes the
// fallback's buffer before ctx ends (a ctx without a deadline: RetryMaxElapsed), and
// shuts down both exporters. What is left when ctx ends, in the buffer or in Exports
// still running, is dropped with reason shutdown; Exports called after Shutdown has
// begun go to the fallback, or are dropped likewise once it has stopped.
func (f *Failover) Shutdown(ctx context.Context) error {
	ctx, cancel := wake.WithDefaultTimeout(ctx, f.cfg.RetryMaxElapsed)
	defer cancel()
	f.stopOnce.Do(func() { close(f.stop); f.stopProbing() })
	f.settleCalls(ctx)
	f.probing.Wait()
	err := f.fb.shutdown(ctx)
	f.drops.FlushWithin(50 * time.Millisecond)
	return errors.Join(err, f.shutdownExporters(ctx))
}

// shutdownExporters shuts down the primary and the fallback exporter, waiting for them
// until ctx ends. An exporter's Shutdown may wait for a write blocked on a pipe or a disk
// (lumberjack's Close takes the lock the blocked Write holds); it is then abandoned: it
// finishes in the background when that write returns.
func (f *Failover) shutdownExporters(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- errors.Join(f.primary.Shutdown(ctx), f.fb.exp.Shutdown(ctx)) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	select {
	case err := <-done: // ctx was done already: an exporter with nothing blocked returns at once
		return err
	default:
		return fmt.Errorf("exporter: exporters still shutting down at the deadline: %w", ctx.Err())
	}
}
