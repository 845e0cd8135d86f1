// Package recordsize estimates how much memory a queued log record holds, so that queues
// can be bounded in bytes.
package recordsize

import (
	"unsafe"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// recordOverhead is the size of the Record struct itself (584 bytes with SDK v1.47), which
// a queue holds by value.
var recordOverhead = int(unsafe.Sizeof(sdklog.Record{}))

// kvOverhead is the size of one attribute.KeyValue beyond the five a Record holds inline.
var kvOverhead = int(unsafe.Sizeof(attribute.KeyValue{}))

// Of returns the estimated bytes r holds: the struct, attributes beyond the inline ones,
// and the bytes of every string (keys included), recursively.
func Of(r *sdklog.Record) int {
	n := recordOverhead + value(r.Body())
	attrs := 0
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		n += len(kv.Key) + value(kv.Value)
		attrs++
		return true
	})
	if attrs > 5 {
		n += (attrs - 5) * kvOverhead
	}
	return n
}

func value(v attribute.Value) int {
	switch v.Type() {
	case attribute.STRING:
		return len(v.AsString())
	case attribute.BYTESLICE:
		return len(v.String()) // base64 of the bytes: a third more than they hold
	case attribute.MAP:
		n := 0
		for _, kv := range v.AsMap() {
			n += kvOverhead + len(kv.Key) + value(kv.Value)
		}
		return n
	case attribute.SLICE:
		n := 0
		for _, e := range v.AsSlice() {
			n += kvOverhead + value(e)
		}
		return n
	case attribute.STRINGSLICE:
		n := 0
		for _, s := range v.AsStringSlice() {
			n += 16 + len(s)
		}
		return n
	case attribute.BOOLSLICE:
		return len(v.AsBoolSlice())
	case attribute.INT64SLICE:
		return 8 * len(v.AsInt64Slice())
	case attribute.FLOAT64SLICE:
		return 8 * len(v.AsFloat64Slice())
	}
	return 0
}
