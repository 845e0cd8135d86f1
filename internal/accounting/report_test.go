package accounting

import (
	"errors"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// blockedPipe returns a real pipe whose buffer is full and which nobody reads: a stderr
// whose reader stalled. drain starts reading it (until closed) and returns a func that
// waits for the reader to finish.
func blockedPipe(t *testing.T) (w *os.File, drain func() (wait func())) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 4096)
	for {
		if err := w.SetWriteDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(chunk); errors.Is(err, os.ErrDeadlineExceeded) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.SetWriteDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return w, func() func() {
		done := make(chan struct{})
		go func() { _, _ = io.Copy(io.Discard, r); close(done) }()
		return func() { <-done }
	}
}

// waitGoroutines waits until at most want goroutines run, and returns the count.
func waitGoroutines(want int, within time.Duration) int {
	deadline := time.Now().Add(within)
	for {
		n := runtime.NumGoroutine()
		if n <= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Issue 11, item 1: with stderr a pipe nobody reads, drops used to start a goroutine per
// report interval, each parked on the report's mutex, forever.
func TestBlockedStderrPipeKeepsGoroutinesBounded(t *testing.T) {
	w, drain := blockedPipe(t)
	base := runtime.NumGoroutine()
	var d Drops
	d.SetReport(w, time.Millisecond)

	most := 0
	start := time.Now()
	for i := 0; time.Since(start) < 2*time.Second; i++ {
		d.Add(QueueFull, 1)
		if i%1000 == 0 {
			time.Sleep(time.Millisecond) // let report intervals pass
			most = max(most, runtime.NumGoroutine()-base)
		}
		if i%10000 == 0 {
			d.FlushWithin(time.Millisecond) // Shutdown's flush: no goroutine left behind either
		}
	}
	// One writer blocked in Write, and at most one report timer running.
	if most > 2 {
		t.Fatalf("%d goroutines beyond the %d before the drops, with stderr blocked; want at most 2", most, base)
	}
	if lost := d.Report().Lost(); lost == 0 {
		t.Error("no report line counted as lost, though stderr was blocked for 2s at a 1ms interval")
	}
	if d.Count(QueueFull) == 0 {
		t.Fatal("no drop counted")
	}

	// Once stderr is read again, the pending lines are written and the writer returns.
	wait := drain()
	if !d.Report().Wait(5 * time.Second) {
		t.Fatal("report lines still pending 5s after stderr unblocked")
	}
	w.Close()
	wait()
	if n := waitGoroutines(base, 5*time.Second); n > base {
		t.Fatalf("%d goroutines after stderr unblocked, want %d as before", n, base)
	}
}

func TestReportKeepsOrderAndBoundsPendingLines(t *testing.T) {
	w, drain := blockedPipe(t)
	r := NewReport(w)
	for i := range 100 {
		r.Print(strings.Repeat("x", i%3+1))
	}
	time.Sleep(20 * time.Millisecond)
	// The writer holds one line in its blocked Write (if it took it before the Prints
	// filled the queue); maxPendingLines wait; the rest are lost.
	if got, most := r.Lost(), uint64(100-maxPendingLines); got < most-1 || got > most {
		t.Fatalf("lost %d lines, want %d or %d", got, most-1, most)
	}
	if r.Wait(10 * time.Millisecond) {
		t.Fatal("Wait returned true with stderr blocked")
	}
	wait := drain()
	if !r.Wait(5 * time.Second) {
		t.Fatal("lines still pending after stderr unblocked")
	}
	w.Close()
	wait()
}

func TestReportWritesInOrder(t *testing.T) {
	var out syncBuffer
	r := NewReport(&out)
	for _, l := range []string{"a", "b\n", "c"} {
		r.Print(l)
	}
	r.Print("") // nothing
	if !r.Wait(5 * time.Second) {
		t.Fatal("lines not written")
	}
	if got := out.String(); got != "a\nb\nc\n" {
		t.Fatalf("wrote %q", got)
	}
	if r.Lost() != 0 {
		t.Fatalf("lost %d", r.Lost())
	}
}
