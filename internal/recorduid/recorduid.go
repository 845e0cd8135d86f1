// Package recorduid carries the log.record.uid of the records of one export from the
// delivery core, which knows each record's spool seq, to the exporters, which write it
// where the records leave the process: resilog's own encoders append it while encoding
// (no copy of the record, no allocation), and the root package's guard adds it to
// copies for an exporter resilog does not own. The log call keeps only the seq.
//
// The uids travel in the context of Export (NewContext, FromContext), so that an
// exporter keeps the sdklog.Exporter signature and the wrappers between the core and
// an encoder need not know about them.
package recorduid

import (
	"context"
	"unsafe"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/rebuild"
)

// Key is the attribute's key (OpenTelemetry semantic conventions); package spool writes
// the same into its frames (spool.UIDKey).
const Key = "log.record.uid"

// Source gives the uid of a record by its seq: the spool. It reports false for a seq
// with no uid to write (0: not spooled; an earlier run's record, which carries its own).
type Source interface {
	// AppendUID appends the uid's value to b.
	AppendUID(b []byte, seq uint64) ([]byte, bool)
}

// UIDs are the uids of the records of one batch, by index. The zero value has none.
type UIDs struct {
	src  Source
	seqs []uint64
}

// New returns the uids of the records whose seqs are seqs (seqs[i] is records[i]'s),
// given by src; none when src is nil or no seq is set.
func New(src Source, seqs []uint64) UIDs {
	if src == nil {
		return UIDs{}
	}
	for _, s := range seqs {
		if s != 0 {
			return UIDs{src: src, seqs: seqs}
		}
	}
	return UIDs{}
}

// Any reports whether a record of the batch may have a uid.
func (u UIDs) Any() bool { return u.src != nil }

// Append appends the value of record i's uid to b; it reports false, b as it was, when
// the record has none.
func (u UIDs) Append(b []byte, i int) ([]byte, bool) {
	if u.src == nil || i >= len(u.seqs) || u.seqs[i] == 0 {
		return b, false
	}
	return u.src.AppendUID(b, u.seqs[i])
}

type ctxKey struct{}

// NewContext returns ctx carrying u, for the Export of u's batch; ctx itself when u has
// none and ctx carries none either.
func NewContext(ctx context.Context, u UIDs) context.Context {
	if !u.Any() && !FromContext(ctx).Any() {
		return ctx
	}
	return context.WithValue(ctx, ctxKey{}, u)
}

// FromContext returns the uids ctx carries (none: the zero UIDs).
func FromContext(ctx context.Context) UIDs {
	u, _ := ctx.Value(ctxKey{}).(UIDs)
	return u
}

// Copies returns records with their uids: records itself when none has one, else dst's
// storage (grown if need be) holding records, each record with a uid copied with it as
// its last attribute, in place of any log.record.uid it was logged with (the spooled
// copy's uid is the one a backend can match), past the count limit of a record
// processor.Limit cut (its dropped count kept). templates builds the copies that
// AddAttributes cannot. valueLimit says the records may come from a provider with an
// attribute value length limit (a user's): a uid AddAttributes cut is then found and
// written whole. The uids' strings are carved from one block per call.
func (u UIDs) Copies(dst, records []sdklog.Record, templates *rebuild.Templates, valueLimit bool) []sdklog.Record {
	if !u.Any() {
		return records
	}
	var out []sdklog.Record
	var block []byte
	for i := range records {
		if block == nil {
			block = make([]byte, 0, uidLen*len(records))
		}
		start := len(block)
		b, ok := u.Append(block, i)
		if !ok {
			continue
		}
		// The bytes from start on are never written again (the block only grows, and
		// a block that had to move leaves the strings made so far in the old one).
		block = b
		uid := attribute.String(Key, unsafe.String(unsafe.SliceData(b[start:]), len(b)-start))
		if out == nil {
			out = append(dst[:0], records[:i]...)
		}
		for len(out) < i {
			out = append(out, records[len(out)])
		}
		// Built in its slot: a record is a large struct, each copy of it counts.
		out = append(out, records[i].Clone()) // the attributes' storage is copied: records[i] is left as it is
		setUID(&out[i], uid, templates, valueLimit)
	}
	if out == nil {
		return records
	}
	return append(out, records[len(out):]...)
}

// uidLen is the length of the spool's uids, to size the block they are carved from.
const uidLen = 32

// lastValue returns the string value of r's last attribute.
func lastValue(r *sdklog.Record) (v string) {
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		v = kv.Value.AsString()
		return true
	})
	return v
}

// setUID makes uid c's last attribute, in place of any Key it has. c is a clone.
func setUID(c *sdklog.Record, uid attribute.KeyValue, templates *rebuild.Templates, valueLimit bool) {
	has := false
	c.WalkAttributes(func(kv attribute.KeyValue) bool {
		has = kv.Key == Key
		return !has
	})
	n := c.AttributesLen()
	dropped := c.DroppedAttributes()
	if !has {
		c.AddAttributes(uid)
		switch {
		case c.AttributesLen() != n+1:
			// c was emitted under a count limit it reached: AddAttributes dropped the
			// uid, and counted it.
			dropped = c.DroppedAttributes() - 1
		case !valueLimit || lastValue(c) == uid.Value.AsString():
			return
		}
		// Else kept, but cut by the value length limit c was emitted under: the uid
		// must stay whole, to match the spooled copy's.
	}
	attrs := make([]attribute.KeyValue, 0, n+1+dropped)
	c.WalkAttributes(func(kv attribute.KeyValue) bool {
		if kv.Key != Key {
			attrs = append(attrs, kv)
		}
		return true
	})
	attrs = append(attrs, uid)
	if r, ok := templates.Record(c, attrs, dropped); ok {
		*c = r
		return
	}
	c.SetAttributes(attrs...) // no resource: no template; the record's own limit applies
}
