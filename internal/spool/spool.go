package spool

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/resilog/resilog/internal/otlpenc"
)

// Result says what Append did with a record.
type Result int

const (
	// Spooled: the record is in the spool, under the returned seq; release it once it
	// is delivered.
	Spooled Result = iota
	// Full: the size bound leaves no room for the record (or it is larger than a
	// segment); it takes the memory path, counted as spool_full.
	Full
	// Off: the spool is off (closed, or turned off by an I/O error, a full disk or a
	// read-only directory, said once on stderr); the record takes the memory path.
	Off
)

// ErrLocked is wrapped by Open's error when another process holds the directory.
var ErrLocked = errors.New("spool: directory in use")

// lockName is the lock file in the spool directory; it holds its holder's description.
const lockName = "lock"

// Spool keeps redacted records on disk from the moment they are accepted until they are
// delivered, so that a record whose log call returned survives the death of the process.
// Append, Release, Sync and Stats are safe for concurrent use.
type Spool struct {
	cfg      Config
	lockFile *os.File
	run      RunID
	started  time.Time
	prefixes prefixes

	on      atomic.Bool    // Append accepts records
	offSaid atomic.Bool    // turnOff's line is written
	writers sync.WaitGroup // appends copying into a mapping
	corrupt atomic.Uint64  // records of earlier runs lost to damage

	mu        sync.Mutex
	segs      []*segment // every segment kept, in seq order
	active    *segment   // where records go; nil before the first and when full
	spare     *segment   // the next one, created ahead of need
	preparing bool       // the spare is being created
	nextIndex uint64
	next      uint64 // the next seq
	bytes     int64  // disk taken by segments, the spare and one being created
	newFile   bool   // a segment file was created since the directory was last synced
	closed    bool
	uids      []byte // where the next uids' bytes are carved from (uidArena)

	unmapMu sync.RWMutex // read: a mapping is being synced; write: being unmapped

	wake chan struct{} // asks the background goroutine for a spare
	stop chan struct{}
	bg   sync.WaitGroup
}

// Open opens (creating it if needed) the spool in cfg.Dir, for this process alone. It
// fails when another process holds the directory (the error names it, and wraps
// ErrLocked) or cfg is invalid. An I/O error does not fail it: the spool is returned off
// (Append reports Off) and says why on stderr, once. The records of earlier runs are
// read by Earlier, not here: Open reads only segment headers, so a large or damaged
// spool never delays a start.
func Open(cfg Config) (*Spool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Resolved once: a process that changes its working directory later keeps creating
	// segments in the directory it locked.
	if abs, err := filepath.Abs(cfg.Dir); err == nil {
		cfg.Dir = abs
	}
	s := &Spool{cfg: cfg.withDefaults(), started: time.Now(), wake: make(chan struct{}, 1), stop: make(chan struct{})}
	_, _ = rand.Read(s.run[:])
	if err := s.open(); err != nil {
		if errors.Is(err, ErrLocked) {
			return nil, err
		}
		s.turnOff(err)
		s.closed = true
		if s.lockFile != nil {
			s.lockFile.Close()
			s.lockFile = nil
		}
		return s, nil
	}
	s.on.Store(true)
	s.bg.Add(1)
	go s.background()
	s.requestSpare()
	return s, nil
}

func (s *Spool) open() error {
	if err := os.MkdirAll(s.cfg.Dir, 0o700); err != nil {
		return err
	}
	if err := s.lock(); err != nil {
		return err
	}
	removeOrphanReleased(s.cfg.Dir)
	files, err := listSegments(s.cfg.Dir)
	if err != nil {
		return err
	}
	s.next = 1 // seq 0 means "unknown" in a scan
	newer, version := 0, uint32(0)
	for _, f := range files {
		s.nextIndex = max(s.nextIndex, f.index+1)
		g, v, err := s.earlierSegment(f)
		if err != nil {
			return err
		}
		if v != 0 { // kept for a newer resilog, and taking room under MaxBytes
			newer, version = newer+1, max(version, v)
			s.bytes += f.size
			continue
		}
		if g == nil {
			continue
		}
		s.segs = append(s.segs, g)
		s.bytes += g.size
	}
	if newer > 0 {
		s.cfg.Report.Print(fmt.Sprintf("resilog: spool %s: %d segment(s) written by a newer resilog (format %d) left as they are, for a version that can read them",
			s.cfg.name(), newer, version))
	}
	// Write order is seq order: a spare made in the background can get a lower index
	// than a segment made on the spot and still be used after it.
	sort.SliceStable(s.segs, func(i, j int) bool { return s.segs[i].first < s.segs[j].first })
	// The first segment is made here, its pages faulted in: the first records of a
	// run come in a burst more often than not.
	if s.bytes+s.cfg.SegmentBytes <= s.cfg.MaxBytes {
		g, err := s.createSegment(s.nextIndex, true)
		if err != nil {
			return err
		}
		s.nextIndex++
		s.bytes += g.size
		s.spare = g
		s.newFile = true
	}
	return nil
}

// lock takes the directory's lock file and writes who holds it.
func (s *Spool) lock() error {
	path := filepath.Join(s.cfg.Dir, lockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|openNoFollow, 0o600)
	if err != nil {
		return err
	}
	if busy, err := tryLock(f); err != nil {
		f.Close()
		if busy {
			holder, _ := os.ReadFile(path)
			h := strings.TrimSpace(string(holder))
			if h == "" {
				h = "another process"
			}
			return fmt.Errorf("%w: %s is held by %s", ErrLocked, s.cfg.name(), h)
		}
		return err
	}
	host, _ := os.Hostname()
	desc := fmt.Sprintf("pid %d on host %s since %s\n", os.Getpid(), host, s.started.UTC().Format(time.RFC3339))
	if err := f.Truncate(0); err != nil {
		f.Close()
		return err
	}
	if _, err := f.WriteAt([]byte(desc), 0); err != nil {
		f.Close()
		return err
	}
	s.lockFile = f
	return nil
}

// minFrame is the smallest frame a record can take: with it, a segment's size bounds the
// seqs it can hold.
var minFrame = frameHeader + 2 + uidFieldLen

// earlierSegment returns the bookkeeping for an earlier run's segment, and moves the
// next seq past every seq it can hold. A segment whose header is damaged is scanned now
// (its first seq is needed to place it). nil means there is nothing in it, or, with
// newer set to its format version, that a newer resilog wrote it: it is left as it is.
func (s *Spool) earlierSegment(f segFile) (g *segment, newer uint32, err error) {
	hdr, err := readHeader(f.path)
	if err != nil {
		return nil, 0, err
	}
	if v, first, ok := newerFormat(hdr); ok {
		if first != 0 {
			s.next = max(s.next, first+uint64(f.size/int64(minFrame))+1)
		}
		return nil, v, nil
	}
	g = &segment{index: f.index, path: f.path, size: f.size, sealed: true}
	if h, ok := parseSegHeader(hdr); ok {
		g.first = h.first
		s.next = max(s.next, h.first+uint64(f.size/int64(minFrame))+1)
		return g, 0, nil
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		return nil, 0, err
	}
	st := scanFrames(data[min(len(data), segHeader):], 0, nil)
	if st.frames == 0 {
		if st.tail {
			s.corrupt.Add(1)
		}
		_ = os.Remove(f.path)
		return nil, 0, nil
	}
	// Damage after its last intact frame is counted when the segment is read (Earlier).
	g.first = st.first
	s.next = max(s.next, st.last+1)
	return g, 0, nil
}

// background prepares spares, lets go of full segments' mappings and, in SyncInterval
// mode, syncs.
func (s *Spool) background() {
	defer s.bg.Done()
	var tick <-chan time.Time
	if s.cfg.Sync == SyncInterval {
		t := time.NewTicker(s.cfg.SyncInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-s.stop:
			return
		case <-tick:
			if err := s.Sync(); err != nil {
				s.turnOff(err)
			}
			s.retire()
		case <-s.wake:
			s.prepareSpare()
			s.retire()
		}
	}
}

func (s *Spool) requestSpare() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// prepareSpare creates the next segment ahead of need, if the bound allows it.
func (s *Spool) prepareSpare() {
	s.mu.Lock()
	if s.closed || !s.on.Load() || s.spare != nil || s.preparing || s.bytes+s.cfg.SegmentBytes > s.cfg.MaxBytes {
		s.mu.Unlock()
		return
	}
	s.preparing = true
	s.bytes += s.cfg.SegmentBytes
	index := s.nextIndex
	s.nextIndex++
	s.mu.Unlock()

	g, err := s.createSegment(index, true)
	if err == nil {
		err = syncDir(s.cfg.Dir)
	}

	s.mu.Lock()
	s.preparing = false
	switch {
	case err != nil:
		s.bytes -= s.cfg.SegmentBytes
	case s.closed:
		s.bytes -= s.cfg.SegmentBytes
		defer s.remove([]*segment{g})
	default:
		s.spare = g
	}
	s.mu.Unlock()
	if err != nil {
		s.turnOff(err)
	}
}

func (s *Spool) createSegment(index uint64, touch bool) (*segment, error) {
	path := filepath.Join(s.cfg.Dir, segName(index))
	f, mem, err := createSegmentFile(path, s.cfg.SegmentBytes, touch)
	if err != nil {
		return nil, err
	}
	return &segment{index: index, path: path, size: s.cfg.SegmentBytes, file: f, mem: mem, used: segHeader, known: true,
		prefixes: map[uint64]struct{}{}}, nil
}

// turnOff stops Append for good and says so, once.
func (s *Spool) turnOff(err error) {
	s.on.Store(false)
	if s.offSaid.CompareAndSwap(false, true) {
		s.cfg.Report.Print(s.cfg.named(fmt.Sprintf("resilog: spool %s off, records stay in memory from now on: %v", s.cfg.Dir, err)))
	}
}

// bufPool holds the buffers records are encoded into before they are copied into a
// segment.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// Append writes r to the spool and adds the log.record.uid attribute to r, so that the
// record the caller keeps in memory and the one on disk carry the same uid. When it
// returns Spooled, the record is in the kernel's page cache: it survives the death of
// the process, whatever kills it. Append never returns an error and never waits for
// the disk (but for the first page fault on a fresh page, and creating a segment when
// the spare is not ready); a record it does not take is the caller's to keep in memory.
// The caller releases seq once the record is delivered.
func (s *Spool) Append(r *sdklog.Record) (seq uint64, res Result) {
	seq, uid, res := s.Write(r)
	if res == Spooled {
		r.AddAttributes(uid)
	}
	return seq, res
}

// Write is Append but for r, which it leaves as it is: it returns the log.record.uid
// attribute the spooled copy carries, for the caller to add to the copy it keeps (a
// record with five attributes already has no inline slot left for a sixth: adding it
// to the caller's record and cloning that would allocate twice).
func (s *Spool) Write(r *sdklog.Record) (seq uint64, uid attribute.KeyValue, res Result) {
	if !s.on.Load() {
		return 0, uid, Off
	}
	bp := bufPool.Get().(*[]byte)
	pr := s.prefixes.lookup(r)
	b := protowire.AppendVarint(append((*bp)[:0], kindRecord), pr.id)
	b = otlpenc.AppendRecord(b, r)
	n := frameHeader + len(b) + uidFieldLen
	def := frameHeader + len(pr.payload) // the prefix's frame, if the segment lacks it

	s.mu.Lock()
	if !s.on.Load() {
		s.mu.Unlock()
		*bp = b[:0]
		bufPool.Put(bp)
		return 0, uid, Off
	}
	g := s.active
	if g == nil || g.used+n+g.prefixNeed(pr.id, def) > len(g.mem) {
		if res := s.rotateLocked(n + def); res != Spooled {
			s.mu.Unlock()
			*bp = b[:0]
			bufPool.Put(bp)
			return 0, uid, res
		}
		g = s.active
	}
	if g.prefixNeed(pr.id, def) > 0 {
		// Written under the lock: a record that uses the prefix, whoever appends it,
		// cannot return before its prefix is whole.
		if !s.write(g.mem[g.used:g.used+def], 0, pr.payload, nil) {
			s.mu.Unlock()
			*bp = b[:0]
			bufPool.Put(bp)
			return 0, uid, Off
		}
		g.used += def
		g.prefixes[pr.id] = struct{}{}
		g.dirty.Store(true)
	}
	seq = s.next
	s.next++
	off := g.used
	g.used += n
	g.records++
	g.live++
	if g.used > len(g.mem)/2 && s.spare == nil && !s.preparing {
		s.requestSpare()
	}
	frame := g.mem[off : off+n]
	if len(s.uids) < uidLen {
		s.uids = make([]byte, uidArena)
	}
	u := s.uids[:uidLen:uidLen]
	s.uids = s.uids[uidLen:]
	s.writers.Add(1)
	g.writers.Add(1)
	s.mu.Unlock()

	uid = attribute.String(UIDKey, uidString(u, s.run, seq))
	if s.write(frame, seq, b, &uid) {
		g.dirty.Store(true) // after the copy: a Sync that misses it sees the flag
	} else {
		s.Release(seq)
		seq, uid, res = 0, attribute.KeyValue{}, Off
	}
	g.writers.Add(-1)
	s.writers.Done()
	*bp = b[:0]
	bufPool.Put(bp)
	return seq, uid, res
}

// uidArena is the size of the blocks uids are carved from: one allocation per
// uidArena/uidLen records rather than one per record. A block stays in memory while
// any record whose uid it holds does.
const uidArena = 4096

// uidString writes the uid of (run, seq) into u, len(u) == uidLen, carved from the
// arena for this uid alone and never written again, and returns it as a string
// without a copy.
func uidString(u []byte, run RunID, seq uint64) string {
	appendUID(u[:0], run, seq)
	return unsafe.String(&u[0], uidLen)
}

// write copies one frame into the mapping: payload, then uid (a record's) as its last
// attribute. A fault there (the file truncated under the
// mapping, an I/O error on a network file system) turns the spool off rather than
// crash the process.
func (s *Spool) write(f []byte, seq uint64, payload []byte, uid *attribute.KeyValue) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			s.turnOff(fmt.Errorf("writing a segment: %v", v))
			ok = false
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	copy(f[frameHeader:], payload)
	if uid != nil {
		otlpenc.AppendRecordAttribute(f[frameHeader+len(payload):frameHeader+len(payload)], *uid)
	}
	sealFrame(f, seq)
	return true
}

// rotateLocked seals the active segment and makes the next one active, for a frame of n
// bytes.
func (s *Spool) rotateLocked(n int) Result {
	if int64(n) > s.cfg.SegmentBytes-segHeader {
		return Full
	}
	if g := s.active; g != nil {
		g.sealed = true
		s.active = nil
		// Its mapping goes once its last copies are done (retire); a segment whose
		// records are all released meanwhile goes with the next Release.
	}
	g := s.spare
	s.spare = nil
	if g == nil {
		if s.bytes+s.cfg.SegmentBytes > s.cfg.MaxBytes {
			return Full
		}
		var err error
		if g, err = s.createSegment(s.nextIndex, false); err != nil {
			s.turnOff(err) // Print never waits
			return Off
		}
		s.nextIndex++
		s.bytes += g.size
		s.newFile = true
	}
	g.first = s.next
	copy(g.mem, segInfo{run: s.run, pid: os.Getpid(), started: s.started, first: g.first}.append(nil))
	s.segs = append(s.segs, g)
	s.active = g
	s.requestSpare()
	return Spooled
}

// retire syncs and unmaps the segments that are full and whose last copies are done:
// their records stay on disk, and their pages need not stay in the process's memory.
func (s *Spool) retire() {
	s.mu.Lock()
	var full []*segment
	for _, g := range s.segs {
		if g.sealed && g.mem != nil && g.file != nil && g.writers.Load() == 0 {
			full = append(full, g)
		}
	}
	s.mu.Unlock()
	for _, g := range full {
		if err := s.unmapSegment(g, true); err != nil {
			s.turnOff(err)
		}
	}
}

// unmapSegment unmaps g, after syncing what was written to it if sync is set. g.mem is
// written under both unmapMu and mu, so either is enough to read it.
func (s *Spool) unmapSegment(g *segment, sync bool) error {
	s.unmapMu.Lock()
	defer s.unmapMu.Unlock()
	s.mu.Lock()
	mem, used := g.mem, g.used
	g.mem = nil
	s.mu.Unlock()
	if mem == nil {
		return nil
	}
	var err error
	if sync {
		err = syncRange(mem, 0, used)
	}
	return errors.Join(err, unmap(mem))
}

// Release marks records delivered (exported, written to the fallback, or dropped and
// counted). A segment whose records are all released is deleted. Releasing a seq twice,
// or one the spool never gave, does nothing.
func (s *Spool) Release(seqs ...uint64) {
	var gone []*segment
	s.mu.Lock()
	for _, seq := range seqs {
		g := s.segmentOf(seq)
		if g == nil || !g.release(seq) || !g.done() {
			continue
		}
		gone = append(gone, s.deleteLocked(g))
	}
	s.mu.Unlock()
	s.remove(gone)
}

// segmentOf returns the segment holding seq, or nil.
func (s *Spool) segmentOf(seq uint64) *segment {
	i := sort.Search(len(s.segs), func(i int) bool { return s.segs[i].first > seq })
	if i == 0 {
		return nil
	}
	return s.segs[i-1]
}

// deleteLocked drops g from the bookkeeping; its file is for remove, outside the lock.
func (s *Spool) deleteLocked(g *segment) *segment {
	for i, h := range s.segs {
		if h == g {
			s.segs = append(s.segs[:i], s.segs[i+1:]...)
			break
		}
	}
	s.bytes -= g.size
	return g
}

// remove unmaps and deletes segments already dropped from the bookkeeping.
func (s *Spool) remove(gone []*segment) {
	if len(gone) == 0 {
		return
	}
	for _, g := range gone {
		_ = s.unmapSegment(g, false)
		if g.file != nil {
			g.file.Close()
		}
		_ = os.Remove(g.path)
		_ = os.Remove(relPath(g.path))
	}
	// Deleting made room: a spool that was full can take records again.
	s.requestSpare()
}

// Sync writes every record appended so far to stable storage. In SyncBatch mode the
// caller calls it before acknowledging a batch; in SyncInterval mode the spool calls it
// every interval.
func (s *Spool) Sync() error {
	type dirtyRange struct {
		g          *segment
		from, used int
	}
	s.mu.Lock()
	var dirty []dirtyRange
	for _, g := range s.segs {
		if g.mem != nil && g.dirty.Swap(false) {
			// Only what was written since the last Sync: syncing the spare's pages would
			// clean them, and the next write to each would fault again; syncing from the
			// start again would have the kernel walk pages already clean.
			dirty = append(dirty, dirtyRange{g, g.synced, g.used})
			if g.writers.Load() == 0 {
				// Every frame below used is whole (copies start under mu): the next
				// Sync can start here. With a copy under way, it starts where this one
				// did, so as not to miss the pages of a frame still being copied.
				g.synced = g.used
			}
		}
	}
	newFile := s.newFile
	s.newFile = false
	s.mu.Unlock()

	var errs []error
	s.unmapMu.RLock()
	for _, d := range dirty {
		if d.g.mem != nil {
			errs = append(errs, syncRange(d.g.mem, d.from, d.used))
		}
	}
	s.unmapMu.RUnlock()
	errs = append(errs, s.saveReleased())
	if newFile {
		errs = append(errs, syncDir(s.cfg.Dir))
	}
	return errors.Join(errs...)
}

// Stats is what the spool holds.
type Stats struct {
	Records int64 // records not released, in segments read so far (this run's and replayed)
	Pending int   // earlier runs' segments not replayed yet
	Bytes   int64 // disk taken
	Corrupt uint64
}

// Stats returns what the spool holds now.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Bytes: s.bytes, Corrupt: s.corrupt.Load()}
	for _, g := range s.segs {
		if g.known {
			st.Records += int64(g.live)
		} else {
			st.Pending++
		}
	}
	return st
}

// Run returns this process's run id.
func (s *Spool) Run() RunID { return s.run }

// Close stops appending, writes what was appended to stable storage, deletes the
// segments whose records are all released and releases the directory. Records not
// released stay for the next run.
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.on.Store(false)
	s.mu.Unlock()
	close(s.stop)
	s.bg.Wait()
	s.writers.Wait()
	err := s.Sync()

	s.mu.Lock()
	var gone, keep []*segment
	if s.spare != nil {
		gone = append(gone, s.spare)
		s.bytes -= s.spare.size
		s.spare = nil
	}
	for _, g := range append([]*segment(nil), s.segs...) {
		g.sealed = true
		switch {
		case g.done():
			gone = append(gone, s.deleteLocked(g))
		case g.file != nil:
			keep = append(keep, g)
		}
	}
	s.active = nil
	s.mu.Unlock()
	s.remove(gone)
	for _, g := range keep {
		// The unwritten end of a segment is only zeros: give it back.
		err = errors.Join(err, s.unmapSegment(g, false), g.file.Truncate(int64(g.used)), g.file.Close())
	}
	if s.lockFile != nil {
		err = errors.Join(err, s.lockFile.Close())
	}
	return err
}
