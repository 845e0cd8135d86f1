//go:build unix

package spool

import (
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestAttackScanMissesRecordsAcrossARotation: a live run has 150 records copied to
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
func TestAttackScanMissesRecordsAcrossARotation(t *testing.T) {
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

// TestAttackScanBesideALiveRunKeepsOrder: a live run logs and delivers each record
// 1000 records later (its oldest segments deleted as it goes, no Sync), Scan (`resilog
// spool cat`/`stat`) runs in a loop beside it. Scan lists the segments, reading each
// header, while the run rotates: a segment W read headerless at listing (not copied
// yet: sorted last since 08da0c5) and the next one Z read with its header a moment
// later (the copier wrote both headers in between) are placed Z before W. Scan then
// counts the gap between the segment before W and Z as corrupt (endLoss: same run, Z's
// first past its last) and lists Z's records before W's: "seq 11143 after 11495,
// corrupt 192". Other scans count a torn tail the stale ring snapshot does not cover
// ("corrupt 1"), or list seq 1 again after 201. Failed 8 of 8 runs, at scan 2 to 315
// (under 7 s). Correct: beside a healthy run, Corrupt = 0 and records are listed in
// seq order, each once (a gap is fine: a segment delivered and deleted meanwhile).
func TestAttackScanBesideALiveRunKeepsOrder(t *testing.T) {
	dir := t.TempDir()
	s, _, _ := open(t, Config{Dir: dir, MaxBytes: 1 << 30, SegmentBytes: minSegmentBytes, Sync: SyncBatch})
	defer s.Close()
	var stop atomic.Bool
	done := make(chan struct{})
	go func() { // the live run: logs, delivers each record 1000 records later, oldest first
		defer close(done)
		for i := 0; !stop.Load(); i++ {
			r := record(i)
			seq, res := s.Append(&r)
			if res == Off {
				return
			}
			if res == Spooled && seq > 1000 {
				s.Release(seq - 1000)
			}
			if i%50 == 0 {
				runtime.Gosched() // let the Scan loop run on 2 cores
			}
		}
	}()
	defer func() { stop.Store(true); <-done }()
	deadline := time.Now().Add(20 * time.Second)
	for scans := 0; time.Now().Before(deadline); scans++ {
		var prev uint64
		var bad string
		found, err := Scan(dir, func(e Entry) bool {
			// A segment delivered and deleted meanwhile leaves a gap, rightly: only
			// an entry at or below the one before is wrong.
			if e.Seq <= prev && bad == "" {
				bad = "seq " + itoa(e.Seq) + " after " + itoa(prev)
			}
			prev = e.Seq
			return true
		})
		if err != nil {
			t.Fatalf("scan %d: %v", scans, err)
		}
		if bad != "" || found.Corrupt != 0 {
			t.Fatalf("scan %d beside a healthy live run: %s, corrupt %d: want every record in seq order, corrupt 0", scans, bad, found.Corrupt)
		}
	}
}

func itoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// TestAttackScanListsARecordTwice: a dead run killed after its copier wrote the ring's
// last frames (451..480) to the active segment and before it said so in the ring's
// header (flushed still at 451), the active segment's header then damaged (one byte).
// Scan reads the segment's frames (Known false: seen[run] not raised) and then rescues
// the ring's frames past seen from the ring's flushed position: the records already
// listed from the segment are listed again, after later ones (out of seq order). The
// next run's Open replays them twice too (the rescue skips the run's segments whose
// header is damaged). Correct: each record is listed and replayed once, in seq order.
func TestAttackScanListsARecordTwice(t *testing.T) {
	dir := t.TempDir()
	s, _, _ := open(t, Config{Dir: dir, SegmentBytes: minSegmentBytes})
	appendAll(t, s, 0, 450)
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	appendAll(t, s, 450, 480)
	s.flushMu.Lock()
	s.mu.Lock()
	path := s.active.path
	off := int64(segHeader) + int64(s.ring.flushed-s.active.streamStart)
	var b []byte
	for _, p := range s.ring.span(s.ring.flushed, s.ring.pos) {
		b = append(b, p...)
	}
	s.mu.Unlock()
	s.flushMu.Unlock()
	s.crash()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(b, off); err != nil { // the copy, whole; the kill before ring.save
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{0xee}, 3); err != nil { // the header damaged
		t.Fatal(err)
	}
	f.Close()

	listed := map[uint64]int{}
	n, outOfOrder := 0, 0
	var prev uint64
	if _, err := Scan(dir, func(e Entry) bool {
		listed[e.Seq]++
		n++
		if e.Seq <= prev {
			outOfOrder++
		}
		prev = e.Seq
		return true
	}); err != nil {
		t.Fatal(err)
	}
	s2, _, _ := open(t, Config{Dir: dir, SegmentBytes: minSegmentBytes})
	defer s2.Close()
	bodies, _ := replay(t, s2)
	distinct := map[string]bool{}
	for _, body := range bodies {
		distinct[body] = true
	}
	if n != len(listed) || outOfOrder != 0 || len(bodies) != len(distinct) {
		t.Errorf("Scan lists %d entries, %d distinct seqs, %d out of order; Open replays %d records, %d distinct: want each once, in order",
			n, len(listed), outOfOrder, len(bodies), len(distinct))
	}
}

// TestAttackScanCountsACopyPastItsRingSnapshot: 08da0c5 forgives a live run's torn tail
// when the ring's records follow on from it; but Scan reads the ring first and the
// segments after, so the ring it holds is older than the segment it reads last. A
// live run with 250 records copied (segments X, Y) and 10 more in the ring; Scan
// starts (ring read: 251..260), and while it reads X the run logs 100 more and the
// copier's pwrite of 251..360 to Y is half done when Scan reads Y (here: from Scan's
// first callback, the copy written by hand with the copier held, as in
// TestScanDuringACopyCountsNoDamage). Y's torn tail lies past everything in Scan's ring
// snapshot, the ring "does not follow on", and Scan counts 1 corrupt beside a healthy
// run. Correct: Corrupt = 0; nothing is damaged.
func TestAttackScanCountsACopyPastItsRingSnapshot(t *testing.T) {
	dir := t.TempDir()
	s, _, _ := open(t, Config{Dir: dir, SegmentBytes: minSegmentBytes, Sync: SyncBatch})
	defer s.Close()
	appendAll(t, s, 0, 250)
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	appendAll(t, s, 250, 260) // in the ring, not copied yet
	held := false
	defer func() {
		if held {
			s.flushMu.Unlock()
		}
	}()
	found, err := Scan(dir, func(Entry) bool {
		if held {
			return true
		}
		appendAll(t, s, 260, 360)
		s.flushMu.Lock() // the copier, mid-pwrite
		held = true
		s.mu.Lock()
		g := s.active
		off := int64(segHeader) + int64(s.ring.flushed-g.streamStart)
		var b []byte
		for _, p := range s.ring.span(s.ring.flushed, s.ring.pos) {
			b = append(b, p...)
		}
		s.mu.Unlock()
		if _, err := g.file.WriteAt(b[:len(b)/2+7], off); err != nil {
			t.Fatal(err)
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if found.Corrupt != 0 {
		t.Errorf("Scan beside a live run, its last segment read during a copy past Scan's ring snapshot: Corrupt = %d, want 0: nothing is damaged", found.Corrupt)
	}
}
