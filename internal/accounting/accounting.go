// Package accounting counts what happens to records on resilog's data path, so that
// emitted == exported + fallback + dropped can be checked, and says so on stderr
// (rate-limited) whenever a record is dropped. It owns resilog's stderr report ([Report]):
// every line resilog writes there (drops, export failures, the fallback's write errors,
// the OpenTelemetry SDK's errors) goes through one writer that never blocks its caller.
package accounting

import (
	"fmt"
	"io"
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
	Corrupt                     // an earlier run's record found damaged in the spool
	numReasons
)

var reasonNames = [numReasons]string{"queue_full", "block_timeout", "fallback_full", "fallback_error", "shutdown", "sampled", "export_failed", "corrupt"}

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

// Drops counts dropped records by reason and reports them (on stderr by default) at most
// once per interval. Counting is lock-free; the report goes through a [Report], so a
// blocked stderr never stalls a log call nor starts more than one goroutine. The zero
// value is ready to use.
type Drops struct {
	counts [numReasons]atomic.Uint64

	pending    atomic.Bool  // a report is scheduled
	lastReport atomic.Int64 // unix nanos of the last line written

	mu       sync.Mutex // guards reported; never held across I/O
	reported [numReasons]uint64
	report   *Report
	interval time.Duration
}

// SetReport sets where and how often drops are reported; w nil means the process's
// stderr report ([Stderr]) and interval 0 means 10s. Call before use.
func (d *Drops) SetReport(w io.Writer, interval time.Duration) {
	d.report, d.interval = nil, interval
	if w != nil {
		d.report = NewReport(w)
	}
}

// Report returns the report drops are written to, for the other lines of the component
// that counts them (export failures), so that there is one writer.
func (d *Drops) Report() *Report {
	if d.report == nil {
		return Stderr()
	}
	return d.report
}

// Interval returns how often at most a line is reported.
func (d *Drops) Interval() time.Duration {
	if d.interval <= 0 {
		return 10 * time.Second
	}
	return d.interval
}

// Add counts n records dropped for r.
func (d *Drops) Add(r Reason, n int) {
	if n <= 0 {
		return
	}
	d.counts[r].Add(uint64(n))
	if d.pending.CompareAndSwap(false, true) {
		d.schedule()
	}
}

// schedule writes the next line after the interval, on a timer's goroutine. Exactly one
// timer is pending or running at a time: pending is cleared only after the line is
// queued, and drops counted meanwhile schedule the next one from here.
func (d *Drops) schedule() {
	wait := max(0, d.Interval()-time.Since(time.Unix(0, d.lastReport.Load())))
	time.AfterFunc(wait, func() {
		d.Flush()
		d.pending.Store(false)
		if d.unreported() && d.pending.CompareAndSwap(false, true) {
			d.schedule()
		}
	})
}

// unreported reports whether drops were counted since the last line.
func (d *Drops) unreported() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range d.counts {
		if d.counts[i].Load() > d.reported[i] {
			return true
		}
	}
	return false
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

// Flush queues a line for the drops not reported yet on the report; it never waits for
// the write.
func (d *Drops) Flush() {
	d.mu.Lock()
	var parts []string
	for i := range d.counts {
		n := d.counts[i].Load()
		if n > d.reported[i] {
			parts = append(parts, fmt.Sprintf("%s=%d (+%d)", Reason(i), n, n-d.reported[i]))
			d.reported[i] = n
		}
	}
	if len(parts) > 0 {
		d.lastReport.Store(time.Now().UnixNano())
		// Under d.mu, so that lines keep their order; Print never waits.
		d.Report().Print("resilog: records dropped: " + strings.Join(parts, " "))
	}
	d.mu.Unlock()
}

// FlushWithin is Flush that then waits up to timeout for the line to be written: for
// Shutdown, which must keep its deadline even with stderr blocked. It starts no
// goroutine; a line still blocked at the timeout is written when the writer unblocks.
func (d *Drops) FlushWithin(timeout time.Duration) {
	d.Flush()
	d.Report().Wait(timeout)
}
