//go:build unix

package spool

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/resilog/resilog/internal/accounting"
	"github.com/resilog/resilog/internal/otlpenc"
	"github.com/resilog/resilog/internal/recordtest"
)

var testResource = resource.NewWithAttributes("https://opentelemetry.io/schemas/1.26.0",
	attribute.String("service.name", "orders"), attribute.String("host.name", "h1"))

var baseTime = time.Date(2026, 11, 30, 1, 2, 3, 456, time.UTC)

// record i: its body names it, and its timestamp is baseTime + i ms.
func record(i int) sdklog.Record {
	r := recordtest.Make(fmt.Sprintf("scope/%d", i%3), func(r *log.Record) {
		r.SetTimestamp(baseTime.Add(time.Duration(i) * time.Millisecond))
		r.SetObservedTimestamp(baseTime.Add(time.Duration(i)*time.Millisecond + time.Microsecond))
		r.SetSeverity(log.SeverityInfo)
		r.SetSeverityText("INFO")
		r.SetBody(attribute.StringValue(fmt.Sprintf("order created %d", i)))
		r.AddAttributes(attribute.Int("i", i), attribute.Map("user", attribute.Int("id", 88)),
			attribute.StringSlice("tags", []string{"a", "b"}), attribute.ByteSlice("raw", []byte{0, 255}))
	}, sdklog.WithResource(testResource))
	r.SetTraceID(trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	r.SetSpanID(trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8})
	return r
}

// syncBuffer is a writer for a report, read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func open(t testing.TB, cfg Config) (*Spool, *syncBuffer, *accounting.Report) {
	t.Helper()
	out := new(syncBuffer)
	rep := accounting.NewReport(out)
	cfg.Report = rep
	s, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s, out, rep
}

// crash leaves the directory as a killed process would: the mappings' contents are in
// the page cache (here, the files), nothing is truncated, released or deleted, and the
// lock goes with the process.
func (s *Spool) crash() {
	s.mu.Lock()
	s.closed = true
	s.on.Store(false)
	r := s.ring
	s.mu.Unlock()
	close(s.stop)
	s.bg.Wait()
	s.flushMu.Lock() // no copy from the ring under way
	for _, g := range append(s.segs, s.spare) {
		if g != nil && g.file != nil {
			g.file.Close()
		}
	}
	_ = unmap(r.mem)
	r.file.Close()
	s.flushMu.Unlock()
	s.lockFile.Close()
}

func appendAll(t testing.TB, s *Spool, from, to int) (uids []string) {
	t.Helper()
	for i := from; i < to; i++ {
		r := record(i)
		seq, res := s.Append(&r)
		if res != Spooled {
			t.Fatalf("Append(%d) = %v", i, res)
		}
		uid, ok := s.UID(seq)
		if !ok || uidOf(r) != "" {
			t.Fatalf("Append(%d): UID(%d) = %v, record's own uid %q: want this run's uid and r left as it is", i, seq, ok, uidOf(r))
		}
		uids = append(uids, uid.Value.AsString())
	}
	return uids
}

func uidOf(r sdklog.Record) string {
	var uid string
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		if kv.Key == UIDKey {
			uid = kv.Value.AsString()
		}
		return true
	})
	return uid
}

// replay returns the bodies and uids Earlier yields, releasing each.
func replay(t testing.TB, s *Spool) (bodies, uids []string) {
	t.Helper()
	for seq, r := range s.Earlier() {
		bodies = append(bodies, r.Body().AsString())
		uids = append(uids, uidOf(r))
		s.Release(seq)
	}
	return bodies, uids
}

func segments(t testing.TB, dir string) []segFile {
	t.Helper()
	files, err := listSegments(dir)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestFrameRoundTrip(t *testing.T) {
	payload := []byte("a record's payload")
	f := make([]byte, frameHeader+len(payload))
	copy(f[frameHeader:], payload)
	sealFrame(f, 42)
	seq, got, ok := frameAt(f, 0)
	if !ok || seq != 42 || !bytes.Equal(got, payload) {
		t.Fatalf("frameAt = %d %q %v, want 42 %q true", seq, got, ok, payload)
	}
	for i := range f {
		g := bytes.Clone(f)
		g[i] ^= 0x10
		if _, _, ok := frameAt(g, 0); ok {
			t.Errorf("a flipped bit in byte %d went unnoticed", i)
		}
	}
	if _, _, ok := frameAt(f[:len(f)-1], 0); ok {
		t.Error("a frame cut short went unnoticed")
	}
}

func TestRecordsComeBackWithTheirResourceScopeTimeAndUID(t *testing.T) {
	dir := t.TempDir()
	s, _, _ := open(t, Config{Dir: dir})
	want := record(7)
	r := want.Clone()
	seq, res := s.Append(&r)
	if res != Spooled {
		t.Fatalf("Append = %v", res)
	}
	kv, _ := s.UID(seq)
	uid := kv.Value.AsString()
	if len(uid) != uidLen || !strings.HasPrefix(uid, s.Run().String()) {
		t.Fatalf("uid %q: want the run id %s and the seq, %d hex digits", uid, s.Run(), uidLen)
	}
	s.crash()

	s2, _, _ := open(t, Config{Dir: dir})
	defer s2.Close()
	var got []sdklog.Record
	for seq, r := range s2.Earlier() {
		got = append(got, r.Clone())
		s2.Release(seq)
	}
	if len(got) != 1 {
		t.Fatalf("replayed %d records, want 1", len(got))
	}
	g := got[0]
	if !g.Timestamp().Equal(want.Timestamp()) || !g.ObservedTimestamp().Equal(want.ObservedTimestamp()) {
		t.Errorf("times %v %v, want %v %v", g.Timestamp(), g.ObservedTimestamp(), want.Timestamp(), want.ObservedTimestamp())
	}
	if !g.Resource().Equal(testResource) || g.Resource().SchemaURL() != testResource.SchemaURL() {
		t.Errorf("resource %v, want %v", g.Resource(), testResource)
	}
	if g.InstrumentationScope().Name != "scope/1" {
		t.Errorf("scope %q, want scope/1", g.InstrumentationScope().Name)
	}
	if g.TraceID() != want.TraceID() || g.SpanID() != want.SpanID() || g.Severity() != want.Severity() || g.SeverityText() != "INFO" {
		t.Errorf("trace, span or severity differ: %v %v %v", g.TraceID(), g.SpanID(), g.Severity())
	}
	r.AddAttributes(kv) // the copy on disk ends with its uid
	m, w := recordtest.AsMap(g), recordtest.AsMap(r)
	if fmt.Sprint(m) != fmt.Sprint(w) {
		t.Errorf("replayed\n%v\nwant\n%v", m, w)
	}
	if uidOf(g) != uid {
		t.Errorf("replayed uid %q, want %q", uidOf(g), uid)
	}
}

func TestEarlierRunsComeBackInOrderAcrossSegments(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, SegmentBytes: minSegmentBytes}
	s, _, _ := open(t, cfg)
	uids := appendAll(t, s, 0, 600)
	s.crash()
	if n := len(segments(t, dir)); n < 3 {
		t.Fatalf("%d segments; the test wants records across at least 3", n)
	}

	s2, _, _ := open(t, cfg)
	more := appendAll(t, s2, 600, 700) // this run's own records do not come back
	bodies, got := replay(t, s2)
	if len(bodies) != 600 {
		t.Fatalf("replayed %d records, want 600", len(bodies))
	}
	for i, b := range bodies {
		if want := fmt.Sprintf("order created %d", i); b != want || got[i] != uids[i] {
			t.Fatalf("record %d: %q %s, want %q %s", i, b, got[i], want, uids[i])
		}
	}
	if st := s2.Stats(); st.Corrupt != 0 || st.Records != 100 || st.Pending != 0 {
		t.Errorf("Stats = %+v, want 100 records of this run, nothing corrupt or pending", st)
	}
	if more[0] == uids[0] {
		t.Error("two runs gave the same uid")
	}
	s2.Close()

	// This run's 100 were not released: they are the next run's earlier records.
	s3, _, _ := open(t, cfg)
	defer s3.Close()
	bodies, _ = replay(t, s3)
	if len(bodies) != 100 || bodies[0] != "order created 600" {
		t.Fatalf("third run replayed %d records starting %q, want 100 from 600", len(bodies), bodies[0])
	}
}

// damage opens a spool, appends n records, crashes, applies hurt to the segment files,
// and replays them in a new run.
func damage(t *testing.T, n int, hurt func(files []segFile)) (bodies []string, st Stats) {
	t.Helper()
	dir := t.TempDir()
	cfg := Config{Dir: dir, SegmentBytes: minSegmentBytes}
	s, _, _ := open(t, cfg)
	appendAll(t, s, 0, n)
	// Copied from the ring to the segments before the crash: the damage is done to
	// them. (What the ring holds at a crash is rescued: TestSIGKILLLosesNoReturnedRecord.)
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	s.crash()
	var written []segFile // not the spare
	for _, f := range segments(t, dir) {
		if len(frameOffsets(t, f.path)) > 0 {
			written = append(written, f)
		}
	}
	// In write order, which is the first seq's order.
	firstSeq := func(f segFile) uint64 {
		data, _ := os.ReadFile(f.path)
		return scanFrames(data[segHeader:], 0, nil).first
	}
	sort.Slice(written, func(i, j int) bool { return firstSeq(written[i]) < firstSeq(written[j]) })
	hurt(written)
	s2, _, _ := open(t, cfg)
	defer s2.Close()
	bodies, _ = replay(t, s2)
	// The run goes on: the damage did not turn the spool off.
	r := record(0)
	if _, res := s2.Append(&r); res != Spooled {
		t.Errorf("Append after recovery = %v", res)
	}
	return bodies, s2.Stats()
}

// frameOffsets returns where each intact record frame of a segment file starts.
func frameOffsets(t *testing.T, path string) []int {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var offs []int
	off := segHeader
	for {
		seq, p, ok := frameAt(data, off)
		if !ok {
			return offs
		}
		if seq != 0 {
			offs = append(offs, off)
		}
		off += frameHeader + len(p)
	}
}

func missing(bodies []string, n int) []int {
	seen := map[string]bool{}
	for _, b := range bodies {
		seen[b] = true
	}
	var out []int
	for i := range n {
		if !seen[fmt.Sprintf("order created %d", i)] {
			out = append(out, i)
		}
	}
	return out
}

func TestTornTailIsSkippedAndCounted(t *testing.T) {
	bodies, st := damage(t, 50, func(files []segFile) {
		// A writer killed halfway through its copy: the last frame's second half is zeros.
		path := files[0].path
		offs := frameOffsets(t, path)
		data, _ := os.ReadFile(path)
		last := offs[len(offs)-1]
		end := last + frameHeader + 40
		for i := last + (end-last)/2; i < len(data) && data[i] != 0 || i < end; i++ {
			data[i] = 0
		}
		// A frame that is all there but for its end: cut mid-payload.
		os.WriteFile(path, data, 0o600)
	})
	if len(bodies) != 49 || st.Corrupt != 1 {
		t.Fatalf("replayed %d, corrupt %d; want 49 and 1 (missing %v)", len(bodies), st.Corrupt, missing(bodies, 50))
	}
	if m := missing(bodies, 50); len(m) != 1 || m[0] != 49 {
		t.Errorf("missing %v, want [49]", m)
	}
}

func TestFlippedBytesLoseOnlyTheirRecord(t *testing.T) {
	bodies, st := damage(t, 50, func(files []segFile) {
		path := files[0].path
		offs := frameOffsets(t, path)
		data, _ := os.ReadFile(path)
		data[offs[10]+frameHeader+5] ^= 0xff // in record 10's payload
		data[offs[20]+2] ^= 0x01             // in record 20's magic
		data[offs[30]+6] ^= 0x40             // in record 30's length
		os.WriteFile(path, data, 0o600)
	})
	if m := missing(bodies, 50); fmt.Sprint(m) != "[10 20 30]" || st.Corrupt != 3 {
		t.Fatalf("missing %v, corrupt %d; want [10 20 30] and 3", m, st.Corrupt)
	}
}

func TestDamagedPrefixLosesOnlyItsSegmentsRecordsOfThatScope(t *testing.T) {
	var inFirst []int // records of scope/1 in the first segment
	bodies, st := damage(t, 600, func(files []segFile) {
		path := files[0].path
		data, _ := os.ReadFile(path)
		for off := segHeader; ; {
			seq, p, ok := frameAt(data, off)
			if !ok {
				break
			}
			if seq == 0 && bytes.Contains(p, []byte("scope/1")) {
				data[off+frameHeader+len(p)-1] ^= 0xff
			}
			off += frameHeader + len(p)
		}
		first := scanFrames(data[segHeader:], 0, nil)
		for i := range int(first.last) { // seqs start at 1: seq i+1 is record i
			if i%3 == 1 {
				inFirst = append(inFirst, i)
			}
		}
		os.WriteFile(path, data, 0o600)
	})
	if m := missing(bodies, 600); fmt.Sprint(m) != fmt.Sprint(inFirst) || st.Corrupt != uint64(len(inFirst)) {
		t.Fatalf("missing %v, corrupt %d; want the first segment's scope/1 records %v", m, st.Corrupt, inFirst)
	}
	if len(inFirst) == 0 || len(bodies) < 600-len(inFirst) {
		t.Fatalf("the test damaged nothing (%d records in the first segment)", len(inFirst))
	}
}

func TestTruncatedSegmentCountsWhatItLost(t *testing.T) {
	var lost int
	bodies, st := damage(t, 600, func(files []segFile) {
		if len(files) < 3 {
			t.Fatalf("%d segments, want at least 3", len(files))
		}
		path := files[0].path
		offs := frameOffsets(t, path)
		lost = len(offs) - 10
		// Cut mid-frame: 10 frames stay, the 11th is torn, the rest are gone.
		if err := os.Truncate(path, int64(offs[10]+frameHeader/2)); err != nil {
			t.Fatal(err)
		}
		// And a whole segment's header damaged: its records still come back.
		data, _ := os.ReadFile(files[2].path)
		data[3] ^= 0xff
		os.WriteFile(files[2].path, data, 0o600)
	})
	if len(bodies) != 600-lost || st.Corrupt != uint64(lost) {
		t.Fatalf("replayed %d, corrupt %d; want %d and %d", len(bodies), st.Corrupt, 600-lost, lost)
	}
	if m := missing(bodies, 600); m[0] != 10 || m[len(m)-1] != 10+lost-1 {
		t.Errorf("missing %d..%d, want 10..%d", m[0], m[len(m)-1], 10+lost-1)
	}
}

func TestGarbageFilesNeverStopAStart(t *testing.T) {
	dir := t.TempDir()
	for i, content := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte{0xff}, 5000), bytes.Repeat(magicBytes, 3000)} {
		os.WriteFile(filepath.Join(dir, segName(uint64(i))), content, 0o600)
	}
	s, _, _ := open(t, Config{Dir: dir})
	defer s.Close()
	bodies, _ := replay(t, s)
	if len(bodies) != 0 {
		t.Errorf("replayed %d records out of garbage", len(bodies))
	}
	if st := s.Stats(); st.Corrupt == 0 {
		t.Error("garbage was not counted")
	}
	r := record(1)
	if _, res := s.Append(&r); res != Spooled {
		t.Errorf("Append = %v", res)
	}
}

func TestSecondOpenNamesTheHolder(t *testing.T) {
	dir := t.TempDir()
	s, _, _ := open(t, Config{Dir: dir})
	defer s.Close()
	_, err := Open(Config{Dir: dir})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	host, _ := os.Hostname()
	if msg := err.Error(); !strings.Contains(msg, fmt.Sprintf("pid %d", os.Getpid())) || !strings.Contains(msg, host) || !strings.Contains(msg, dir) {
		t.Errorf("error %q does not name the directory and its holder (pid %d, host %s)", msg, os.Getpid(), host)
	}
	s.Close()
	s2, err := Open(Config{Dir: dir})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	s2.Close()
}

func TestFullSpoolSaysFullUntilRecordsAreReleased(t *testing.T) {
	dir := t.TempDir()
	s, _, _ := open(t, Config{Dir: dir, SegmentBytes: minSegmentBytes, MaxBytes: 3 * minSegmentBytes})
	defer s.Close()
	var seqs []uint64
	full := false
	for i := 0; i < 100000 && !full; i++ {
		r := record(i)
		seq, res := s.Append(&r)
		switch res {
		case Spooled:
			seqs = append(seqs, seq)
		case Full:
			full = true
			if _, ok := s.UID(seq); ok || seq != 0 {
				t.Errorf("a record the spool did not take got seq %d and a uid", seq)
			}
		default:
			t.Fatalf("Append = %v", res)
		}
	}
	if !full {
		t.Fatal("never full")
	}
	if st := s.Stats(); st.Bytes > 3*minSegmentBytes {
		t.Errorf("spool takes %d bytes, bound %d", st.Bytes, 3*minSegmentBytes)
	}
	var size int64
	for _, f := range segments(t, dir) {
		size += f.size
	}
	if size > 3*minSegmentBytes {
		t.Errorf("segment files take %d bytes, bound %d", size, 3*minSegmentBytes)
	}
	s.Release(seqs...)
	r := record(0)
	if _, res := s.Append(&r); res != Spooled {
		t.Errorf("Append after releasing everything = %v", res)
	}
	huge := recordtest.Make("s", func(r *log.Record) { r.SetBody(attribute.StringValue(strings.Repeat("x", minSegmentBytes))) })
	if _, res := s.Append(&huge); res != Full {
		t.Errorf("Append of a record larger than a segment = %v, want Full", res)
	}
}

func TestReleasedSegmentsAreDeleted(t *testing.T) {
	dir := t.TempDir()
	s, _, _ := open(t, Config{Dir: dir, SegmentBytes: minSegmentBytes})
	var seqs []uint64
	for i := range 600 {
		r := record(i)
		seq, _ := s.Append(&r)
		seqs = append(seqs, seq)
	}
	s.mu.Lock()
	first := s.segs[0].path // the oldest written, not the spare
	s.mu.Unlock()
	// A segment goes once its frames are copied out of the ring too: copied here, so
	// that Release alone is what deletes it (not a copy that happened to come first).
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	s.Release(seqs[:300]...)
	s.Release(seqs[:300]...) // twice: no effect
	if _, err := os.Stat(first); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the first segment is still there after its records were released: %v", err)
	}
	s.Release(seqs[300:]...)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if files := segments(t, dir); len(files) != 0 {
		t.Errorf("%d segment files left after every record was released", len(files))
	}
}

func TestCloseKeepsWhatIsNotReleased(t *testing.T) {
	dir := t.TempDir()
	s, _, _ := open(t, Config{Dir: dir})
	var seqs []uint64
	for i := range 10 {
		r := record(i)
		seq, _ := s.Append(&r)
		seqs = append(seqs, seq)
	}
	s.Release(seqs[:7]...)
	s.Close()
	var size int64
	for _, f := range segments(t, dir) {
		size += f.size
	}
	if size >= defaultSegmentBytes {
		t.Errorf("closed spool takes %d bytes: the unwritten end was not given back", size)
	}
	// Released records stay in the segment until it is deleted; the next run replays
	// the segment's records not released only.
	s2, _, _ := open(t, Config{Dir: dir})
	bodies, _ := replay(t, s2)
	if fmt.Sprint(bodies) != "[order created 7 order created 8 order created 9]" {
		t.Errorf("the next run replayed %q, want the 3 records not released", bodies)
	}
	s2.Close()
	if files := segments(t, dir); len(files) != 0 {
		t.Errorf("%d segment files left after the next run released the rest", len(files))
	}
	if rels, _ := filepath.Glob(filepath.Join(dir, "*"+relSuffix)); len(rels) != 0 {
		t.Errorf("side files left: %v", rels)
	}
}

func TestReleasesSurviveACrashUpToTheLastSync(t *testing.T) {
	dir := t.TempDir()
	s, _, _ := open(t, Config{Dir: dir, Sync: SyncBatch})
	var seqs []uint64
	for i := range 10 {
		r := record(i)
		seq, _ := s.Append(&r)
		seqs = append(seqs, seq)
	}
	s.Release(seqs[:4]...)
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	s.Release(seqs[4:6]...) // in flight at the crash: released, not synced
	s.crash()
	s2, _, _ := open(t, Config{Dir: dir})
	defer s2.Close()
	bodies, _ := replay(t, s2)
	if len(bodies) != 6 || bodies[0] != "order created 4" {
		t.Errorf("after the crash the next run replayed %q, want records 4 to 9", bodies)
	}
}

func TestIOErrorTurnsTheSpoolOffWithOneLine(t *testing.T) {
	dir := t.TempDir()
	s, out, rep := open(t, Config{Dir: dir, SegmentBytes: minSegmentBytes})
	defer s.Close()
	appendAll(t, s, 0, 10)
	// The directory goes away under the spool: no new segment can be made. (RemoveAll
	// fails when the background goroutine makes a spare between its listing and its
	// rmdir: again until the directory is gone.)
	for os.RemoveAll(dir) != nil {
	}
	results := map[Result]int{}
	for i := range 2000 {
		r := record(i)
		_, res := s.Append(&r)
		results[res]++
	}
	if results[Off] == 0 {
		t.Fatalf("results %v: the spool never turned off", results)
	}
	rep.Wait(time.Second)
	if n := strings.Count(out.String(), "\n"); n != 1 || !strings.Contains(out.String(), "spool "+dir+" off") {
		t.Errorf("report %q: want one line saying the spool is off", out.String())
	}
}

func TestUnwritableDirectoryOpensOff(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "spool")
	if os.Getuid() == 0 {
		// root ignores permissions: a path under a file cannot be made, as a
		// read-only file system refuses it.
		os.WriteFile(filepath.Join(parent, "file"), nil, 0o600)
		dir = filepath.Join(parent, "file", "spool")
	} else {
		os.Chmod(parent, 0o500)
		t.Cleanup(func() { os.Chmod(parent, 0o700) })
	}
	s, out, rep := open(t, Config{Dir: dir})
	r := record(1)
	if _, res := s.Append(&r); res != Off {
		t.Errorf("Append = %v, want Off", res)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	rep.Wait(time.Second)
	if strings.Count(out.String(), "\n") != 1 {
		t.Errorf("report %q: want one line", out.String())
	}
}

func TestConcurrentAppendsAllComeBack(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, SegmentBytes: minSegmentBytes}
	s, _, _ := open(t, cfg)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 250 {
				r := record(w*1000 + i)
				if _, res := s.Append(&r); res != Spooled {
					t.Errorf("Append = %v", res)
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			s.Sync()
		}
	})
	wg.Wait()
	s.crash()
	s2, _, _ := open(t, cfg)
	defer s2.Close()
	bodies, _ := replay(t, s2)
	if len(bodies) != 1000 || s2.Stats().Corrupt != 0 {
		t.Errorf("replayed %d, corrupt %d; want 1000 and 0", len(bodies), s2.Stats().Corrupt)
	}
}

// BenchmarkAppend measures Append, and beside it the encoding alone (what any
// spool would pay), in wall time and in CPU time per record: on a shared machine the
// second is the steadier figure.
func BenchmarkAppend(b *testing.B) {
	// BenchmarkHotPath's record: five scalar attributes.
	r := recordtest.Make("bench", func(r *log.Record) {
		r.SetTimestamp(baseTime)
		r.SetSeverity(log.SeverityInfo)
		r.SetSeverityText("INFO")
		r.SetBody(attribute.StringValue("order created"))
		r.AddAttributes(attribute.Int("order_id", 1042), attribute.Int("user_id", 88), attribute.String("total", "149.99"),
			attribute.Bool("paid", true), attribute.String("latency", "12ms"))
	}, sdklog.WithResource(testResource), // and the provider options of resilog's pipeline
		sdklog.WithAllowKeyDuplication(), sdklog.WithAttributeCountLimit(-1), sdklog.WithAttributeValueLengthLimit(-1))
	b.Run("encode", func(b *testing.B) {
		var p prefixes
		buf := make([]byte, 0, 1024)
		b.ReportAllocs()
		cpu := cpuTime()
		for b.Loop() {
			c := r
			buf = protowire.AppendVarint(append(buf[:0], kindRecord), p.lookup(&c).id)
			buf = otlpenc.AppendRecord(buf, &c)
		}
		b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	})
	for _, mode := range []struct {
		name string
		sync SyncMode
	}{{"spool", SyncInterval}, {"spool-syncbatch", SyncBatch}} {
		b.Run(mode.name, func(b *testing.B) {
			s, _, _ := open(b, Config{Dir: b.TempDir(), Sync: mode.sync})
			defer s.Close()
			b.ReportAllocs()
			var seqs []uint64
			cpu := cpuTime()
			for b.Loop() {
				c := r
				seq, _ := s.Append(&c)
				seqs = append(seqs, seq)
				if len(seqs) == 512 {
					s.Release(seqs...)
					seqs = seqs[:0]
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime returns the CPU time the process has used, user and system, in nanoseconds.
func cpuTime() int64 {
	var u syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return u.Utime.Nano() + u.Stime.Nano()
}

func TestRingTruncatedUnderTheMappingTurnsTheSpoolOff(t *testing.T) {
	dir := t.TempDir()
	s, out, rep := open(t, Config{Dir: dir, Sync: SyncBatch})
	defer s.Close()
	appendAll(t, s, 0, 1)
	// Someone truncates the ring: the next write to the mapping faults (SIGBUS), which
	// must kill neither the log call nor the background goroutine.
	if err := os.Truncate(filepath.Join(dir, ringName), 0); err != nil {
		t.Fatal(err)
	}
	r := record(1)
	if _, res := s.Append(&r); res != Off {
		t.Errorf("Append into a truncated ring = %v, want Off", res)
	}
	r = record(2)
	if _, res := s.Append(&r); res != Off {
		t.Errorf("Append after = %v, want Off", res)
	}
	_ = s.Sync() // copies from the truncated mapping: an error, not a crash
	rep.Wait(time.Second)
	// Whichever saw it first says it: the log call ("writing ring: … fault") or the
	// background goroutine copying from the mapping ("bad address").
	if strings.Count(out.String(), "\n") != 1 || !strings.Contains(out.String(), "off, records stay in memory") {
		t.Errorf("report %q: want one line", out.String())
	}
}

func TestCloseStopsItsGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	for _, mode := range []SyncMode{SyncInterval, SyncBatch} {
		s, _, _ := open(t, Config{Dir: t.TempDir(), Sync: mode, SyncInterval: time.Millisecond})
		appendAll(t, s, 0, 10)
		if err := s.Sync(); err != nil {
			t.Errorf("Sync: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	}
	// By what they run, not by count: another test's timer may start a goroutine meanwhile.
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	if strings.Contains(stacks, "spool.(*Spool).background") || strings.Contains(stacks, "spool.(*Spool).copier") ||
		strings.Contains(stacks, "spool.(*Spool).spareMaker") {
		t.Errorf("a spool goroutine is left after Close (%d goroutines before, %d after):\n%s", before, runtime.NumGoroutine(), stacks)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{
		{},
		{Dir: "d", MaxBytes: -1},
		{Dir: "d", SegmentBytes: 100},
		{Dir: "d", SyncInterval: -time.Second},
		{Dir: "d", Sync: 7},
		{Dir: "d", MaxBytes: minSegmentBytes, SegmentBytes: 2 * minSegmentBytes},
	} {
		if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%+v: Validate = %v, want ErrInvalidConfig", c, err)
		}
		if _, err := Open(c); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%+v: Open = %v, want ErrInvalidConfig", c, err)
		}
	}
	if err := (Config{Dir: "d"}).Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

// segment.release marks runs a bitmap word at a time: against one seq at a time, on
// random runs (word boundaries, repeats, runs released twice), the counts and the
// bitmap agree.
func TestReleaseRunsAgreeWithOneSeqAtATime(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		g := &segment{first: 1 + uint64(rng.IntN(100)), records: 1 + rng.IntN(700)}
		g.live = g.records
		want := map[uint64]bool{}
		for range 1 + rng.IntN(20) {
			off := rng.IntN(g.records)
			k := 1 + rng.IntN(g.records-off)
			seq := g.first + uint64(off)
			fresh := 0
			for j := range uint64(k) {
				if !want[seq+j] {
					want[seq+j] = true
					fresh++
				}
			}
			if n := g.release(seq, k); n != fresh {
				t.Fatalf("trial %d: release(%d, %d) = %d, want %d", trial, seq, k, n, fresh)
			}
		}
		if g.live != g.records-len(want) {
			t.Fatalf("trial %d: live %d, want %d", trial, g.live, g.records-len(want))
		}
		for i := range uint64(g.records) {
			set := int(i/64) < len(g.released) && g.released[i/64]&(1<<(i%64)) != 0
			if set != want[g.first+i] {
				t.Fatalf("trial %d: seq %d released %v, want %v", trial, g.first+i, set, want[g.first+i])
			}
		}
	}
}
