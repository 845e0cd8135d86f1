//go:build unix

package spool

import (
	"os"
	"testing"
)

// deadRunMidCopy leaves dir as a run killed while its copier was writing the ring's
// last frames to the active segment: n records copied and said so (flush), then more
// in the ring only, of which the copier's pwrite had written part (half the bytes plus
// 7, the last frame cut) when the process died. It returns the segments with frames,
// oldest first.
func deadRunMidCopy(t *testing.T, dir string, n, more int) []segFile {
	t.Helper()
	s, _, _ := open(t, Config{Dir: dir, SegmentBytes: minSegmentBytes, Sync: SyncBatch}) // no sync tick: the copies are the test's
	appendCopied(t, s, 0, n)
	appendAll(t, s, n, n+more)
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
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(b[:len(b)/2+7], off); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var written []segFile
	for _, f := range segments(t, dir) {
		if len(frameOffsets(t, f.path)) > 0 {
			written = append(written, f)
		}
	}
	firstSeq := func(f segFile) uint64 {
		data, _ := os.ReadFile(f.path)
		return scanFrames(data[segHeader:], 0, nil).first
	}
	for i := 1; i < len(written); i++ { // insertion sort by first seq
		for j := i; j > 0 && firstSeq(written[j]) < firstSeq(written[j-1]); j-- {
			written[j], written[j-1] = written[j-1], written[j]
		}
	}
	return written
}

// scanAndOpen returns what Scan lists and counts for dir, then what the next run's
// Open and Earlier replay and count.
func scanAndOpen(t *testing.T, dir string) (scanned int, scanCorrupt uint64, replayed int, openCorrupt uint64) {
	t.Helper()
	found, err := Scan(dir, func(Entry) bool { scanned++; return true })
	if err != nil {
		t.Fatal(err)
	}
	s, _, _ := open(t, Config{Dir: dir, SegmentBytes: minSegmentBytes, Sync: SyncBatch}) // no sync tick: the copies are the test's
	defer s.Close()
	bodies, _ := replay(t, s)
	return scanned, found.Corrupt, len(bodies), s.Stats().Corrupt
}

// TestScanCountsEveryTornTail: Scan's torn map keeps one torn tail per
// run, the last one it meets. A dead run whose segment A is cut at its tail (10
// records lost), followed in Scan's order by a segment B of the same run whose header
// is damaged (so A does not look followed on: nextOK false), and whose newest segment C
// was torn by the kill mid-copy (the ring has C's cut frame whole, not a loss): A's
// tail goes into torn[run], C's tail overwrites it, and the ring following C deletes
// it. Scan (`resilog spool stat`, corrupt=) reports 0 for a directory that lost 10
// records, while the next run's Open counts them. Correct: every damaged tail that the
// ring does not cover is counted, as Open does: Scan and Open agree.
func TestScanCountsEveryTornTail(t *testing.T) {
	dir := t.TempDir()
	segs := deadRunMidCopy(t, dir, 450, 30)
	if len(segs) < 3 {
		t.Fatalf("%d segments with frames, want 3", len(segs))
	}
	a, b := segs[0].path, segs[1].path
	offs := frameOffsets(t, a)
	if err := os.Truncate(a, int64(offs[len(offs)-10]+frameHeader/2)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	data[3] ^= 0xff // B's header
	if err := os.WriteFile(b, data, 0o600); err != nil {
		t.Fatal(err)
	}
	scanned, scanCorrupt, replayed, openCorrupt := scanAndOpen(t, dir)
	t.Logf("Scan: %d listed, corrupt %d; Open: %d replayed, corrupt %d", scanned, scanCorrupt, replayed, openCorrupt)
	if scanCorrupt == 0 || scanCorrupt != openCorrupt || scanned != replayed {
		t.Errorf("dead run, A's last 10 records cut: Scan lists %d, corrupt %d; Open replays %d, corrupt %d: want them equal, and not 0 corrupt",
			scanned, scanCorrupt, replayed, openCorrupt)
	}
}

// TestScanCountsACutTailAsOpenDoes: a dead run's newest segment cut 30 records before
// its end (TestCutNewestSegmentCountsEveryRecordItLost: Open counts 30), the ring
// holding the records after the copied ones. Cut mid-frame, Scan (`resilog spool
// stat`) counts 1 (endLoss's one-for-unknown-extent); cut at a frame boundary, 0
// (nothing after the last frame): Scan ignores the ring header's word (its run copied
// every record below its next seq) that Open uses for the extent. Correct: Scan and
// Open agree on the corrupt count of a dead run's directory.
func TestScanCountsACutTailAsOpenDoes(t *testing.T) {
	for _, c := range []struct {
		name string
		into int // bytes into the first lost frame where the file ends
	}{{"mid-frame", frameHeader / 2}, {"at a frame boundary", 0}} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			s, _, _ := open(t, Config{Dir: dir, SegmentBytes: minSegmentBytes, Sync: SyncBatch}) // no sync tick: the copies are the test's
			appendCopied(t, s, 0, 100)
			appendAll(t, s, 100, 120) // in the ring only
			s.crash()
			var newest segFile
			for _, f := range segments(t, dir) {
				if len(frameOffsets(t, f.path)) > 0 {
					newest = f
				}
			}
			offs := frameOffsets(t, newest.path)
			if err := os.Truncate(newest.path, int64(offs[len(offs)-30]+c.into)); err != nil {
				t.Fatal(err)
			}
			scanned, scanCorrupt, replayed, openCorrupt := scanAndOpen(t, dir)
			if scanCorrupt != openCorrupt || scanned != replayed {
				t.Errorf("dead run, newest segment cut 30 records short: Scan lists %d, corrupt %d; Open replays %d, corrupt %d: want them equal",
					scanned, scanCorrupt, replayed, openCorrupt)
			}
		})
	}
}
