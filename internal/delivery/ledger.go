package delivery

import (
	"context"
	"sync/atomic"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/accounting"
	"github.com/resilog/resilog/internal/recorduid"
	"github.com/resilog/resilog/internal/spool"
)

// Ledger owns every count of the delivery core: records emitted, exported, written by the
// fallback and dropped (by reason), export attempts retried and failed, the breaker's
// state and the last failure, and the stderr report that says so. Each record is counted
// once, at its final fate, by whichever part of the core decides it; Stats reads only the
// ledger. Counting is lock-free; its methods never wait on I/O.
type Ledger struct {
	emitted, exported, fallback   atomic.Uint64
	retries, permanent, transient atomic.Uint64
	open                          atomic.Bool

	drops    accounting.Drops
	failures failureReport

	// The spool, if any (set by SetSpool before the first record): the ledger appends a
	// record when the core accepts it and releases it when its fate is counted.
	spool               *spool.Spool
	syncBatch           bool
	spoolFull, replayed atomic.Uint64
}

// SetSpool makes the core keep its records in s from acceptance to their final fate;
// with syncBatch, SyncForExport writes them to stable storage before each export. Call
// it before the first record.
func (l *Ledger) SetSpool(s *spool.Spool, syncBatch bool) { l.spool, l.syncBatch = s, syncBatch }

// Spooled reports whether the core has a spool.
func (l *Ledger) Spooled() bool { return l.spool != nil }

// Append writes r, accepted by the core, to the spool and returns its seq, or 0 when it
// is not spooled: no spool, the spool off, or full (counted as spool_full, which is not
// a loss: the record takes the memory path). r is left as it is: its log.record.uid is
// written where it leaves the core, from its seq (uids).
func (l *Ledger) Append(r *sdklog.Record) (seq uint64) {
	if l.spool == nil {
		return 0
	}
	seq, res := l.spool.Append(r)
	if res != spool.Spooled {
		if res == spool.Full {
			l.spoolFull.Add(1)
		}
		return 0
	}
	return seq
}

// uids returns the log.record.uid of records spooled under seqs, for their Export.
func (l *Ledger) uids(seqs []uint64) recorduid.UIDs {
	if l.spool == nil {
		return recorduid.UIDs{}
	}
	return recorduid.New(l.spool, seqs)
}

// Release releases records from the spool: their fate (exported, written to the
// fallback, dropped) is counted. A seq of 0 (not spooled) is skipped.
func (l *Ledger) Release(seqs ...uint64) {
	if l.spool == nil {
		return
	}
	for _, s := range seqs {
		if s != 0 {
			l.spool.Release(seqs...)
			return
		}
	}
}

// Replayed counts a record of an earlier run, read back from the spool, given to the
// core: it is emitted too, so that the balance holds.
func (l *Ledger) Replayed() {
	l.replayed.Add(1)
	l.emitted.Add(1)
}

// SyncForExport writes the spool to stable storage before a batch leaves, in the
// spool's batch sync mode: a record the collector acknowledged was on disk first.
func (l *Ledger) SyncForExport() {
	if l.spool != nil && l.syncBatch {
		_ = l.spool.Sync() // an I/O error turns the spool off and says so
	}
}

// NewLedger returns a ledger reporting on the process's stderr report.
func NewLedger() *Ledger {
	l := &Ledger{}
	l.failures.drops = &l.drops
	return l
}

// Emitted counts n records given to the core.
func (l *Ledger) Emitted(n int) { l.emitted.Add(uint64(n)) }

// Drop counts n records dropped for reason r, and reports them (rate-limited).
func (l *Ledger) Drop(r accounting.Reason, n int) { l.drops.Add(r, n) }

// Drops returns the drop counter, to set where it reports (tests) and to flush it.
func (l *Ledger) Drops() *accounting.Drops { return &l.drops }

// Counts is a snapshot of a Ledger.
type Counts struct {
	Emitted, Exported, Fallback   uint64
	Dropped                       map[string]uint64 // by reason, non-zero only
	Retries, Permanent, Transient uint64
	BreakerOpen                   bool
	LastError                     string
	LastErrorTime                 time.Time
	ReportLinesLost               uint64
	// SpoolFull counts records the full spool could not take: they took the memory path
	// (not a loss: they are counted again at their fate). Replayed counts earlier runs'
	// records read back from the spool (included in Emitted).
	SpoolFull, Replayed uint64
}

// Counts returns the counts so far.
func (l *Ledger) Counts() Counts {
	// The fates first, Emitted last: a record is counted emitted before its fate, so a
	// snapshot never says more records finished than were emitted.
	c := Counts{
		Exported:        l.exported.Load(),
		Fallback:        l.fallback.Load(),
		Dropped:         l.drops.Snapshot(),
		Retries:         l.retries.Load(),
		Permanent:       l.permanent.Load(),
		Transient:       l.transient.Load(),
		BreakerOpen:     l.open.Load(),
		ReportLinesLost: l.drops.Report().Lost(),
		SpoolFull:       l.spoolFull.Load(),
		Replayed:        l.replayed.Load(),
	}
	c.LastError, c.LastErrorTime = l.failures.last()
	c.Emitted = l.emitted.Load()
	return c
}

// SpoolBatch gives the processor.Batch p the spool s (syncBatch: sync before each
// export) and returns the functions that queue an earlier run's record read back from
// it (false: ctx ended while it waited for room; the record is not queued), and count n
// earlier records lost to damage (emitted and dropped, corrupt). Package processor sets
// it; the root package calls it, before the first record.
var SpoolBatch func(p sdklog.Processor, s *spool.Spool, syncBatch bool) (replay func(ctx context.Context, r sdklog.Record, seq uint64) bool, corrupt func(n uint64))
