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
// so that a blocked stdout or disk never blocks the caller: enqueue never waits, and what
// does not fit is dropped and counted.
type fallbackQueue struct {
	exp                  sdklog.Exporter
	maxRecords, maxBytes int
	drops                *accounting.Drops

	mu        sync.Mutex
	cond      *sync.Cond
	q         []sdklog.Record
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

// enqueue copies records into the buffer. It never blocks on I/O.
func (f *fallbackQueue) enqueue(records []sdklog.Record) {
	if len(records) == 0 {
		return
	}
	dropped, shutdown := 0, 0
	f.mu.Lock()
	for i := range records {
		if f.closed && f.abandoned {
			shutdown++
			continue
		}
		size := recordsize.Of(&records[i])
		if len(f.q) >= f.maxRecords || f.bytes+size > f.maxBytes {
			dropped++
			continue
		}
		f.q = append(f.q, records[i])
		f.bytes += size
	}
	f.cond.Broadcast()
	f.mu.Unlock()
	f.drops.Add(accounting.FallbackFull, dropped)
	f.drops.Add(accounting.Shutdown, shutdown)
}

func (f *fallbackQueue) run() {
	defer close(f.done)
	batch := make([]sdklog.Record, 0, fallbackWriteBatch)
	for {
		f.mu.Lock()
		for len(f.q) == 0 && !f.closed {
			f.cond.Wait()
		}
		if len(f.q) == 0 && f.closed {
			f.mu.Unlock()
			return
		}
		n := min(len(f.q), fallbackWriteBatch)
		batch = append(batch[:0], f.q[:n]...)
		for i := range batch {
			f.bytes -= recordsize.Of(&batch[i])
		}
		clear(f.q[:n])
		f.q = f.q[n:]
		if len(f.q) == 0 {
			f.q = nil // let the backing array go
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
	return len(f.q) + f.writing
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
	for len(f.q) > 0 || f.writing > 0 {
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
	if left := len(f.q) + f.writing; left > 0 {
		f.abandoned = true
		f.q = nil
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
