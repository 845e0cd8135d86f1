package processor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/accounting"
	"github.com/resilog/resilog/internal/delivery"
	"github.com/resilog/resilog/internal/recordsize"
	"github.com/resilog/resilog/internal/wake"
)

// Overflow says what [Batch] does with a record when its queue is full.
type Overflow int

const (
	// OverflowFallback hands the record to the route's fallback ([Route]) without
	// waiting; if the exporter has none, the record is dropped with reason queue_full. The
	// default: nothing is lost silently and the caller never waits. The record can reach
	// the fallback ahead of earlier records of its goroutine still in the queue.
	OverflowFallback Overflow = iota
	// OverflowDropNewest drops the record being logged (reason queue_full).
	OverflowDropNewest
	// OverflowDropOldest drops the oldest queued record to make room (reason queue_full).
	OverflowDropOldest
	// OverflowBlock makes the log call wait for room up to BlockTimeout, then drops the
	// record (reason block_timeout). The only policy under which logging can wait.
	OverflowBlock
)

// String returns the policy's name, as ParseOverflow reads it.
func (o Overflow) String() string {
	switch o {
	case OverflowFallback:
		return "fallback"
	case OverflowDropNewest:
		return "drop_newest"
	case OverflowDropOldest:
		return "drop_oldest"
	case OverflowBlock:
		return "block"
	}
	return fmt.Sprintf("Overflow(%d)", int(o))
}

// ParseOverflow parses the String form of an Overflow.
func ParseOverflow(s string) (Overflow, error) {
	for _, o := range []Overflow{OverflowFallback, OverflowDropNewest, OverflowDropOldest, OverflowBlock} {
		if o.String() == s {
			return o, nil
		}
	}
	return 0, fmt.Errorf("unknown overflow policy %q (want fallback, drop_newest, drop_oldest or block)", s)
}

// DefaultMaxQueueRecords is BatchConfig.MaxQueueRecords's default.
const DefaultMaxQueueRecords = 262144

// MaxBatchLimit is the largest BatchConfig.MaxBatch: a Batch allocates its batch buffers
// up front (about 600 bytes a record each), and a bigger request exceeds common collector
// limits (4 MiB for gRPC) anyway. [BatchConfig.Validate] refuses a larger one.
const MaxBatchLimit = 16384

// BatchConfig tunes a [Batch]. Zero fields take the default written beside them; the
// root package also reads the OTEL_BLRP_* variable named.
type BatchConfig struct {
	// MaxQueueRecords bounds the queue in records (262,144; OTEL_BLRP_MAX_QUEUE_SIZE).
	MaxQueueRecords int
	// MaxQueueBytes bounds the queue by the estimated memory its records hold while exports
	// are flowing (64 MiB, about 85,000 records of six short attributes; with the garbage
	// collector's headroom the process holds about twice that at worst): room for a burst
	// that outruns the exports for a while, as on a busy machine, where a 100,000-record
	// burst with another process spinning on one of the two cores filled 16 MiB and sent
	// 8% of it to the fallback.
	MaxQueueBytes int
	// StalledQueueBytes bounds the queue instead while exports are stalled (16 MiB): no
	// export has succeeded for a second, or one has been running for more than a second, as
	// when the collector hangs, or the last one went to the fallback.
	// What does not fit goes to the overflow policy; a bigger queue then only made the
	// garbage collector slow the log call down (p99 16-21 us at 32 MiB, 13-15 us at 16 MiB,
	// against 8-15 us with a healthy collector).
	StalledQueueBytes int
	// MaxBatch is the most records one export carries (1024; OTEL_BLRP_MAX_EXPORT_BATCH_SIZE),
	// at most MaxQueueRecords and [MaxBatchLimit].
	// Larger than the SDK's 512: on 2 cores it delivered more per second with less memory.
	MaxBatch int
	// Interval is how long a partial batch may wait (1s; OTEL_BLRP_SCHEDULE_DELAY).
	Interval time.Duration
	// ExportTimeout bounds one Export call, retries included (30s; OTEL_BLRP_EXPORT_TIMEOUT).
	// It also bounds Shutdown and ForceFlush when their context has no deadline. At least
	// 1ms (the variable's unit): a shorter one fails every export before it starts.
	ExportTimeout time.Duration
	// Exporters is how many exports may run at once (4), at most 64: each runs on its own
	// goroutine and holds a batch beyond the queue's bound.
	Exporters int
	// FlushSeverity: a record at or above it is sent at once with the records before it
	// (ERROR). Set it above FATAL4 (24) to turn this off.
	FlushSeverity log.Severity
	// Overflow is the policy when the queue is full (OverflowFallback).
	Overflow Overflow
	// BlockTimeout is how long OverflowBlock waits (100ms).
	BlockTimeout time.Duration
}

// Validate reports the first problem in c, wrapping [ErrInvalidConfig]: a negative field,
// an unknown overflow policy, a batch larger than the queue or than [MaxBatchLimit], more
// than 64 Exporters, an ExportTimeout under 1ms, or a stalled bound above the queue
// bound. Zero fields are valid: they take their defaults.
func (c BatchConfig) Validate() error {
	switch {
	case c.Overflow < OverflowFallback || c.Overflow > OverflowBlock:
		return fmt.Errorf("%w: overflow policy %v", ErrInvalidConfig, c.Overflow)
	case c.MaxQueueRecords < 0 || c.MaxQueueBytes < 0 || c.StalledQueueBytes < 0 || c.MaxBatch < 0 || c.Exporters < 0 || c.Interval < 0 || c.ExportTimeout < 0 || c.BlockTimeout < 0:
		return fmt.Errorf("%w: negative batch setting in %+v", ErrInvalidConfig, c)
	case c.Exporters > maxExporters:
		return fmt.Errorf("%w: %d exporters exceeds the most, %d", ErrInvalidConfig, c.Exporters, maxExporters)
	case c.ExportTimeout > 0 && c.ExportTimeout < minTimeout:
		return fmt.Errorf("%w: export timeout %v is under the least, %v: no export could finish in it", ErrInvalidConfig, c.ExportTimeout, minTimeout)
	case c.MaxBatch > MaxBatchLimit:
		return fmt.Errorf("%w: batch size %d exceeds the largest, %d", ErrInvalidConfig, c.MaxBatch, MaxBatchLimit)
	case c.MaxBatch > cmp.Or(c.MaxQueueRecords, DefaultMaxQueueRecords):
		return fmt.Errorf("%w: batch size %d exceeds queue size %d", ErrInvalidConfig, c.MaxBatch, cmp.Or(c.MaxQueueRecords, DefaultMaxQueueRecords))
	case c.StalledQueueBytes > 0 && c.StalledQueueBytes > cmp.Or(c.MaxQueueBytes, defaultMaxQueueBytes):
		return fmt.Errorf("%w: stalled queue bound %d bytes exceeds the queue bound %d", ErrInvalidConfig, c.StalledQueueBytes, cmp.Or(c.MaxQueueBytes, defaultMaxQueueBytes))
	}
	return nil
}

// maxExporters is the most BatchConfig.Exporters: each is a goroutine holding a batch
// (up to MaxBatch records) beyond the queue's bound.
const maxExporters = 64

// minTimeout is the least ExportTimeout and ProbeTimeout: the OTEL_BLRP_* variables are in
// milliseconds, and a shorter timeout (a bare number taken as nanoseconds, as
// time.Duration(30)) ends every export or probe before it starts.
const minTimeout = time.Millisecond

// defaultMaxQueueBytes is BatchConfig.MaxQueueBytes's default.
const defaultMaxQueueBytes = 64 << 20

func (c *BatchConfig) setDefaults() {
	if c.MaxQueueRecords <= 0 {
		c.MaxQueueRecords = DefaultMaxQueueRecords
	}
	if c.MaxQueueBytes <= 0 {
		c.MaxQueueBytes = defaultMaxQueueBytes
	}
	if c.StalledQueueBytes <= 0 {
		c.StalledQueueBytes = min(16<<20, c.MaxQueueBytes)
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = min(1024, c.MaxQueueRecords)
	}
	if c.Interval <= 0 {
		c.Interval = time.Second
	}
	if c.ExportTimeout <= 0 {
		c.ExportTimeout = 30 * time.Second
	}
	if c.Exporters <= 0 {
		c.Exporters = 4
	}
	if c.FlushSeverity == 0 {
		c.FlushSeverity = log.SeverityError
	}
	if c.BlockTimeout <= 0 {
		c.BlockTimeout = 100 * time.Millisecond
	}
}

// Batch is resilog's batching processor and the head of its delivery core: a queue
// bounded in records and bytes, drained by several concurrent exports along a [Route]
// (retries, breaker and probing to the primary; the fallback when it fails).
//
// OnEmit never waits on I/O (unless the policy is OverflowBlock): it clones the record
// into the queue, or applies the overflow policy when the queue is full. A batch is sent
// when it holds MaxBatch records, when Interval passes, or at once when a record at or
// above FlushSeverity arrives, so that the context before an error reaches the collector
// without waiting. While the breaker is open, records go to the fallback at once, in
// call order (but for a record that overflows the queue: see [OverflowFallback]). Every
// record is counted once, in one ledger: emitted, exported, written to the fallback, or
// dropped with a reason ([Batch.Stats]).
type Batch struct {
	route  *delivery.Route
	ledger *delivery.Ledger
	cfg    BatchConfig

	mu       sync.Mutex
	work     *sync.Cond // workers wait for sealed batches
	space    *sync.Cond // OverflowBlock callers wait for room
	progress *sync.Cond // ForceFlush and fallback hand-offs wait for batches to finish
	q        *delivery.Queue
	inflight map[uint64]context.CancelFunc // the batches being exported, by Seq: aborts each
	closed   bool
	// Batches taken while the breaker was open go to the fallback in the order they were
	// taken: each gets a turn, and handing counts those not yet handed over.
	nextTurn, turn uint64
	handing        int
	// waiting holds the batches waiting for their turn, by turn: a Shutdown that gives up
	// on the exports takes them (and counts their records) from here.
	waiting map[uint64]*delivery.Chunk
	// unordered holds the Seqs of the batches taken while the breaker was closed and still
	// being exported: if it opens meanwhile, they may yet go to the fallback, and the
	// batches handed over in turn wait for those taken before them.
	unordered map[uint64]struct{}

	exportCtx    context.Context
	cancelExport context.CancelFunc
	workers      sync.WaitGroup
	stopTicker   chan struct{}
	shutdownOnce sync.Once
	shutdownErr  error
}

var _ sdklog.Processor = (*Batch)(nil)

// NewBatch returns a Batch exporting along route. It returns an error wrapping
// [ErrInvalidConfig] if cfg or fcfg does not validate, or route has no primary.
func NewBatch(route Route, cfg BatchConfig, fcfg FailoverConfig) (*Batch, error) {
	if err := errors.Join(cfg.Validate(), fcfg.Validate()); err != nil {
		return nil, err
	}
	if route.Primary == nil {
		return nil, fmt.Errorf("%w: the route has no primary exporter", ErrInvalidConfig)
	}
	cfg.setDefaults()
	ledger := delivery.NewLedger()
	b := &Batch{
		route:  delivery.NewRoute(route.Primary, route.Probe, route.Fallback, fcfg.policy(), ledger),
		ledger: ledger, cfg: cfg, inflight: map[uint64]context.CancelFunc{}, waiting: map[uint64]*delivery.Chunk{},
		unordered:  map[uint64]struct{}{},
		stopTicker: make(chan struct{}),
	}
	b.work = sync.NewCond(&b.mu)
	b.space = sync.NewCond(&b.mu)
	b.progress = sync.NewCond(&b.mu)
	b.exportCtx, b.cancelExport = context.WithCancel(context.Background())
	// Exported batch buffers are kept for reuse (a fixed list, unlike a sync.Pool,
	// survives garbage collections, so steady logging does not allocate them).
	b.q = delivery.NewQueue(cfg.MaxBatch, cfg.Exporters+2)
	for range cfg.Exporters {
		b.workers.Add(1)
		go b.runExporter()
	}
	go b.tick()
	return b, nil
}

// Enabled returns true: Batch takes every record.
func (b *Batch) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }

// TryOnEmit is OnEmit, except that under OverflowBlock with the queue full it neither
// waits nor counts r, and returns false: a caller handing r to several queues gives it
// to every one with room before waiting for the others (with OnEmit). (Room taken between
// its check and the queuing makes it wait as OnEmit does.)
func (b *Batch) TryOnEmit(ctx context.Context, r *sdklog.Record) bool {
	if b.cfg.Overflow == OverflowBlock {
		size := recordsize.Of(r)
		b.mu.Lock()
		full := !b.closed && b.fullLocked(size)
		b.mu.Unlock()
		if full {
			return false
		}
	}
	_ = b.OnEmit(ctx, r)
	return true
}

// OnEmit queues a clone of r. It returns nil; what happens to r is counted in Stats.
//
// With a spool (resilog.WithSpool), r is appended to it first, and released once its
// fate is counted. The copy queued (or spilled to the fallback) keeps only its seq: its
// log.record.uid, the spooled copy's, is written where it leaves the core, by the
// exporter's encoder or on a copy for an exporter resilog does not own (package
// recorduid), not here. r itself is left as it is.
func (b *Batch) OnEmit(_ context.Context, r *sdklog.Record) error {
	b.ledger.Emitted(1)
	seq := b.ledger.Append(r)
	c := r.Clone() // the copy the queue keeps
	size := recordsize.Of(&c)
	b.mu.Lock()
	var waitUntil time.Time
	for {
		// Checked on every turn: OverflowBlock waits below, and Shutdown may have sealed
		// and taken the queue meanwhile. A record added after that would never leave.
		if b.closed {
			b.mu.Unlock()
			b.ledger.Drop(accounting.Shutdown, 1)
			b.ledger.Release(seq)
			return nil
		}
		if !b.fullLocked(size) {
			break
		}
		switch b.cfg.Overflow {
		case OverflowDropOldest:
			if old, ok := b.q.DropOldest(); ok {
				b.ledger.Drop(accounting.QueueFull, 1)
				b.ledger.Release(old)
			}
			continue
		case OverflowBlock:
			if waitUntil.IsZero() {
				waitUntil = time.Now().Add(b.cfg.BlockTimeout)
				t := time.AfterFunc(b.cfg.BlockTimeout, func() {
					b.mu.Lock()
					b.space.Broadcast()
					b.mu.Unlock()
				})
				defer t.Stop()
			}
			if time.Now().Before(waitUntil) {
				b.space.Wait()
				continue
			}
			b.mu.Unlock()
			b.ledger.Drop(accounting.BlockTimeout, 1)
			b.ledger.Release(seq)
			return nil
		case OverflowDropNewest:
			b.mu.Unlock()
			b.ledger.Drop(accounting.QueueFull, 1)
			b.ledger.Release(seq)
			return nil
		default: // OverflowFallback
			b.mu.Unlock()
			b.route.SpillRecord(r, seq, accounting.QueueFull)
			return nil
		}
	}
	// While the breaker is open the record goes to the fallback now, not at the next
	// batch: straight into its buffer when nothing logged before it is still on its way
	// there (in the queue, a hand-off, or an export begun before the breaker opened) and
	// no trial batch is due (under b.mu, so in call order); else through the
	// queue, sealed at once unless a hand-off to the fallback is under way or a sealed
	// batch waits for one (the hand-off seals what gathered meanwhile when it ends: a
	// full fallback gets batches, not a batch per record, and the log call never takes a
	// fresh batch buffer per record, which would outrun the free list and have it
	// allocate and clear ~600 KB itself).
	if b.route.Bypass() && b.q.Len() == 0 && b.handing == 0 && len(b.unordered) == 0 && b.route.TrySpillRecord(r, seq) {
		b.mu.Unlock()
		return nil
	}
	if b.q.Push(c, seq, size) || r.Severity() >= b.cfg.FlushSeverity || b.handing == 0 && b.q.Sealed() == 0 && b.route.Open() {
		b.sealLocked()
	}
	b.mu.Unlock()
	return nil
}

// fullLocked reports whether a record of size bytes does not fit in the queue. The bound
// in bytes is MaxQueueBytes while exports are flowing ([delivery.Route.Flowing]),
// StalledQueueBytes otherwise.
func (b *Batch) fullLocked(size int) bool {
	n, bytes := b.q.Len(), b.q.Bytes()
	switch {
	case n >= b.cfg.MaxQueueRecords:
		return true
	case n == 0 || bytes+size <= b.cfg.StalledQueueBytes:
		return false
	case bytes+size > b.cfg.MaxQueueBytes:
		return true
	}
	return !b.route.Flowing()
}

// sealLocked closes the filling batch, if any, and wakes an exporter.
func (b *Batch) sealLocked() {
	b.q.Seal()
	b.work.Signal()
}

func (b *Batch) tick() {
	t := time.NewTicker(b.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-b.stopTicker:
			return
		case <-t.C:
			b.mu.Lock()
			b.sealLocked()
			b.mu.Unlock()
		}
	}
}

func (b *Batch) runExporter() {
	defer b.workers.Done()
	for {
		b.mu.Lock()
		var p *delivery.Chunk
		for {
			if b.exportCtx.Err() != nil {
				b.mu.Unlock()
				return
			}
			if p = b.q.Pop(); p != nil {
				break
			}
			if b.closed {
				b.mu.Unlock()
				return
			}
			b.work.Wait()
		}
		ctx, cancel := context.WithTimeout(b.exportCtx, b.cfg.ExportTimeout)
		b.inflight[p.Seq] = cancel
		// Taken while the breaker is open: the batch goes to the fallback (or is the
		// trial batch), in turn.
		ordered, turn := b.route.Open(), uint64(0)
		if ordered {
			turn = b.nextTurn
			b.nextTurn++
			b.handing++
			b.waiting[turn] = p
		} else {
			b.unordered[p.Seq] = struct{}{}
		}
		b.space.Broadcast()
		b.mu.Unlock()

		b.ledger.SyncForExport()
		taken := false
		if ordered {
			taken = b.handInTurn(ctx, p, turn)
		} else {
			b.deliver(ctx, p)
		}
		cancel()

		if !taken {
			b.q.Release(p)
		}
		b.mu.Lock()
		delete(b.inflight, p.Seq)
		delete(b.unordered, p.Seq)
		b.progress.Broadcast()
		b.mu.Unlock()
	}
}

// handInTurn delivers p after the batches taken before it while the breaker was open:
// with the breaker open, Deliver returns at once (but for a trial batch, one attempt)
// and the batches reach the fallback in the order they were logged. It reports whether
// Shutdown took p while it waited (its records are then Shutdown's to count).
func (b *Batch) handInTurn(ctx context.Context, p *delivery.Chunk, turn uint64) (taken bool) {
	b.mu.Lock()
	for b.turn != turn || b.unorderedBeforeLocked(p.Seq) {
		if _, ok := b.waiting[turn]; !ok {
			b.handing--
			b.mu.Unlock()
			return true
		}
		b.progress.Wait() // each earlier turn is bounded by FallbackWait and one attempt
	}
	delete(b.waiting, turn)
	b.mu.Unlock()
	b.deliver(ctx, p)
	b.mu.Lock()
	b.turn++
	b.handing--
	if b.handing == 0 && b.route.Open() {
		b.sealLocked() // the records logged during the hand-off
	}
	b.progress.Broadcast()
	b.mu.Unlock()
	return false
}

// unorderedBeforeLocked reports whether a batch taken before seq, while the breaker was
// closed, is still being exported (its records may yet go to the fallback).
func (b *Batch) unorderedBeforeLocked(seq uint64) bool {
	for s := range b.unordered {
		if s < seq {
			return true
		}
	}
	return false
}

// deliver sends p along the route: to the primary, else to the fallback. The records
// the primary took (or a shutdown deadline counted as dropped) are released from the
// spool; those handed to the fallback take their seqs with them.
func (b *Batch) deliver(ctx context.Context, p *delivery.Chunk) {
	if b.route.Deliver(ctx, p.Records, p.Seqs) {
		b.route.ToFallback(ctx, p.Records, p.Seqs, accounting.ExportFailed)
	} else {
		b.ledger.Release(p.Seqs...)
	}
}

// stopWaitingAt returns a context that ends at 80% of the time ctx has left: when
// Shutdown and ForceFlush stop waiting for the collector, leaving the fallback time to
// write what they hand it.
func stopWaitingAt(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return ctx, func() {}
	}
	return context.WithDeadline(ctx, deadline.Add(-time.Until(deadline)/5))
}

// ForceFlush exports every record queued before the call. If ctx has a deadline and the
// exports are not done at 80% of the time left, it stops waiting for the collector, as
// Shutdown does: the batches still queued go to the fallback, the exports under way are
// aborted (their records then go to the fallback), and the route's own ForceFlush gets
// the rest of the time to write them (a route without a fallback waits for the exports
// until ctx ends). It returns nil when every record queued before the call has left the
// queue that way, else ctx's error. A ctx without a deadline is given one of
// ExportTimeout.
func (b *Batch) ForceFlush(ctx context.Context) error {
	ctx, cancelDefault := wake.WithDefaultTimeout(ctx, b.cfg.ExportTimeout)
	defer cancelDefault()
	giveUp := ctx // when to stop waiting for the collector: with nowhere else to go, never
	if b.route.HasFallback() {
		var cancel context.CancelFunc
		giveUp, cancel = stopWaitingAt(ctx)
		defer cancel()
	}
	b.mu.Lock()
	b.sealLocked()
	target := b.q.NextSeq()
	defer wake.WhenDone(giveUp, b.progress)()
	defer wake.WhenDone(ctx, b.progress)()
	abandoned := false
	for b.lowestUnfinishedLocked() < target && ctx.Err() == nil {
		if giveUp.Err() != nil && !abandoned {
			b.abandonLocked(ctx, target)
			abandoned = true
			continue // the aborted exports hand their records over and return
		}
		b.progress.Wait()
	}
	if b.lowestUnfinishedLocked() < target {
		b.mu.Unlock()
		return ctx.Err()
	}
	b.mu.Unlock()
	return b.route.ForceFlush(ctx)
}

// abandonLocked stops waiting for the collector for the batches before target: queued
// ones are spilled, exports under way are aborted. It unlocks b.mu while spilling.
func (b *Batch) abandonLocked(ctx context.Context, target uint64) {
	var spill []*delivery.Chunk
	for seq, ok := b.q.OldestSealed(); ok && seq < target; seq, ok = b.q.OldestSealed() {
		spill = append(spill, b.q.Pop())
	}
	for seq, cancel := range b.inflight {
		if seq < target {
			cancel()
		}
	}
	// The spilled batches count as under way until handed over: another ForceFlush
	// waits for them as it waits for exports.
	seqs := make([]uint64, len(spill))
	for i, p := range spill {
		seqs[i] = p.Seq
		b.inflight[p.Seq] = func() {}
	}
	b.space.Broadcast()
	b.mu.Unlock()
	for _, p := range spill {
		b.route.Spill(ctx, p.Records, p.Seqs, accounting.Shutdown)
		b.q.Release(p)
	}
	b.mu.Lock()
	for _, seq := range seqs {
		delete(b.inflight, seq)
	}
	b.progress.Broadcast()
}

func (b *Batch) lowestUnfinishedLocked() uint64 {
	low, ok := b.q.OldestSealed()
	if !ok {
		low = ^uint64(0)
	}
	for seq := range b.inflight {
		low = min(low, seq)
	}
	return low
}

// Shutdown exports what it can, then shuts the route down. If ctx has a deadline, the
// exports stop at 80% of the time left and the rest goes to the fallback, so that it has
// time to write it before the deadline. A ctx without a deadline is given one of
// ExportTimeout: a blocked fallback or a hung exporter never makes Shutdown wait for
// ever. Later calls return the first call's result.
func (b *Batch) Shutdown(ctx context.Context) error {
	b.shutdownOnce.Do(func() {
		ctx, cancel := wake.WithDefaultTimeout(ctx, b.cfg.ExportTimeout)
		defer cancel()
		b.shutdownErr = b.shutdown(ctx)
	})
	return b.shutdownErr
}

func (b *Batch) shutdown(ctx context.Context) error {
	b.mu.Lock()
	b.closed = true
	b.sealLocked()
	b.work.Broadcast()
	b.space.Broadcast()
	b.mu.Unlock()
	close(b.stopTicker)

	exportCtx, cancel := stopWaitingAt(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() { b.workers.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-exportCtx.Done():
		// Abort the exports under way: their records then go to the fallback. Workers
		// stop taking new batches.
		b.mu.Lock()
		b.cancelExport()
		b.work.Broadcast()
		b.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			// An exporter that ignores its context: the route counts the records it
			// holds when its Shutdown, below, gives up on them.
			err = fmt.Errorf("processor: exports did not return before the shutdown deadline: %w", ctx.Err())
		}
	}
	b.mu.Lock()
	b.cancelExport()
	var left []*delivery.Chunk
	for p := b.q.Pop(); p != nil; p = b.q.Pop() {
		left = append(left, p)
	}
	// Batches waiting for their turn behind an export that ignores its deadline: counted
	// here, not when (if ever) that export returns.
	for _, turn := range slices.Sorted(maps.Keys(b.waiting)) {
		left = append(left, b.waiting[turn])
		delete(b.waiting, turn)
	}
	b.progress.Broadcast()
	b.mu.Unlock()
	for _, p := range left {
		b.route.Spill(ctx, p.Records, p.Seqs, accounting.Shutdown)
	}
	err = errors.Join(err, b.route.Shutdown(ctx))
	b.q.Close()
	return err
}

// BatchStats is what a Batch and its route did with the records they were given: one
// ledger, so that after Shutdown Emitted == Exported + Fallback + the sum of Dropped.
type BatchStats struct {
	Emitted        uint64            // records given to OnEmit (or to Sample before it)
	Exported       uint64            // accepted by the primary
	Fallback       uint64            // written by the fallback
	Dropped        map[string]uint64 // by reason
	QueueRecords   int               // waiting in the queue now
	QueueBytes     int               // their estimated memory
	FallbackQueued int               // waiting in the fallback's buffer or being written
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
	// SpoolFull counts records the full spool could not take: they took the memory path
	// and are counted at their fate like any other (not a loss). Replayed counts earlier
	// runs' records read back from the spool and queued here (included in Emitted).
	SpoolFull, Replayed uint64
}

// Stats returns the counters so far.
func (b *Batch) Stats() BatchStats {
	b.mu.Lock()
	records, bytes := b.q.Len(), b.q.Bytes()
	b.mu.Unlock()
	c := b.ledger.Counts()
	s := BatchStats{
		Emitted: c.Emitted, Exported: c.Exported, Fallback: c.Fallback, Dropped: c.Dropped,
		QueueRecords: records, QueueBytes: bytes, FallbackQueued: b.route.FallbackQueued(),
		Retries: c.Retries, Permanent: c.Permanent, Transient: c.Transient, Breaker: BreakerClosed,
		LastError: c.LastError, LastErrorTime: c.LastErrorTime, ReportLinesLost: c.ReportLinesLost,
		SpoolFull: c.SpoolFull, Replayed: c.Replayed,
	}
	if c.BreakerOpen {
		s.Breaker = BreakerOpen
	}
	return s
}
