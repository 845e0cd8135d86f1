package spool

import (
	"go.opentelemetry.io/otel/attribute"
)

// A record this run spooled is not given its log.record.uid in memory: the log call
// keeps only its seq, and the uid is written where the record leaves the process (an
// encoder appends it while encoding, with AppendUID; a copy handed to an exporter
// resilog does not own gets UID's attribute). A record of an earlier run, read back by
// Earlier, carries the uid it was written with: these report false for its seq.

// UID returns the log.record.uid attribute of the record this run spooled under seq, the
// one its frame on disk carries. It reports false for seq 0 (not spooled) and for a seq
// of an earlier run.
func (s *Spool) UID(seq uint64) (attribute.KeyValue, bool) {
	if !s.ours(seq) {
		return attribute.KeyValue{}, false
	}
	return attribute.String(UIDKey, string(appendUID(make([]byte, 0, uidLen), s.run, seq))), true
}

// AppendUID appends the value of UID(seq)'s attribute (uidLen hex digits) to b, without
// allocating beyond b's growth; it reports false, and returns b as it was, when UID does.
func (s *Spool) AppendUID(b []byte, seq uint64) ([]byte, bool) {
	if !s.ours(seq) {
		return b, false
	}
	return appendUID(b, s.run, seq), true
}

// ours reports whether seq was given by this run: every seq of an earlier run is below
// the first seq of this run (open moves next past every seq their segments can hold).
func (s *Spool) ours(seq uint64) bool { return seq != 0 && seq >= s.first }
