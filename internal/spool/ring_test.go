package spool

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"go.opentelemetry.io/otel/attribute"

	"github.com/resilog/resilog/internal/otlpenc"
)

// Records still in the ring at a crash (not yet copied to a segment) come back: Scan
// sees them beside the segments, and the next Open writes them to a segment of their
// own before it writes over the ring.
func TestRingTailSurvivesACrash(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, SegmentBytes: minSegmentBytes}
	s, _, _ := open(t, cfg)
	appendAll(t, s, 0, 30)
	if err := s.flush(); err != nil { // 0..29 in segments
		t.Fatal(err)
	}
	appendAll(t, s, 30, 50) // 30..49 in the ring only
	s.crash()

	onDisk := 0
	for _, f := range segments(t, dir) {
		onDisk += len(frameOffsets(t, f.path))
	}
	var scanned []string
	if _, err := Scan(dir, func(e Entry) bool {
		r, err := e.Record()
		if err != nil {
			t.Fatal(err)
		}
		scanned = append(scanned, r.Body().AsString())
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if m := missing(scanned, 50); len(m) != 0 || len(scanned) != 50 {
		t.Errorf("Scan: %d records, missing %v (%d frames in segments)", len(scanned), m, onDisk)
	}

	s2, _, _ := open(t, cfg)
	bodies, uids := replay(t, s2)
	if m := missing(bodies, 50); len(m) != 0 || len(bodies) != 50 {
		t.Errorf("replayed %d, missing %v", len(bodies), m)
	}
	seen := map[string]bool{}
	for _, u := range uids {
		if u == "" || seen[u] {
			t.Errorf("uid %q empty or twice", u)
		}
		seen[u] = true
	}
	if c := s2.Stats().Corrupt; c != 0 {
		t.Errorf("corrupt = %d", c)
	}
	s2.Close()

	// Rescued once: a third run finds nothing (the second released everything).
	s3, _, _ := open(t, cfg)
	defer s3.Close()
	if bodies, _ := replay(t, s3); len(bodies) != 0 {
		t.Errorf("third run replayed %d records: %v", len(bodies), bodies)
	}
}

// A ring whose header is damaged is not trusted: Open neither fails nor invents records.
func TestDamagedRingHeaderIsIgnored(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, SegmentBytes: minSegmentBytes}
	s, _, _ := open(t, cfg)
	appendAll(t, s, 0, 10)
	s.crash()
	path := filepath.Join(dir, ringName)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 * ringSlot {
		data[i] ^= 0x5a
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s2, _, _ := open(t, cfg)
	defer s2.Close()
	bodies, _ := replay(t, s2)
	for _, b := range bodies {
		var i int
		if _, err := fmt.Sscanf(b, "order created %d", &i); err != nil || i < 0 || i >= 10 {
			t.Errorf("replayed %q", b)
		}
	}
	r := record(99)
	if _, res := s2.Append(&r); res != Spooled {
		t.Errorf("Append after = %v", res)
	}
}

// A run killed after copying frames to a segment but before saying so in the ring's
// header leaves them in both: each comes back once, and is released for good.
func TestFramesCopiedButNotSaidComeBackOnce(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, SegmentBytes: minSegmentBytes}
	s, _, _ := open(t, cfg)
	appendAll(t, s, 0, 40)
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	appendAll(t, s, 40, 300) // across segments
	s.flushMu.Lock()
	header := append([]byte(nil), s.ring.mem[:ringHeader]...)
	s.flushMu.Unlock()
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	appendAll(t, s, 300, 320)
	s.flushMu.Lock()
	copy(s.ring.mem, header) // the header as it was before the last copy
	s.flushMu.Unlock()
	s.crash()

	s2, _, _ := open(t, cfg)
	bodies, _ := replay(t, s2)
	if m := missing(bodies, 320); len(m) != 0 || len(bodies) != 320 {
		t.Errorf("replayed %d, missing %v, want each of 320 once", len(bodies), m)
	}
	if st := s2.Stats(); st.Records != 0 || st.Corrupt != 0 {
		t.Errorf("after replaying and releasing everything: %+v", st)
	}
	s2.Close()
	s3, _, _ := open(t, cfg)
	defer s3.Close()
	if bodies, _ := replay(t, s3); len(bodies) != 0 {
		t.Errorf("third run replayed %d records", len(bodies))
	}
}

func TestUIDFieldIsTheAttributesEncoding(t *testing.T) {
	run := RunID{1, 2, 3, 4, 5, 6, 7, 0xff}
	for _, seq := range []uint64{0, 1, 1 << 40, ^uint64(0)} {
		want := otlpenc.AppendRecordAttribute(nil, attribute.String(UIDKey, string(appendUID(nil, run, seq))))
		if got, want := string(appendUID(nil, run, seq)), fmt.Sprintf("%x%016x", run[:], seq); got != want {
			t.Errorf("uid of seq %d: %s, want %s", seq, got, want)
		}
		if got := appendUIDField(nil, uidHead(run), seq); !bytes.Equal(got, want) || len(got) != uidFieldLen {
			t.Errorf("seq %d: %x, want %x", seq, got, want)
		}
	}
}

// A record logged with a log.record.uid of its own comes back from disk with the
// spool's alone, the uid its copy exported from memory carries.
func TestReplayedRecordCarriesTheSpoolsUIDAlone(t *testing.T) {
	dir := t.TempDir()
	s, _, _ := open(t, Config{Dir: dir})
	r := record(1)
	r.AddAttributes(attribute.String(UIDKey, "the caller's own"))
	seq, res := s.Append(&r)
	if res != Spooled {
		t.Fatalf("Append = %v", res)
	}
	want, _ := s.UID(seq)
	s.crash()
	s2, _, _ := open(t, Config{Dir: dir})
	defer s2.Close()
	n := 0
	for seq, g := range s2.Earlier() {
		var uids []string
		g.WalkAttributes(func(kv attribute.KeyValue) bool {
			if kv.Key == UIDKey {
				uids = append(uids, kv.Value.AsString())
			}
			return true
		})
		if len(uids) != 1 || uids[0] != want.Value.AsString() {
			t.Errorf("replayed uids %q, want [%s]", uids, want.Value.AsString())
		}
		s2.Release(seq)
		n++
	}
	if n != 1 {
		t.Fatalf("replayed %d records", n)
	}
}

// The end of the newest segment cut off (no later segment's first seq shows the gap):
// the ring's header says up to which seq the run copied its records there, and every
// record lost is counted, not one.
func TestCutNewestSegmentCountsEveryRecordItLost(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, SegmentBytes: minSegmentBytes}
	s, _, _ := open(t, cfg)
	appendAll(t, s, 0, 100)
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	s.crash()
	var newest segFile
	for _, f := range segments(t, dir) {
		if len(frameOffsets(t, f.path)) > 0 {
			newest = f
		}
	}
	offs := frameOffsets(t, newest.path)
	keep := len(offs) - 30
	if err := os.Truncate(newest.path, int64(offs[keep]+frameHeader/2)); err != nil {
		t.Fatal(err)
	}
	s2, _, _ := open(t, cfg)
	defer s2.Close()
	bodies, _ := replay(t, s2)
	if c := s2.Stats().Corrupt; len(bodies) != 70 || c != 30 {
		t.Errorf("replayed %d, counted %d corrupt; want 70 and 30", len(bodies), c)
	}
}
