package otlpenc

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
)

// The scalar fast path writes the bytes the general one does, whatever the lengths.
func TestScalarKeyValueFieldIsTheGeneralEncoding(t *testing.T) {
	long := strings.Repeat("x", 200) // a two-byte length, and a KeyValue past 127 bytes
	for _, kv := range []attribute.KeyValue{
		attribute.String("k", "v"), attribute.String("", ""), attribute.String(long, long),
		attribute.String("bad\xff", "\xfe\xffvalue"), attribute.String("k", strings.Repeat("é", 100)),
		attribute.Bool("b", true), attribute.Bool("b", false),
		attribute.Int64("i", 0), attribute.Int64("i", -1), attribute.Int64("i", math.MaxInt64), attribute.Int("i", 300),
		attribute.Float64("f", 0), attribute.Float64("f", math.Inf(-1)), attribute.Float64("f", 3.25),
	} {
		for _, field := range []int{1, 6} {
			fast, ok := appendScalarKeyValueField([]byte{0xaa}, field, kv, 0)
			b, start := openField([]byte{0xaa}, field, 1)
			b = appendKeyValue(b, kv, 0)
			slow := closeField(b, start, 1)
			if !ok || !bytes.Equal(fast, slow) {
				t.Errorf("%s=%v field %d: fast %x (ok %v), general %x", kv.Key, kv.Value.String(), field, fast, ok, slow)
			}
		}
	}
	if _, ok := appendScalarKeyValueField(nil, 6, attribute.StringSlice("s", []string{"a"}), 0); ok {
		t.Error("a slice took the scalar path")
	}
	if _, ok := appendScalarKeyValueField(nil, 6, attribute.String("k", "v"), maxDepth+1); ok {
		t.Error("a value past maxDepth took the scalar path (it is written empty)")
	}
}
