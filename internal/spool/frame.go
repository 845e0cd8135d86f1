package spool

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
)

// A frame is one record on disk:
//
//	magic   uint32  frameMagic, where a reader looking for the next frame resynchronises
//	length  uint32  of the payload
//	seq     uint64  the record's sequence number
//	crc     uint32  CRC32C of length, seq and payload
//	payload [length]byte
//
// Integers are little-endian. The checksum covers everything a reader trusts, so a torn
// frame (a writer killed mid-copy, a page lost at power failure) or flipped bytes read as
// "no frame here", never as a different record.
const frameMagic uint32 = 0x46_4c_53_52 // "RSLF" on disk

const (
	frameHeader = 20
	// maxPayload bounds the length a reader believes before the checksum is checked.
	maxPayload = 1 << 30
)

var (
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
	magicBytes = binary.LittleEndian.AppendUint32(nil, frameMagic)
)

// sealFrame fills in the header of f, whose payload is already at f[frameHeader:].
func sealFrame(f []byte, seq uint64) {
	binary.LittleEndian.PutUint32(f[4:], uint32(len(f)-frameHeader))
	binary.LittleEndian.PutUint64(f[8:], seq)
	crc := crc32.Update(0, castagnoli, f[4:16])
	crc = crc32.Update(crc, castagnoli, f[frameHeader:])
	binary.LittleEndian.PutUint32(f[16:], crc)
	binary.LittleEndian.PutUint32(f[0:], frameMagic)
}

// frameAt returns the frame starting at b[off:], if there is a whole, intact one.
func frameAt(b []byte, off int) (seq uint64, payload []byte, ok bool) {
	if off < 0 || len(b)-off < frameHeader {
		return 0, nil, false
	}
	h := b[off : off+frameHeader]
	if binary.LittleEndian.Uint32(h) != frameMagic {
		return 0, nil, false
	}
	n := binary.LittleEndian.Uint32(h[4:])
	if n > maxPayload || int64(n) > int64(len(b)-off-frameHeader) {
		return 0, nil, false
	}
	payload = b[off+frameHeader : off+frameHeader+int(n)]
	crc := crc32.Update(0, castagnoli, h[4:16])
	crc = crc32.Update(crc, castagnoli, payload)
	if crc != binary.LittleEndian.Uint32(h[16:]) {
		return 0, nil, false
	}
	return binary.LittleEndian.Uint64(h[8:]), payload, true
}

// scanStats is what reading a segment's frames found.
type scanStats struct {
	frames  int    // intact record frames
	first   uint64 // seq of the first intact frame
	last    uint64 // seq of the last intact frame
	corrupt uint64 // records lost to damage, as far as the sequence numbers tell
	// tail reports bytes other than zeros after the last intact frame: a torn last
	// frame, or damage whose extent only the next segment's first seq can tell.
	tail bool
}

// scanFrames calls fn for each intact frame of data, in order, and counts the damage
// between them. A damaged stretch is skipped by looking for the next magic number whose
// frame checks out; the records it held are counted from the gap in sequence numbers
// (records are written in seq order within a segment, from first, 0 when unknown;
// prefix frames have seq 0 and are not counted: the records they leave without a
// prefix are, by the reader). fn returning false stops the scan.
func scanFrames(data []byte, first uint64, fn func(seq uint64, payload []byte) bool) scanStats {
	var st scanStats
	prev, known := first-1, first > 0 // the seq before the next expected record
	off := 0
	for off < len(data) {
		seq, payload, ok := frameAt(data, off)
		if !ok {
			next := nextFrame(data, off+1)
			if next < 0 {
				st.tail = !allZero(data[off:])
				return st
			}
			off = next
			continue
		}
		off += frameHeader + len(payload)
		if seq != 0 {
			if known && seq > prev+1 {
				st.corrupt += seq - prev - 1
			}
			if st.frames == 0 {
				st.first = seq
			}
			st.frames++
			st.last, prev, known = seq, seq, true
		}
		if fn != nil && !fn(seq, payload) {
			return st
		}
	}
	return st
}

// nextFrame returns the offset of the next intact frame at or after from, or -1.
func nextFrame(data []byte, from int) int {
	for from < len(data) {
		i := bytes.Index(data[from:], magicBytes)
		if i < 0 {
			return -1
		}
		if _, _, ok := frameAt(data, from+i); ok {
			return from + i
		}
		from += i + 1
	}
	return -1
}

func allZero(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b) != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
