// Package accounting counts what happens to records on resilog's data path, so that
// emitted == exported + fallback + dropped can be checked, and says so on stderr
// (rate-limited) whenever a record is dropped.
package accounting

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Reason says why a record was dropped. The set is closed so that counting is an atomic
// add on an array, with no map or allocation on the hot path.
type Reason int

// Drop reasons. Their String forms are the keys of Stats.Dropped and of the
// resilog.records.dropped metric's reason attribute.
const (
	QueueFull     Reason = iota // the batch queue was full and the overflow policy drops
	BlockTimeout                // the blocking overflow policy waited past its timeout
	FallbackFull                // the fallback's own buffer was full (stdout or disk blocked)
	FallbackError               // the fallback failed to write the record
	Shutdown                    // the shutdown deadline passed before the record was written
	Sampled                     // sampling of repeated records dropped it
	ExportFailed                // an exporter without a fallback returned an error
	numReasons
)

var reasonNames = [numReasons]string{"queue_full", "block_timeout", "fallback_full", "fallback_error", "shutdown", "sampled", "export_failed"}

// String returns the reason as it appears in Stats and metrics.
func (r Reason) String() string {
	if r < 0 || r >= numReasons {
		return fmt.Sprintf("Reason(%d)", int(r))
	}
	return reasonNames[r]
}

// Reasons lists every reason, in order.
func Reasons() []Reason {
	out := make([]Reason, numReasons)
	for i := range out {
		out[i] = Reason(i)
	}
	return out
}

// Drops counts dropped records by reason and reports them on a writer (stderr by default)
// at most once per interval. Counting is lock-free; the report is written on a timer's
// goroutine, never on the caller's, so a blocked stderr cannot stall a log call. The zero
// value is ready to use.
type Drops struct {
	counts [numReasons]atomic.Uint64

	pending    atomic.Bool  // a report is scheduled
	lastReport atomic.Int64 // unix nanos of the last line written

	reportMu sync.Mutex // serialises writers
	reported [numReasons]uint64
	out      io.Writer
	interval time.Duration
}

// SetReport sets where and how often drops are reported; w nil means os.Stderr and
// interval 0 means 10s. Call before use.
func (d *Drops) SetReport(w io.Writer, interval time.Duration) {
	d.out, d.interval = w, interval
}

// Add counts n records dropped for r.
func (d *Drops) Add(r Reason, n int) {
	if n <= 0 {
		return
	}
	d.counts[r].Add(uint64(n))
	if d.pending.CompareAndSwap(false, true) {
		interval := d.interval
		if interval <= 0 {
			interval = 10 * time.Second
		}
		wait := max(0, interval-time.Since(time.Unix(0, d.lastReport.Load())))
		time.AfterFunc(wait, func() {
			d.pending.Store(false) // drops from now on schedule the next line
			d.Flush()
		})
	}
}

// Count returns how many records were dropped for r.
func (d *Drops) Count(r Reason) uint64 { return d.counts[r].Load() }

// Total returns how many records were dropped for any reason.
func (d *Drops) Total() uint64 {
	var n uint64
	for i := range d.counts {
		n += d.counts[i].Load()
	}
	return n
}

// Snapshot returns the non-zero counts by reason name.
func (d *Drops) Snapshot() map[string]uint64 {
	m := make(map[string]uint64)
	for i := range d.counts {
		if n := d.counts[i].Load(); n > 0 {
			m[Reason(i).String()] = n
		}
	}
	return m
}

// Flush writes a line for the drops not reported yet, now, on the caller's goroutine.
func (d *Drops) Flush() {
	d.reportMu.Lock()
	defer d.reportMu.Unlock()
	var parts []string
	for i := range d.counts {
		n := d.counts[i].Load()
		if n > d.reported[i] {
			parts = append(parts, fmt.Sprintf("%s=%d (+%d)", Reason(i), n, n-d.reported[i]))
			d.reported[i] = n
		}
	}
	if len(parts) == 0 {
		return
	}
	d.lastReport.Store(time.Now().UnixNano())
	w := d.out
	if w == nil {
		w = os.Stderr
	}
	fmt.Fprintf(w, "resilog: records dropped: %s\n", strings.Join(parts, " "))
}

// FlushWithin is Flush that gives up waiting after timeout (the line is still written
// when the writer unblocks): for Shutdown, which must keep its deadline even with stderr
// blocked.
func (d *Drops) FlushWithin(timeout time.Duration) {
	done := make(chan struct{})
	go func() { d.Flush(); close(done) }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}
