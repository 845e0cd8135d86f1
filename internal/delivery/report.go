package delivery

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/resilog/resilog/exporter"
	"github.com/resilog/resilog/internal/accounting"
)

// failureReport says on the drop report's writer why exports fail: the first failure of
// each kind at once, with its cause and the endpoint; then at most one line per kind per
// interval while failures persist; and a line when delivery resumes after failures that
// were reported. A collector that flaps therefore costs at most two lines per kind per
// interval. It keeps the last error for Stats. Its methods never wait on I/O.
type failureReport struct {
	drops   *accounting.Drops // its Report is the one writer; its Interval the pace
	failing atomic.Bool       // since the last success; lets succeeded skip the lock

	mu        sync.Mutex
	endpoint  string               // from the last ExportError that named one
	printed   map[string]time.Time // when a line for each kind was last written
	seen      map[string]int       // failures of each kind since the last success
	since     time.Time            // first failure since the last success
	failures  int                  // since then
	told      bool                 // a line was written about these failures
	lastErr   string
	lastErrAt time.Time
}

func (fr *failureReport) target() string {
	if fr.endpoint == "" {
		return "the primary exporter"
	}
	return fr.endpoint
}

// failed records a failed export or probe.
func (fr *failureReport) failed(err error) {
	now := time.Now()
	kind := exporter.FailureKind(err)
	msg := accounting.OneLine(err.Error())
	fr.mu.Lock()
	defer fr.mu.Unlock()
	var ee *exporter.ExportError
	if errors.As(err, &ee) && ee.Endpoint != "" {
		fr.endpoint = ee.Endpoint
	}
	fr.lastErr, fr.lastErrAt = msg, now
	if fr.printed == nil {
		fr.printed = map[string]time.Time{}
	}
	if !fr.failing.Load() {
		fr.failing.Store(true)
		fr.seen, fr.since, fr.failures, fr.told = map[string]int{}, now, 0, false
	}
	fr.failures++
	fr.seen[kind]++
	if last, ok := fr.printed[kind]; ok && now.Sub(last) < fr.drops.Interval() {
		return
	}
	var line string
	if n := fr.seen[kind]; n == 1 {
		line = fmt.Sprintf("resilog: export to %s failed (%s): %s; records go to the fallback while it fails",
			fr.target(), kind, msg)
	} else {
		line = fmt.Sprintf("resilog: export to %s still failing (%s): %d failures since %s, %d of this kind; last: %s",
			fr.target(), kind, fr.failures, fr.since.UTC().Format(time.RFC3339), n, msg)
	}
	fr.printed[kind], fr.told = now, true
	fr.drops.Report().Print(line)
}

// succeeded records a successful export: after failures, delivery has resumed.
func (fr *failureReport) succeeded() {
	if !fr.failing.Load() {
		return
	}
	now := time.Now()
	fr.mu.Lock()
	defer fr.mu.Unlock()
	if !fr.failing.Swap(false) || !fr.told {
		return
	}
	fr.drops.Report().Print(fmt.Sprintf("resilog: export to %s resumed after %d failures in %v",
		fr.target(), fr.failures, now.Sub(fr.since).Round(time.Millisecond)))
}

// last returns the last failure and its time.
func (fr *failureReport) last() (string, time.Time) {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	return fr.lastErr, fr.lastErrAt
}
