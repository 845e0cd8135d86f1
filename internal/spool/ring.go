package spool

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"time"
)

// The ring is where a log call's frame goes. It is one file in the spool directory,
// mapped once and written over and over: a frame is copied into pages that are already
// mapped and dirty, so that a log call never takes a page fault (on a file mapping, tens
// of microseconds each, more than the rest of an Append; syncing a page write-protects
// it again, so a mapping that is synced faults on every page it writes). The background
// goroutine copies the frames to the segment files with pwrite, in large pieces, and
// syncs those; the ring itself is never synced. What was copied is said in the ring's
// header: after SIGKILL, the next Open finds the frames not copied yet after that point,
// in the page cache, and writes them to a segment of their own (rescue) before the new
// run writes to the ring.
//
// The frames in the ring form one stream, the concatenation of the segments' frames in
// the order they were written: a frame at stream position p is at data[p % len(data)],
// wrapping at the end. A writer never overwrites what is not copied yet: it takes the
// memory path (Full) when the ring has no room.
//
// The header is two slots, written in turn (the newer valid one counts), so that a
// process killed while writing one still leaves the other:
//
//	magic    [8]byte "RSLRING1"
//	gen      uint64  which slot is newer
//	run      [8]byte RunID of the run writing the ring
//	pid      uint32
//	_        uint32
//	started  int64   the run's start, Unix nanoseconds
//	data     uint64  the size of the data area
//	flushed  uint64  stream position up to which frames are in segment files
//	next     uint64  seq of the first record frame at or after flushed
//	active   uint64  index+1 of the segment being written at flushed (0: none)
//	crc      uint32  CRC32C of the bytes before it
const (
	ringName    = "ring"
	ringSlot    = 128
	ringHeader  = 4096
	ringSlotLen = 8 + 8 + 8 + 4 + 4 + 8 + 8 + 8 + 8 + 8
	minRingData = 256 << 10
	maxRingData = 8 << 20
)

var ringMagic = [8]byte{'R', 'S', 'L', 'R', 'I', 'N', 'G', '1'}

// ringDataSize is the ring's data area for segments of segBytes: room for two of the
// largest frames a segment takes, within bounds.
func ringDataSize(segBytes int64) int {
	n := min(max(2*segBytes, minRingData), maxRingData)
	return int(n) &^ (os.Getpagesize() - 1)
}

// ringState is what a header slot says.
type ringState struct {
	gen     uint64
	run     RunID
	pid     int
	started time.Time
	data    uint64
	flushed uint64
	next    uint64
	active  uint64
}

// copiedTo returns, for the segment of header h and index, the seq below which its run
// copied every record, the last of them to it, when the ring says it was the run's
// active segment (ok): the records past its last intact frame, up to next, were in it.
func (st ringState) copiedTo(h segInfo, index uint64) (next uint64, ok bool) {
	if st.run != h.run || st.active != index+1 {
		return 0, false
	}
	return st.next, true
}

func (st ringState) append(b []byte) []byte {
	b = append(b, ringMagic[:]...)
	b = binary.LittleEndian.AppendUint64(b, st.gen)
	b = append(b, st.run[:]...)
	b = binary.LittleEndian.AppendUint32(b, uint32(st.pid))
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint64(b, uint64(st.started.UnixNano()))
	b = binary.LittleEndian.AppendUint64(b, st.data)
	b = binary.LittleEndian.AppendUint64(b, st.flushed)
	b = binary.LittleEndian.AppendUint64(b, st.next)
	b = binary.LittleEndian.AppendUint64(b, st.active)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func parseRingState(b []byte) (st ringState, ok bool) {
	if len(b) < ringSlotLen+4 || [8]byte(b[:8]) != ringMagic {
		return st, false
	}
	if crc32.Checksum(b[:ringSlotLen], castagnoli) != binary.LittleEndian.Uint32(b[ringSlotLen:]) {
		return st, false
	}
	st.gen = binary.LittleEndian.Uint64(b[8:])
	st.run = RunID(b[16:24])
	st.pid = int(binary.LittleEndian.Uint32(b[24:]))
	st.started = time.Unix(0, int64(binary.LittleEndian.Uint64(b[32:])))
	st.data = binary.LittleEndian.Uint64(b[40:])
	st.flushed = binary.LittleEndian.Uint64(b[48:])
	st.next = binary.LittleEndian.Uint64(b[56:])
	st.active = binary.LittleEndian.Uint64(b[64:])
	return st, true
}

// ringStateOf returns the newer valid slot of a ring file's header.
func ringStateOf(mem []byte) (ringState, bool) {
	if len(mem) < ringHeader {
		return ringState{}, false
	}
	a, aok := parseRingState(mem[:ringSlot])
	b, bok := parseRingState(mem[ringSlot : 2*ringSlot])
	switch {
	case aok && (!bok || a.gen > b.gen):
		return a, true
	case bok:
		return b, true
	}
	return ringState{}, false
}

// ring is this run's ring. pos and flushed are guarded by Spool.mu; the header by
// Spool.flushMu.
type ring struct {
	file    *os.File
	mem     []byte // the whole mapping
	data    []byte // mem[ringHeader:]
	pos     uint64 // stream position of the next frame
	flushed uint64 // frames before it are in segment files
	gen     uint64 // of the header slot saved last
}

// room reports whether n more bytes fit without overwriting what is not copied yet.
func (r *ring) room(n int) bool { return r.pos+uint64(n)-r.flushed <= uint64(len(r.data)) }

// put copies b to stream position pos, wrapping at the end.
func (r *ring) put(pos uint64, b []byte) {
	at := int(pos % uint64(len(r.data)))
	n := copy(r.data[at:], b)
	copy(r.data, b[n:])
}

// span returns the ring's bytes for stream positions [from, to), in at most two pieces.
func (r *ring) span(from, to uint64) [][]byte {
	if from >= to {
		return nil
	}
	at, n := int(from%uint64(len(r.data))), int(to-from)
	if at+n <= len(r.data) {
		return [][]byte{r.data[at : at+n]}
	}
	return [][]byte{r.data[at:], r.data[:n-(len(r.data)-at)]}
}

// save writes st into the older slot.
func (r *ring) save(st ringState) {
	r.gen++
	st.gen = r.gen
	slot := int(st.gen%2) * ringSlot
	copy(r.mem[slot:slot+ringSlot], st.append(nil))
}

// openRing opens the ring file of dir, sized for data bytes, and maps it. Before it
// changes anything of the file, it hands the frames an earlier run wrote to the ring and
// did not copy to a segment to rescue (as a segment file's bytes, see rescueOf), when
// there are any: an error from rescue leaves the ring as it was, for the next Open. st
// is the earlier run's state. A ring of another size is read, then made anew; one that
// is not a regular file of this spool alone (a symlink, a FIFO, a hard link) is not
// written through: a hard link is replaced by a file of its own.
func openRing(dir string, data int, rescue func(tail []byte) error) (r *ring, st ringState, err error) {
	path := filepath.Join(dir, ringName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|openNoFollow|openNonBlock, 0o600)
	if err != nil {
		return nil, st, err
	}
	fail := func(err error) (*ring, ringState, error) {
		f.Close()
		return nil, ringState{}, err
	}
	fi, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	if !fi.Mode().IsRegular() {
		return fail(errors.New("spool: " + path + " is not a regular file"))
	}
	if old := readRing(f, fi.Size()); old != nil {
		tail, prev, empty := rescueOf(dir, old, nil)
		if tail != nil {
			if err := rescue(tail); err != nil {
				return fail(err)
			}
		}
		st = prev
		for _, p := range empty {
			// Made active after the last copy, nothing copied to it: the rescued
			// frames are its records. Kept, it would claim their seqs.
			_ = os.Remove(p)
		}
	}
	if linkCount(fi) > 1 {
		// Another name shares the file (a backup made with cp -al, say): writing to it
		// would change that file too. This name gets a file of its own.
		f.Close()
		if err := os.Remove(path); err != nil {
			return nil, st, err
		}
		if f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL|openNoFollow, 0o600); err != nil {
			return nil, st, err
		}
		if fi, err = f.Stat(); err != nil {
			return fail(err)
		}
	}
	want := int64(ringHeader + data)
	if fi.Size() != want {
		if err := f.Truncate(0); err != nil {
			return fail(err)
		}
		if err := preallocate(f, want); err != nil {
			return fail(err)
		}
	}
	mem, err := mapFile(f, int(want))
	if err != nil {
		return fail(err)
	}
	// The next save supersedes both slots' states: the earlier run's, whose frames are
	// rescued now, must not count again.
	return &ring{file: f, mem: mem, data: mem[ringHeader:], gen: st.gen}, st, nil
}

// readRing returns the bytes of the ring file f of size bytes, or nil when it cannot be
// a ring (too small, or larger than any ring: it is not read whole).
func readRing(f *os.File, size int64) []byte {
	if size <= ringHeader || size > ringHeader+maxRingData {
		return nil
	}
	b := make([]byte, size)
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil
	}
	return b
}

// readRingFile returns the bytes of the ring file at path, for a reader beside its
// writer (Scan): nil unless it is a regular file (not followed if a symlink, never
// waited on if a FIFO) of a ring's size.
func readRingFile(path string) []byte {
	f, err := os.OpenFile(path, os.O_RDONLY|openNoFollow|openNonBlock, 0)
	if err != nil {
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	return readRing(f, fi.Size())
}

// rescueOf returns, from the bytes of a ring file, the frames of the run that wrote it
// that are not in a segment file yet, as the bytes of a segment file (header, the
// prefixes they use, the frames), or nil; and the segment files of that run that hold
// no frame at all (made active after the last copy: the rescued frames are theirs). The
// frames are those from the header's flushed position on whose seqs follow on from its
// next seq (past the last of them lie frames of an earlier turn around the ring, with
// lower seqs, or damage), less those a segment file already holds (a run killed between
// copying frames and saying so in the header).
//
// A reader beside a live run (Scan) reads the ring before the segments, and passes seen,
// the last seq of each run it found in them: those frames are not rescued again, and
// frames copied after it read the segments are still in the ring it read first.
func rescueOf(dir string, b []byte, seen map[RunID]uint64) (tail []byte, st ringState, empty []string) {
	st, ok := ringStateOf(b)
	if !ok || st.data == 0 || uint64(len(b)) != ringHeader+st.data {
		return nil, st, nil
	}
	// The segments of the run written at and after the flushed position: the prefixes
	// the first rescued frames use are defined in the first of them, and what they hold
	// is not rescued again.
	var prefixes [][]byte
	have := uint64(0)
	if files, err := listSegments(dir); err == nil {
		activeFirst, activeKnown := uint64(0), false
		if st.active > 0 {
			if h, ok := readSegHeader(filepath.Join(dir, segName(st.active-1))); ok && h.run == st.run {
				activeFirst, activeKnown = h.first, true
			}
		}
		for _, f := range files {
			h, ok := readSegHeader(f.path)
			if !ok || h.run != st.run || activeKnown && h.first < activeFirst || !activeKnown && h.first < st.next {
				continue
			}
			seg, err := os.ReadFile(f.path)
			if err != nil {
				continue
			}
			isActive := st.active > 0 && f.index == st.active-1
			sc := scanFrames(seg[min(len(seg), segHeader):], 0, func(seq uint64, payload []byte) bool {
				if seq == 0 && isActive {
					prefixes = append(prefixes, payload)
				}
				return true
			})
			if seen == nil {
				have = max(have, sc.last)
			}
			if sc.frames == 0 && !sc.tail {
				empty = append(empty, f.path) // its prefixes, if any, are kept above
			}
		}
	}

	if seen != nil {
		have = seen[st.run]
	}
	data := b[ringHeader:]
	at := int(st.flushed % st.data)
	lin := append(append(make([]byte, 0, len(data)), data[at:]...), data[:at]...)
	type frame struct {
		seq      uint64
		from, to int
	}
	var frames []frame // the prefixes and the records to rescue, in order
	expect, first := st.next, uint64(0)
	// Past the run's last frame lie those of earlier turns around the ring, by this run
	// or an earlier one; an earlier run's seqs may well follow on (a run that finds the
	// spool empty starts again from 1), so a record frame counts only if it ends with
	// this run's uid for its seq.
	head := uidHead(st.run)
	var uid []byte
	ours := func(seq uint64, payload []byte) bool {
		uid = appendUIDField(uid[:0], head, seq)
		return bytes.HasSuffix(payload, uid)
	}
	for off := 0; off < len(lin); {
		seq, payload, ok := frameAt(lin, off)
		switch {
		case ok && seq == 0:
			if kind, _, _, err := parsePayload(payload); err == nil && kind == kindPrefix {
				frames = append(frames, frame{0, off, to(off, payload)})
				off = to(off, payload)
				continue
			}
		case ok && seq == expect && ours(seq, payload):
			expect++
			if seq > have {
				first = cmp.Or(first, seq)
				frames = append(frames, frame{seq, off, to(off, payload)})
			}
			off = to(off, payload)
			continue
		}
		// Damage (a bad sector, a stray write), or the end of the run's frames. A later
		// frame of this run's (a higher seq, ending with its uid) lies past damage: the
		// rescue goes on from it, and the seqs skipped read as lost, counted. Past the
		// run's end lie older frames, of lower seqs or another run's uid.
		if off, expect = resync(lin, off+1, expect, ours); off < 0 {
			break
		}
	}
	for len(frames) > 0 && frames[len(frames)-1].seq == 0 {
		frames = frames[:len(frames)-1] // prefixes no rescued record comes after
	}
	if first == 0 {
		return nil, st, empty
	}
	tail = segInfo{run: st.run, pid: st.pid, started: st.started, first: first}.append(nil)
	tail = append(tail, make([]byte, segHeader-len(tail))...)
	for _, p := range prefixes {
		tail = appendFrame(tail, 0, p)
	}
	for _, f := range frames {
		tail = append(tail, lin[f.from:f.to]...)
	}
	return tail, st, empty
}

// to returns where the frame at off, of payload, ends.
func to(off int, payload []byte) int { return off + frameHeader + len(payload) }

// resync returns the offset, from from on, of the first intact record frame of a seq
// above expect for which ours holds, or of the prefix frames right before it (the
// record may use them), and that seq; off is -1 when there is none.
func resync(b []byte, from int, expect uint64, ours func(seq uint64, payload []byte) bool) (off int, seq uint64) {
	for from < len(b) {
		i := bytes.Index(b[from:], magicBytes)
		if i < 0 {
			return -1, 0
		}
		at := from + i
		for next := at; ; {
			seq, payload, ok := frameAt(b, next)
			if !ok {
				break
			}
			if seq == 0 {
				if kind, _, _, err := parsePayload(payload); err != nil || kind != kindPrefix {
					break
				}
				next = to(next, payload)
				continue
			}
			if seq > expect && ours(seq, payload) {
				return at, seq
			}
			break
		}
		from = at + 1
	}
	return -1, 0
}

// appendFrame appends a whole frame of payload to b.
func appendFrame(b []byte, seq uint64, payload []byte) []byte {
	n := len(b)
	b = append(b, make([]byte, frameHeader)...)
	b = append(b, payload...)
	sealFrame(b[n:], seq)
	return b
}
