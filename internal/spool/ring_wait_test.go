//go:build unix

package spool

import (
	"os"
	"sync/atomic"
	"testing"
	"time"
)

// TestLogCallWaitsBoundedForAStuckCopy: when the ring has no room and a copy is under way
// (flushMu held: the copying goroutine's pwrite stuck on a file system that hangs, an
// NFS server gone, a FUSE daemon stopped), Append waits on copyDone with no bound: the
// log call hangs for as long as the disk does. README: "The log call never waits on
// I/O"; DESIGN: a log call never hurts the application "whatever ... the disk ... do".
// Correct: with the copy stuck, Append gives up (reports Full, the record takes the
// memory path) rather than wait without bound.
func TestLogCallWaitsBoundedForAStuckCopy(t *testing.T) {
	s, _, _ := open(t, Config{Dir: t.TempDir(), MaxBytes: 64 << 20, SegmentBytes: 64 << 10, Sync: SyncBatch})
	// The copier is stuck in its pwrite: it holds flushMu and never returns.
	s.flushMu.Lock()
	done := make(chan int, 1)
	go func() {
		r := record(1)
		for i := 0; i < 200000; i++ {
			if _, res := s.Append(&r); res != Spooled {
				done <- i
				return
			}
		}
		done <- -1
	}()
	select {
	case n := <-done:
		t.Logf("Append returned Full/Off after %d records", n)
	case <-time.After(20 * time.Second):
		s.flushMu.Unlock()
		<-done
		s.Close()
		t.Fatal("a log call blocked for 20 s waiting for a copy that never ends (the ring full, the copier stuck in pwrite): the log call waits on the disk without bound")
	}
	s.flushMu.Unlock()
	s.Close()
}

// TestSegmentReleasedBeforeItsRotationIsDeleted: a service that logs little
// (each record exported and released before the next is logged, the ring copied at each
// sync) fills its active segment with records all released already. The record that
// does not fit seals it (rotateLocked), and nothing deletes it then: Release deletes a
// segment only when one of its records is released, flush only when it copies frames of
// it, and neither will happen again. Each such segment stays on disk until Close, and
// once MaxBytes is taken by them Append reports Full for good, though the spool holds no
// record: every record from then on takes the memory path (no crash protection), counted
// spool_full. Correct: a segment sealed with every record released and copied is deleted
// (the doc: "Segments are deleted once all their records are released"), and a spool
// holding no live record never reports Full.
func TestSegmentReleasedBeforeItsRotationIsDeleted(t *testing.T) {
	dir := t.TempDir()
	s, _, _ := open(t, Config{Dir: dir, MaxBytes: 256 << 10, SegmentBytes: 64 << 10, Sync: SyncBatch})
	defer s.Close()
	for i := 0; i < 5000; i++ {
		r := record(i)
		seq, res := s.Append(&r)
		if res != Spooled {
			st := s.Stats()
			t.Fatalf("record %d: Append = %v (Full), with %d records live in the spool, %d bytes of disk taken, %d segment files: segments whose records were all released stay",
				i, res, st.Records, st.Bytes, len(segments(t, dir)))
		}
		s.Release(seq)                   // exported at once: the collector is healthy
		if err := s.Sync(); err != nil { // the interval's sync (copies the ring)
			t.Fatal(err)
		}
	}
}

// A log call that finds no spare segment at a rotation makes none itself: on a hung disk
// it would wait for the file under the spool's lock, and every log call after it. It
// waits roomWait for spareMaker, then takes the memory path (Full); once the spare is
// made, records are spooled again. (Before, rotateLocked created the segment on the log
// call: this test hung there.)
func TestRotationWithoutASpareMakesNoFileOnTheLogCall(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	createFile = func(path string, size int64) (*os.File, error) {
		if calls.Add(1) > 1 { // Open's spare is made; the next one waits, as on a hung disk
			<-release
		}
		return createSegmentFile(path, size)
	}
	released := false
	defer func() {
		if !released {
			close(release)
		}
		createFile = createSegmentFile
	}()
	s, _, _ := open(t, Config{Dir: t.TempDir(), SegmentBytes: minSegmentBytes})
	done := make(chan Result, 1)
	go func() {
		// The spare becomes active at the first rotation; the second finds none.
		for i := 0; ; i++ {
			r := record(i)
			if _, res := s.Append(&r); res != Spooled {
				done <- res
				return
			}
		}
	}()
	select {
	case res := <-done:
		if res != Full {
			t.Errorf("Append without a spare = %v, want Full", res)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Append without a spare did not return in 20 s: it waits for the file")
	}
	close(release)
	released = true
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := record(0)
		if _, res := s.Append(&r); res == Spooled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no record spooled in 20 s after the spare could be made")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
