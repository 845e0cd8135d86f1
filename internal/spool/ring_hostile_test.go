//go:build unix

package spool

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// keepLast is a processor that keeps a clone of the last record emitted.
type keepLast struct{ last sdklog.Record }

func (k *keepLast) OnEmit(_ context.Context, r *sdklog.Record) error       { k.last = r.Clone(); return nil }
func (k *keepLast) Shutdown(context.Context) error                         { return nil }
func (k *keepLast) ForceFlush(context.Context) error                       { return nil }
func (k *keepLast) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }

// service makes records as one process does: one LoggerProvider, so that every record
// of a logger shares its resource and scope (record() makes a provider per record, hence
// a resource-and-scope frame per record).
type service struct {
	k  *keepLast
	lp *sdklog.LoggerProvider
}

func newService() *service {
	k := new(keepLast)
	return &service{k: k, lp: sdklog.NewLoggerProvider(sdklog.WithResource(testResource), sdklog.WithProcessor(k))}
}

// record i: body "order created i", logger scope/(i%3).
func (sv *service) record(i int) sdklog.Record {
	var r log.Record
	r.SetTimestamp(baseTime.Add(time.Duration(i) * time.Millisecond))
	r.SetSeverity(log.SeverityInfo)
	r.SetBody(attribute.StringValue(fmt.Sprintf("order created %d", i)))
	r.AddAttributes(attribute.Int("i", i))
	sv.lp.Logger(fmt.Sprintf("scope/%d", i%3)).Emit(context.Background(), r)
	return sv.k.last
}

// runDelivering opens a spool on cfg, replays (and releases) what earlier runs left,
// appends record(from) … record(to-1), releases every one of them (all delivered) and
// closes: a clean run whose records all reached the collector. It returns the bodies it
// replayed.
func runDelivering(t *testing.T, cfg Config, from, to int) (replayed []string) {
	t.Helper()
	s, _, _ := open(t, cfg)
	replayed, _ = replay(t, s)
	var seqs []uint64
	for i := from; i < to; i++ {
		r := record(i)
		seq, res := s.Append(&r)
		if res != Spooled {
			t.Fatalf("Append(%d) = %v", i, res)
		}
		seqs = append(seqs, seq)
	}
	s.Release(seqs...)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return replayed
}

// TestRingNeverResurrectsAnEarlierRunsDeliveredRecords: the ring is reused as it is by
// the next run (same size: nothing cleared), and a run that finds no segment left (the
// normal state after a clean shutdown that delivered everything) starts its seqs at 1
// again, as the run before it did. Rescue trusts "seqs follow on from the header's next"
// to tell this run's frames from stale ones: past the last frame the new run wrote lie
// the earlier run's frames, and when the two runs logged records of the same sizes (a
// job or service logging the same lines at each start) the earlier run's frame there
// carries exactly the seq expected next. Here run A delivers and releases records
// 10..99 and closes cleanly; then a job runs six times, each run delivering and
// releasing records 10..19 (same sizes) and closing cleanly: every other run replays
// A's records 20 and 21 (and `resilog spool cat` lists them in between), records
// delivered and released long ago, whose segment was deleted; they come back forever,
// and are exported again each time. Correct: a released record never comes back after a
// clean shutdown; rescue must not take an earlier run's frames for this run's (clear or
// invalidate the ring's data at Open, or tie frames to the run that wrote them).
func TestRingNeverResurrectsAnEarlierRunsDeliveredRecords(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, SegmentBytes: minSegmentBytes, Sync: SyncBatch}
	runDelivering(t, cfg, 10, 100) // run A: 90 records, all delivered
	if n := len(segments(t, dir)); n != 0 {
		t.Fatalf("%d segments left after a run that delivered everything", n)
	}
	runDelivering(t, cfg, 10, 20) // the job's first run: 10 records, all delivered

	var listed []string
	if _, err := Scan(dir, func(e Entry) bool {
		r, err := e.Record()
		if err == nil {
			listed = append(listed, r.Body().AsString())
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 0 {
		t.Errorf("after clean runs that delivered and released every record, Scan lists %d records: %v", len(listed), listed)
	}
	var back []string
	for run := 2; run <= 7; run++ {
		if got := runDelivering(t, cfg, 10, 20); len(got) > 0 {
			back = append(back, fmt.Sprintf("run %d replays %v", run, got))
		}
	}
	if len(back) > 0 {
		t.Errorf("every run before delivered and released all its records, and closed cleanly; yet %v", back)
	}
}

// snapshot copies the regular files of dir to a new directory: what the directory holds
// if the process is SIGKILLed at this instant (the ring's mapping is shared: its bytes
// are the page cache's, which a read sees).
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	to := t.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

// TestRescueCountsNoDeliveredRecordAsCorrupt: a segment that is no longer active and
// whose records are all released is deleted at once, even when some of its frames are
// still in the ring, not yet copied (the copy comes every quarter ring or sync interval;
// with a healthy collector, records are released within milliseconds). If the process
// is killed then, the next Open rescues those frames from the ring, but their resource
// and scope were defined in the deleted segment: every one of them is counted corrupt
// (Stats().Corrupt, added to the ledger as emitted and dropped{corrupt}) although every
// one was delivered. A SIGKILL after healthy delivery reports a pile of lost records that
// were not lost. Correct: records already released are not rescued, or at least not
// counted as damaged: Corrupt stays 0 when nothing was lost, and the records not
// released (the next segment's) come back.
func TestRescueCountsNoDeliveredRecordAsCorrupt(t *testing.T) {
	dir := t.TempDir()
	// The default mode, SyncInterval; the interval long enough not to come in this test.
	cfg := Config{Dir: dir, SegmentBytes: minSegmentBytes, SyncInterval: time.Hour}
	s, _, _ := open(t, cfg)
	sv := newService()
	var xSeqs []uint64
	for i := range 50 {
		r := sv.record(i)
		seq, res := s.Append(&r)
		if res != Spooled {
			t.Fatalf("Append = %v", res)
		}
		xSeqs = append(xSeqs, seq)
	}
	if err := s.flush(); err != nil { // the header: X active, its first 50 copied
		t.Fatal(err)
	}
	s.flushMu.Lock() // the copier is behind: what follows stays in the ring for now
	s.mu.Lock()
	x := s.active
	s.mu.Unlock()
	i := 50
	for ; ; i++ {
		r := sv.record(i)
		seq, res := s.Append(&r)
		if res != Spooled {
			t.Fatalf("Append = %v", res)
		}
		s.mu.Lock()
		rotated := s.active != x
		s.mu.Unlock()
		if rotated {
			break
		}
		xSeqs = append(xSeqs, seq)
	}
	yFirst := i
	for i = yFirst + 1; i < yFirst+20; i++ {
		r := sv.record(i)
		if _, res := s.Append(&r); res != Spooled {
			t.Fatalf("Append = %v", res)
		}
	}
	s.Release(xSeqs...)        // X delivered: deleted once its frames are copied from the ring
	killed := snapshot(t, dir) // SIGKILL now
	s.flushMu.Unlock()
	s.Close()

	cfg.Dir = killed
	s2, _, _ := open(t, cfg)
	defer s2.Close()
	bodies, _ := replay(t, s2)
	seen := map[string]bool{}
	for _, b := range bodies {
		seen[b] = true
	}
	for j := yFirst; j < yFirst+20; j++ {
		if !seen[fmt.Sprintf("order created %d", j)] {
			t.Errorf("record %d (not released) did not come back", j)
		}
	}
	if c := s2.Stats().Corrupt; c != 0 {
		t.Errorf("after a SIGKILL that lost nothing (%d records of a delivered, deleted segment still in the ring, %d not released in the next one), the next run counts Corrupt = %d: records dropped that were delivered",
			yFirst-50, 20, c)
	}
}

// TestResizedRingIsKeptUntilItsTailIsSafe: when the ring file has another size
// than this run's (SegmentBytes or RESILOG_SPOOL_MAX_BYTES changed across a restart, or
// `resilog spool replay`, which opens with the default sizes, run on the directory of a
// service with a smaller RESILOG_SPOOL_MAX_BYTES: the ring is 2×SegmentBytes), openRing reads the earlier run's tail into memory, truncates
// the ring to zero and makes it anew, and only then does Open write the tail to its
// rescue segment. If that write fails (disk full, EIO; here the rescue segment's name is
// taken, so its O_EXCL create fails) or the process is killed in between, the spool
// opens off, and the tail exists nowhere any more: the records whose log calls returned
// before the crash are lost for good, without a count. With a ring of the same size the
// same failure leaves the ring alone and the next run rescues it. Correct: the ring is
// not written over (truncated, resized, prefaulted) before its tail is on disk in a
// segment; a failed rescue leaves it for the next run.
func TestResizedRingIsKeptUntilItsTailIsSafe(t *testing.T) {
	dir := t.TempDir()
	small := Config{Dir: dir, SegmentBytes: minSegmentBytes}
	s, _, _ := open(t, small)
	appendAll(t, s, 0, 30) // in the ring only
	s.crash()

	// The rescue segment's name is taken: its create fails.
	next := uint64(0)
	for _, f := range segments(t, dir) {
		next = max(next, f.index+1)
	}
	obstacle := filepath.Join(dir, segName(next))
	if err := os.Mkdir(obstacle, 0o700); err != nil {
		t.Fatal(err)
	}
	s2, _, _ := open(t, Config{Dir: dir, SegmentBytes: 4 * minSegmentBytes}) // another ring size
	r := record(99)
	if _, res := s2.Append(&r); res != Off {
		t.Fatalf("Append = %v: the rescue did not fail as the test intends", res)
	}
	s2.Close()
	os.Remove(obstacle) // the disk has room again

	s3, _, _ := open(t, small)
	defer s3.Close()
	bodies, _ := replay(t, s3)
	if m := missing(bodies, 30); len(m) != 0 {
		t.Errorf("a rescue that failed with the ring's size changed: %d of the 30 records in the ring at the crash are lost (missing %v), corrupt = %d",
			len(m), m, s3.Stats().Corrupt)
	}
}

// TestScanSkipsARingThatIsAFIFO: Open refuses a ring that is not a regular file
// (O_NOFOLLOW, then a mode check), but Scan (`resilog spool cat`, `spool stat`) reads
// dir/ring with os.ReadFile, following symlinks and whatever the file is: a ring that is
// a FIFO (or a symlink to one) blocks Scan forever in open(2); a symlink to /dev/zero
// would have it read without end. Correct: Scan reads the ring only if it is a regular
// file (not followed through a symlink) and of a bounded size, and returns otherwise.
func TestScanSkipsARingThatIsAFIFO(t *testing.T) {
	dir := t.TempDir()
	s, _, _ := open(t, Config{Dir: dir, SegmentBytes: minSegmentBytes})
	appendAll(t, s, 0, 10)
	s.crash()
	ring := filepath.Join(dir, ringName)
	os.Remove(ring)
	if err := syscall.Mkfifo(ring, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Scan(dir, func(Entry) bool { return true })
		done <- err
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Errorf("Scan of a spool directory whose ring is a FIFO has not returned in 20s")
		if f, err := os.OpenFile(ring, os.O_WRONLY, 0); err == nil { // let it go
			f.Close()
		}
		<-done
	}
}

// TestOpenReadsOnlyARingSizedRing: a ring is at most ringHeader+maxRingData (8 MiB and a
// page) by construction, but openRing reads whatever file is at dir/ring whole into
// memory (os.ReadFile) as soon as it is larger than its header, before looking at the
// header; Scan does the same. A ring of another size (damage, a file put there, a sparse
// file grown by a bad truncate) of 256 MiB costs Open 256 MiB at the application's
// start; one of some GiB kills the application there (Open is called by New). Correct:
// Open reads a bounded amount (the header, then the data area only when the header's
// data size is within bounds and matches the file), whatever the file's size.
func TestOpenReadsOnlyARingSizedRing(t *testing.T) {
	dir := t.TempDir()
	const size = 256 << 20
	f, err := os.Create(filepath.Join(dir, ringName))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil { // sparse: no disk taken
		t.Fatal(err)
	}
	f.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s, _, _ := open(t, Config{Dir: dir, SegmentBytes: minSegmentBytes})
	runtime.ReadMemStats(&after)
	s.Close()
	if got := after.TotalAlloc - before.TotalAlloc; got > 4*(ringHeader+maxRingData) {
		t.Errorf("Open on a directory whose ring file is %d MiB allocated %d MiB; a ring is at most %d MiB",
			size>>20, got>>20, (ringHeader+maxRingData)>>20)
	}
}

// TestReleaseRacingTheCopyDeletesASegmentOnce: a copy (flush) takes its work
// list under the lock, pwrites outside it, then deletes, under the lock again, the
// segments of its list that are done. A Release of a sealed segment's last record that
// comes in between deletes the segment itself (deleteLocked: s.bytes -= size), and then
// the copy finds it done and deletes it again: s.bytes is lowered twice for one segment.
// Each time, the spool believes it takes a segment less than it does, and MaxBytes is
// passed by that much on disk for good. Correct: a segment is taken off the books once
// (deleteLocked does nothing to a segment no longer in s.segs), so that Stats().Bytes is
// what the segment files take.
func TestReleaseRacingTheCopyDeletesASegmentOnce(t *testing.T) {
	dir := t.TempDir()
	seg := int64(minSegmentBytes)
	s, _, _ := open(t, Config{Dir: dir, SegmentBytes: seg, Sync: SyncBatch})
	defer s.Close()
	sv := newService()
	i := 0
	var carry []uint64 // the record that made the next segment active
	for it := 0; it < 300; it++ {
		s.mu.Lock()
		x := s.active
		s.mu.Unlock()
		seqs := carry
		carry = nil
		for {
			r := sv.record(i)
			i++
			seq, res := s.Append(&r)
			if res != Spooled {
				continue // the ring full for a moment: the memory path
			}
			s.mu.Lock()
			rotated := s.active != x
			s.mu.Unlock()
			if rotated {
				carry = append(carry, seq)
				break
			}
			seqs = append(seqs, seq)
		}
		if x == nil || len(seqs) == 0 {
			s.Release(seqs...)
			continue
		}
		s.Release(seqs[:len(seqs)-1]...)
		done := make(chan struct{})
		go func() { s.flush(); close(done) }()
		for range it % 64 * 50 { // a varying head start for the copy
			runtime.Gosched()
		}
		s.Release(seqs[len(seqs)-1]) // X's last record: X is done
		<-done
		s.mu.Lock()
		var books int64
		for _, g := range s.segs {
			books += g.size
		}
		if s.spare != nil {
			books += s.spare.size
		}
		bytes, preparing := s.bytes, s.preparing
		s.mu.Unlock()
		if !preparing && bytes < books {
			t.Fatalf("iteration %d: Stats().Bytes says %d, the segments the spool keeps take %d: a segment deleted twice", it, bytes, books)
		}
	}
}

// TestRingHardLinkIsNotWrittenThrough: Open refuses a ring that is a symlink
// (O_NOFOLLOW) but not one that is a hard link: a regular file whose data is shared with
// another name. A spool directory copied with hard links (cp -al, rsync --link-dest
// backups, a container layer) or a "ring" linked to another file has Open truncate it,
// re-allocate it and map it, and the run writes its records into it: the other file's
// content (here a configuration file outside the spool) is destroyed, and a backup of
// the spool changes under its owner. Correct: as for the lock's symlink, nothing outside
// the spool is written: a ring with more than one link is not written in place (Open
// makes a new one, or turns the spool off).
func TestRingHardLinkIsNotWrittenThrough(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	victim := filepath.Join(other, "app.conf")
	content := []byte(strings.Repeat("db_password=keep-me\n", 500)) // larger than the ring's header
	if err := os.WriteFile(victim, content, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(victim, filepath.Join(dir, ringName)); err != nil {
		t.Fatal(err)
	}
	s, err := Open(Config{Dir: dir})
	if err == nil {
		r := record(1)
		s.Append(&r)
		s.Close()
	}
	if got, _ := os.ReadFile(victim); !bytes.Equal(got, content) {
		t.Errorf("Open on a spool whose ring is a hard link to a file outside the spool rewrote that file: now %d bytes, was %d", len(got), len(content))
	}
}

// TestShortCopyAtAKillCountsNoRescuedRecordAsCorrupt: a copy is one pwrite per
// segment; a SIGKILL during it ends it short, at a page boundary (the kernel checks for a
// fatal signal between pages), so the segment holds the first pages of the piece and
// zeros after, with a frame cut in two, and the ring's header still says the piece is not
// copied. The next Open rescues, from the ring, every frame past the segment's last
// intact one, the cut one included: nothing is lost. But reading the segment, it finds
// bytes after its last intact frame and counts a record lost (Stats().Corrupt, booked as
// dropped{corrupt}): a record that was replayed is also counted dropped. The spool's own
// kill test allows "one per kill" for this. Correct: a torn frame whose record the
// rescue holds is not counted; Corrupt stays 0 when every record comes back.
func TestShortCopyAtAKillCountsNoRescuedRecordAsCorrupt(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, SegmentBytes: 4 * minSegmentBytes}
	s, _, _ := open(t, cfg)
	appendAll(t, s, 0, 50)
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	appendAll(t, s, 50, 150)
	s.flushMu.Lock()
	header := append([]byte(nil), s.ring.mem[:ringHeader]...)
	s.mu.Lock()
	g := s.active
	from := segHeader + int(s.ring.flushed-g.streamStart) // where this copy starts in g
	s.mu.Unlock()
	s.flushMu.Unlock()
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	appendAll(t, s, 150, 160)
	s.flushMu.Lock()
	copy(s.ring.mem, header) // killed before the header said the copy was done …
	s.flushMu.Unlock()
	// … and during the copy itself: g holds the piece up to the next page boundary.
	page := os.Getpagesize()
	cut := (from/page + 1) * page
	f, err := os.OpenFile(g.path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(make([]byte, int(g.size)-cut), int64(cut)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	s.crash()

	s2, _, _ := open(t, cfg)
	defer s2.Close()
	bodies, _ := replay(t, s2)
	if m := missing(bodies, 160); len(m) != 0 || len(bodies) != 160 {
		t.Fatalf("replayed %d, missing %v: the test wants every record back", len(bodies), m)
	}
	if c := s2.Stats().Corrupt; c != 0 {
		t.Errorf("every one of the 160 records came back once, and Corrupt = %d: a record counted dropped that was not lost", c)
	}
}

// TestScanBesideALiveProcessMissesNoRecord: Scan (`resilog spool cat` / `stat`,
// documented to show, beside a running process, "what that process has written so
// far") reads the segment files first and the ring last. The process's copier runs
// whenever it likes: when it copies frames from the ring to a segment, and says so in
// the ring's header, after Scan read that segment and before Scan reads the ring, those
// records are in neither of what Scan read: records appended before Scan started are
// missing from its listing. (Here the copy is made from Scan's first callback, the
// instant the copier could take.) Correct: every record appended before Scan started,
// and not released, is listed (read the ring's header first and the segments up to its
// flushed position, or re-read what a later header says was copied).
func TestScanBesideALiveProcessMissesNoRecord(t *testing.T) {
	dir := t.TempDir()
	s, _, _ := open(t, Config{Dir: dir, SegmentBytes: 4 * minSegmentBytes, Sync: SyncBatch})
	defer s.Close()
	appendAll(t, s, 0, 50)
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	appendAll(t, s, 50, 100) // in the ring, not copied yet

	var listed []string
	copied := false
	if _, err := Scan(dir, func(e Entry) bool {
		if !copied { // the copier runs now
			copied = true
			if err := s.flush(); err != nil {
				t.Fatal(err)
			}
		}
		r, err := e.Record()
		if err == nil {
			listed = append(listed, r.Body().AsString())
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if m := missing(listed, 100); len(m) != 0 {
		t.Errorf("Scan beside a live process, started after 100 records were appended, lists %d of them: missing %d..%d",
			len(listed), m[0], m[len(m)-1])
	}
}
