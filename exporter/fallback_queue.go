package exporter

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/accounting"
	"github.com/resilog/resilog/internal/freelist"
	"github.com/resilog/resilog/internal/recordsize"
	"github.com/resilog/resilog/internal/wake"
)

// fallbackQueue puts a bounded buffer and a goroutine in front of the fallback exporter,
// so that a blocked stdout or disk never blocks the caller beyond the wait it chose: what
// does not fit in time is dropped and counted.
//
// The buffer is a list of fixed-size chunks rather than one growing array: the log call's
// overflow path (enqueueOne) appends to the last chunk and never copies, grows or clears
// the records already queued, and the writer takes whole chunks under the lock, writes
// and clears them outside it. Chunks are reused, and when the last kept one is taken the
// next is made off the log call.
type fallbackQueue struct {
	exp                  sdklog.Exporter
	maxRecords, maxBytes int
	chunkRecords         int
	drops                *accounting.Drops

	mu        sync.Mutex
	cond      *sync.Cond                     // room made, records written: enqueue and drain wait on it
	more      *sync.Cond                     // the writer waits on it for records
	urgent    int                            // drain calls waiting: the writer does not linger
	chunks    []*fallbackChunk               // waiting, oldest first; the last one fills
	waiting   int                            // records in chunks
	bytes     int                            // estimated size of the records waiting and being written
	writing   int                            // records taken by the writer and not yet written
	free      *freelist.List[*fallbackChunk] // written chunks, and the next one made ahead
	abandoned bool                           // shutdown counted the records left as dropped
	closed    bool
	done      chan struct{} // closed when the writer returns

	written atomic.Uint64
	// failed is set at the fallback's first write error, which is reported once: the
	// records it loses are counted (fallback_error) in the drop report from then on.
	failed atomic.Bool
}

type fallbackChunk struct {
	recs  []sdklog.Record // cap is the queue's chunkRecords
	bytes int
}

// chunkRecords is the size of a buffer chunk (about 150 KB): big enough that the writer
// hands the fallback large writes, small enough to allocate quickly.
const chunkRecords = 256

// maxFreeChunks bounds the chunks kept for reuse.
const maxFreeChunks = 4

// linger is how long the writer waits for a chunk to fill before writing what it has.
// Records spilled one at a time by log calls would otherwise be written one per write
// system call, each waking the writer: CPU taken from the application while the
// collector is failing.
const linger = 5 * time.Millisecond

func newFallbackQueue(exp sdklog.Exporter, maxRecords, maxBytes int, drops *accounting.Drops) *fallbackQueue {
	f := &fallbackQueue{
		exp: exp, maxRecords: maxRecords, maxBytes: maxBytes, chunkRecords: min(chunkRecords, maxRecords), drops: drops,
		done: make(chan struct{}),
	}
	f.cond = sync.NewCond(&f.mu)
	f.more = sync.NewCond(&f.mu)
	f.free = freelist.New(func() *fallbackChunk {
		return &fallbackChunk{recs: freelist.Slice[sdklog.Record](f.chunkRecords)}
	}, maxFreeChunks)
	go f.run()
	return f
}

// tailLocked returns the chunk to append to, opening one when the last is full.
func (f *fallbackQueue) tailLocked() *fallbackChunk {
	if n := len(f.chunks); n > 0 && len(f.chunks[n-1].recs) < cap(f.chunks[n-1].recs) {
		return f.chunks[n-1]
	}
	c := f.free.Get()
	f.chunks = append(f.chunks, c)
	return c
}

// addLocked queues r, which the caller has cloned, and wakes the writer for the first
// record (it then lingers), for each full chunk, and when the buffer becomes half full in
// bytes.
func (f *fallbackQueue) addLocked(r sdklog.Record, size int) {
	c := f.tailLocked()
	c.recs = append(c.recs, r)
	c.bytes += size
	f.waiting++
	f.bytes += size
	if f.waiting == 1 || len(c.recs) == cap(c.recs) || 2*(f.bytes-size) < f.maxBytes && 2*f.bytes >= f.maxBytes {
		f.more.Signal()
	}
}

// enqueue copies records into the buffer. When it is full, enqueue waits for the writer
// to make room until ctx is done, then drops what does not fit (reason fallback_full). A
// done ctx makes it never wait.
func (f *fallbackQueue) enqueue(ctx context.Context, records []sdklog.Record) {
	if len(records) == 0 {
		return
	}
	if ctx.Err() == nil {
		// Wake the wait below when ctx ends. (A done ctx never waits; registering on it
		// would start a goroutine per call.)
		defer wake.WhenDone(ctx, f.cond)()
	}
	dropped, shutdown := 0, 0
	f.mu.Lock()
	for i := range records {
		if f.abandoned {
			shutdown++
			continue
		}
		size := recordsize.Of(&records[i])
		for f.full(size) && ctx.Err() == nil && !f.abandoned {
			f.cond.Wait()
		}
		if f.abandoned {
			shutdown++
			continue
		}
		if f.full(size) {
			dropped++
			continue
		}
		f.addLocked(records[i], size)
	}
	f.mu.Unlock()
	f.drops.Add(accounting.FallbackFull, dropped)
	f.drops.Add(accounting.Shutdown, shutdown)
}

// enqueueOne clones r into the buffer if there is room, and counts it as dropped
// otherwise. It never waits: the log call's overflow path uses it.
func (f *fallbackQueue) enqueueOne(r *sdklog.Record) {
	size := recordsize.Of(r)
	f.mu.Lock()
	switch {
	case f.abandoned:
		f.mu.Unlock()
		f.drops.Add(accounting.Shutdown, 1)
		return
	case f.full(size):
		f.mu.Unlock()
		f.drops.Add(accounting.FallbackFull, 1)
		return
	}
	f.addLocked(r.Clone(), size)
	f.mu.Unlock()
}

func (f *fallbackQueue) full(size int) bool {
	n := f.waiting + f.writing
	return n >= f.maxRecords || (n > 0 && f.bytes+size > f.maxBytes)
}

// run writes the queued chunks to the fallback exporter, oldest first.
func (f *fallbackQueue) run() {
	defer close(f.done)
	var taken []*fallbackChunk
	lingered := time.AfterFunc(time.Hour, func() {
		f.mu.Lock()
		f.more.Signal()
		f.mu.Unlock()
	})
	defer lingered.Stop()
	for {
		f.mu.Lock()
		for f.waiting == 0 && !f.closed {
			f.more.Wait()
		}
		if f.waiting == 0 && f.closed {
			f.mu.Unlock()
			return
		}
		// Wait a little for a full chunk, unless someone waits for the writes or the
		// buffer is half full in bytes (a few large records).
		until := time.Now().Add(linger)
		lingered.Reset(linger)
		for f.waiting < f.chunkRecords && 2*f.bytes < f.maxBytes && !f.closed && f.urgent == 0 && time.Now().Before(until) {
			f.more.Wait()
		}
		taken = append(taken[:0], f.chunks...)
		clear(f.chunks)
		f.chunks = f.chunks[:0]
		f.writing += f.waiting
		f.waiting = 0
		f.mu.Unlock()

		for i, c := range taken {
			err := f.exp.Export(context.Background(), c.recs)
			n := len(c.recs)

			f.mu.Lock()
			abandoned := f.abandoned
			if !abandoned {
				if err != nil {
					f.drops.Add(accounting.FallbackError, n)
					f.reportError(err)
				} else {
					f.written.Add(uint64(n))
				}
				f.writing -= n
				f.bytes -= c.bytes
			}
			f.cond.Broadcast()
			f.mu.Unlock()
			if abandoned {
				return // shutdown counted the rest; the exporter may still be blocked
			}

			clear(c.recs) // release the attribute values to the garbage collector
			c.recs, c.bytes = c.recs[:0], 0
			taken[i] = nil
			f.free.Put(c)
		}
	}
}

// reportError reports the fallback's first write error (a closed stdout pipe: EPIPE).
func (f *fallbackQueue) reportError(err error) {
	if f.failed.CompareAndSwap(false, true) {
		f.drops.Report().Print(fmt.Sprintf("resilog: fallback exporter failed: %v; "+
			"the records it cannot write are dropped and counted as fallback_error", err))
	}
}

// queued returns the records waiting or being written.
func (f *fallbackQueue) queued() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.waiting + f.writing
}

// drain waits until everything enqueued so far is written or ctx ends.
func (f *fallbackQueue) drain(ctx context.Context) error {
	defer wake.WhenDone(ctx, f.cond)()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.urgent++
	defer func() { f.urgent-- }()
	f.more.Signal()
	for f.waiting > 0 || f.writing > 0 {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		f.cond.Wait()
	}
	return nil
}

// shutdown writes what it can before ctx ends; the rest, and a write still blocked when
// ctx ends, are counted as dropped for reason shutdown. Whether everything was written
// and the marking of the queue abandoned are decided under one hold of the lock, so that
// a record enqueued meanwhile is either written before shutdown returns or counted
// dropped, never both. It waits for the writer to return only until ctx ends: a write
// blocked in the exporter finishes in the background, counting nothing.
func (f *fallbackQueue) shutdown(ctx context.Context) error {
	defer wake.WhenDone(ctx, f.cond)()
	f.mu.Lock()
	f.closed = true
	f.urgent++
	f.more.Signal()
	for (f.waiting > 0 || f.writing > 0) && ctx.Err() == nil {
		f.cond.Wait()
	}
	f.urgent--
	left := f.waiting + f.writing
	if left > 0 {
		f.drops.Add(accounting.Shutdown, left)
	}
	f.chunks, f.waiting, f.writing, f.bytes = nil, 0, 0, 0
	f.abandoned = true // later enqueues are counted as shutdown drops
	f.cond.Broadcast()
	f.more.Signal()
	f.mu.Unlock()
	f.free.Close()
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
