//go:build unix

package spool

import (
	"testing"
)

// TestScanBesideARotationMissesNoRecord: a live run has 150 records copied to
// segment X and 150 more in the ring only, the last ~100 of them past a rotation into
// segment Y, whose header and frames the copier writes with its next copy. Scan lists
// X (header) and Y (no header, no frame: sorted last since 08da0c5), reads X, and the
// copier runs (here from Scan's first callback, the instant it could take): it copies
// X's remaining records and Y's with Y's header. Scan then reads Y (Known by the
// re-read), sets seen[run] to Y's last seq, and the ring's records up to it are not
// rescued: X's records copied after Scan read X (151..~194) are in none of what Scan
// lists, though they were appended before Scan started (TestScanBesideALiveProcess-
// MissesNoRecord, across a rotation). Correct: every record appended before Scan
// started and not released is listed, once, in seq order.
func TestScanBesideARotationMissesNoRecord(t *testing.T) {
	dir := t.TempDir()
	s, _, _ := open(t, Config{Dir: dir, SegmentBytes: minSegmentBytes, Sync: SyncBatch})
	defer s.Close()
	appendAll(t, s, 0, 150)
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	appendAll(t, s, 150, 300) // in the ring only, across a rotation
	var seqs []uint64
	copied := false
	if _, err := Scan(dir, func(e Entry) bool {
		if !copied { // the copier runs now
			copied = true
			if err := s.flush(); err != nil {
				t.Fatal(err)
			}
		}
		seqs = append(seqs, e.Seq)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	for i, seq := range seqs {
		if seq != uint64(i+1) {
			t.Fatalf("Scan beside a live run, 300 records appended before it: entry %d is seq %d (after %v), want %d; %d listed",
				i, seq, seqs[max(0, i-1):i], i+1, len(seqs))
		}
	}
	if len(seqs) != 300 {
		t.Errorf("Scan listed %d records, want 300", len(seqs))
	}
}
