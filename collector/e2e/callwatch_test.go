package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	rtrace "runtime/trace"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/exp/trace"
)

// A log call can be slow for two different reasons: it waits (on I/O, on a channel, on
// another goroutine's progress), which the library must never do, or the machine does not
// run it (the Go scheduler gives the processor to the garbage collector or another
// goroutine, the operating system or the hypervisor takes the core away), which no library
// can prevent on two shared cores. Wall time alone mixes the two up, so emitWatched
// measures them apart:
//
//   - the call's own CPU time, on the thread's CPU clock with the goroutine locked to its
//     thread: what the call itself costs, garbage-collection assists included;
//   - a runtime trace of the goroutine during each call: every time it stopped running and
//     why, so that a wait is seen whatever its length.
//
// and the wall time as well.

// callWatch is what emitWatched saw.
type callWatch struct {
	wall, cpu []time.Duration
	// faults counts, per call, the page faults taken on the calling thread.
	faults []int64
	// waits lists each time a log call stopped running for a reason that is a wait, with
	// the reason and the stack; stops counts the other reasons (preemption, the garbage
	// collector, short mutex waits).
	waits []string
	stops map[string]int
	// during holds, per call, the runtime's work seen in the trace while it ran: garbage
	// collector ranges (assists, stop-the-world pauses) and the goroutine's stops.
	during [][]string
	// traced is false when another trace was already running (go test -trace).
	traced bool
}

// emitWatched logs n records through l as fast as possible, as l.emit does, watching each
// call.
func emitWatched(t *testing.T, l *load, n int) *callWatch {
	t.Helper()
	w := &callWatch{stops: map[string]int{}}
	// Room for every measurement up front: the loop then allocates nothing of its own.
	w.wall, w.cpu, w.faults = make([]time.Duration, 0, n), make([]time.Duration, 0, n), make([]int64, 0, n)
	l.durations, l.emitTimes = slices.Grow(l.durations, n), slices.Grow(l.emitTimes, n)
	var buf bytes.Buffer
	if !rtrace.IsEnabled() {
		if err := rtrace.Start(&buf); err != nil {
			t.Fatalf("runtime/trace: %v", err)
		}
		w.traced = true
	}
	runtime.LockOSThread()
	ctx := context.Background()
	for range n {
		u0 := threadNow(t)
		t0 := time.Now()
		r := rtrace.StartRegion(ctx, "log call")
		l.log.InfoContext(ctx, "load", "seq", l.emitted)
		r.End()
		wall := time.Since(t0)
		u := threadNow(t)
		w.cpu = append(w.cpu, u.cpu-u0.cpu)
		w.faults = append(w.faults, u.faults-u0.faults)
		w.wall = append(w.wall, wall)
		l.durations = append(l.durations, wall)
		l.emitTimes = append(l.emitTimes, t0)
		l.emitted++
	}
	runtime.UnlockOSThread()
	if w.traced {
		rtrace.Stop()
		if err := w.read(&buf); err != nil {
			t.Fatalf("reading the runtime trace: %v", err)
		}
	}
	return w
}

// read goes through the trace and sorts every transition of a goroutine away from running,
// inside a "log call" region, into waits and stops.
func (w *callWatch) read(r io.Reader) error {
	tr, err := trace.NewReader(r)
	if err != nil {
		return err
	}
	inCall := map[trace.GoID]bool{}
	calls := 0
	var start trace.Time
	note := func(e trace.Event, what string) {
		w.during[calls-1] = append(w.during[calls-1], fmt.Sprintf("+%v %s", e.Time().Sub(start), what))
	}
	for {
		e, err := tr.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch e.Kind() {
		case trace.EventRegionBegin:
			if e.Region().Type == "log call" {
				inCall[e.Goroutine()] = true
				calls++
				start = e.Time()
				w.during = append(w.during, nil)
			}
		case trace.EventRegionEnd:
			if e.Region().Type == "log call" {
				inCall[e.Goroutine()] = false
				note(e, "end")
			}
		case trace.EventRangeBegin, trace.EventRangeEnd:
			if calls > 0 && (inCall[e.Goroutine()] || strings.HasPrefix(e.Range().Name, "stop-the-world")) {
				note(e, fmt.Sprintf("%v %s on g%d", e.Kind(), e.Range().Name, e.Goroutine()))
			}
		case trace.EventStateTransition:
			st := e.StateTransition()
			if st.Resource.Kind != trace.ResourceGoroutine || !inCall[st.Resource.Goroutine()] {
				continue
			}
			from, to := st.Goroutine()
			note(e, fmt.Sprintf("%v->%v (%s)", from, to, st.Reason))
			if from != trace.GoRunning {
				continue
			}
			var frames []string
			for f := range st.Stack.Frames() {
				frames = append(frames, f.Func)
			}
			if isStop(to, st.Reason, frames) {
				w.stops[fmt.Sprintf("%v (%s)", to, st.Reason)]++
				continue
			}
			w.waits = append(w.waits, fmt.Sprintf("%v (%s) at\n\t%s", to, st.Reason, strings.Join(frames, "\n\t")))
		}
	}
	if calls == 0 {
		return fmt.Errorf("no log call found in the trace")
	}
	return nil
}

// isStop reports whether a goroutine leaving the running state is a stop the library does
// not cause by waiting: preemption (by the scheduler or the garbage collector's stack
// scan), the garbage collector's own waits, and a mutex taken for a short critical
// section (the batch queue's, the drop counters'; none is held across I/O, which the wall
// time check would show). Everything else — a system call, the network, a channel, a
// select, a condition variable, a sleep, a WaitGroup — is a wait.
func isStop(to trace.GoState, reason string, frames []string) bool {
	if to == trace.GoRunnable && reason == "preempted" {
		return true
	}
	if to != trace.GoWaiting {
		return false
	}
	switch reason {
	case "preempted", "GC mark assist wait for work", "wait until GC ends":
		return true
	case "sync":
		for _, f := range frames {
			switch {
			case f == "sync.(*Mutex).Lock", f == "sync.(*RWMutex).RLock", f == "sync.(*RWMutex).Lock":
				return true
			case strings.HasPrefix(f, "runtime.gc"):
				return true // gcStart and friends: the collector's start and end
			}
		}
	}
	return false
}

// over returns how many of ds exceed limit.
func over(ds []time.Duration, limit time.Duration) int {
	n := 0
	for _, d := range ds {
		if d > limit {
			n++
		}
	}
	return n
}

// runtimeDuring describes what the trace shows while call i ran ("not traced" without one).
func (w *callWatch) runtimeDuring(i int) string {
	if i >= len(w.during) {
		return "not traced"
	}
	return strings.Join(w.during[i], ", ")
}
