package delivery

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/recordtest"
)

// TestFallbackQueueKeepsOrderAcrossChunks: records spilled one by one and in slices, across
// many chunks, reach the fallback once each and in order, while the writer runs.
func TestFallbackQueueKeepsOrderAcrossChunks(t *testing.T) {
	out := new(recordtest.Exporter)
	ledger := NewLedger()
	q := NewFallback(out, 10000, 64<<20, ledger)
	recs := records(3000)
	for i := range 1000 {
		q.EnqueueOne(&recs[i], 0)
	}
	q.Enqueue(context.Background(), recs[1000:2000], nil)
	for i := 2000; i < 3000; i++ {
		q.EnqueueOne(&recs[i], 0)
	}
	if err := q.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := out.Records()
	if c := ledger.Counts(); len(got) != 3000 || c.Fallback != 3000 || len(c.Dropped) != 0 {
		t.Fatalf("written %d (counted %d), dropped %v; want 3000 and none", len(got), c.Fallback, c.Dropped)
	}
	for i, r := range got {
		if s := seqOf(r); s != int64(i) {
			t.Fatalf("record %d has seq %d: order lost", i, s)
		}
	}
}

// TestFallbackQueueReusesChunks: with the writer keeping up, the spill path takes its
// chunks from the free list; it does not allocate one per chunk's worth of records.
func TestFallbackQueueReusesChunks(t *testing.T) {
	q := NewFallback(new(recordtest.Exporter), 10000, 64<<20, NewLedger())
	defer func() { _ = q.Shutdown(context.Background()) }()
	recs := records(fallbackChunk)
	for round := range 50 {
		for i := range recs {
			q.EnqueueOne(&recs[i], 0)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := q.Drain(ctx); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		cancel()
	}
	if n := q.q.Made(); n > maxFreeChunks+2 {
		t.Fatalf("50 rounds of a chunk each allocated %d chunks; want them reused", n)
	}
}

func seqOf(r sdklog.Record) int64 {
	seq := int64(-1)
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		if kv.Key == "seq" {
			seq = kv.Value.AsInt64()
		}
		return true
	})
	return seq
}
