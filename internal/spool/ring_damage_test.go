//go:build unix

package spool

import (
	"os"
	"path/filepath"
	"testing"
)

// TestRingDamageLosesOnlyTheDamagedRecord: a dead run with 450 records copied
// to segments and 30 (451..480) in the ring only; one byte of the ring's frame of
// record 470 flipped (a bad sector, a stray write). The rescue (rescueOf, used by both
// Open and Scan) stops at the first frame that does not check out: 470 is lost, and
// so are 471..480, whose frames are intact and end with the run's uid for their seq.
// Both Scan (`resilog spool stat`) and the next run's Open report corrupt=0: eleven
// records whose Append returned Spooled are gone and counted nowhere (DESIGN:
// emitted == exported + fallback + dropped, each record counted once). Correct: the
// intact frames past the damage are rescued (resync on the next frame of this run's
// seqs, as scanFrames does for segments) and the damaged one counted: 479 records and
// corrupt 1, by Scan and Open alike.
func TestRingDamageLosesOnlyTheDamagedRecord(t *testing.T) {
	dir := t.TempDir()
	s, _, _ := open(t, Config{Dir: dir, SegmentBytes: minSegmentBytes, Sync: SyncBatch}) // no sync tick: the copies are the test's
	appendCopied(t, s, 0, 450)
	appendAll(t, s, 450, 480) // in the ring only
	s.mu.Lock()
	flushed, dataLen := s.ring.flushed, uint64(len(s.ring.data))
	var b []byte
	for _, p := range s.ring.span(s.ring.flushed, s.ring.pos) {
		b = append(b, p...)
	}
	s.mu.Unlock()
	s.crash()
	// Where the frame of the 20th record past the copied ones (seq 470) starts.
	off := 0
	for k := 0; ; {
		seq, p, ok := frameAt(b, off)
		if !ok {
			t.Fatal("no 20th frame in the ring")
		}
		if seq != 0 {
			if k++; k == 20 {
				break
			}
		}
		off += frameHeader + len(p)
	}
	rf, err := os.OpenFile(filepath.Join(dir, ringName), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	at := int64(ringHeader) + int64((flushed+uint64(off)+frameHeader+5)%dataLen)
	one := make([]byte, 1)
	if _, err := rf.ReadAt(one, at); err != nil {
		t.Fatal(err)
	}
	one[0] ^= 0xff
	if _, err := rf.WriteAt(one, at); err != nil {
		t.Fatal(err)
	}
	rf.Close()
	scanned, scanCorrupt, replayed, openCorrupt := scanAndOpen(t, dir)
	if uint64(scanned)+scanCorrupt != 480 || uint64(replayed)+openCorrupt != 480 {
		t.Errorf("480 appended, one ring frame damaged: Scan lists %d, corrupt %d; Open replays %d, corrupt %d: %d records neither listed nor counted",
			scanned, scanCorrupt, replayed, openCorrupt, 480-uint64(replayed)-openCorrupt)
	}
}

// appendCopied appends records from to to and copies them from the ring to the segments,
// 100 at a time: the ring never holds enough uncopied for Append to ask the copier for a
// copy (a quarter of it), so that records appended after it stay in the ring only until
// the test copies them or crashes the run.
func appendCopied(t *testing.T, s *Spool, from, to int) {
	t.Helper()
	for i := from; i < to; i += 100 {
		appendAll(t, s, i, min(i+100, to))
		if err := s.flush(); err != nil {
			t.Fatal(err)
		}
	}
	s.mu.Lock()
	quarter := uint64(len(s.ring.data) / 4)
	s.mu.Unlock()
	if 100*uint64(frameHeader+600) > quarter {
		t.Fatalf("100 records may fill a quarter of the ring (%d bytes)", quarter)
	}
}
