// Package attrvalue converts slog values to attribute values (FromSlog: resilog's one
// converter, used by the bridge and propagation.With) and holds helpers over
// attribute.Value shared by resilog's encoders.
package attrvalue

import "go.opentelemetry.io/otel/attribute"

// Elems returns the elements of any slice-typed value (SLICE and the typed slices) as
// values, and nil for anything else.
func Elems(v attribute.Value) []attribute.Value {
	switch v.Type() {
	case attribute.SLICE:
		return v.AsSlice()
	case attribute.BOOLSLICE:
		return convert(v.AsBoolSlice(), attribute.BoolValue)
	case attribute.INT64SLICE:
		return convert(v.AsInt64Slice(), attribute.Int64Value)
	case attribute.FLOAT64SLICE:
		return convert(v.AsFloat64Slice(), attribute.Float64Value)
	case attribute.STRINGSLICE:
		return convert(v.AsStringSlice(), attribute.StringValue)
	}
	return nil
}

func convert[T any](in []T, f func(T) attribute.Value) []attribute.Value {
	out := make([]attribute.Value, len(in))
	for i, e := range in {
		out[i] = f(e)
	}
	return out
}
