package processor

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// DedupKeys makes attribute keys unique within a record and within every map value, the
// last value of a key winning at the place of its first appearance, as OTLP requires.
//
// The SDK can do this itself, but it builds a hash map for every record to find
// duplicates that almost never exist; resilog turns that off
// (sdklog.WithAllowKeyDuplication) and registers DedupKeys first instead, which compares
// keys in place and allocates only when a duplicate is found. It must run before any
// processor that relies on unique keys.
type DedupKeys struct{}

var _ sdklog.Processor = DedupKeys{}

// NewDedupKeys returns the processor.
func NewDedupKeys() DedupKeys { return DedupKeys{} }

// maxScan is the record size up to which keys are compared pairwise; bigger records
// use a map.
const maxScan = 16

// OnEmit removes duplicate keys from r.
func (DedupKeys) OnEmit(_ context.Context, r *sdklog.Record) error {
	n := r.AttributesLen()
	if n == 0 {
		return nil
	}
	var buf [maxScan]string
	keys := buf[:0]
	var seen map[string]struct{}
	dup, nested := false, false
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		k := string(kv.Key)
		if kv.Value.Type() == attribute.MAP {
			nested = true
		}
		if seen != nil {
			if _, ok := seen[k]; ok {
				dup = true
				return false
			}
			seen[k] = struct{}{}
			return true
		}
		for _, prev := range keys {
			if prev == k {
				dup = true
				return false
			}
		}
		if len(keys) == maxScan {
			seen = make(map[string]struct{}, n)
			for _, prev := range keys {
				seen[prev] = struct{}{}
			}
			seen[k] = struct{}{}
			return true
		}
		keys = append(keys, k)
		return true
	})
	if !dup && !nested {
		return nil
	}
	attrs := make([]attribute.KeyValue, 0, n)
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		attrs = append(attrs, kv)
		return true
	})
	changed := dup
	for i, kv := range attrs {
		if kv.Value.Type() == attribute.MAP {
			if v, ok := dedupMap(kv.Value, 0); ok {
				attrs[i].Value = v
				changed = true
			}
		}
	}
	if !changed {
		return nil
	}
	r.SetAttributes(dedupList(attrs)...)
	return nil
}

// dedupList keeps the last value of each key at the place of the key's first appearance.
func dedupList(kvs []attribute.KeyValue) []attribute.KeyValue {
	index := make(map[attribute.Key]int, len(kvs))
	out := kvs[:0:0]
	for _, kv := range kvs {
		if i, ok := index[kv.Key]; ok {
			out[i].Value = kv.Value
			continue
		}
		index[kv.Key] = len(out)
		out = append(out, kv)
	}
	return out
}

// maxMapDepth bounds the recursion into nested maps.
const maxMapDepth = 32

// dedupMap returns v with unique keys at every level, and whether anything changed.
func dedupMap(v attribute.Value, depth int) (attribute.Value, bool) {
	if depth >= maxMapDepth {
		return v, false
	}
	kvs := v.AsMap()
	changed := false
	for i, kv := range kvs {
		if kv.Value.Type() == attribute.MAP {
			if nv, ok := dedupMap(kv.Value, depth+1); ok {
				kvs[i].Value = nv
				changed = true
			}
		}
	}
	// AsMap returns the keys sorted, so duplicates are adjacent.
	for i := 1; i < len(kvs); i++ {
		if kvs[i].Key == kvs[i-1].Key {
			return attribute.MapValue(dedupList(kvs)...), true
		}
	}
	if changed {
		return attribute.MapValue(kvs...), true
	}
	return v, false
}

// Enabled returns true.
func (DedupKeys) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }

// Shutdown does nothing.
func (DedupKeys) Shutdown(context.Context) error { return nil }

// ForceFlush does nothing.
func (DedupKeys) ForceFlush(context.Context) error { return nil }
