//go:build unix

package spool

import (
	"testing"
)

// TestNoFullWhileEveryRecordIsReleased: MaxBytes exactly one segment (MaxBytes 64 KiB
// with the default SegmentBytes, say). A service whose records are all exported and
// released at once fills the active segment; the record that does not fit seals it
// (rotateLocked). The sealed segment is done (every record released and copied) but
// still counted in s.bytes until the copier sweeps it, so no spare can be made, and
// waitingLocked does not wait for the sweep (a done segment is not copyDue, and there
// is "no room under MaxBytes" for a spare): the log call returns Full at once, though
// the spool holds no live record. One record per rotation takes the memory path
// (counted spool_full, without crash protection). Correct: a spool holding no live
// record never reports Full; the log call waits (roomWait) for the sweep and the spare
// as it does for a copy, or the done segment is deleted on the spot. (Fails on
// 8fd529f~1 as well: the old rotateLocked returned Full there too; the new wait for a
// spare does not cover it.)
func TestNoFullWhileEveryRecordIsReleased(t *testing.T) {
	dir := t.TempDir()
	s, _, _ := open(t, Config{Dir: dir, MaxBytes: minSegmentBytes, SegmentBytes: minSegmentBytes, Sync: SyncBatch})
	defer s.Close()
	for i := 0; i < 2000; i++ {
		r := record(i)
		seq, res := s.Append(&r)
		if res != Spooled {
			st := s.Stats()
			t.Fatalf("record %d: Append = %v (1 = Full), with %d records live in the spool and every earlier one released and synced (Bytes %d, MaxBytes %d)",
				i, res, st.Records, st.Bytes, minSegmentBytes)
		}
		s.Release(seq)
		if err := s.Sync(); err != nil {
			t.Fatal(err)
		}
	}
}
