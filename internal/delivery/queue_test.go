package delivery

import (
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/recordtest"
)

func seqRecord(seq int) sdklog.Record {
	return recordtest.Make("q", func(r *log.Record) { r.AddAttributes(attribute.Int("seq", seq)) })
}

// TestQueueKeepsOrderAcrossSealsAndDrops: chunks come out oldest first, sealed when full
// or by Seal, with their records in order; DropOldest takes the oldest record queued.
func TestQueueKeepsOrderAcrossSealsAndDrops(t *testing.T) {
	q := NewQueue(4, 2)
	defer q.Close()
	for i := range 10 {
		if sealed := q.Push(seqRecord(i), 0, 1); sealed != (i%4 == 3) {
			t.Fatalf("push %d: sealed = %v", i, sealed)
		}
	}
	if q.Len() != 10 || q.Bytes() != 10 {
		t.Fatalf("len %d, bytes %d; want 10, 10", q.Len(), q.Bytes())
	}
	if _, ok := q.DropOldest(); !ok { // record 0
		t.Fatal("DropOldest on a full queue")
	}
	q.Seal() // records 8-9
	var got []int64
	for c := q.Pop(); c != nil; c = q.Pop() {
		for _, r := range c.Records {
			got = append(got, seqOf(r))
		}
		q.Release(c)
	}
	if len(got) != 9 || got[0] != 1 || got[8] != 9 {
		t.Fatalf("popped %v, want 1-9 in order", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i] != got[i-1]+1 {
			t.Fatalf("popped %v: out of order", got)
		}
	}
	if q.Len() != 0 || q.Bytes() != 0 || q.Pop() != nil {
		t.Fatalf("queue not empty after popping everything: %d records", q.Len())
	}
}

// TestQueueBufferIsReadyBeforeTheLogCallNeedsIt: a chunk buffer (1024 records, about
// 600 KB, for the export queue) is allocated off the log call. While exports hang, every
// sealed chunk keeps its buffer, and the next one must be waiting before the current one
// is full, so that the Push right after a seal finds one.
func TestQueueBufferIsReadyBeforeTheLogCallNeedsIt(t *testing.T) {
	q := NewQueue(8, 3)
	defer q.Close()
	spare := func() *Chunk {
		t.Helper()
		for range 5000 {
			if q.free.Kept() > 0 {
				// Peek: take the spare and put it back, so that the next Get returns it.
				c := q.free.Get()
				q.free.Put(c)
				return c
			}
			time.Sleep(time.Millisecond)
		}
		return nil
	}
	want := spare() // made by NewQueue
	for chunk := range 5 {
		if want == nil {
			t.Fatalf("chunk %d: no spare buffer waiting", chunk)
		}
		q.Push(seqRecord(chunk*8), 0, 1)
		if got := q.chunks[len(q.chunks)-1]; got != want {
			t.Fatalf("chunk %d: the push did not take the spare buffer", chunk)
		}
		// The next buffer is made while this one fills, not when it is sealed.
		want = spare()
		for i := 1; i < 8; i++ {
			q.Push(seqRecord(chunk*8+i), 0, 1)
		}
	}
}
