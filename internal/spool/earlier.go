package spool

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"iter"
	"os"

	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// Earlier yields the records earlier runs left in the spool, oldest first, each with
// its seq: the caller delivers them and releases each seq, as for its own records. A
// segment is read when the iteration reaches it, so a large spool costs no time at Open
// and memory for one segment at a time. Damaged records are skipped and counted
// (Stats().Corrupt), once across runs (see the package doc); a record whose segment
// cannot be read, or that a newer resilog wrote, is left for the next run.
// Stopping early leaves the rest for the next run. Call it once, from one goroutine.
func (s *Spool) Earlier() iter.Seq2[uint64, sdklog.Record] {
	return func(yield func(uint64, sdklog.Record) bool) {
		var d decoder
		for _, g := range s.earlierSegments() {
			frames, ok := s.readEarlier(g)
			if !ok {
				continue
			}
			for _, f := range frames {
				r, err := d.decode(f.prefix, f.rec)
				if err != nil {
					s.corrupt.Add(1)
					s.Release(f.seq)
					continue
				}
				if !yield(f.seq, r) {
					return
				}
			}
		}
	}
}

// earlierSegments returns the segments not read yet.
func (s *Spool) earlierSegments() []*segment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*segment
	for _, g := range s.segs {
		if !g.known {
			out = append(out, g)
		}
	}
	return out
}

type frameRef struct {
	seq         uint64
	prefix, rec []byte
}

// readEarlier reads an earlier run's segment, counts its damage and sets up the release
// bookkeeping of its intact records before any of them is handed out.
//
// A record lost to damage is counted once across runs: it is counted only if its seq is
// not released yet, and marked released when counted, so that the side file (written at
// the next sync) tells a later run that reads the segment again, because some of its
// records were not delivered, that the loss is counted. The same mark keeps a record
// delivered before its frame was damaged from being counted lost. A damaged tail whose
// extent is unknown is counted as one record, at the seq after the last intact one.
func (s *Spool) readEarlier(g *segment) ([]frameRef, bool) {
	data, err := os.ReadFile(g.path)
	if err != nil {
		return nil, false
	}
	var h segInfo
	hdrOK := false
	if len(data) >= segHeader {
		h, hdrOK = parseSegHeader(data)
	}
	first := uint64(0)
	if hdrOK {
		first = h.first
	}
	var frames []frameRef
	dict := frameDict{}
	released := readReleased(g.path)
	lost := uint64(0) // records lost to damage that no run has counted yet
	lose := func(from, to uint64) {
		for seq := from; seq < to; seq++ {
			if !released(seq) {
				lost++
			}
		}
	}
	next := g.first // the seq after the last intact record frame
	st := scanFrames(data[min(len(data), segHeader):], first, func(seq uint64, payload []byte) bool {
		if seq != 0 && seq < g.first {
			return true // not this segment's
		}
		if seq != 0 {
			lose(next, seq) // the records between the previous intact frame and this one
			next = max(next, seq+1)
		}
		isRecord, prefix, rec, ok := dict.add(payload)
		switch {
		case !ok && seq != 0: // its prefix was damaged, or the payload is malformed
			lose(seq, seq+1)
		case !ok, !isRecord, released(seq): // released: delivered by an earlier run
		default:
			frames = append(frames, frameRef{seq, prefix, rec})
		}
		return true
	})
	end := next + s.tailLoss(g, h, hdrOK, st)
	if copied, ok := s.prevRing.copiedTo(h, g.index); hdrOK && ok {
		end = max(end, copied)
	}
	lose(next, end)
	s.corrupt.Add(lost)

	s.mu.Lock()
	// Every seq up to end starts released, the lost ones included; then the intact
	// records not delivered yet are made live.
	g.records = int(end - g.first)
	g.released = make([]uint64, (g.records+63)/64)
	for i := range g.released {
		g.released[i] = ^uint64(0)
	}
	for _, f := range frames {
		i := f.seq - g.first
		g.released[i/64] &^= 1 << (i % 64)
	}
	g.live = len(frames)
	g.known = true
	g.relDirty = lost > 0
	var gone []*segment
	if g.done() {
		gone = append(gone, s.deleteLocked(g))
	}
	s.mu.Unlock()
	s.remove(gone)
	return frames, true
}

// tailLoss returns how many records damage after the last intact frame of g took.
func (s *Spool) tailLoss(g *segment, h segInfo, hdrOK bool, st scanStats) uint64 {
	s.mu.Lock()
	var next *segment
	for i, x := range s.segs {
		if x == g && i+1 < len(s.segs) {
			next = s.segs[i+1]
		}
	}
	s.mu.Unlock()
	if next == nil {
		return endLoss(st, h, hdrOK, segInfo{}, false)
	}
	nh, ok := readSegHeader(next.path)
	nh.first = next.first
	return endLoss(st, h, hdrOK, nh, ok)
}

// endLoss returns how many records damage after the last intact frame of a segment
// took: the gap to the next segment's first seq when the same run wrote it (a segment
// cut short at a frame boundary leaves no other trace), else one if there are bytes
// other than zeros there.
func endLoss(st scanStats, h segInfo, hdrOK bool, next segInfo, nextOK bool) uint64 {
	if hdrOK && nextOK && st.frames > 0 && next.run == h.run && next.first > st.last {
		// The records up to the next segment's first: none when it follows on (a copy
		// cut short by a kill tears the last frame, and the rescue has it whole).
		return next.first - st.last - 1
	}
	if st.tail {
		return 1
	}
	return 0
}

// readSegHeader reads the header of the segment file at path.
func readSegHeader(path string) (segInfo, bool) {
	hdr, err := readHeader(path)
	if err != nil {
		return segInfo{}, false
	}
	return parseSegHeader(hdr)
}

// readHeader returns the first bytes of the segment file at path: its header, or fewer
// bytes if the file is shorter.
func readHeader(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	hdr := make([]byte, segHeader)
	n, err := f.ReadAt(hdr, 0)
	if err != nil && err != io.EOF {
		return nil, err
	}
	return hdr[:n], nil
}

// newerFormat reports whether hdr, the first bytes of a segment file, is the header of
// a segment written by a newer resilog, in a format this version cannot read (version):
// the magic, then a version above this one's. Such a segment is left as it is, for a
// run that can read it. A header of this version whose version field alone is damaged
// is not newer: its checksum checks out with this version in place. When the newer
// header keeps this version's layout, first is its first seq (else 0), so that the
// seqs of this run go past the ones it may hold.
func newerFormat(hdr []byte) (version uint32, first uint64, newer bool) {
	const crcAt = 8 + 4 + 4 + 8 + 8 + 8 // where this version's header has its checksum
	if len(hdr) < 12 || [8]byte(hdr[:8]) != segMagic {
		return 0, 0, false
	}
	version = binary.LittleEndian.Uint32(hdr[8:])
	if version <= segVersion {
		return 0, 0, false
	}
	if len(hdr) >= crcAt+4 {
		sum := binary.LittleEndian.Uint32(hdr[crcAt:])
		ours := bytes.Clone(hdr[:crcAt])
		binary.LittleEndian.PutUint32(ours[8:], segVersion)
		if crc32.Checksum(ours, castagnoli) == sum {
			return 0, 0, false // this version's, damaged
		}
		if crc32.Checksum(hdr[:crcAt], castagnoli) == sum {
			first = binary.LittleEndian.Uint64(hdr[32:])
		}
	}
	return version, first, true
}
