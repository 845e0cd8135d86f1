package spool

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"math/bits"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// A segment is one file of the spool: a header, then frames (frame.go) from segHeader on,
// then zeros up to the size it was allocated with. Its name is its index in the
// directory, in hex: the order segments were created in, which is not quite the order
// they were written in (a spare is created ahead of need); the first seq in the header
// gives that.
//
//	magic    [8]byte "RSLSPOOL"
//	version  uint32  1
//	pid      uint32  of the process that wrote it
//	run      [8]byte RunID
//	started  int64   when that run started, Unix nanoseconds
//	first    uint64  seq of the segment's first record
//	crc      uint32  CRC32C of the bytes before it
const (
	segHeader  = 64
	segVersion = 1
	segSuffix  = ".seg"
)

var segMagic = [8]byte{'R', 'S', 'L', 'S', 'P', 'O', 'O', 'L'}

// RunID names one process's run over a spool directory (random, chosen at Open).
type RunID [8]byte

// String returns the run id in hex.
func (r RunID) String() string { return hex.EncodeToString(r[:]) }

// segInfo is what a segment's header says.
type segInfo struct {
	run     RunID
	pid     int
	started time.Time
	first   uint64
}

func (h segInfo) append(b []byte) []byte {
	b = append(b, segMagic[:]...)
	b = binary.LittleEndian.AppendUint32(b, segVersion)
	b = binary.LittleEndian.AppendUint32(b, uint32(h.pid))
	b = append(b, h.run[:]...)
	b = binary.LittleEndian.AppendUint64(b, uint64(h.started.UnixNano()))
	b = binary.LittleEndian.AppendUint64(b, h.first)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// parseSegHeader reads a segment header; ok is false when it is damaged.
func parseSegHeader(b []byte) (h segInfo, ok bool) {
	const n = 8 + 4 + 4 + 8 + 8 + 8
	if len(b) < n+4 || [8]byte(b[:8]) != segMagic || binary.LittleEndian.Uint32(b[8:]) != segVersion {
		return h, false
	}
	if crc32.Checksum(b[:n], castagnoli) != binary.LittleEndian.Uint32(b[n:]) {
		return h, false
	}
	h.pid = int(binary.LittleEndian.Uint32(b[12:]))
	h.run = RunID(b[16:24])
	h.started = time.Unix(0, int64(binary.LittleEndian.Uint64(b[24:])))
	h.first = binary.LittleEndian.Uint64(b[32:])
	return h, true
}

func segName(index uint64) string { return fmt.Sprintf("%016x%s", index, segSuffix) }

// segIndex returns the index a segment file's name carries.
func segIndex(name string) (uint64, bool) {
	hexpart, ok := strings.CutSuffix(name, segSuffix)
	if !ok || len(hexpart) != 16 {
		return 0, false
	}
	i, err := strconv.ParseUint(hexpart, 16, 64)
	return i, err == nil
}

// segFile is a segment file found in the directory.
type segFile struct {
	index uint64
	path  string
	size  int64
}

// listSegments returns the segment files of dir in index order.
func listSegments(dir string) ([]segFile, error) {
	entries, err := os.ReadDir(dir) // sorted by name, which is index order
	if err != nil {
		return nil, err
	}
	var out []segFile
	for _, e := range entries {
		i, ok := segIndex(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, segFile{index: i, path: filepath.Join(dir, e.Name()), size: fi.Size()})
	}
	return out, nil
}

// segment is a segment the spool keeps track of: one of this run's, mapped and written
// to, or an earlier run's, read when replayed. Fields are guarded by Spool.mu unless
// said otherwise.
type segment struct {
	index uint64
	path  string
	size  int64 // bytes it takes on disk
	first uint64

	// This run's segments: the background goroutine copies their frames from the ring
	// (ring.go) into file, from segHeader on.
	file        *os.File
	streamStart uint64              // the ring stream position of the frame at segHeader
	used        int                 // where the next frame goes
	flushed     int                 // frames below it are in file
	fileDirty   bool                // file written since it was last synced
	headerDone  bool                // its header is written (by the copier, with its first frames)
	prefixes    map[uint64]struct{} // the prefixes defined in it
	lastPrefix  uint64              // the last one found in prefixes (0: none; ids start at 1)
	// Release bookkeeping: records counts the seqs first, first+1, … that the segment
	// holds (or held: damaged ones are released when found); live those not released.
	records  int
	live     int
	released []uint64 // bitmap by seq-first
	relDirty bool     // released changed since its side file was written
	known    bool     // records and released are complete (always, for this run's)
	sealed   bool     // no more records will be added
	deleted  bool     // dropped from the bookkeeping (Spool.deleteLocked)
}

// prefixNeed returns def when the prefix id is not defined in g yet, else 0.
func (g *segment) prefixNeed(id uint64, def int) int {
	if id == g.lastPrefix && id != 0 {
		return 0 // most records share the prefix of the record before
	}
	if _, ok := g.prefixes[id]; ok {
		g.lastPrefix = id
		return 0
	}
	return def
}

// release marks the k seqs from seq on released (all of them g's) and returns how many
// of them were live. A batch's seqs are mostly consecutive: they are marked a bitmap
// word at a time, which keeps Release's time under the spool's lock, which the log call
// waits for, short.
func (g *segment) release(seq uint64, k int) (n int) {
	i := seq - g.first
	end := i + uint64(k)
	if w := int((end - 1) / 64); len(g.released) <= w {
		g.released = append(g.released, make([]uint64, w+1-len(g.released))...)
	}
	for i < end {
		lo := i % 64
		width := min(64-lo, end-i)
		mask := ^uint64(0) >> (64 - width) << lo
		w := &g.released[i/64]
		n += bits.OnesCount64(mask &^ *w)
		*w |= mask
		i += width
	}
	if n > 0 {
		g.live -= n
		g.relDirty = true
	}
	return n
}

// holds reports whether seq is one of g's.
func (g *segment) holds(seq uint64) bool { return seq >= g.first && seq-g.first < uint64(g.records) }

// done reports whether the segment can be deleted: nothing more will be written to it,
// every record it holds is released, and its frames are copied from the ring (deleted
// before, a run killed before the copy would leave them in the ring, to be rescued as
// records not delivered).
func (g *segment) done() bool { return g.delivered() && g.flushed == g.used }

// copyDue reports whether g is done but for the copy of its frames.
func (g *segment) copyDue() bool { return g.delivered() && g.flushed < g.used }

// delivered reports whether nothing more will be written to g and every record it holds
// is released: it is deleted once its frames are copied (done) and the copier sweeps.
func (g *segment) delivered() bool { return g.sealed && g.known && g.live == 0 }

// streamEnd is the ring stream position after g's last frame.
func (g *segment) streamEnd() uint64 { return g.streamStart + uint64(g.used-segHeader) }
