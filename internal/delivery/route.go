package delivery

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/exporter"
	"github.com/resilog/resilog/internal/accounting"
	"github.com/resilog/resilog/internal/recorduid"
	"github.com/resilog/resilog/internal/wake"
)

// Policy is the delivery core's retry, breaker and fallback settings, which
// processor.FailoverConfig documents for users. WithDefaults holds every default.
type Policy struct {
	RetryInitial, RetryMax, RetryMaxElapsed time.Duration
	BreakerFailures                         int
	ProbeInterval, ProbeTimeout             time.Duration
	FallbackRecords, FallbackBytes          int
	FallbackWait                            time.Duration
}

// WithDefaults returns p with each field that is zero or negative set to its default,
// and RetryMax raised to RetryInitial if below it.
func (p Policy) WithDefaults() Policy {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&p.RetryInitial, 100*time.Millisecond)
	def(&p.RetryMax, 2*time.Second)
	def(&p.RetryMaxElapsed, 15*time.Second)
	defInt(&p.BreakerFailures, 3)
	def(&p.ProbeInterval, 500*time.Millisecond)
	def(&p.ProbeTimeout, time.Second)
	defInt(&p.FallbackRecords, 16384)
	defInt(&p.FallbackBytes, 16<<20)
	def(&p.FallbackWait, time.Second)
	p.RetryMax = max(p.RetryMax, p.RetryInitial)
	return p
}

// Route is where a batch goes: the primary exporter (the collector), with retries, a
// breaker and probing, or the fallback. It is the one place that judges whether the
// collector is healthy: the breaker's state ([Route.Open]) and whether exports are
// flowing ([Route.Flowing]).
//
// Transient failures (connection refused included) are retried with exponential backoff
// and jitter; permanent ones are not. After BreakerFailures transient failures in a row
// the breaker opens: batches go straight to the fallback while the primary is probed in
// the background (with probe, or a trial batch when there is none), and delivery resumes
// at the first success.
//
// Why the primary fails is said on the ledger's stderr report: the first failure of each
// kind at once, with its cause and the endpoint without credentials, then at most one
// line per kind per report interval while it persists, and a line when delivery resumes.
//
// Its methods are safe for concurrent use.
type Route struct {
	primary sdklog.Exporter
	probe   func(context.Context) error // nil: a trial batch is the probe
	fb      *Fallback                   // nil: no fallback, records that need it are dropped
	fbExp   sdklog.Exporter
	cfg     Policy
	ledger  *Ledger

	trial       atomic.Bool // without probe: let one batch through as a probe
	consecutive atomic.Int32
	probeAfter  atomic.Int64 // unix nanos before which no probe is sent (Retry-After)
	lastOK      atomic.Int64 // unix nanos of the primary's last success
	delivering  atomic.Bool  // the last batch delivered reached the primary

	// calls are the deliveries under way. Shutdown waits for them until its deadline,
	// then counts their records as dropped (reason shutdown) and marks them abandoned,
	// so that a late return counts nothing: each record is counted once.
	callMu sync.Mutex
	calls  map[*call]struct{}
	idle   *sync.Cond // on callMu: a delivery finished
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

// NewRoute returns the route from primary (probed with probe, nil for a trial batch) to
// fallback (nil for none), counting in ledger.
func NewRoute(primary sdklog.Exporter, probe func(context.Context) error, fallback sdklog.Exporter, cfg Policy, ledger *Ledger) *Route {
	r := &Route{primary: primary, probe: probe, fbExp: fallback, cfg: cfg, ledger: ledger,
		stop: make(chan struct{}), calls: map[*call]struct{}{}}
	r.idle = sync.NewCond(&r.callMu)
	r.stopped, r.stopProbing = context.WithCancel(context.Background())
	if fallback != nil {
		r.fb = NewFallback(fallback, cfg.FallbackRecords, cfg.FallbackBytes, ledger)
	}
	return r
}

// call is one delivery under way.
type call struct {
	records   int
	started   time.Time
	abandoned bool // under callMu: Shutdown counted its records
}

// Open reports whether the breaker is open: the primary is failing and probed.
func (r *Route) Open() bool { return r.ledger.open.Load() }

// Bypass reports whether the breaker is open and no trial batch is due: a record can go
// to the fallback without passing through Deliver.
func (r *Route) Bypass() bool { return r.ledger.open.Load() && !r.trial.Load() }

// flowWindow is how recently the primary must have taken a batch, and how long the
// oldest delivery under way may have run, for exports to count as flowing.
const flowWindow = time.Second

// Flowing reports whether the primary took the last batch delivered, within flowWindow,
// with the breaker closed and no delivery under way for longer than that. The export
// queue lets itself grow past its bound for stalled exports only while it does.
func (r *Route) Flowing() bool {
	now := time.Now()
	if r.ledger.open.Load() || !r.delivering.Load() || now.Sub(time.Unix(0, r.lastOK.Load())) > flowWindow {
		return false
	}
	r.callMu.Lock()
	defer r.callMu.Unlock()
	for c := range r.calls {
		if now.Sub(c.started) > flowWindow {
			return false
		}
	}
	return true
}

// Deliver sends records to the primary, retrying transient failures, unless the breaker
// is open. It counts the records exported when the primary takes them and reports
// whether the caller must hand them to the fallback ([Route.ToFallback]): false when
// they were exported, or counted as dropped because a shutdown deadline passed while
// they were under way. seqs are the records' spool seqs (nil: none spooled): the
// primary is given their log.record.uid (package recorduid).
func (r *Route) Deliver(ctx context.Context, records []sdklog.Record, seqs []uint64) (toFallback bool) {
	if len(records) == 0 {
		return false
	}
	c := r.begin(len(records))
	if c == nil { // Shutdown has begun
		return true
	}
	var err error
	if r.ledger.open.Load() && !r.trial.CompareAndSwap(true, false) {
		err = errBreakerOpen
	} else {
		err = r.deliver(recorduid.NewContext(ctx, r.ledger.uids(seqs)), records)
	}
	if !r.end(c) {
		return false
	}
	if err != nil {
		r.delivering.Store(false)
		return true
	}
	r.ledger.exported.Add(uint64(len(records)))
	r.lastOK.Store(time.Now().UnixNano())
	r.delivering.Store(true)
	return false
}

// errBreakerOpen stands for the primary's last failure while the breaker is open.
var errBreakerOpen = errors.New("breaker open")

// begin registers a delivery of n records, or returns nil once Shutdown has begun.
func (r *Route) begin(n int) *call {
	r.callMu.Lock()
	defer r.callMu.Unlock()
	if r.closed {
		return nil
	}
	c := &call{records: n, started: time.Now()}
	r.calls[c] = struct{}{}
	return c
}

// end unregisters c and reports whether its records are still its to count (false: a
// shutdown deadline passed and counted them).
func (r *Route) end(c *call) bool {
	r.callMu.Lock()
	defer r.callMu.Unlock()
	delete(r.calls, c)
	r.idle.Broadcast()
	return !c.abandoned
}

// settleCalls stops new deliveries from trying the primary and waits until those under
// way return or ctx ends; the records of any still running are then counted as dropped.
func (r *Route) settleCalls(ctx context.Context) {
	defer wake.WhenDone(ctx, r.idle)()
	r.callMu.Lock()
	r.closed = true
	for len(r.calls) > 0 && ctx.Err() == nil {
		r.idle.Wait()
	}
	held := 0
	for c := range r.calls {
		c.abandoned = true
		held += c.records
	}
	clear(r.calls)
	r.callMu.Unlock()
	r.ledger.Drop(accounting.Shutdown, held)
}

// ToFallback hands records to the fallback, waiting up to FallbackWait for room (it runs
// on the batcher's goroutines, never on the log call's). When ctx is already done — a
// shutdown deadline — it takes what fits at once and counts the rest as dropped at once,
// so that the accounting is complete when Shutdown returns. Without a fallback, the
// records are counted as dropped for reason.
//
// seqs are the records' spool seqs (nil: none spooled): they travel with the records into
// the fallback's buffer, and are released with any record dropped.
func (r *Route) ToFallback(ctx context.Context, records []sdklog.Record, seqs []uint64, reason accounting.Reason) {
	if r.fb == nil {
		r.ledger.Drop(reason, len(records))
		r.ledger.Release(seqs...)
		return
	}
	wctx, cancel := context.WithTimeout(ctx, r.cfg.FallbackWait)
	defer cancel()
	r.fb.Enqueue(wctx, records, seqs)
}

// Spill hands records straight to the fallback, waiting for room until ctx is done (a
// done ctx: not at all); without a fallback they are dropped for reason.
// seqs as for ToFallback.
func (r *Route) Spill(ctx context.Context, records []sdklog.Record, seqs []uint64, reason accounting.Reason) {
	if r.fb == nil {
		r.ledger.Drop(reason, len(records))
		r.ledger.Release(seqs...)
		return
	}
	r.fb.Enqueue(ctx, records, seqs)
}

// SpillRecord clones rec straight into the fallback's buffer, never waiting: if it is
// full, rec is dropped (fallback_full); without a fallback, it is dropped for reason.
// seq is rec's spool seq (0: not spooled), released if rec is dropped.
func (r *Route) SpillRecord(rec *sdklog.Record, seq uint64, reason accounting.Reason) {
	if r.fb == nil {
		r.ledger.Drop(reason, 1)
		r.ledger.Release(seq)
		return
	}
	r.fb.EnqueueOne(rec, seq)
}

// TrySpillRecord clones rec into the fallback's buffer if it has room, and reports
// whether it did; it never waits and counts nothing when it returns false.
func (r *Route) TrySpillRecord(rec *sdklog.Record, seq uint64) bool {
	return r.fb != nil && r.fb.TryEnqueueOne(rec, seq)
}

// HasFallback reports whether the route has a fallback.
func (r *Route) HasFallback() bool { return r.fb != nil }

// FallbackQueued returns the records waiting in the fallback's buffer or being written.
func (r *Route) FallbackQueued() int {
	if r.fb == nil {
		return 0
	}
	return r.fb.Queued()
}

func (r *Route) deliver(ctx context.Context, records []sdklog.Record) error {
	backoff := r.cfg.RetryInitial
	deadline := time.Now().Add(r.cfg.RetryMaxElapsed)
	for {
		err := r.primary.Export(ctx, records)
		if err == nil {
			r.succeeded()
			r.ledger.failures.succeeded()
			return nil
		}
		if ctx.Err() == nil { // else the caller gave up: not the primary's failure
			r.ledger.failures.failed(err)
		}
		var ee *exporter.ExportError
		if errors.As(err, &ee) && ee.Permanent {
			// The collector answered: it is up, it just will not take this batch.
			r.ledger.permanent.Add(1)
			r.consecutive.Store(0)
			return err
		}
		r.ledger.transient.Add(1)
		retryAfter := time.Duration(0)
		if ee != nil {
			retryAfter = ee.RetryAfter
		}
		if r.failed(retryAfter) || ctx.Err() != nil {
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
		case <-r.stop:
			t.Stop()
			return err
		}
		r.ledger.retries.Add(1)
		backoff = min(2*backoff, r.cfg.RetryMax)
	}
}

func (r *Route) succeeded() {
	r.consecutive.Store(0)
	r.ledger.open.Store(false)
}

// failed records a transient failure and reports whether the breaker is now open.
func (r *Route) failed(retryAfter time.Duration) bool {
	if retryAfter > 0 {
		r.probeAfter.Store(time.Now().Add(retryAfter).UnixNano())
	}
	if r.ledger.open.Load() {
		return true
	}
	if int(r.consecutive.Add(1)) < r.cfg.BreakerFailures {
		return false
	}
	if r.ledger.open.CompareAndSwap(false, true) {
		r.startProbing()
	}
	return true
}

func (r *Route) startProbing() {
	r.probeMu.Lock()
	defer r.probeMu.Unlock()
	if r.prunning {
		return
	}
	select {
	case <-r.stop:
		return
	default:
	}
	r.prunning = true
	r.probing.Add(1)
	go r.probeLoop()
}

// probeLoop runs while the breaker is open.
func (r *Route) probeLoop() {
	defer r.probing.Done()
	defer func() {
		r.probeMu.Lock()
		r.prunning = false
		r.probeMu.Unlock()
		// The breaker may have opened again between the last check and clearing prunning.
		if r.ledger.open.Load() {
			select {
			case <-r.stop:
			default:
				r.startProbing()
			}
		}
	}()
	t := time.NewTicker(r.cfg.ProbeInterval)
	defer t.Stop()
	for r.ledger.open.Load() {
		select {
		case <-r.stop:
			return
		case <-t.C:
		}
		if time.Now().UnixNano() < r.probeAfter.Load() {
			continue
		}
		if r.probe == nil {
			r.trial.Store(true) // the next batch is the probe
			continue
		}
		ctx, cancel := context.WithTimeout(r.stopped, r.cfg.ProbeTimeout)
		err := r.probe(ctx)
		cancel()
		if err == nil {
			r.succeeded()
			return
		}
		if r.stopped.Err() == nil { // else Shutdown ended the probe: not the primary's failure
			r.ledger.failures.failed(err)
		}
	}
}

// ForceFlush flushes the primary and waits until the fallback has written what it was
// given, or ctx ends (a ctx without a deadline: RetryMaxElapsed).
func (r *Route) ForceFlush(ctx context.Context) error {
	ctx, cancel := wake.WithDefaultTimeout(ctx, r.cfg.RetryMaxElapsed)
	defer cancel()
	err := r.primary.ForceFlush(ctx)
	if r.fb != nil {
		err = errors.Join(err, r.fb.Drain(ctx))
	}
	return err
}

// Shutdown stops probing and retrying, waits for the deliveries under way, writes the
// fallback's buffer before ctx ends (a ctx without a deadline: RetryMaxElapsed), and
// shuts down both exporters. What is left when ctx ends, in the buffer or in deliveries
// still running, is dropped with reason shutdown; records handed over after Shutdown has
// begun go to the fallback, or are dropped likewise once it has stopped.
func (r *Route) Shutdown(ctx context.Context) error {
	ctx, cancel := wake.WithDefaultTimeout(ctx, r.cfg.RetryMaxElapsed)
	defer cancel()
	r.stopOnce.Do(func() { close(r.stop); r.stopProbing() })
	r.settleCalls(ctx)
	r.waitProbing(ctx)
	var err error
	if r.fb != nil {
		err = r.fb.Shutdown(ctx)
	}
	r.ledger.drops.FlushWithin(50 * time.Millisecond)
	return errors.Join(err, r.shutdownExporters(ctx))
}

// waitProbing waits for the probe loop to return, or ctx to end: a probe that ignores
// its context (a collector that accepted the connection and never answers) finishes in
// the background, as a stubborn export does.
func (r *Route) waitProbing(ctx context.Context) {
	done := make(chan struct{})
	go func() { r.probing.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// shutdownExporters shuts down the primary and the fallback exporter, each on its own,
// so that one's hung Shutdown does not keep the other open (a fallback shared by several
// routes is closed by the last of them), waiting for them until ctx ends. An exporter's
// Shutdown may wait for a write blocked on a pipe or a disk (lumberjack's Close takes the
// lock the blocked Write holds); it is then abandoned: it finishes in the background when
// that write returns.
func (r *Route) shutdownExporters(ctx context.Context) error {
	exps := []sdklog.Exporter{r.primary}
	if r.fbExp != nil {
		exps = append(exps, r.fbExp)
	}
	done := make(chan error, len(exps))
	for _, e := range exps {
		go func() { done <- e.Shutdown(ctx) }()
	}
	var errs []error
	for range exps {
		select {
		case err := <-done:
			errs = append(errs, err)
			continue
		case <-ctx.Done():
		}
		select {
		case err := <-done: // ctx was done already: an exporter with nothing blocked returns at once
			errs = append(errs, err)
		default:
			return errors.Join(append(errs, fmt.Errorf("delivery: exporters still shutting down at the deadline: %w", ctx.Err()))...)
		}
	}
	return errors.Join(errs...)
}
