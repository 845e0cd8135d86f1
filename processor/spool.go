package processor

import (
	"context"

	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/accounting"
	"github.com/resilog/resilog/internal/delivery"
	"github.com/resilog/resilog/internal/recordsize"
	"github.com/resilog/resilog/internal/spool"
)

// The spool is wired into a Batch by the root package (resilog.WithSpool), through
// delivery.SpoolBatch: no exported API users would have to ignore.
func init() {
	delivery.SpoolBatch = func(p sdklog.Processor, s *spool.Spool, syncBatch bool) (func(context.Context, sdklog.Record, uint64) bool, func(uint64)) {
		b := p.(*Batch)
		b.mu.Lock()
		b.ledger.SetSpool(s, syncBatch)
		b.mu.Unlock()
		return b.replay, b.dropCorrupt
	}
}

// replay queues r, a record an earlier run left in the spool under seq, already redacted
// and carrying its own resource and scope. It waits for room in the queue rather than
// apply the overflow policy: it runs in resilog.New, before any log call, so that the
// earlier runs' records are delivered before the new ones. Counted emitted and replayed.
// It gives up the wait when ctx is done, and returns false: r is neither queued nor
// counted, and stays in the spool for the next run.
func (b *Batch) replay(ctx context.Context, r sdklog.Record, seq uint64) bool {
	size := recordsize.Of(&r)
	b.mu.Lock()
	if !b.closed && b.fullLocked(size) {
		stop := context.AfterFunc(ctx, func() {
			b.mu.Lock()
			b.space.Broadcast()
			b.mu.Unlock()
		})
		defer stop()
	}
	for !b.closed && b.fullLocked(size) {
		if ctx.Err() != nil {
			b.mu.Unlock()
			return false
		}
		b.space.Wait()
	}
	b.ledger.Replayed()
	if b.closed {
		b.mu.Unlock()
		b.ledger.Drop(accounting.Shutdown, 1)
		b.ledger.Release(seq)
		return true
	}
	if b.q.Push(r, seq, size) {
		b.sealLocked()
	}
	b.mu.Unlock()
	return true
}

// dropCorrupt counts n records of earlier runs that the spool found damaged: emitted and
// dropped (corrupt), so that the balance holds. resilog.New calls it after the replay.
func (b *Batch) dropCorrupt(n uint64) {
	if n > 0 {
		b.ledger.Emitted(int(n))
		b.ledger.Drop(accounting.Corrupt, int(n))
	}
}
