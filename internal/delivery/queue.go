package delivery

import (
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/freelist"
	"github.com/resilog/resilog/internal/recordsize"
)

// Queue is the bounded record queue of the delivery core: the export queue in front of
// the collector (processor.Batch) and the fallback's buffer ([Fallback]) are each one.
// Records are kept in fixed-size chunks, oldest first: Push appends to the last chunk and
// never copies, grows or clears the records already queued; Pop takes a whole sealed
// chunk (a batch) out of the queue; Release clears it and keeps its buffer for reuse, the
// next one being made off the log call ([freelist]).
//
// A Queue is not safe for concurrent use: its owner holds the lock that guards it, and
// decides the bounds (Len and Bytes say how full it is).
//
// A durable variant (the spool) hooks in here: Push is where a record, already redacted,
// is accepted before the log call returns; Release is where a batch's fate (exported,
// written to the fallback) is final; DropOldest and the owner's drop counts are where a
// record is given up.
type Queue struct {
	chunkRecords int
	chunks       []*Chunk // oldest first; those after the first sealed ones are filling
	sealed       int      // chunks[:sealed] are sealed
	records      int
	bytes        int
	seq          uint64 // the next sealed chunk's Seq
	free         *freelist.List[*Chunk]
}

// Chunk is a batch of records taken out of a Queue by Pop.
type Chunk struct {
	Seq     uint64          // in sealing order
	Records []sdklog.Record // cap is the queue's chunk size unless DropOldest shortened it
	// Seqs are the records' spool seqs, beside them (0: not spooled): a record's seq
	// travels with it from the export queue to the fallback's, for the ledger to release
	// it from the spool at its final fate.
	Seqs  []uint64
	Bytes int // estimated memory of Records (recordsize)
}

// NewQueue returns a Queue of chunks of chunkRecords records, keeping up to keep spare
// chunks for reuse. Close stops its free list's goroutine.
func NewQueue(chunkRecords, keep int) *Queue {
	q := &Queue{chunkRecords: chunkRecords}
	q.free = freelist.New(func() *Chunk {
		return &Chunk{Records: freelist.Slice[sdklog.Record](chunkRecords), Seqs: make([]uint64, 0, chunkRecords)}
	}, keep)
	return q
}

// Push queues r, which the caller has cloned (the queue keeps it), of the given size,
// with its spool seq (0: not spooled). It reports whether the chunk r went into is now
// full and sealed.
func (q *Queue) Push(r sdklog.Record, seq uint64, size int) (sealed bool) {
	var c *Chunk
	if n := len(q.chunks); n > q.sealed {
		c = q.chunks[n-1]
	} else {
		c = q.free.Get()
		q.chunks = append(q.chunks, c)
	}
	c.Records = append(c.Records, r)
	c.Seqs = append(c.Seqs, seq)
	c.Bytes += size
	q.records++
	q.bytes += size
	if len(c.Records) == cap(c.Records) {
		return q.Seal()
	}
	return false
}

// Seal closes the filling chunk, if any, so that Pop can take it; it reports whether
// there was one.
func (q *Queue) Seal() bool {
	if len(q.chunks) == q.sealed || len(q.chunks[q.sealed].Records) == 0 {
		return false
	}
	q.chunks[q.sealed].Seq = q.seq
	q.seq++
	q.sealed++
	return true
}

// Pop takes the oldest sealed chunk out of the queue, or returns nil if none is sealed.
func (q *Queue) Pop() *Chunk {
	if q.sealed == 0 {
		return nil
	}
	c := q.chunks[0]
	q.chunks[0] = nil
	q.chunks = q.chunks[1:]
	q.sealed--
	q.records -= len(c.Records)
	q.bytes -= c.Bytes
	return c
}

// DropOldest removes the oldest record, which the caller counts as dropped, and returns
// its spool seq. It reports false when the queue is empty.
func (q *Queue) DropOldest() (seq uint64, ok bool) {
	if len(q.chunks) == 0 {
		return 0, false
	}
	c := q.chunks[0]
	size := recordsize.Of(&c.Records[0])
	seq = c.Seqs[0]
	c.Records[0] = sdklog.Record{}
	c.Records = c.Records[1:]
	c.Seqs = c.Seqs[1:]
	c.Bytes -= size
	q.records--
	q.bytes -= size
	if len(c.Records) == 0 {
		q.chunks[0] = nil
		q.chunks = q.chunks[1:]
		if q.sealed > 0 {
			q.sealed--
		}
	}
	return seq, true
}

// Release clears a popped chunk and keeps its buffer for reuse, unless DropOldest
// shortened it. The chunk must not be used afterwards.
func (q *Queue) Release(c *Chunk) {
	if cap(c.Records) != q.chunkRecords {
		return
	}
	clear(c.Records) // release the attribute values to the garbage collector
	c.Records, c.Seqs, c.Bytes = c.Records[:0], c.Seqs[:0], 0
	q.free.Put(c)
}

// Len returns the records queued (popped chunks excluded).
func (q *Queue) Len() int { return q.records }

// Sealed returns the number of sealed chunks waiting for Pop.
func (q *Queue) Sealed() int { return q.sealed }

// Bytes returns the estimated memory of the records queued.
func (q *Queue) Bytes() int { return q.bytes }

// NextSeq returns the Seq the next sealed chunk will get.
func (q *Queue) NextSeq() uint64 { return q.seq }

// OldestSealed returns the Seq of the oldest sealed chunk still queued.
func (q *Queue) OldestSealed() (uint64, bool) {
	if q.sealed == 0 {
		return 0, false
	}
	return q.chunks[0].Seq, true
}

// Discard empties the queue without releasing its chunks: for a shutdown that counted
// the records as dropped and whose buffers a blocked writer may still hold.
func (q *Queue) Discard() {
	clear(q.chunks)
	q.chunks, q.sealed, q.records, q.bytes = nil, 0, 0, 0
}

// Close stops the free list; Get still works afterwards, making chunks on the caller.
func (q *Queue) Close() { q.free.Close() }

// Made returns how many chunk buffers were made so far.
func (q *Queue) Made() int64 { return q.free.Made() }
