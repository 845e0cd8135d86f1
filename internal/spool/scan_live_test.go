//go:build unix

package spool

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestScanBesideARunThatDeletesSegments: Scan (`resilog spool stat`/`cat`) is documented to
// read the spool "beside a running process", seeing "what that process has written so
// far". A live run that delivers its records deletes its segments as it rotates on: a
// segment listed by Scan and deleted before Scan reads it makes Scan return the
// ReadFile error (ENOENT), and `resilog spool stat` exits 1 with "no such file or
// directory" beside a healthy process. Correct: a segment gone between the listing and
// the read held only released records: Scan skips it and goes on. (Not new with 8fd529f:
// the ReadFile error path was there before; found while attacking Scan during
// rotations.)
func TestScanBesideARunThatDeletesSegments(t *testing.T) {
	dir := t.TempDir()
	s, _, _ := open(t, Config{Dir: dir, MaxBytes: 64 << 20, SegmentBytes: minSegmentBytes, Sync: SyncBatch})
	defer s.Close()
	var stop atomic.Bool
	logged := make(chan struct{})
	go func() { // the live process: logs, delivers each record 300 records later, syncs
		defer close(logged)
		for i := 0; !stop.Load(); i++ {
			r := record(i)
			seq, res := s.Append(&r)
			if res == Off {
				return
			}
			if res == Spooled && seq > 300 {
				s.Release(seq - 300)
			}
			if i%20 == 0 {
				_ = s.Sync()
			}
		}
	}()
	defer func() { stop.Store(true); <-logged }()
	deadline := time.Now().Add(5 * time.Second)
	scans := 0
	for ; time.Now().Before(deadline); scans++ {
		if _, err := Scan(dir, func(Entry) bool { return true }); err != nil {
			t.Fatalf("scan %d beside a live run that delivers its records: %v", scans, err)
		}
	}
	t.Logf("%d scans", scans)
}
