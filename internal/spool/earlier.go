package spool

import (
	"iter"
	"os"

	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// Earlier yields the records earlier runs left in the spool, oldest first, each with
// its seq: the caller delivers them and releases each seq, as for its own records. A
// segment is read when the iteration reaches it, so a large spool costs no time at Open
// and memory for one segment at a time. Damaged records are skipped and counted
// (Stats().Corrupt); a record whose segment cannot be read is left for the next run.
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
	orphans := uint64(0)
	released := readReleased(g.path)
	last := uint64(0)
	st := scanFrames(data[min(len(data), segHeader):], first, func(seq uint64, payload []byte) bool {
		isRecord, prefix, rec, ok := dict.add(payload)
		switch {
		case !ok:
			orphans++ // its prefix was damaged, or the payload is malformed
		case !isRecord || seq < g.first: // a seq below the segment's first is not this segment's
		case released(seq): // delivered by the run that wrote it
			last = max(last, seq)
		default:
			frames = append(frames, frameRef{seq, prefix, rec})
			last = max(last, seq)
		}
		return true
	})
	s.corrupt.Add(st.corrupt + orphans + s.tailLoss(g, h, hdrOK, st))

	s.mu.Lock()
	if last >= g.first {
		g.records = int(last - g.first + 1)
	}
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
	if hdrOK && nextOK && st.frames > 0 && next.run == h.run && next.first > st.last+1 {
		return next.first - st.last - 1
	}
	if st.tail {
		return 1
	}
	return 0
}

// readSegHeader reads the header of the segment file at path.
func readSegHeader(path string) (segInfo, bool) {
	hdr := make([]byte, segHeader)
	f, err := os.Open(path)
	if err != nil {
		return segInfo{}, false
	}
	defer f.Close()
	if _, err := f.ReadAt(hdr, 0); err != nil {
		return segInfo{}, false
	}
	return parseSegHeader(hdr)
}
