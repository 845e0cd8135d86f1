package spool

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// RunInfo describes the run that wrote a segment, as its header says.
type RunInfo struct {
	ID      RunID
	PID     int
	Started time.Time
	Known   bool // false: the header is damaged, and the fields above are zero
}

// Entry is one record read by Scan.
type Entry struct {
	Seq         uint64
	Run         RunInfo
	Size        int // bytes its frame takes
	prefix, rec []byte
	dec         *decoder
}

// Time returns the record's timestamp (else its observed timestamp), without decoding
// the rest of it.
func (e Entry) Time() (time.Time, bool) { return recordTime(e.rec) }

// Record decodes the record, with its own resource and scope.
func (e Entry) Record() (sdklog.Record, error) { return e.dec.decode(e.prefix, e.rec) }

// Scanned is what Scan found besides the records it handed out.
type Scanned struct {
	Corrupt uint64 // records found damaged
	Newer   int    // segments in a newer resilog's format, not read
}

// Scan reads the records in the spool directory dir, oldest first, without taking the
// directory: beside a running process it sees what that process has written so far
// (and not released as of its last sync). It calls fn for each intact record not
// released, until fn returns false, and returns how many records it found damaged and
// how many segments a newer resilog wrote (which it leaves unread).
func Scan(dir string, fn func(Entry) bool) (found Scanned, err error) {
	// The ring first: what its run copies to a segment meanwhile is still in it.
	ringData := readRingFile(filepath.Join(dir, ringName))
	ringSt, _ := ringStateOf(ringData) // the zero state when not valid: no run's
	seen := map[RunID]uint64{}
	files, err := listSegments(dir)
	if err != nil {
		return found, err
	}
	type seg struct {
		segFile
		h     segInfo
		ok    bool
		first uint64
	}
	segs := make([]seg, 0, len(files))
	for _, f := range files {
		if hdr, err := readHeader(f.path); err == nil {
			if _, _, newer := newerFormat(hdr); newer {
				found.Newer++
				continue
			}
		}
		h, ok := readSegHeader(f.path)
		first := h.first
		if !ok { // placed by its first intact frame
			if data, err := os.ReadFile(f.path); err == nil {
				first = scanFrames(data[min(len(data), segHeader):], 0, nil).first
			}
		}
		segs = append(segs, seg{segFile: f, h: h, ok: ok, first: first})
	}
	sort.SliceStable(segs, func(i, j int) bool { return segs[i].first < segs[j].first })
	dec := new(decoder)
	// The torn tail of a run's last segment (a live run's copy in progress, or one cut
	// by a kill) is a loss only if the ring's records of that run do not follow on.
	type tornTail struct {
		run  RunID
		last uint64 // the last intact seq before the tear
	}
	var torn []tornTail
	for i, g := range segs {
		data, err := os.ReadFile(g.path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted by a live run since listed: every record in it was delivered
		}
		if err != nil {
			return found, err
		}
		if !g.ok {
			// A live run's copier writes a segment's header just before its first
			// frames: read before them, it was not there yet. Read again, the file
			// has it if it has any frame.
			if h, ok := parseSegHeader(data); ok {
				g.h, g.ok = h, true
			} else if scanFrames(data[min(len(data), segHeader):], 0, nil).frames > 0 {
				if again, err := os.ReadFile(g.path); err == nil {
					if h, ok := parseSegHeader(again); ok {
						data, g.h, g.ok = again, h, true
					}
				}
			}
		}
		run := RunInfo{ID: g.h.run, PID: g.h.pid, Started: g.h.started, Known: g.ok}
		st, stopped := entries(data[min(len(data), segHeader):], g.first, run, readReleased(g.path), dec, &found, fn)
		if stopped {
			return found, nil
		}
		if g.ok {
			seen[g.h.run] = max(seen[g.h.run], st.last)
		}
		var next segInfo
		nextOK := false
		if i+1 < len(segs) {
			next, nextOK = segs[i+1].h, segs[i+1].ok
		}
		found.Corrupt += st.corrupt
		loss := endLoss(st, g.h, g.ok, next, nextOK)
		if copied, ok := ringSt.copiedTo(g.h, g.index); g.ok && ok && st.frames > 0 && copied > st.last+1 {
			// As Open counts it (readEarlier).
			isReleased := readReleased(g.path)
			loss = 0
			for seq := st.last + 1; seq < copied; seq++ {
				if !isReleased(seq) {
					loss++
				}
			}
			found.Corrupt += loss
		} else if loss == 1 && st.tail && g.ok && st.frames > 0 && !(nextOK && next.run == g.h.run) {
			torn = append(torn, tornTail{g.h.run, st.last})
		} else {
			found.Corrupt += loss
		}
	}
	defer func() { found.Corrupt += uint64(len(torn)) }()
	// Then the records a run wrote to the ring (ring.go) and did not copy to a segment
	// yet: those of a process killed since, or being written by a live one.
	if ringData == nil {
		return found, nil
	}
	tail, rst, _ := rescueOf(dir, ringData, seen)
	if len(tail) < segHeader {
		return found, nil
	}
	if h, ok := parseSegHeader(tail); ok && h.run == rst.run {
		// The one tear the ring's records follow on from is no loss: the torn frame is
		// whole in the ring, read below.
		torn = slices.DeleteFunc(torn, func(t tornTail) bool { return t.run == rst.run && h.first == t.last+1 })
	}
	run := RunInfo{ID: rst.run, PID: rst.pid, Started: rst.started, Known: true}
	st, _ := entries(tail[segHeader:], 0, run, func(uint64) bool { return false }, dec, &found, fn)
	found.Corrupt += st.corrupt // records lost to damage in the ring, between rescued ones
	return found, nil
}

// entries calls fn for each intact record of a segment's frames (data, from segHeader
// on; first as for scanFrames) that is not released, until fn returns false (stopped);
// a record whose prefix is damaged is counted in found.Corrupt.
func entries(data []byte, first uint64, run RunInfo, released func(uint64) bool, dec *decoder, found *Scanned,
	fn func(Entry) bool) (st scanStats, stopped bool) {
	dict := frameDict{}
	st = scanFrames(data, first, func(seq uint64, payload []byte) bool {
		isRecord, prefix, rec, ok := dict.add(payload)
		if !ok {
			found.Corrupt++
			return true
		}
		if isRecord && !released(seq) && !fn(Entry{Seq: seq, Run: run, Size: frameHeader + len(payload), prefix: prefix, rec: rec, dec: dec}) {
			stopped = true
			return false
		}
		return true
	})
	return st, stopped
}
