package e2e

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// threadUsage is what the calling thread has used so far.
type threadUsage struct {
	cpu time.Duration
	// faults counts page faults: the thread touching memory the kernel has not backed
	// yet, which on a fresh virtual machine can cost the hypervisor's work as well.
	faults int64
}

// threadNow returns the CPU time and page faults of the calling thread.
func threadNow(t *testing.T) threadUsage {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		t.Fatalf("clock_gettime(CLOCK_THREAD_CPUTIME_ID): %v", err)
	}
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		t.Fatalf("getrusage(RUSAGE_THREAD): %v", err)
	}
	return threadUsage{cpu: time.Duration(ts.Nano()), faults: ru.Minflt + ru.Majflt}
}

const haveThreadUsage = true
