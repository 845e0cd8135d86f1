package delivery

import (
	"sync/atomic"
	"time"

	"github.com/resilog/resilog/internal/accounting"
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
	}
	c.LastError, c.LastErrorTime = l.failures.last()
	c.Emitted = l.emitted.Load()
	return c
}
