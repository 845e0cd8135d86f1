//go:build !race

package freelist

import (
	"runtime"
	"syscall"
	"testing"
)

// TestSliceIsBacked: filling a slice from Slice takes no page faults on the filling
// thread; Slice took them. (Not built with -race: the race detector's shadow memory is
// backed on first write, by the writing thread.)
func TestSliceIsBacked(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const n = 1 << 16 // 4 MiB of [64]byte, a thousand pages
	s := Slice[[64]byte](n)
	if len(s) != 0 || cap(s) != n {
		t.Fatalf("Slice(%d): len %d cap %d, want 0 and %d", n, len(s), cap(s), n)
	}
	before := faults(t)
	var v [64]byte
	for i := range n {
		v[0] = byte(i)
		s = append(s, v)
	}
	if got := faults(t) - before; got > 8 {
		t.Fatalf("filling %d KiB took %d page faults on the filling thread, want the memory backed by Slice", n*64/1024, got)
	}
}

// faults returns the page faults the calling thread has taken.
func faults(t *testing.T) int64 {
	const rusageThread = 1 // RUSAGE_THREAD
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		t.Fatalf("getrusage: %v", err)
	}
	return ru.Minflt + ru.Majflt
}
