package spool

import (
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
)

// A segment kept on disk with some of its records released carries a side file,
// <index>.rel, saying which: without it, the next run would deliver those records
// again. It is written whole (to a temporary name, then renamed) every sync interval,
// on Sync and at Close, so that after a crash only records released in the last
// interval, the batches in flight, come back twice.
//
//	magic   [8]byte "RSLREL01"
//	first   uint64  the segment's first seq
//	words   uint64  then that many bitmap words: bit i set, seq first+i released
//	crc     uint32  CRC32C of the bytes before it
const relSuffix = ".rel"

var relMagic = [8]byte{'R', 'S', 'L', 'R', 'E', 'L', '0', '1'}

func relPath(segPath string) string { return strings.TrimSuffix(segPath, segSuffix) + relSuffix }

// writeReleased writes the release bitmap of the segment at segPath.
func writeReleased(segPath string, first uint64, bitmap []uint64) error {
	b := make([]byte, 0, 8+8+8+8*len(bitmap)+4)
	b = append(b, relMagic[:]...)
	b = binary.LittleEndian.AppendUint64(b, first)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(bitmap)))
	for _, w := range bitmap {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	path := relPath(segPath)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// readReleased returns the released seqs of the segment at segPath, as a predicate; a
// missing or damaged file releases nothing (the records are delivered again: at least
// once).
func readReleased(segPath string) func(seq uint64) bool {
	none := func(uint64) bool { return false }
	b, err := os.ReadFile(relPath(segPath))
	if err != nil || len(b) < 8+8+8+4 || [8]byte(b[:8]) != relMagic {
		return none
	}
	n := len(b) - 4
	if crc32.Checksum(b[:n], castagnoli) != binary.LittleEndian.Uint32(b[n:]) {
		return none
	}
	first := binary.LittleEndian.Uint64(b[8:])
	words := binary.LittleEndian.Uint64(b[16:])
	if words != uint64(n-24)/8 || uint64(n-24)%8 != 0 {
		return none
	}
	bitmap := make([]uint64, words)
	for i := range bitmap {
		bitmap[i] = binary.LittleEndian.Uint64(b[24+8*i:])
	}
	return func(seq uint64) bool {
		if seq < first {
			return false
		}
		i := seq - first
		return i/64 < uint64(len(bitmap)) && bitmap[i/64]&(1<<(i%64)) != 0
	}
}

// saveReleased writes the side files of the segments whose releases changed.
func (s *Spool) saveReleased() error {
	// One at a time (in SyncBatch mode every export worker syncs): each takes its
	// snapshot and writes it before the next takes its own, so that a side file never
	// goes back to an older bitmap, and the temporary file each writes is its own.
	s.relMu.Lock()
	defer s.relMu.Unlock()
	type snap struct {
		g      *segment
		path   string
		first  uint64
		bitmap []uint64
	}
	s.mu.Lock()
	var todo []snap
	for _, g := range s.segs {
		if g.relDirty && g.known {
			g.relDirty = false
			todo = append(todo, snap{g, g.path, g.first, append([]uint64(nil), g.released...)})
		}
	}
	s.mu.Unlock()
	var first error
	for _, t := range todo {
		if err := writeReleased(t.path, t.first, t.bitmap); err != nil {
			s.mu.Lock()
			t.g.relDirty = true // written again by the next Sync, or by Close
			s.mu.Unlock()
			if first == nil {
				first = err
			}
		}
	}
	return first
}

// removeOrphanReleased deletes side files whose segment is gone (deleted between the
// two removals by a run that then died).
func removeOrphanReleased(dir string) {
	rels, _ := filepath.Glob(filepath.Join(dir, "*"+relSuffix))
	for _, r := range rels {
		if _, err := os.Stat(strings.TrimSuffix(r, relSuffix) + segSuffix); os.IsNotExist(err) {
			os.Remove(r)
		}
	}
}
