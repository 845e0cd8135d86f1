package delivery

import (
	"context"
	"fmt"
	"sync"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/accounting"
	"github.com/resilog/resilog/internal/recordsize"
	"github.com/resilog/resilog/internal/recorduid"
	"github.com/resilog/resilog/internal/wake"
)

// Fallback puts a bounded [Queue] and a goroutine in front of the fallback exporter, so
// that a blocked stdout or disk never blocks the caller beyond the wait it chose: what
// does not fit in time is dropped and counted. Records are written in the order they
// were handed over.
type Fallback struct {
	exp                  sdklog.Exporter
	maxRecords, maxBytes int
	chunkRecords         int
	ledger               *Ledger

	mu           sync.Mutex
	cond         *sync.Cond // room made, records written: enqueue and drain wait on it
	more         *sync.Cond // the writer waits on it for records
	urgent       int        // drain calls waiting: the writer does not linger
	q            *Queue     // waiting to be written
	writing      int        // records taken by the writer and not yet written
	writingBytes int        // their estimated size
	abandoned    bool       // shutdown counted the records left as dropped
	closed       bool
	done         chan struct{} // closed when the writer returns

	// failed is set at the fallback's first write error, which is reported once: the
	// records it loses are counted (fallback_error) in the drop report from then on.
	failed bool // under mu
}

// fallbackChunk is the size of a buffer chunk (about 150 KB): big enough that the writer
// hands the fallback large writes, small enough to allocate quickly.
const fallbackChunk = 256

// maxFreeChunks bounds the chunks kept for reuse.
const maxFreeChunks = 4

// linger is how long the writer waits for a chunk to fill before writing what it has.
// Records spilled one at a time by log calls would otherwise be written one per write
// system call, each waking the writer: CPU taken from the application while the
// collector is failing.
const linger = 5 * time.Millisecond

// NewFallback returns a Fallback writing to exp, holding at most maxRecords records and
// about maxBytes bytes, counting in ledger.
func NewFallback(exp sdklog.Exporter, maxRecords, maxBytes int, ledger *Ledger) *Fallback {
	f := &Fallback{
		exp: exp, maxRecords: maxRecords, maxBytes: maxBytes, chunkRecords: min(fallbackChunk, maxRecords), ledger: ledger,
		done: make(chan struct{}),
	}
	f.q = NewQueue(f.chunkRecords, maxFreeChunks)
	f.cond = sync.NewCond(&f.mu)
	f.more = sync.NewCond(&f.mu)
	go f.run()
	return f
}

// addLocked queues r, which the caller has cloned, and wakes the writer for the first
// record (it then lingers), for each full chunk, and when the buffer becomes half full in
// bytes.
func (f *Fallback) addLocked(r sdklog.Record, seq uint64, size int) {
	before := f.q.Bytes() + f.writingBytes
	full := f.q.Push(r, seq, size)
	if f.q.Len() == 1 || full || 2*before < f.maxBytes && 2*(before+size) >= f.maxBytes {
		f.more.Signal()
	}
}

// Enqueue copies records, with their spool seqs (nil: none spooled), into the buffer.
// When it is full, Enqueue waits for the writer to make room until ctx is done, then
// drops what does not fit (reason fallback_full). A done ctx makes it never wait.
func (f *Fallback) Enqueue(ctx context.Context, records []sdklog.Record, seqs []uint64) {
	if len(records) == 0 {
		return
	}
	if ctx.Err() == nil {
		// Wake the wait below when ctx ends. (A done ctx never waits; registering on it
		// would start a goroutine per call.)
		defer wake.WhenDone(ctx, f.cond)()
	}
	dropped, shutdown := 0, 0
	var release []uint64 // the seqs of the records dropped
	drop := func(i int) {
		if i < len(seqs) && seqs[i] != 0 {
			release = append(release, seqs[i])
		}
	}
	f.mu.Lock()
	for i := range records {
		if f.abandoned {
			shutdown++
			drop(i)
			continue
		}
		size := recordsize.Of(&records[i])
		for f.full(size) && ctx.Err() == nil && !f.abandoned {
			f.cond.Wait()
		}
		if f.abandoned {
			shutdown++
			drop(i)
			continue
		}
		if f.full(size) {
			dropped++
			drop(i)
			continue
		}
		f.addLocked(records[i], seqAt(seqs, i), size)
	}
	f.mu.Unlock()
	f.ledger.Drop(accounting.FallbackFull, dropped)
	f.ledger.Drop(accounting.Shutdown, shutdown)
	f.ledger.Release(release...)
}

// TryEnqueueOne clones r, with its spool seq, into the buffer if there is room and
// reports whether it did; it never waits and counts nothing when it returns false.
func (f *Fallback) TryEnqueueOne(r *sdklog.Record, seq uint64) bool {
	size := recordsize.Of(r)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.abandoned || f.full(size) {
		return false
	}
	f.addLocked(r.Clone(), seq, size)
	return true
}

// EnqueueOne clones r, with its spool seq, into the buffer if there is room, and counts
// it as dropped (and releases it) otherwise. It never waits: the log call's overflow path
// uses it.
func (f *Fallback) EnqueueOne(r *sdklog.Record, seq uint64) {
	size := recordsize.Of(r)
	f.mu.Lock()
	switch {
	case f.abandoned:
		f.mu.Unlock()
		f.ledger.Drop(accounting.Shutdown, 1)
		f.ledger.Release(seq)
		return
	case f.full(size):
		f.mu.Unlock()
		f.ledger.Drop(accounting.FallbackFull, 1)
		f.ledger.Release(seq)
		return
	}
	f.addLocked(r.Clone(), seq, size)
	f.mu.Unlock()
}

func (f *Fallback) full(size int) bool {
	n := f.q.Len() + f.writing
	return n >= f.maxRecords || (n > 0 && f.q.Bytes()+f.writingBytes+size > f.maxBytes)
}

// run writes the queued chunks to the fallback exporter, oldest first.
func (f *Fallback) run() {
	defer close(f.done)
	var taken []*Chunk
	lingered := time.AfterFunc(time.Hour, func() {
		f.mu.Lock()
		f.more.Signal()
		f.mu.Unlock()
	})
	defer lingered.Stop()
	for {
		f.mu.Lock()
		for f.q.Len() == 0 && !f.closed {
			f.more.Wait()
		}
		if f.q.Len() == 0 && f.closed {
			f.mu.Unlock()
			return
		}
		// Wait a little for a full chunk, unless someone waits for the writes or the
		// buffer is half full in bytes (a few large records).
		until := time.Now().Add(linger)
		lingered.Reset(linger)
		for f.q.Len() < f.chunkRecords && 2*(f.q.Bytes()+f.writingBytes) < f.maxBytes && !f.closed && f.urgent == 0 && time.Now().Before(until) {
			f.more.Wait()
		}
		f.q.Seal()
		taken = taken[:0]
		for c := f.q.Pop(); c != nil; c = f.q.Pop() {
			taken = append(taken, c)
			f.writing += len(c.Records)
			f.writingBytes += c.Bytes
		}
		f.mu.Unlock()

		f.ledger.SyncForExport() // the spool's batch mode: on disk before it is written
		for i, c := range taken {
			err := f.exp.Export(recorduid.NewContext(context.Background(), f.ledger.uids(c.Seqs)), c.Records)
			n := len(c.Records)

			f.mu.Lock()
			abandoned := f.abandoned
			if !abandoned {
				if err != nil {
					f.ledger.Drop(accounting.FallbackError, n)
					f.reportErrorLocked(err)
				} else {
					f.ledger.fallback.Add(uint64(n))
				}
				// Released before the writes in progress drop: whoever Drain wakes finds
				// the chunk back in the free list, and the records out of the spool.
				f.ledger.Release(c.Seqs...) // written, or dropped (fallback_error)
				f.q.Release(c)
				f.writing -= n
				f.writingBytes -= c.Bytes
			}
			f.cond.Broadcast()
			f.mu.Unlock()
			if abandoned {
				// Shutdown counted the rest (dropped, shutdown); the exporter may still
				// be blocked. Their seqs stay in the spool: the next run delivers them.
				return
			}
			taken[i] = nil
		}
	}
}

// reportErrorLocked reports the fallback's first write error (a closed stdout pipe: EPIPE).
func (f *Fallback) reportErrorLocked(err error) {
	if !f.failed {
		f.failed = true
		f.ledger.drops.Report().Print(fmt.Sprintf("resilog: fallback exporter failed: %v; "+
			"the records it cannot write are dropped and counted as fallback_error", err))
	}
}

// Queued returns the records waiting or being written.
func (f *Fallback) Queued() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.q.Len() + f.writing
}

// Drain waits until everything enqueued so far is written or ctx ends.
func (f *Fallback) Drain(ctx context.Context) error {
	defer wake.WhenDone(ctx, f.cond)()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.urgent++
	defer func() { f.urgent-- }()
	f.more.Signal()
	for f.q.Len() > 0 || f.writing > 0 {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		f.cond.Wait()
	}
	return nil
}

// Shutdown writes what it can before ctx ends; the rest, and a write still blocked when
// ctx ends, are counted as dropped for reason shutdown. Whether everything was written
// and the marking of the queue abandoned are decided under one hold of the lock, so that
// a record enqueued meanwhile is either written before Shutdown returns or counted
// dropped, never both. It waits for the writer to return only until ctx ends: a write
// blocked in the exporter finishes in the background, counting nothing. It does not shut
// the exporter down.
func (f *Fallback) Shutdown(ctx context.Context) error {
	defer wake.WhenDone(ctx, f.cond)()
	f.mu.Lock()
	f.closed = true
	f.urgent++
	f.more.Signal()
	for (f.q.Len() > 0 || f.writing > 0) && ctx.Err() == nil {
		f.cond.Wait()
	}
	f.urgent--
	left := f.q.Len() + f.writing
	f.ledger.Drop(accounting.Shutdown, left)
	f.q.Discard()
	f.writing, f.writingBytes = 0, 0
	f.abandoned = true // later enqueues are counted as shutdown drops
	f.cond.Broadcast()
	f.more.Signal()
	f.mu.Unlock()
	f.q.Close()
	if left > 0 {
		return ctx.Err()
	}
	select {
	case <-f.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// seqAt returns seqs[i], or 0 when seqs does not reach i (no spool).
func seqAt(seqs []uint64, i int) uint64 {
	if i < len(seqs) {
		return seqs[i]
	}
	return 0
}
