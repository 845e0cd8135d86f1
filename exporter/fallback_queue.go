package exporter

import (
	"context"
	"sync"
	"sync/atomic"

	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/accounting"
	"github.com/resilog/resilog/internal/recordsize"
)

// fallbackQueue puts a bounded buffer and a goroutine in front of the fallback exporter,
// so that a blocked stdout or disk never blocks the caller beyond the wait it chose: what
// does not fit in time is dropped and counted.
type fallbackQueue struct {
	exp                  sdklog.Exporter
	maxRecords, maxBytes int
	drops                *accounting.Drops

	mu        sync.Mutex
	cond      *sync.Cond
	q         []sdklog.Record // q[head:] is waiting; the backing array is reused
	sizes     []int           // recordsize.Of of each element of q
	head      int
	bytes     int
	writing   int  // records in the write under way
	abandoned bool // shutdown counted the write under way as dropped
	closed    bool
	done      chan struct{}

	written atomic.Uint64
}

const fallbackWriteBatch = 512

func newFallbackQueue(exp sdklog.Exporter, maxRecords, maxBytes int, drops *accounting.Drops) *fallbackQueue {
	f := &fallbackQueue{exp: exp, maxRecords: maxRecords, maxBytes: maxBytes, drops: drops, done: make(chan struct{})}
	f.cond = sync.NewCond(&f.mu)
	go f.run()
	return f
}

// enqueue copies records into the buffer. When it is full, enqueue waits for the writer
// to make room until ctx is done, then drops what does not fit (reason fallback_full). A
// done ctx makes it never wait: the log call's overflow path passes one.
func (f *fallbackQueue) enqueue(ctx context.Context, records []sdklog.Record) {
	if len(records) == 0 {
		return
	}
	if ctx.Err() == nil {
		// Wake the wait below when ctx ends. (A done ctx never waits; registering on it
		// would start a goroutine per call on the log call's overflow path.)
		stop := context.AfterFunc(ctx, func() {
			f.mu.Lock()
			f.cond.Broadcast()
			f.mu.Unlock()
		})
		defer stop()
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
		f.compactLocked()
		f.q = append(f.q, records[i])
		f.sizes = append(f.sizes, size)
		f.bytes += size
		f.cond.Broadcast()
	}
	f.mu.Unlock()
	f.drops.Add(accounting.FallbackFull, dropped)
	f.drops.Add(accounting.Shutdown, shutdown)
}

// waiting is the number of records not yet taken by the writer.
func (f *fallbackQueue) waiting() int { return len(f.q) - f.head }

// enqueueOne clones r into the buffer if there is room, and counts it as dropped
// otherwise. It never waits.
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
	f.compactLocked()
	f.q = append(f.q, r.Clone())
	f.sizes = append(f.sizes, size)
	f.bytes += size
	f.cond.Broadcast()
	f.mu.Unlock()
}

// compactLocked moves the waiting records to the front of the array when it is full and
// the writer has consumed some, instead of growing it.
func (f *fallbackQueue) compactLocked() {
	if len(f.q) == cap(f.q) && f.head > 0 {
		n := copy(f.q, f.q[f.head:])
		copy(f.sizes, f.sizes[f.head:])
		clear(f.q[n:])
		f.q, f.sizes, f.head = f.q[:n], f.sizes[:n], 0
	}
}

func (f *fallbackQueue) full(size int) bool {
	n := f.waiting() + f.writing
	return n >= f.maxRecords || (n > 0 && f.bytes+size > f.maxBytes)
}

func (f *fallbackQueue) run() {
	defer close(f.done)
	batch := make([]sdklog.Record, 0, fallbackWriteBatch)
	for {
		f.mu.Lock()
		for f.waiting() == 0 && !f.closed {
			f.cond.Wait()
		}
		if f.waiting() == 0 && f.closed {
			f.mu.Unlock()
			return
		}
		n := min(f.waiting(), fallbackWriteBatch)
		batch = append(batch[:0], f.q[f.head:f.head+n]...)
		size := 0
		for _, s := range f.sizes[f.head : f.head+n] {
			size += s
		}
		clear(f.q[f.head : f.head+n])
		f.head += n
		if f.head == len(f.q) {
			f.q, f.sizes, f.head = f.q[:0], f.sizes[:0], 0
		}
		f.writing = n
		f.mu.Unlock()

		err := f.exp.Export(context.Background(), batch)

		f.mu.Lock()
		if !f.abandoned {
			if err != nil {
				f.drops.Add(accounting.FallbackError, n)
			} else {
				f.written.Add(uint64(n))
			}
		}
		f.writing = 0
		f.bytes -= size
		f.cond.Broadcast()
		abandoned := f.abandoned
		f.mu.Unlock()
		clear(batch)
		if abandoned {
			return
		}
	}
}

// queued returns the records waiting or being written.
func (f *fallbackQueue) queued() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.waiting() + f.writing
}

// drain waits until everything enqueued so far is written or ctx ends.
func (f *fallbackQueue) drain(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		f.mu.Lock()
		f.cond.Broadcast()
		f.mu.Unlock()
	})
	defer stop()
	f.mu.Lock()
	defer f.mu.Unlock()
	for f.waiting() > 0 || f.writing > 0 {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		f.cond.Wait()
	}
	return nil
}

// shutdown writes what it can before ctx ends; the rest, and a write still blocked when
// ctx ends, are counted as dropped for reason shutdown.
func (f *fallbackQueue) shutdown(ctx context.Context) error {
	f.mu.Lock()
	f.closed = true
	f.cond.Broadcast()
	f.mu.Unlock()
	err := f.drain(ctx)
	f.mu.Lock()
	if left := f.waiting() + f.writing; left > 0 {
		f.abandoned = true
		f.q, f.sizes, f.head = nil, nil, 0
		f.drops.Add(accounting.Shutdown, left)
	}
	f.abandoned = true // later enqueues are counted as shutdown drops
	f.cond.Broadcast()
	f.mu.Unlock()
	if err == nil {
		<-f.done
	}
	return err
}
