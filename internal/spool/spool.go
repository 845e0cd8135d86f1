package spool

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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
	uidHead  []byte // uidHead(run)
	started  time.Time
	prefixes prefixes

	on      atomic.Bool   // Append accepts records
	offSaid atomic.Bool   // turnOff's line is written
	corrupt atomic.Uint64 // records of earlier runs lost to damage

	// prevRing is what the ring's header said of the run that wrote it before this one
	// (zero if nothing valid): up to which seq it copied its records to segments, and
	// into which segment. Set by open.
	prevRing ringState

	mu        sync.Mutex
	ring      *ring      // where records go first (ring.go)
	segs      []*segment // every segment kept, in seq order
	active    *segment   // where records go; nil before the first and when full
	spare     *segment   // the next one, created ahead of need
	preparing bool       // the spare is being created
	nextIndex uint64
	next      uint64 // the next seq
	first     uint64 // this run's first seq: the seqs below are earlier runs' (set by open)
	bytes     int64  // disk taken by segments, the spare and one being created
	newFile   bool   // a segment file was created since the directory was last synced
	closed    bool

	flushMu  sync.Mutex // one copy from the ring to the segments at a time
	relMu    sync.Mutex // one write of the released side files at a time (saveReleased)
	roomMade sync.Cond  // on mu: a copy ended, or a spare segment is ready

	wake    chan struct{} // asks the background goroutine for a spare
	copyDue chan struct{} // asks the copying goroutine to copy the ring to the segments
	stop    chan struct{}
	bg      sync.WaitGroup
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
	s := &Spool{cfg: cfg.withDefaults(), started: time.Now(), wake: make(chan struct{}, 1),
		copyDue: make(chan struct{}, 1), stop: make(chan struct{})}
	s.roomMade.L = &s.mu
	_, _ = rand.Read(s.run[:])
	s.uidHead = uidHead(s.run)
	if err := s.open(); err != nil {
		if errors.Is(err, ErrLocked) {
			return nil, err
		}
		s.turnOff(err)
		s.closed = true
		if s.ring != nil {
			_ = unmap(s.ring.mem)
			s.ring.file.Close()
			s.ring = nil
		}
		if s.lockFile != nil {
			s.lockFile.Close()
			s.lockFile = nil
		}
		return s, nil
	}
	s.on.Store(true)
	s.bg.Add(3)
	go s.background()
	go s.copier()
	go s.spareMaker()
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
	for _, f := range files {
		s.nextIndex = max(s.nextIndex, f.index+1)
	}
	if err := s.openRing(); err != nil {
		return err
	}
	if files, err = listSegments(s.cfg.Dir); err != nil { // with the rescued one
		return err
	}
	s.next = 1 // seq 0 means "unknown" in a scan
	newer, version := 0, uint32(0)
	for _, f := range files {
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
	s.first = s.next
	s.ring.save(ringState{run: s.run, pid: os.Getpid(), started: s.started, data: uint64(len(s.ring.data)), next: s.next})
	if s.bytes+s.cfg.SegmentBytes <= s.cfg.MaxBytes {
		g, err := s.createSegment(s.nextIndex)
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

// openRing maps the ring (ring.go) and first writes what an earlier run left in it, not
// yet copied to a segment, to a segment of its own: the new run writes over it. Its
// pages are faulted in here: the first records of a run come in a burst more often than
// not.
func (s *Spool) openRing() error {
	r, prev, err := openRing(s.cfg.Dir, ringDataSize(s.cfg.SegmentBytes), func(tail []byte) error {
		path := filepath.Join(s.cfg.Dir, segName(s.nextIndex))
		s.nextIndex++
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		_, err = f.Write(tail)
		err = errors.Join(err, syncFile(f), f.Close())
		if err == nil {
			err = syncDir(s.cfg.Dir)
		}
		return err
	})
	if err != nil {
		return err
	}
	s.ring = r
	s.prevRing = prev
	prefault(r.data)
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

// background prepares spares and, in SyncInterval mode, syncs.
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
		}
	}
}

// spareMaker creates the next segment ahead of need, when asked (requestSpare): its own
// goroutine, so that a slow sync does not hold up the spare the log calls wait for.
func (s *Spool) spareMaker() {
	defer s.bg.Done()
	for {
		select {
		case <-s.stop:
			return
		case <-s.wake:
			s.prepareSpare()
		}
	}
}

// copier copies the ring's frames to the segment files when asked: a goroutine of its
// own, so that a sync that takes long (the disk busy) never leaves the ring full.
func (s *Spool) copier() {
	defer s.bg.Done()
	for {
		select {
		case <-s.stop:
			return
		case <-s.copyDue:
			if err := s.flush(); err != nil {
				s.turnOff(err)
			}
		}
	}
}

// requestCopy asks the copying goroutine to copy the ring to the segments.
func (s *Spool) requestCopy() {
	select {
	case s.copyDue <- struct{}{}:
	default:
	}
}

// requestSpare asks the background goroutine for a spare segment.
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

	g, err := s.createSegment(index)
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
		s.roomMade.Broadcast()
	}
	s.mu.Unlock()
	if err != nil {
		s.turnOff(err)
	}
}

// createFile is createSegmentFile; a test makes it slow.
var createFile = createSegmentFile

func (s *Spool) createSegment(index uint64) (*segment, error) {
	path := filepath.Join(s.cfg.Dir, segName(index))
	f, err := createFile(path, s.cfg.SegmentBytes)
	if err != nil {
		return nil, err
	}
	return &segment{index: index, path: path, size: s.cfg.SegmentBytes, file: f, used: segHeader, flushed: segHeader,
		known: true, prefixes: map[uint64]struct{}{}}, nil
}

// turnOff stops Append for good and says so, once.
func (s *Spool) turnOff(err error) {
	s.on.Store(false)
	if s.offSaid.CompareAndSwap(false, true) {
		s.cfg.Report.Print(s.cfg.named(fmt.Sprintf("resilog: spool %s off, records stay in memory from now on: %v", s.cfg.Dir, err)))
	}
}

// bufPool holds the buffers frames are encoded into before they are copied into the
// ring.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// Append writes r to the spool. When it returns Spooled, the record is in the kernel's
// page cache: it survives the death of the process, whatever kills it. Append never
// returns an error and never waits for the disk; a record it does not take is the
// caller's to keep in memory. The caller releases seq once the record is delivered.
//
// The copy on disk ends with the log.record.uid attribute of (this run, seq); r is left
// as it is: the caller writes the same uid where the record leaves the process (UID,
// AppendUID), so that a backend can drop the copy delivered twice when a crash came
// between export and release.
func (s *Spool) Append(r *sdklog.Record) (seq uint64, res Result) {
	if !s.on.Load() {
		return 0, Off
	}
	bp := bufPool.Get().(*[]byte)
	defer func() {
		*bp = (*bp)[:0]
		bufPool.Put(bp)
	}()
	pr := s.prefixes.lookup(r)
	// The frame is built whole in b, its header filled in once its seq is known.
	b := append((*bp)[:0], make([]byte, frameHeader)...)
	b = protowire.AppendVarint(append(b, kindRecord), pr.id)
	b = otlpenc.AppendRecord(b, r)
	b = slices.Grow(b, uidFieldLen)
	*bp = b
	n := len(b) + uidFieldLen
	def := frameHeader + len(pr.payload) // the prefix's frame, if the segment lacks it

	s.mu.Lock()
	defer s.mu.Unlock()
	var need int
	for waited := false; ; waited = true {
		if !s.on.Load() {
			return 0, Off
		}
		res, need = s.reserveLocked(pr.id, def, n)
		if res != Full || waited || !s.waitingLocked(n+def) {
			break
		}
		// The ring is full, or the spool is and segments wait for their copy to be
		// deleted: the copying goroutine is behind (starved by the log calls themselves,
		// in a burst, or its pwrite waiting for a page a sync is writing back). Or the
		// next segment is not made yet. Wait for them once, for roomWait at most, rather
		// than leave the record to the memory path; the log call itself does no I/O,
		// and a goroutine stuck on a hung disk costs it roomWait, then Full.
		s.waitRoomLocked(n + def)
	}
	if res != Spooled {
		return 0, res
	}
	g := s.active
	if need > 0 {
		// A record that uses the prefix, whoever appends it, comes after it.
		if !s.put(appendFrame(nil, 0, pr.payload)) {
			return 0, Off
		}
		g.used += def
		g.prefixes[pr.id] = struct{}{}
	}
	seq = s.next
	b = appendUIDField(b, s.uidHead, seq)
	sealFrame(b, seq)
	if !s.put(b) {
		return 0, Off
	}
	s.next++
	g.used += n
	g.records++
	g.live++
	if s.ring.pos-s.ring.flushed > uint64(len(s.ring.data)/4) {
		s.requestCopy()
	}
	if g.used > int(g.size)/2 && s.spare == nil && !s.preparing {
		s.requestSpare()
	}
	return seq, Spooled
}

// deleteDueLocked reports whether a delivered segment waits for the copier (the copy of
// its frames, or its sweep) to be deleted.
func (s *Spool) deleteDueLocked() bool {
	for _, g := range s.segs {
		if g.delivered() {
			return true
		}
	}
	return false
}

// reserveLocked makes sure the active segment and the ring have room for a record's
// frame of n bytes, and its prefix's frame of def bytes if the segment lacks it: need is
// def then, else 0. Full with s.ring.room(n+def) false: the ring lacks room.
func (s *Spool) reserveLocked(prefix uint64, def, n int) (res Result, need int) {
	g := s.active
	if g != nil {
		need = g.prefixNeed(prefix, def)
	}
	if g == nil || g.used+n+need > int(g.size) {
		if res := s.rotateLocked(n + def); res != Spooled {
			return res, 0
		}
		need = def // a new segment defines no prefix yet
	}
	if !s.ring.room(need + n) {
		s.requestCopy()
		return Full, 0
	}
	return Spooled, need
}

// roomWait bounds how long a log call that finds no room waits for it to be made.
const roomWait = 100 * time.Millisecond

// waitingLocked reports whether a frame of n bytes waits for room the spool's goroutines
// are making: the ring's copy, a segment's copy before it can be deleted, or the next
// segment (no active one, no spare, and one being made or room under MaxBytes for it).
func (s *Spool) waitingLocked(n int) bool {
	return !s.ring.room(n) || s.deleteDueLocked() ||
		s.active == nil && s.spare == nil && (s.preparing || s.bytes+s.cfg.SegmentBytes <= s.cfg.MaxBytes)
}

// waitRoomLocked asks for copies from the ring and for a spare segment, and waits, under
// mu, until a frame of n bytes no longer waits (waitingLocked), or roomWait.
func (s *Spool) waitRoomLocked(n int) {
	timedOut := false
	t := time.AfterFunc(roomWait, func() {
		s.mu.Lock()
		timedOut = true
		s.roomMade.Broadcast()
		s.mu.Unlock()
	})
	defer t.Stop()
	for !timedOut && s.on.Load() && s.waitingLocked(n) {
		s.requestCopy()
		if s.active == nil && s.spare == nil {
			s.requestSpare()
		}
		s.roomMade.Wait()
	}
}

// put copies a whole frame into the ring, under s.mu. A fault there (the ring file
// truncated under the mapping, an I/O error on a network file system) turns the spool
// off rather than crash the process.
func (s *Spool) put(frame []byte) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			s.turnOff(fmt.Errorf("writing %s: %v", ringName, v))
			ok = false
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	s.ring.put(s.ring.pos, frame)
	s.ring.pos += uint64(len(frame))
	return true
}

// rotateLocked seals the active segment and makes the next one active, for a frame of n
// bytes.
func (s *Spool) rotateLocked(n int) Result {
	if int64(n) > s.cfg.SegmentBytes-segHeader || n > len(s.ring.data)/2 {
		return Full
	}
	if g := s.active; g != nil {
		g.sealed = true
		s.active = nil
		if g.delivered() {
			s.requestCopy() // its records were all released before it was sealed
		}
	}
	g := s.spare
	if g == nil {
		// The log call makes no file: spareMaker does, asked for it here (and when the
		// active segment passed its half), and the caller may wait for it.
		s.requestSpare()
		return Full
	}
	s.spare = nil
	g.first = s.next
	g.streamStart = s.ring.pos
	// Its header is written by the copier, with its first frames (flush).
	s.segs = append(s.segs, g)
	s.active = g
	s.requestSpare()
	return Spooled
}

// flush copies the frames written to the ring since the last flush to their segment
// files, and says so in the ring's header. Segments that are done are deleted.
func (s *Spool) flush() error {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	defer func() {
		s.mu.Lock()
		s.roomMade.Broadcast()
		s.mu.Unlock()
	}()
	type piece struct {
		g        *segment
		from, to uint64 // stream positions
		header   []byte // the segment's header, to write first; nil once written
	}
	s.mu.Lock()
	if s.ring == nil {
		s.mu.Unlock()
		return nil
	}
	from, to, next := s.ring.flushed, s.ring.pos, s.next
	var work []piece
	for _, g := range s.segs {
		if g.file == nil || g.flushed == g.used {
			continue
		}
		if lo, hi := max(from, g.streamStart), min(to, g.streamEnd()); lo < hi {
			p := piece{g: g, from: lo, to: hi}
			if !g.headerDone {
				p.header = segInfo{run: s.run, pid: os.Getpid(), started: s.started, first: g.first}.append(nil)
			}
			work = append(work, p)
		}
	}
	active := uint64(0)
	if s.active != nil {
		active = s.active.index + 1
	}
	if from == to {
		gone := s.sweepLocked()
		s.mu.Unlock()
		s.remove(gone)
		return nil
	}
	s.mu.Unlock()

	for _, p := range work {
		// The header before the frames: a segment with frames on disk says whose they
		// are, and from which seq.
		if p.header != nil {
			if _, err := p.g.file.WriteAt(p.header, 0); err != nil && !errors.Is(err, os.ErrClosed) {
				return err
			}
		}
		off := int64(segHeader) + int64(p.from-p.g.streamStart)
		for _, b := range s.ring.span(p.from, p.to) {
			if _, err := p.g.file.WriteAt(b, off); err != nil && !errors.Is(err, os.ErrClosed) {
				return err // closed: every record of the segment was released meanwhile
			}
			off += int64(len(b))
		}
	}

	// The header says the frames are copied before the writers may write over them: a
	// run killed in between leaves them in the ring and in the segment, and the next
	// Open rescues only those past the segments' last.
	if err := faultSafe(func() {
		s.ring.save(ringState{run: s.run, pid: os.Getpid(), started: s.started, data: uint64(len(s.ring.data)),
			flushed: to, next: next, active: active})
	}); err != nil {
		return err
	}
	s.mu.Lock()
	s.ring.flushed = to
	for _, p := range work {
		p.g.flushed = segHeader + int(p.to-p.g.streamStart)
		p.g.fileDirty = true
		p.g.headerDone = true
	}
	gone := s.sweepLocked()
	s.mu.Unlock()
	s.remove(gone)
	return nil
}

// sweepLocked drops from the bookkeeping the segments that are done (released and
// copied: some are done only once sealed or copied, after their last Release) and
// returns them, for remove.
func (s *Spool) sweepLocked() []*segment {
	var gone []*segment
	for _, g := range append([]*segment(nil), s.segs...) {
		if g.done() {
			gone = append(gone, s.deleteLocked(g))
		}
	}
	return gone
}

// faultSafe runs f, which writes to a mapping, and returns a fault there (the file
// truncated under the mapping) as an error.
func faultSafe(f func()) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("writing %s: %v", ringName, v)
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	f()
	return nil
}

// Release marks records delivered (exported, written to the fallback, or dropped and
// counted). A segment whose records are all released is deleted: now, or, when some of
// its frames are still in the ring, once the copying goroutine has copied them.
// Releasing a seq twice, or one the spool never gave, does nothing; after Close, Release
// does nothing (the directory may be another process's by then: the records stay for
// the next run, as those of an export abandoned at the shutdown deadline should).
func (s *Spool) Release(seqs ...uint64) {
	var gone []*segment
	s.mu.Lock()
	if s.closed && s.ring == nil {
		s.mu.Unlock()
		return
	}
	copyDue := false
	var g *segment
	for i := 0; i < len(seqs); {
		seq := seqs[i]
		if g == nil || !g.holds(seq) {
			if g = s.segmentOf(seq); g == nil || !g.holds(seq) {
				g = nil
				i++
				continue
			}
		}
		// The run of consecutive seqs from seq on, within g.
		k := 1
		for i+k < len(seqs) && seqs[i+k] == seq+uint64(k) && g.holds(seq+uint64(k)) {
			k++
		}
		i += k
		if g.release(seq, k) == 0 {
			continue
		}
		switch {
		case g.done():
			gone = append(gone, s.deleteLocked(g))
			g = nil
		case g.copyDue():
			copyDue = true // deleted once its frames are copied from the ring
		}
	}
	s.mu.Unlock()
	s.remove(gone)
	if copyDue {
		s.requestCopy() // the segment goes with the copy of its frames
	}
}

// segmentOf returns the segment holding seq, or nil.
func (s *Spool) segmentOf(seq uint64) *segment {
	i := sort.Search(len(s.segs), func(i int) bool { return s.segs[i].first > seq })
	if i == 0 {
		return nil
	}
	return s.segs[i-1]
}

// deleteLocked drops g from the bookkeeping, once; its file is for remove, outside the
// lock. It returns nil when g was dropped already.
func (s *Spool) deleteLocked(g *segment) *segment {
	if g.deleted {
		return nil
	}
	g.deleted = true
	for i, h := range s.segs {
		if h == g {
			s.segs = append(s.segs[:i], s.segs[i+1:]...)
			break
		}
	}
	s.bytes -= g.size
	return g
}

// remove closes and deletes segments already dropped from the bookkeeping: every
// record in them is released, and what of them is still in the ring is not copied.
func (s *Spool) remove(gone []*segment) {
	if len(gone) == 0 {
		return
	}
	for _, g := range gone {
		if g == nil {
			continue
		}
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
	err := s.flush()
	s.mu.Lock()
	var files []*os.File
	for _, g := range s.segs {
		if g.file != nil && g.fileDirty {
			g.fileDirty = false
			files = append(files, g.file)
		}
	}
	newFile := s.newFile
	s.newFile = false
	s.mu.Unlock()
	errs := []error{err}
	for _, f := range files {
		// A segment whose records were all released meanwhile is deleted, its file
		// closed: nothing of it needs syncing.
		if err := syncFile(f); !errors.Is(err, os.ErrClosed) {
			errs = append(errs, err)
		}
	}
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
	r := s.ring
	s.ring = nil
	s.mu.Unlock()
	s.remove(gone)
	for _, g := range keep {
		// The unwritten end of a segment is only zeros: give it back.
		err = errors.Join(err, g.file.Truncate(int64(g.used)), g.file.Close())
	}
	if r != nil {
		err = errors.Join(err, unmap(r.mem), r.file.Close())
	}
	if s.lockFile != nil {
		err = errors.Join(err, s.lockFile.Close())
	}
	return err
}
