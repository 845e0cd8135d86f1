package processor

import (
	"context"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/rebuild"
	"github.com/resilog/resilog/propagation"
)

// DefaultAttributeCount is the number of attributes a record keeps when LimitConfig leaves
// AttributeCount zero, as in the OpenTelemetry specification.
const DefaultAttributeCount = 128

// LimitConfig configures [NewLimit]. The zero value keeps 128 attributes and whole values.
type LimitConfig struct {
	// AttributeCount is the most attributes a record keeps (default 128; negative: no
	// limit). Exception and correlation attributes are kept first, then the others in the
	// order they were logged.
	AttributeCount int
	// AttributeValueLength is the most characters a string attribute value keeps (bytes for
	// a byte slice), inside slices and maps too (default and negative: no limit).
	AttributeValueLength int
}

// Limit applies the OpenTelemetry attribute limits to records that redaction has already
// seen: it keeps at most AttributeCount attributes and cuts string values to
// AttributeValueLength characters.
//
// The SDK applies the same limits (OTEL_LOGRECORD_ATTRIBUTE_*) when a record is emitted,
// before any processor: a cut secret is no longer recognisable by redaction, and the
// attributes processors append (correlation) are the first dropped. resilog switches the
// SDK's limits off (sdklog.WithAttributeCountLimit(-1),
// sdklog.WithAttributeValueLengthLimit(-1)) and registers Limit after Redact instead.
//
// Over the count, Limit keeps the exception.* attributes, then the correlation attributes
// of the record's context (request.id, attributes bound with propagation.With, baggage
// members, dd.*), then the others in logged order; the record's DroppedAttributes counts
// the rest, as OTLP's dropped_attributes_count. [Limit.Stats] counts dropped attributes
// and cut values. A record within the limits costs one pass over its attributes and no
// allocation.
type Limit struct {
	count, length int

	dropped, truncated atomic.Uint64

	templates rebuild.Templates
}

var _ sdklog.Processor = (*Limit)(nil)

// NewLimit returns a Limit for c.
func NewLimit(c LimitConfig) *Limit {
	l := &Limit{count: c.AttributeCount, length: c.AttributeValueLength}
	if l.count == 0 {
		l.count = DefaultAttributeCount
	}
	if l.length == 0 {
		l.length = -1
	}
	return l
}

// LimitStats counts what [Limit] removed.
type LimitStats struct {
	AttributesDropped   uint64 // attributes removed by the count limit
	AttributesTruncated uint64 // attributes whose value was cut to the length limit
}

// Stats returns the counts so far.
func (l *Limit) Stats() LimitStats {
	return LimitStats{AttributesDropped: l.dropped.Load(), AttributesTruncated: l.truncated.Load()}
}

// OnEmit applies the limits to r.
func (l *Limit) OnEmit(ctx context.Context, r *sdklog.Record) error {
	n := r.AttributesLen()
	over := l.count >= 0 && n > l.count
	long := false
	if l.length >= 0 {
		r.WalkAttributes(func(kv attribute.KeyValue) bool {
			long = tooLong(kv.Value, l.length)
			return !long
		})
	}
	if !over && !long {
		return nil
	}

	attrs := make([]attribute.KeyValue, 0, n)
	cut := 0
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		if long {
			if v, changed := truncateValue(kv.Value, l.length); changed {
				kv.Value = v
				cut++
			}
		}
		attrs = append(attrs, kv)
		return true
	})
	l.truncated.Add(uint64(cut))
	if !over {
		// Only values changed: the record keeps its dropped count (none in resilog, where
		// the SDK's limits are off).
		r.SetAttributes(attrs...)
		return nil
	}

	kept := keepFirst(ctx, attrs, l.count)
	drop := n - len(kept)
	l.dropped.Add(uint64(drop))
	// The only way to set a record's dropped count is the SDK's own count limit: the
	// record is built again from a template whose limit is l.count (rebuild).
	out, ok := l.templates.Record(r, kept, drop+r.DroppedAttributes())
	if !ok {
		r.SetAttributes(kept...)
		return nil
	}
	*r = out
	return nil
}

// keepFirst returns the count attributes of attrs to keep, in their original order:
// exception attributes, then the context's correlation attributes, then the others.
func keepFirst(ctx context.Context, attrs []attribute.KeyValue, count int) []attribute.KeyValue {
	if ctx == nil {
		ctx = context.Background()
	}
	bound := propagation.Attrs(ctx)
	bag := baggage.FromContext(ctx)
	rank := func(key string) int {
		switch {
		case strings.HasPrefix(key, "exception."):
			return 0
		case key == propagation.RequestIDKey, strings.HasPrefix(key, "dd."), bag.Member(key).Key() != "":
			return 1
		}
		for _, a := range bound {
			if string(a.Key) == key {
				return 1
			}
		}
		return 2
	}
	keep := make([]bool, len(attrs))
	left := count
	for r := 0; r <= 2 && left > 0; r++ {
		for i, kv := range attrs {
			if left > 0 && !keep[i] && rank(string(kv.Key)) == r {
				keep[i] = true
				left--
			}
		}
	}
	kept := attrs[:0]
	for i, kv := range attrs {
		if keep[i] {
			kept = append(kept, kv)
		}
	}
	return kept
}

// tooLong reports whether v holds a string (or byte slice) longer than limit.
func tooLong(v attribute.Value, limit int) bool {
	switch v.Type() {
	case attribute.STRING:
		s := v.AsString()
		return len(s) > limit && utf8.RuneCountInString(s) > limit
	case attribute.BYTESLICE:
		return len(v.AsString()) > limit
	case attribute.STRINGSLICE:
		for _, s := range v.AsStringSlice() {
			if len(s) > limit && utf8.RuneCountInString(s) > limit {
				return true
			}
		}
	case attribute.SLICE:
		for _, e := range v.AsSlice() {
			if tooLong(e, limit) {
				return true
			}
		}
	case attribute.MAP:
		for _, kv := range v.AsMap() {
			if tooLong(kv.Value, limit) {
				return true
			}
		}
	}
	return false
}

// truncateValue cuts the strings (and byte slices) in v to limit characters (bytes).
func truncateValue(v attribute.Value, limit int) (attribute.Value, bool) {
	if !tooLong(v, limit) {
		return v, false
	}
	switch v.Type() {
	case attribute.STRING:
		return attribute.StringValue(truncate(v.AsString(), limit)), true
	case attribute.BYTESLICE:
		return attribute.ByteSliceValue(v.AsByteSlice()[:limit]), true
	case attribute.STRINGSLICE:
		ss := v.AsStringSlice()
		for i, s := range ss {
			ss[i] = truncate(s, limit)
		}
		return attribute.StringSliceValue(ss), true
	case attribute.SLICE:
		vs := v.AsSlice()
		for i, e := range vs {
			vs[i], _ = truncateValue(e, limit)
		}
		return attribute.SliceValue(vs...), true
	case attribute.MAP:
		kvs := v.AsMap()
		for i, kv := range kvs {
			kvs[i].Value, _ = truncateValue(kv.Value, limit)
		}
		return attribute.MapValue(kvs...), true
	}
	return v, false
}

// truncate returns the first limit characters of s, an invalid byte counting as one.
func truncate(s string, limit int) string {
	n := 0
	for i := range s {
		if n == limit {
			return s[:i]
		}
		n++
	}
	return s
}

// Enabled returns true.
func (l *Limit) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }

// Shutdown does nothing.
func (l *Limit) Shutdown(context.Context) error { return nil }

// ForceFlush does nothing.
func (l *Limit) ForceFlush(context.Context) error { return nil }
