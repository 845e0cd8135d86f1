package processor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/accounting"
	"github.com/resilog/resilog/internal/freelist"
	"github.com/resilog/resilog/internal/recordsize"
	"github.com/resilog/resilog/internal/wake"
)

// Overflow says what [Batch] does with a record when its queue is full.
type Overflow int

const (
	// OverflowFallback hands the record to the exporter's fallback (see [Spiller]) without
	// waiting; if the exporter has none, the record is dropped with reason queue_full. The
	// default: nothing is lost silently and the caller never waits.
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

// Spiller is implemented by exporters that can take records without trying the network
// (exporter.Failover writes them to its fallback). Spill may wait for room until ctx is
// done and must not wait at all when ctx is already done: OnEmit passes such a context.
//
// A Spiller accounts for every record it is handed, by Spill or by Export: the records of
// an Export still running at Batch's shutdown deadline are its to count (exporter.Failover
// counts them as dropped when its own Shutdown gives up on them), not Batch's.
type Spiller interface {
	Spill(ctx context.Context, records []sdklog.Record)
}

// recordSpiller is implemented by Spillers that can take one record by pointer, copying
// it straight into their buffer: the log call's overflow path then allocates no slice.
type recordSpiller interface {
	SpillRecord(r *sdklog.Record)
}

// Deliverer is implemented by exporters whose Export returns nil also when the records
// went somewhere else than where they are for (exporter.Failover: to the fallback rather
// than the collector). Delivering reports whether the last export reached the primary;
// Batch lets its queue grow past StalledQueueBytes only while it does.
type Deliverer interface {
	Delivering() bool
}

// doneCtx is an already cancelled context: Spill with it never waits.
var doneCtx = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// DefaultMaxQueueRecords is BatchConfig.MaxQueueRecords's default.
const DefaultMaxQueueRecords = 262144

// MaxBatchLimit is the largest BatchConfig.MaxBatch: a Batch allocates its batch buffers
// up front (about 600 bytes a record each), and a bigger request exceeds common collector
// limits (4 MiB for gRPC) anyway. NewBatch lowers a larger MaxBatch to it; resilog.New
// refuses one.
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
	// when the collector hangs, or the last one went to the fallback (a [Deliverer] tells).
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
	// It also bounds Shutdown and ForceFlush when their context has no deadline.
	ExportTimeout time.Duration
	// Exporters is how many exports may run at once (4).
	Exporters int
	// FlushSeverity: a record at or above it is sent at once with the records before it
	// (ERROR). Set it above FATAL4 (24) to turn this off.
	FlushSeverity log.Severity
	// Overflow is the policy when the queue is full (OverflowFallback).
	Overflow Overflow
	// BlockTimeout is how long OverflowBlock waits (100ms).
	BlockTimeout time.Duration
	// Sampling thins out repeated records before they are queued (off by default).
	Sampling Sampling
}

func (c *BatchConfig) setDefaults() {
	if c.MaxQueueRecords <= 0 {
		c.MaxQueueRecords = DefaultMaxQueueRecords
	}
	if c.MaxQueueBytes <= 0 {
		c.MaxQueueBytes = 64 << 20
	}
	if c.StalledQueueBytes <= 0 || c.StalledQueueBytes > c.MaxQueueBytes {
		// Unset, or above MaxQueueBytes (resilog.New rejects that): never above the bound.
		c.StalledQueueBytes = min(16<<20, c.MaxQueueBytes)
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = 1024
	}
	c.MaxBatch = min(c.MaxBatch, c.MaxQueueRecords, MaxBatchLimit)
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

// Batch is resilog's batching processor: a queue bounded in records and bytes, drained by
// several concurrent exports.
//
// OnEmit never waits on I/O (unless the policy is OverflowBlock): it clones the record
// into the queue, or applies the overflow policy when the queue is full. A batch is sent
// when it holds MaxBatch records, when Interval passes, or at once when a record at or
// above FlushSeverity arrives, so that the context before an error reaches the collector
// without waiting. Every record is counted: emitted, handed to the exporter, or dropped
// with a reason ([Batch.Stats]).
type Batch struct {
	exp     sdklog.Exporter
	spiller Spiller
	one     recordSpiller // spiller's single-record form, if it has one
	deliv   Deliverer     // nil when the exporter does not tell
	cfg     BatchConfig
	drops   accounting.Drops
	sampler *sampler // nil when sampling is off

	emitted, exportedOK atomic.Uint64

	mu       sync.Mutex
	work     *sync.Cond // workers wait for sealed batches
	space    *sync.Cond // OverflowBlock callers wait for room
	progress *sync.Cond // ForceFlush waits for batches to finish
	cur      *pending
	ready    []*pending
	inflight map[uint64]inflight // by batch seq
	lastOK   time.Time           // when an export last succeeded
	records  int
	bytes    int
	seq      uint64
	closed   bool
	// abandoned is set when Shutdown's deadline passed with exports still running and
	// the exporter is not a Spiller: their records were counted as dropped then, and a
	// late return must not count them again.
	abandoned bool

	exportCtx    context.Context
	cancelExport context.CancelFunc
	workers      sync.WaitGroup
	stopTicker   chan struct{}
	shutdownOnce sync.Once
	shutdownErr  error
	// free keeps exported batch buffers for reuse (a fixed list, unlike a sync.Pool,
	// survives garbage collections, so steady logging does not allocate them) and makes
	// the next one off the log call.
	free *freelist.List[*pending]
}

// inflight is a batch being exported.
type inflight struct {
	records int
	started time.Time
	cancel  context.CancelFunc // aborts its export: the exporter then spills it
}

type pending struct {
	seq   uint64
	recs  []sdklog.Record
	bytes int
}

var _ sdklog.Processor = (*Batch)(nil)

// NewBatch returns a Batch exporting to exp. If exp implements [Spiller], OverflowFallback
// and Shutdown hand it what they cannot queue or export.
func NewBatch(exp sdklog.Exporter, cfg BatchConfig) *Batch {
	cfg.setDefaults()
	b := &Batch{exp: exp, cfg: cfg, inflight: map[uint64]inflight{}, stopTicker: make(chan struct{})}
	b.spiller, _ = exp.(Spiller)
	b.one, _ = exp.(recordSpiller)
	b.deliv, _ = exp.(Deliverer)
	b.sampler = newSampler(cfg.Sampling)
	b.work = sync.NewCond(&b.mu)
	b.space = sync.NewCond(&b.mu)
	b.progress = sync.NewCond(&b.mu)
	b.exportCtx, b.cancelExport = context.WithCancel(context.Background())
	b.free = freelist.New(func() *pending { return &pending{recs: freelist.Slice[sdklog.Record](cfg.MaxBatch)} }, cfg.Exporters+2)
	for range cfg.Exporters {
		b.workers.Add(1)
		go b.runExporter()
	}
	go b.tick()
	return b
}

// Enabled returns true: Batch takes every record.
func (b *Batch) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }

// OnEmit queues a clone of r. It returns nil; what happens to r is counted in Stats.
func (b *Batch) OnEmit(_ context.Context, r *sdklog.Record) error {
	b.emitted.Add(1)
	if b.sampler != nil && r.Severity() < b.cfg.FlushSeverity && !b.sampler.keep(r, time.Now()) {
		b.drops.Add(accounting.Sampled, 1)
		return nil
	}
	size := recordsize.Of(r)
	b.mu.Lock()
	var waitUntil time.Time
	for {
		// Checked on every turn: OverflowBlock waits below, and Shutdown may have sealed
		// and taken the queue meanwhile. A record added after that would never leave.
		if b.closed {
			b.mu.Unlock()
			b.drops.Add(accounting.Shutdown, 1)
			return nil
		}
		if !b.fullLocked(size) {
			break
		}
		switch b.cfg.Overflow {
		case OverflowDropOldest:
			b.dropOldestLocked()
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
			b.drops.Add(accounting.BlockTimeout, 1)
			return nil
		case OverflowDropNewest:
			b.mu.Unlock()
			b.drops.Add(accounting.QueueFull, 1)
			return nil
		default: // OverflowFallback
			b.mu.Unlock()
			switch {
			case b.one != nil:
				b.one.SpillRecord(r)
			case b.spiller != nil:
				b.spiller.Spill(doneCtx, []sdklog.Record{r.Clone()})
			default:
				b.drops.Add(accounting.QueueFull, 1)
			}
			return nil
		}
	}
	if b.cur == nil {
		b.cur = b.free.Get()
	}
	b.cur.recs = append(b.cur.recs, r.Clone())
	b.cur.bytes += size
	b.records++
	b.bytes += size
	if len(b.cur.recs) >= b.cfg.MaxBatch || r.Severity() >= b.cfg.FlushSeverity {
		b.sealLocked()
	}
	b.mu.Unlock()
	return nil
}

// flowWindow is how recently an export must have succeeded, and how long the oldest one
// under way may have run, for exports to count as flowing.
const flowWindow = time.Second

// fullLocked reports whether a record of size bytes does not fit in the queue. The bound
// in bytes is MaxQueueBytes while exports are flowing, StalledQueueBytes otherwise.
func (b *Batch) fullLocked(size int) bool {
	switch {
	case b.records >= b.cfg.MaxQueueRecords:
		return true
	case b.records == 0 || b.bytes+size <= b.cfg.StalledQueueBytes:
		return false
	case b.bytes+size > b.cfg.MaxQueueBytes:
		return true
	}
	return !b.flowingLocked()
}

// flowingLocked reports whether an export succeeded within flowWindow, reaching the
// primary if the exporter is a [Deliverer], and none under way started before it.
func (b *Batch) flowingLocked() bool {
	now := time.Now()
	if now.Sub(b.lastOK) > flowWindow || (b.deliv != nil && !b.deliv.Delivering()) {
		return false
	}
	for _, f := range b.inflight {
		if now.Sub(f.started) > flowWindow {
			return false
		}
	}
	return true
}

func (b *Batch) dropOldestLocked() {
	var p *pending
	if len(b.ready) > 0 {
		p = b.ready[0]
	} else {
		p = b.cur
	}
	size := recordsize.Of(&p.recs[0])
	p.recs[0] = sdklog.Record{}
	p.recs = p.recs[1:]
	p.bytes -= size
	b.records--
	b.bytes -= size
	if len(p.recs) == 0 {
		if len(b.ready) > 0 && b.ready[0] == p {
			b.ready = b.ready[1:]
		} else {
			b.cur = nil
		}
	}
	b.drops.Add(accounting.QueueFull, 1)
}

// sealLocked moves the filling batch to the ready list and wakes an exporter.
func (b *Batch) sealLocked() {
	if b.cur == nil || len(b.cur.recs) == 0 {
		return
	}
	b.cur.seq = b.seq
	b.seq++
	b.ready = append(b.ready, b.cur)
	b.cur = nil
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
		for len(b.ready) == 0 && !b.closed && b.exportCtx.Err() == nil {
			b.work.Wait()
		}
		if len(b.ready) == 0 || b.exportCtx.Err() != nil {
			b.mu.Unlock()
			return
		}
		p := b.popReadyLocked()
		ctx, cancel := context.WithTimeout(b.exportCtx, b.cfg.ExportTimeout)
		b.inflight[p.seq] = inflight{records: len(p.recs), started: time.Now(), cancel: cancel}
		b.space.Broadcast()
		b.mu.Unlock()

		err := b.exp.Export(ctx, p.recs)
		cancel()
		b.mu.Lock()
		abandoned := b.abandoned
		b.mu.Unlock()
		handed := 0
		switch {
		case abandoned:
		case err != nil:
			b.drops.Add(accounting.ExportFailed, len(p.recs))
		default:
			handed = len(p.recs)
		}

		b.recycle(p)
		b.mu.Lock()
		if err == nil {
			b.lastOK = time.Now()
		}
		delete(b.inflight, p.seq)
		b.progress.Broadcast()
		b.mu.Unlock()
		// Counted once the queue's bound knows of the success, so that whoever sees the
		// records handed also sees the exports flowing.
		b.exportedOK.Add(uint64(handed))
	}
}

// popReadyLocked takes the oldest sealed batch out of the queue.
func (b *Batch) popReadyLocked() *pending {
	p := b.ready[0]
	b.ready[0] = nil
	b.ready = b.ready[1:]
	b.records -= len(p.recs)
	b.bytes -= p.bytes
	return p
}

// recycle clears an exported or spilled batch and keeps its buffer for reuse, unless
// drop-oldest shortened it.
func (b *Batch) recycle(p *pending) {
	if cap(p.recs) != b.cfg.MaxBatch {
		return
	}
	clear(p.recs) // release the attribute values to the GC
	p.recs, p.bytes = p.recs[:0], 0
	b.free.Put(p)
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
// Shutdown does: the batches still queued go to the exporter's Spiller, the exports under
// way are aborted (exporter.Failover then writes their records to its fallback), and the
// exporter's own ForceFlush gets the rest of the time to write them. It returns nil when
// every record queued before the call has left the queue that way, else ctx's error.
// A ctx without a deadline is given one of ExportTimeout.
func (b *Batch) ForceFlush(ctx context.Context) error {
	ctx, cancelDefault := wake.WithDefaultTimeout(ctx, b.cfg.ExportTimeout)
	defer cancelDefault()
	giveUp := ctx // when to stop waiting for the collector
	if b.spiller != nil {
		var cancel context.CancelFunc
		giveUp, cancel = stopWaitingAt(ctx)
		defer cancel()
	}
	b.mu.Lock()
	b.sealLocked()
	target := b.seq
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
	return b.exp.ForceFlush(ctx)
}

// abandonLocked stops waiting for the collector for the batches before target: queued
// ones are spilled, exports under way are aborted. It unlocks b.mu while spilling.
func (b *Batch) abandonLocked(ctx context.Context, target uint64) {
	var spill []*pending
	for len(b.ready) > 0 && b.ready[0].seq < target {
		spill = append(spill, b.popReadyLocked())
	}
	for seq, f := range b.inflight {
		if seq < target {
			f.cancel()
		}
	}
	b.space.Broadcast()
	b.mu.Unlock()
	for _, p := range spill {
		b.spiller.Spill(ctx, p.recs)
		b.recycle(p)
	}
	b.mu.Lock()
}

func (b *Batch) lowestUnfinishedLocked() uint64 {
	low := ^uint64(0)
	if len(b.ready) > 0 {
		low = b.ready[0].seq
	}
	for seq := range b.inflight {
		low = min(low, seq)
	}
	return low
}

// Shutdown exports what it can, then shuts the exporter down. If ctx has a deadline, the
// exports stop at 80% of the time left and the rest goes to the exporter's Spiller, so
// that the fallback has time to write it before the deadline. A ctx without a deadline is
// given one of ExportTimeout: a blocked fallback or a hung exporter never makes Shutdown
// wait for ever. Later calls return the first call's result.
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
	b.free.Close()

	exportCtx, cancel := stopWaitingAt(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() { b.workers.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-exportCtx.Done():
		// Abort the exports under way: exporter.Failover then writes their records to the
		// fallback. Workers stop taking new batches.
		b.mu.Lock()
		b.cancelExport()
		b.work.Broadcast()
		b.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			// An exporter that ignores its context. A Spiller counts what it holds when
			// its Shutdown, below, gives up on it; any other exporter's records are
			// counted here, so that the accounting is complete when Shutdown returns.
			if b.spiller == nil {
				b.mu.Lock()
				b.abandoned = true
				held := 0
				for _, f := range b.inflight {
					held += f.records
				}
				b.mu.Unlock()
				b.drops.Add(accounting.Shutdown, held)
			}
			err = fmt.Errorf("processor: exports did not return before the shutdown deadline: %w", ctx.Err())
		}
	}
	b.cancelExport()

	b.mu.Lock()
	left := b.ready
	b.ready = nil
	b.records, b.bytes = 0, 0
	b.mu.Unlock()
	for _, p := range left {
		if b.spiller != nil {
			b.spiller.Spill(ctx, p.recs)
		} else {
			b.drops.Add(accounting.Shutdown, len(p.recs))
		}
	}
	err = errors.Join(err, b.exp.Shutdown(ctx))
	b.drops.FlushWithin(50 * time.Millisecond)
	return err
}

// BatchStats is what a Batch did with the records it was given.
type BatchStats struct {
	Emitted      uint64            // records given to OnEmit
	Handed       uint64            // records the exporter accepted (Export returned nil)
	Dropped      map[string]uint64 // by reason
	QueueRecords int               // waiting in the queue now
	QueueBytes   int               // their estimated memory
}

// Stats returns the counters so far.
func (b *Batch) Stats() BatchStats {
	b.mu.Lock()
	records, bytes := b.records, b.bytes
	b.mu.Unlock()
	return BatchStats{
		Emitted:      b.emitted.Load(),
		Handed:       b.exportedOK.Load(),
		Dropped:      b.drops.Snapshot(),
		QueueRecords: records,
		QueueBytes:   bytes,
	}
}
