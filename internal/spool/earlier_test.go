package spool

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// newerSegment writes a segment as a newer resilog would (the magic, header version
// segVersion+1 with a valid checksum, frames this version cannot parse) and returns its
// path and content.
func newerSegment(t *testing.T, dir string, index uint64) (string, []byte) {
	t.Helper()
	h := segInfo{pid: 4242, first: 1}.append(nil)
	binary.LittleEndian.PutUint32(h[8:], segVersion+1)
	n := 8 + 4 + 4 + 8 + 8 + 8
	binary.LittleEndian.PutUint32(h[n:], crc32.Checksum(h[:n], castagnoli))
	data := make([]byte, 64<<10)
	copy(data, h)
	for i := segHeader; i < 4096; i++ {
		data[i] = byte(i*7 + 3) // frames of the newer format: not this version's
	}
	path := filepath.Join(dir, segName(index))
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, data
}

// Found by the adversary as TestAttackNewerFormatSegmentIsDeleted: a segment written by
// a newer resilog (same magic, header version 2, a valid header CRC, frames this version
// cannot parse) is taken for garbage: Open scans it, finds no frame it knows, counts it
// corrupt and deletes the file. Downgrading the library (or two versions sharing a
// directory through a rollback) destroys the records a newer run left for delivery.
// Correct: a segment whose header says a version this code does not know is left on
// disk untouched (and not counted as this run's records), for a run that can read it.
func TestNewerFormatSegmentKept(t *testing.T) {
	dir := t.TempDir()
	path, data := newerSegment(t, dir, 7)
	s, out, rep := open(t, Config{Dir: dir, SegmentBytes: minSegmentBytes})
	bodies, _ := replay(t, s)
	appendAll(t, s, 0, 10) // this run's records go on beside it
	st := s.Stats()
	s.Close()
	rep.Wait(time.Second)
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, data) {
		t.Errorf("a version-%d segment (a newer resilog's records) was deleted or changed by Open/Earlier/Close: %v", segVersion+1, err)
	}
	if len(bodies) != 0 || st.Corrupt != 0 || st.Pending != 0 || st.Records != 10 {
		t.Errorf("replayed %d, stats %+v; want nothing read from the newer segment, not counted corrupt, 10 records of this run", len(bodies), st)
	}
	if lines := strings.Count(out.String(), "\n"); lines != 1 || !strings.Contains(out.String(), "newer resilog (format 2)") {
		t.Errorf("stderr said %q; want one line naming the newer segment", out.String())
	}
	// The next run of this version keeps it too, and reads this run's records.
	s2, _, _ := open(t, Config{Dir: dir, SegmentBytes: minSegmentBytes})
	bodies, _ = replay(t, s2)
	s2.Close()
	if _, err := os.Stat(path); err != nil || len(bodies) != 10 {
		t.Errorf("second run: replayed %d of 10, newer segment: %v", len(bodies), err)
	}
}

// Scan (resilog spool stat, cat) leaves a newer resilog's segment unread, and says so.
func TestScanLeavesNewerFormatSegmentsUnread(t *testing.T) {
	dir := t.TempDir()
	s, _, _ := open(t, Config{Dir: dir, SegmentBytes: minSegmentBytes})
	appendAll(t, s, 0, 10)
	s.crash()
	newerSegment(t, dir, 99)
	n := 0
	found, err := Scan(dir, func(Entry) bool { n++; return true })
	if err != nil || found.Newer != 1 || found.Corrupt != 0 || n != 10 {
		t.Errorf("Scan = %+v, %v, %d records; want 1 newer segment, nothing corrupt, 10 records", found, err, n)
	}
}

// A segment of this version whose header's version field alone is damaged is not a newer
// resilog's: its records come back.
func TestDamagedVersionFieldIsNotANewerFormat(t *testing.T) {
	bodies, st := damage(t, 50, func(files []segFile) {
		data, _ := os.ReadFile(files[0].path)
		data[8] ^= 0x02 // version 1 reads 3
		os.WriteFile(files[0].path, data, 0o600)
	})
	if len(bodies) != 50 || st.Corrupt != 0 {
		t.Fatalf("replayed %d, corrupt %d; want 50 and 0 (missing %v)", len(bodies), st.Corrupt, missing(bodies, 50))
	}
}

// Found by the adversary as TestAttackCorruptCountedAgainEveryRun: a damaged record in
// an earlier run's segment is counted (Stats().Corrupt, which New adds as emitted and
// dropped{corrupt}) by every run that reads the segment, not once: a run that replays
// the segment but does not get to release all of it (a crash, a shutdown deadline)
// leaves it, and the next run counts the same lost record again. Across restarts the
// loss is reported twice (and as many times as the backlog takes to drain). Correct: a
// record counted lost is counted once; the next run's Corrupt is 0 for damage an earlier
// run already counted.
func TestDamageCountedOnceAcrossRuns(t *testing.T) {
	for _, tc := range []struct {
		name string
		hurt func(data []byte, offs []int) []byte
	}{
		{"flipped payload", func(data []byte, offs []int) []byte {
			data[offs[20]+frameHeader+5] ^= 0xff // one record's payload: its CRC fails
			return data
		}},
		{"torn tail", func(data []byte, offs []int) []byte {
			last := offs[len(offs)-1]
			for i := last + frameHeader + 10; i < last+frameHeader+40; i++ {
				data[i] = 0
			}
			return data
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := Config{Dir: dir, SegmentBytes: minSegmentBytes}
			s, _, _ := open(t, cfg)
			appendAll(t, s, 0, 50)
			if err := s.flush(); err != nil { // into the segment, where the damage goes
				t.Fatal(err)
			}
			s.crash()
			var path string
			for _, f := range segments(t, dir) {
				if len(frameOffsets(t, f.path)) > 0 {
					path = f.path
				}
			}
			data, _ := os.ReadFile(path)
			os.WriteFile(path, tc.hurt(data, frameOffsets(t, path)), 0o600)

			// Run 2 reads the segment, counts the damage, delivers half and then crashes.
			s2, _, _ := open(t, cfg)
			n := 0
			for seq := range s2.Earlier() {
				if n < 25 {
					s2.Release(seq)
				}
				n++
			}
			c2 := s2.Stats().Corrupt
			if err := s2.Sync(); err != nil {
				t.Fatal(err)
			}
			s2.crash()
			if c2 != 1 || n != 49 {
				t.Fatalf("run 2 read %d and counted %d corrupt, want 49 and 1", n, c2)
			}

			// Run 3 delivers the rest.
			s3, _, _ := open(t, cfg)
			defer s3.Close()
			bodies, _ := replay(t, s3)
			if c3 := s3.Stats().Corrupt; c3 != 0 || len(bodies) != 24 {
				t.Errorf("run 3 counts %d corrupt record(s) (replaying %d of the 24 left) for the damage run 2 already counted: the same loss is reported as emitted and dropped{corrupt} again", c3, len(bodies))
			}
		})
	}
}

// A record delivered (released) before its frame was damaged is not a loss.
func TestDamageToADeliveredRecordIsNotCounted(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, SegmentBytes: minSegmentBytes}
	s, _, _ := open(t, cfg)
	appendAll(t, s, 0, 50)
	s.Release(21) // record 20 (seqs start at 1)
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	s.crash()
	for _, f := range segments(t, dir) {
		if offs := frameOffsets(t, f.path); len(offs) > 0 {
			data, _ := os.ReadFile(f.path)
			data[offs[20]+frameHeader+5] ^= 0xff
			os.WriteFile(f.path, data, 0o600)
		}
	}
	s2, _, _ := open(t, cfg)
	defer s2.Close()
	bodies, _ := replay(t, s2)
	if m := missing(bodies, 50); fmt.Sprint(m) != "[20]" || s2.Stats().Corrupt != 0 {
		t.Errorf("missing %v, corrupt %d; want [20] (delivered) and 0", m, s2.Stats().Corrupt)
	}
}

// A segment whose header and last frame are both damaged loses one record, counted once
// (it was counted at Open and again when read).
func TestDamagedHeaderAndTornTailCountTheirRecordOnce(t *testing.T) {
	bodies, st := damage(t, 50, func(files []segFile) {
		path := files[0].path
		offs := frameOffsets(t, path)
		data, _ := os.ReadFile(path)
		data[3] ^= 0xff // the header
		last := offs[len(offs)-1]
		for i := last + frameHeader + 10; i < last+frameHeader+40; i++ {
			data[i] = 0 // the last frame torn
		}
		os.WriteFile(path, data, 0o600)
	})
	if m := missing(bodies, 50); fmt.Sprint(m) != "[49]" || st.Corrupt != 1 {
		t.Fatalf("missing %v, corrupt %d; want [49] and 1", m, st.Corrupt)
	}
}
