package attrvalue

import (
	"encoding"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/resilog/resilog/internal/exception"
)

// Limits of one conversion. Past them a value is replaced by a marker string, so that no
// value a caller can build — deep, cyclic or huge — makes a log call recurse or work
// without bound.
const (
	// MaxDepth is how deep groups, slices, maps and pointers are followed.
	MaxDepth = 100
	// MaxValues is how many values one attribute may expand into.
	MaxValues = 1 << 16

	TooDeep   = "[too deep]"
	Truncated = "[truncated]"
	Cycle     = "[cycle]"
)

// FromSlog converts a slog value to an attribute value. It is resilog's only conversion of
// slog values (the bridge converts records with it, propagation.With bound context
// attributes), and it never panics:
//
//   - strings, numbers and bools keep their type; a uint64 beyond int64 becomes its decimal
//     string; a duration is int64 nanoseconds; a time is an RFC 3339 string with
//     nanoseconds, as slog.JSONHandler writes it;
//   - a group becomes a map (see AppendSlogAttr for which attributes it keeps);
//   - the value's own hiding is honoured wherever it appears, at the top, in slices, in
//     maps and behind pointers (pointer receivers included): a slog.LogValuer is resolved
//     (as slog bounds it); then, in slog.JSONHandler's order, a json.Marshaler gives its
//     JSON text, an error its message, an encoding.TextMarshaler its text; last a
//     fmt.Stringer its String (which JSONHandler never calls); a method that panics gives a
//     "!PANIC" description, one that returns an error gives way to the next;
//   - slices and arrays become slices, maps become maps (keys sorted), a nil pointer an
//     empty value, []byte bytes; any other struct becomes a map of its exported fields,
//     named as encoding/json names them (see structValue), so that the key and path rules
//     of redaction reach them; unexported fields are omitted;
//   - past MaxDepth levels, MaxValues values or a cycle, the rest is a marker string.
func FromSlog(v slog.Value) attribute.Value {
	switch v.Kind() {
	case slog.KindString:
		return attribute.StringValue(v.String())
	case slog.KindInt64:
		return attribute.Int64Value(v.Int64())
	case slog.KindBool:
		return attribute.BoolValue(v.Bool())
	case slog.KindFloat64:
		return attribute.Float64Value(v.Float64())
	case slog.KindDuration:
		return attribute.Int64Value(v.Duration().Nanoseconds())
	case slog.KindUint64:
		return uintValue(v.Uint64())
	case slog.KindTime:
		return timeValue(v.Time())
	}
	c := converter{budget: MaxValues}
	return c.value(v, 0)
}

// IsScalar reports whether v is one value that FromSlog converts without looking inside
// it or calling a method of the caller's: not a group, a LogValuer or an arbitrary value.
func IsScalar(v slog.Value) bool {
	switch v.Kind() {
	case slog.KindAny, slog.KindGroup, slog.KindLogValuer:
		return false
	}
	return true
}

// AppendSlogAttr appends to dst what a becomes, with slog.JSONHandler's rules: nothing for
// an empty attribute (no key, nil value) or a group with no attributes left (after
// resolving LogValuers), the members of a group with an empty key in its place, otherwise
// one key-value with the value converted by FromSlog.
func AppendSlogAttr(dst []attribute.KeyValue, a slog.Attr) []attribute.KeyValue {
	if a.Key != "" && IsScalar(a.Value) {
		return append(dst, attribute.KeyValue{Key: attribute.Key(a.Key), Value: FromSlog(a.Value)})
	}
	c := converter{budget: MaxValues}
	return c.appendAttr(dst, a, 0)
}

// converter carries the bounds of one conversion.
type converter struct {
	budget int
	path   []uintptr // slices, maps and pointers being converted, outermost first
}

func (c *converter) appendAttr(dst []attribute.KeyValue, a slog.Attr, depth int) []attribute.KeyValue {
	if c.budget < 0 {
		return append(dst, attribute.String(a.Key, Truncated))
	}
	v := a.Value
	if v.Kind() == slog.KindLogValuer {
		v = v.Resolve()
	}
	if a.Key == "" && v.Kind() == slog.KindAny && v.Any() == nil {
		return dst
	}
	if v.Kind() != slog.KindGroup {
		return append(dst, attribute.KeyValue{Key: attribute.Key(a.Key), Value: c.value(v, depth)})
	}
	g := v.Group()
	if len(g) == 0 {
		return dst
	}
	if c.budget--; depth >= MaxDepth {
		return append(dst, attribute.String(a.Key, TooDeep))
	}
	if a.Key == "" {
		for _, m := range g {
			dst = c.appendAttr(dst, m, depth+1)
		}
		return dst
	}
	kvs := make([]attribute.KeyValue, 0, len(g))
	for _, m := range g {
		kvs = c.appendAttr(kvs, m, depth+1)
	}
	if len(kvs) == 0 {
		return dst
	}
	return append(dst, attribute.KeyValue{Key: attribute.Key(a.Key), Value: attribute.MapValue(kvs...)})
}

func (c *converter) value(v slog.Value, depth int) attribute.Value {
	if v.Kind() == slog.KindAny {
		return c.any(v.Any(), depth)
	}
	if c.budget--; c.budget < 0 {
		return attribute.StringValue(Truncated)
	}
	switch v.Kind() {
	case slog.KindString:
		return attribute.StringValue(v.String())
	case slog.KindInt64:
		return attribute.Int64Value(v.Int64())
	case slog.KindUint64:
		return uintValue(v.Uint64())
	case slog.KindBool:
		return attribute.BoolValue(v.Bool())
	case slog.KindFloat64:
		return attribute.Float64Value(v.Float64())
	case slog.KindDuration:
		return attribute.Int64Value(v.Duration().Nanoseconds())
	case slog.KindTime:
		return timeValue(v.Time())
	case slog.KindLogValuer:
		return c.value(v.Resolve(), depth)
	case slog.KindGroup:
		if depth >= MaxDepth {
			return attribute.StringValue(TooDeep)
		}
		g := v.Group()
		kvs := make([]attribute.KeyValue, 0, len(g))
		for _, m := range g {
			kvs = c.appendAttr(kvs, m, depth+1)
		}
		return attribute.MapValue(kvs...)
	}
	return attribute.StringValue(sprint(v.Any())) // a Kind added after this code
}

// any converts an arbitrary value: the common types without reflection, then the value's
// own methods, then its shape.
func (c *converter) any(x any, depth int) attribute.Value {
	if c.budget--; c.budget < 0 {
		return attribute.StringValue(Truncated)
	}
	switch x := x.(type) {
	case nil:
		return attribute.Value{}
	case string:
		return attribute.StringValue(x)
	case bool:
		return attribute.BoolValue(x)
	case int:
		return attribute.Int64Value(int64(x))
	case int8:
		return attribute.Int64Value(int64(x))
	case int16:
		return attribute.Int64Value(int64(x))
	case int32:
		return attribute.Int64Value(int64(x))
	case int64:
		return attribute.Int64Value(x)
	case uint:
		return uintValue(uint64(x))
	case uint8:
		return attribute.Int64Value(int64(x))
	case uint16:
		return attribute.Int64Value(int64(x))
	case uint32:
		return attribute.Int64Value(int64(x))
	case uint64:
		return uintValue(x)
	case uintptr:
		return uintValue(uint64(x))
	case float32:
		return attribute.Float64Value(float64(x))
	case float64:
		return attribute.Float64Value(x)
	case time.Duration:
		return attribute.Int64Value(x.Nanoseconds())
	case time.Time:
		return timeValue(x)
	case []byte:
		return attribute.ByteSliceValue(x)
	case attribute.Value:
		return x
	case slog.Value:
		return c.value(x, depth)
	}
	if out, ok := c.methods(x, depth); ok {
		return out
	}
	return c.reflect(reflect.ValueOf(x), depth)
}

// methods applies the ways a value describes itself. After LogValue, the order is
// slog.JSONHandler's (a json.Marshaler first, then an error, then what json.Marshal honours:
// encoding.TextMarshaler), since resilog's outputs are structured like its JSON; String,
// which JSONHandler never calls but fmt-based handlers do, comes last. A method that fails
// with an error gives way to the next one.
func (c *converter) methods(x any, depth int) (attribute.Value, bool) {
	if m, ok := x.(slog.LogValuer); ok {
		return c.value(slog.AnyValue(m).Resolve(), depth+1), true
	}
	if m, ok := x.(json.Marshaler); ok {
		if s, ok := callMarshal("MarshalJSON", m, m.MarshalJSON); ok {
			return attribute.StringValue(s), true
		}
	}
	if m, ok := x.(error); ok {
		return attribute.StringValue(exception.Message(m)), true
	}
	if m, ok := x.(encoding.TextMarshaler); ok {
		if s, ok := callMarshal("MarshalText", m, m.MarshalText); ok {
			return attribute.StringValue(s), true
		}
	}
	if m, ok := x.(fmt.Stringer); ok {
		return attribute.StringValue(callString(m)), true
	}
	return attribute.Value{}, false
}

func (c *converter) reflect(rv reflect.Value, depth int) attribute.Value {
	switch rv.Kind() {
	case reflect.Pointer:
		if rv.IsNil() {
			return attribute.Value{}
		}
		if depth >= MaxDepth {
			return attribute.StringValue(TooDeep)
		}
		if !c.enter(rv.Pointer()) {
			return attribute.StringValue(Cycle)
		}
		defer c.leave()
		return c.any(rv.Elem().Interface(), depth+1)
	case reflect.Slice, reflect.Array:
		n := rv.Len()
		if n == 0 {
			return attribute.SliceValue()
		}
		if depth >= MaxDepth {
			return attribute.StringValue(TooDeep)
		}
		if rv.Kind() == reflect.Slice {
			if !c.enter(rv.Pointer()) {
				return attribute.StringValue(Cycle)
			}
			defer c.leave()
		}
		n = min(n, c.budget+1)
		items := make([]attribute.Value, n)
		for i := range items {
			items[i] = c.any(rv.Index(i).Interface(), depth+1)
		}
		return attribute.SliceValue(items...)
	case reflect.Map:
		if rv.IsNil() {
			return attribute.Value{}
		}
		if rv.Len() == 0 {
			return attribute.MapValue()
		}
		if depth >= MaxDepth {
			return attribute.StringValue(TooDeep)
		}
		if !c.enter(rv.Pointer()) {
			return attribute.StringValue(Cycle)
		}
		defer c.leave()
		kvs := make([]attribute.KeyValue, 0, min(rv.Len(), c.budget+1))
		for it := rv.MapRange(); it.Next() && len(kvs) <= c.budget; {
			kvs = append(kvs, attribute.KeyValue{Key: attribute.Key(c.key(it.Key())), Value: c.any(it.Value().Interface(), depth+1)})
		}
		slices.SortStableFunc(kvs, func(a, b attribute.KeyValue) int { return strings.Compare(string(a.Key), string(b.Key)) })
		return attribute.MapValue(kvs...)
	case reflect.Struct:
		// A method on the pointer type (String on *T, say) still speaks for a T.
		if reflect.PointerTo(rv.Type()).NumMethod() > 0 {
			p := reflect.New(rv.Type())
			p.Elem().Set(rv)
			if out, ok := c.methods(p.Interface(), depth); ok {
				return out
			}
		}
		return c.structValue(rv, depth)
	case reflect.String:
		return attribute.StringValue(rv.String())
	case reflect.Bool:
		return attribute.BoolValue(rv.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return attribute.Int64Value(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return uintValue(rv.Uint())
	case reflect.Float32, reflect.Float64:
		return attribute.Float64Value(rv.Float())
	case reflect.Complex64, reflect.Complex128:
		z := rv.Complex()
		return attribute.MapValue(attribute.Float64("r", real(z)), attribute.Float64("i", imag(z)))
	}
	return attribute.StringValue(sprint(rv.Interface()))
}

// structValue converts a struct with no method of its own to a map of its fields, named
// and chosen as encoding/json (and so slog.JSONHandler) does: exported fields only, by
// the name in their json tag if any ("-" omits one), the fields of an embedded struct
// without a tag name in the outer map. A field is a key like any map's, so the key and
// path rules of redaction apply to it; unexported fields are omitted, as they are the
// type's private state and fmt would print them without asking any of its methods.
func (c *converter) structValue(rv reflect.Value, depth int) attribute.Value {
	if depth >= MaxDepth {
		return attribute.StringValue(TooDeep)
	}
	fields := fieldsOf(rv.Type())
	kvs := make([]attribute.KeyValue, 0, len(fields))
	for _, f := range fields {
		if c.budget < 0 {
			kvs = append(kvs, attribute.String(f.name, Truncated))
			break
		}
		fv, err := rv.FieldByIndexErr(f.index)
		if err != nil || !fv.CanInterface() {
			continue // behind a nil embedded pointer
		}
		var v attribute.Value
		if f.plain {
			c.budget--
			v = c.reflect(fv, depth+1)
		} else {
			v = c.any(fv.Interface(), depth+1)
		}
		kvs = append(kvs, attribute.KeyValue{Key: attribute.Key(f.name), Value: v})
	}
	return attribute.MapValue(kvs...)
}

// field is how structValue reads one field of a struct type.
type field struct {
	name  string
	index []int
	// plain: a bool, number or string with no methods, read without boxing it.
	plain bool
}

// structFields caches the fields of each struct type converted (reflect.Type → []field),
// as encoding/json caches its own: a program logs a bounded set of types.
var structFields sync.Map

// maxEmbed bounds how deep embedded structs are followed for promoted fields.
const maxEmbed = 10

func fieldsOf(t reflect.Type) []field {
	if fs, ok := structFields.Load(t); ok {
		return fs.([]field)
	}
	var fs []field
	appendFields(&fs, map[string]bool{}, t, nil, 0)
	structFields.Store(t, fs)
	return fs
}

// appendFields appends the fields of struct type t to fs: its own first, then those of its
// embedded structs, so that a shallower field hides a deeper one of the same name.
func appendFields(fs *[]field, seen map[string]bool, t reflect.Type, index []int, depth int) {
	var embedded []reflect.StructField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			if ft := f.Type; ft.Kind() == reflect.Struct || ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct {
				embedded = append(embedded, f)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		*fs = append(*fs, field{name: name, index: append(slices.Clip(index), i), plain: isPlain(f.Type)})
	}
	if depth >= maxEmbed {
		return
	}
	for _, f := range embedded {
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		appendFields(fs, seen, ft, append(slices.Clip(index), f.Index[0]), depth+1)
	}
}

func isPlain(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.String, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return reflect.PointerTo(t).NumMethod() == 0
	}
	return false
}

// key is a map key as a string, by the same rules as a value.
func (c *converter) key(k reflect.Value) string {
	if k.Kind() == reflect.String {
		return k.String()
	}
	v := c.any(k.Interface(), MaxDepth) // a key is one line: nothing nested
	if v.Type() == attribute.STRING {
		return v.AsString()
	}
	return v.String()
}

// enter pushes p on the path being converted; false if it is already on it (a cycle).
func (c *converter) enter(p uintptr) bool {
	if p != 0 && slices.Contains(c.path, p) {
		return false
	}
	c.path = append(c.path, p)
	return true
}

func (c *converter) leave() { c.path = c.path[:len(c.path)-1] }

func uintValue(u uint64) attribute.Value {
	if u > 1<<63-1 {
		return attribute.StringValue(strconv.FormatUint(u, 10))
	}
	return attribute.Int64Value(int64(u))
}

func timeValue(t time.Time) attribute.Value {
	return attribute.StringValue(t.Format(time.RFC3339Nano))
}

// callString is s.String(), or a description of its panic ("<nil>" for a nil receiver).
func callString(s fmt.Stringer) (out string) {
	defer func() {
		if p := recover(); p != nil {
			out = panicText("String", s, p)
		}
	}()
	return s.String()
}

// callMarshal is the text marshal returns (recv's method named method), false if it
// returns an error, or a description of its panic.
func callMarshal(method string, recv any, marshal func() ([]byte, error)) (out string, ok bool) {
	defer func() {
		if p := recover(); p != nil {
			out, ok = panicText(method, recv, p), true
		}
	}()
	b, err := marshal()
	if err != nil {
		return "", false
	}
	return string(b), true
}

func panicText(method string, recv any, p any) string {
	if v := reflect.ValueOf(recv); v.Kind() == reflect.Pointer && v.IsNil() {
		return "<nil>"
	}
	return fmt.Sprintf("!PANIC in %s method of %T: %s", method, recv, sprint(p))
}

// Text is x as one line of text, for a place that takes a string where a caller may hand
// any value (the exception.message of a panic value): FromSlog's conversion, written as
// attribute.Value.String writes it, except that byte slices, wherever they sit, are the text
// they hold — never fmt's list of decimals nor base64, which no redaction rule reads.
func Text(x any) string {
	return text(FromSlog(slog.AnyValue(x)))
}

func text(v attribute.Value) string {
	switch v.Type() {
	case attribute.STRING:
		return v.AsString()
	case attribute.BYTESLICE, attribute.SLICE, attribute.MAP:
		return bytesAsText(v).String()
	}
	return v.String()
}

// bytesAsText is v with every byte slice in it replaced by its text.
func bytesAsText(v attribute.Value) attribute.Value {
	switch v.Type() {
	case attribute.BYTESLICE:
		return attribute.StringValue(exception.BytesText(v.AsByteSlice()))
	case attribute.SLICE:
		items := slices.Clone(v.AsSlice())
		for i, e := range items {
			items[i] = bytesAsText(e)
		}
		return attribute.SliceValue(items...)
	case attribute.MAP:
		kvs := slices.Clone(v.AsMap())
		for i, kv := range kvs {
			kvs[i].Value = bytesAsText(kv.Value)
		}
		return attribute.MapValue(kvs...)
	}
	return v
}

// sprint is %+v, guarded (see exception.Sprint).
func sprint(x any) string { return exception.Sprint("%+v", x) }
