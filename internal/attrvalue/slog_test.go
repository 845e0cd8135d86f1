package attrvalue

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
)

type panicErr struct{}

func (panicErr) Error() string { panic("broken Error") }

type nilErr struct{}

func (*nilErr) Error() string { return "never called on nil" }

// ptrString has String on its pointer type only: fmt would print the fields.
type ptrString struct{ card string }

func (p *ptrString) String() string { return "card ending " + p.card[len(p.card)-4:] }

type valueString struct{}

func (valueString) String() string { return "value receiver" }

type nilStringer struct{ s string }

func (n *nilStringer) String() string { return n.s }

type panicStringer struct{}

func (panicStringer) String() string { panic("broken String") }

type hidden struct{ secret string }

func (hidden) LogValue() slog.Value { return slog.StringValue("[hidden]") }

type panicValuer struct{}

func (panicValuer) LogValue() slog.Value { panic("broken LogValue") }

type selfValuer struct{}

func (s selfValuer) LogValue() slog.Value { return slog.AnyValue(s) }

// treeValuer resolves to a group holding ten of itself: without a budget, 10^depth values.
type treeValuer struct{}

func (t treeValuer) LogValue() slog.Value {
	attrs := make([]slog.Attr, 10)
	for i := range attrs {
		attrs[i] = slog.Any(string(rune('a'+i)), t)
	}
	return slog.GroupValue(attrs...)
}

type rawJSON struct{}

func (rawJSON) MarshalJSON() ([]byte, error) { return []byte(`{"masked":true}`), nil }

type panicJSON struct{}

func (panicJSON) MarshalJSON() ([]byte, error) { panic("broken MarshalJSON") }

type named int

type tagged struct {
	Name   string `json:"user_name,omitempty"`
	Skip   string `json:"-"`
	Plain  int
	hidden string
}

type inner struct{ In int }

type outer struct {
	inner
	Out int
}

type outerPtr struct {
	*inner
	Out int
}

// Inner is exported: an unexported embedded struct with a json name is omitted, as an
// unexported field is.
type Inner struct{ In int }

type namedEmbed struct {
	Inner `json:"in"`
	inner `json:"hidden"`
}

type shadow struct {
	inner
	In int
}

type selfEmbed struct {
	*selfEmbed
	X int
}

type node struct{ Next *node }

func selfRef() *node {
	n := &node{}
	n.Next = n
	return n
}

func emit(v attribute.Value) string {
	switch v.Type() {
	case attribute.STRING:
		return v.AsString()
	case attribute.EMPTY:
		return "<empty>"
	}
	return v.String()
}

// TestFromSlog: every value class a caller can pass converts without a panic, a hang or
// unbounded work, honouring the value's own LogValue, Error, String (pointer receivers
// too) and MarshalJSON wherever it sits.
func TestFromSlog(t *testing.T) {
	var typedNil *nilErr
	cyclic := []any{nil}
	cyclic[0] = cyclic
	cyclicMap := map[string]any{}
	cyclicMap["self"] = cyclicMap
	var ptr any
	ptr = &ptr
	at := time.Date(2026, 11, 29, 23, 0, 0, 123456789, time.UTC)
	cases := []struct {
		name string
		v    slog.Value
		want string // emit of the result, or a prefix ending in "…"
	}{
		{"uint64 beyond int64", slog.Uint64Value(math.MaxUint64), "18446744073709551615"},
		{"uint64 in a slice", slog.AnyValue([]uint64{math.MaxUint64}), `["18446744073709551615"]`},
		{"time", slog.TimeValue(at), "2026-11-29T23:00:00.123456789Z"},
		{"time in a slice", slog.AnyValue([]time.Time{at}), `["2026-11-29T23:00:00.123456789Z"]`},
		{"duration", slog.DurationValue(time.Second), "1000000000"},
		{"named int", slog.AnyValue(named(3)), "3"},
		{"error", slog.AnyValue(errors.New("boom")), "boom"},
		{"panicking Error in []error", slog.AnyValue([]error{panicErr{}}), `["!PANIC in Error method of attrvalue.panicErr: broken Error"]`},
		{"panicking Error in map", slog.AnyValue(map[string]error{"e": panicErr{}}), `{"e":"!PANIC in Error method of attrvalue.panicErr: broken Error"}`},
		{"typed nil error in slice", slog.AnyValue([]error{typedNil}), `["<nil>"]`},
		{"typed nil error in map", slog.AnyValue(map[string]error{"e": typedNil}), `{"e":"<nil>"}`},
		{"nil in []any", slog.AnyValue([]any{nil, 1}), `[null,1]`},
		{"pointer-receiver String on a value", slog.AnyValue(ptrString{"4242424242424242"}), "card ending 4242"},
		{"pointer-receiver String in a slice", slog.AnyValue([]ptrString{{"4242424242424242"}}), `["card ending 4242"]`},
		{"pointer-receiver String on a pointer", slog.AnyValue(&ptrString{"4242424242424242"}), "card ending 4242"},
		{"value-receiver String on a pointer", slog.AnyValue(&valueString{}), "value receiver"},
		{"nil receiver String", slog.AnyValue((*nilStringer)(nil)), "<nil>"},
		{"nil receiver String in a slice", slog.AnyValue([]*nilStringer{nil}), `["<nil>"]`},
		{"panicking String", slog.AnyValue([]any{panicStringer{}}), `["!PANIC in String method of attrvalue.panicStringer: broken String"]`},
		{"LogValuer in a slice", slog.AnyValue([]hidden{{"hunter2"}}), `["[hidden]"]`},
		{"LogValuer in a map", slog.AnyValue(map[string]any{"h": hidden{"hunter2"}}), `{"h":"[hidden]"}`},
		{"LogValuer behind a pointer in a slice", slog.AnyValue([]*hidden{{"hunter2"}}), `["[hidden]"]`},
		{"panicking LogValuer", slog.AnyValue(panicValuer{}), "LogValue panicked…"},
		{"panicking LogValuer in a slice", slog.AnyValue([]any{panicValuer{}}), `["LogValue panicked…`},
		{"self-returning LogValuer", slog.AnyValue(selfValuer{}), "LogValue called too many times…"},
		{"json.Marshaler", slog.AnyValue([]any{rawJSON{}}), `["{\"masked\":true}"]`},
		{"panicking json.Marshaler", slog.AnyValue(panicJSON{}), "!PANIC in MarshalJSON method of attrvalue.panicJSON: broken MarshalJSON"},
		{"json.RawMessage", slog.AnyValue(json.RawMessage(`{"a":1}`)), `{"a":1}`},
		{"cyclic slice", slog.AnyValue(cyclic), `["[cycle]"]`},
		{"cyclic map", slog.AnyValue(cyclicMap), `{"self":"[cycle]"}`},
		{"cyclic pointer", slog.AnyValue(ptr), "[cycle]"},
		{"map keys sorted, keys by String", slog.AnyValue(map[ptrString]int{{"xxxx1111"}: 1, {"xxxx0000"}: 0}), `{"card ending 0000":0,"card ending 1111":1}`},
		{"struct: exported fields", slog.AnyValue(struct{ A, b int }{1, 2}), `{"A":1}`},
		{"struct: json names", slog.AnyValue(tagged{Name: "bob", Skip: "x", Plain: 1, hidden: "h"}), `{"Plain":1,"user_name":"bob"}`},
		{"struct: embedded fields promoted", slog.AnyValue(outer{inner: inner{In: 1}, Out: 2}), `{"In":1,"Out":2}`},
		{"struct: nil embedded pointer", slog.AnyValue(outerPtr{Out: 2}), `{"Out":2}`},
		{"struct: nested, behind a pointer", slog.AnyValue(struct{ User *tagged }{&tagged{Name: "bob"}}), `{"User":{"Plain":0,"user_name":"bob"}}`},
		{"struct: bytes stay bytes", slog.AnyValue(struct{ Body []byte }{[]byte("ab")}), `{"Body":"YWI="}`},
		{"struct: cyclic", slog.AnyValue(selfRef()), `{"Next":"[cycle]"}`},
		{"struct: embedded with a json name nests", slog.AnyValue(namedEmbed{Inner{In: 1}, inner{In: 2}}), `{"in":{"In":1}}`},
		{"struct: shallower field hides a promoted one", slog.AnyValue(shadow{inner: inner{In: 1}, In: 2}), `{"In":2}`},
		{"struct: self-embedding", slog.AnyValue(selfEmbed{&selfEmbed{X: 2}, 1}), `{"X":1}`},
		{"struct: no exported field", slog.AnyValue(struct{ a int }{1}), `{}`},
		{"complex", slog.AnyValue(complex(1, 2)), `{"i":2,"r":1}`},
		{"empty group", slog.GroupValue(), "{}"},
		{"group drops empty members", slog.GroupValue(slog.Attr{}, slog.Group("e"), slog.Int("k", 1)), `{"k":1}`},
		{"group inlines empty keys", slog.GroupValue(slog.Group("", slog.Int("k", 1))), `{"k":1}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := emit(FromSlog(c.v))
			if prefix, ok := strings.CutSuffix(c.want, "…"); ok {
				if !strings.HasPrefix(got, prefix) {
					t.Errorf("got %q, want %q…", got, prefix)
				}
			} else if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestFromSlogBounds: deep and branching values stop at the documented limits.
func TestFromSlogBounds(t *testing.T) {
	deep := slog.IntValue(1)
	for range 10_000 {
		deep = slog.GroupValue(slog.Attr{Key: "g", Value: deep})
	}
	if got := depth(FromSlog(deep)); got != MaxDepth {
		t.Errorf("10,000 nested groups kept %d levels, want %d", got, MaxDepth)
	}
	var nested any = 1
	for range 10_000 {
		nested = []any{nested}
	}
	if got := depth(FromSlog(slog.AnyValue(nested))); got != MaxDepth {
		t.Errorf("10,000 nested slices kept %d levels, want %d", got, MaxDepth)
	}
	// Past the budget, each level still open gets one marker per remaining member.
	if n := count(FromSlog(slog.AnyValue(treeValuer{}))); n > 2*MaxValues {
		t.Errorf("a LogValuer tree expanded into %d values, budget %d", n, MaxValues)
	}
	big := make([]int, 2*MaxValues)
	v := FromSlog(slog.AnyValue(big))
	if n := len(v.AsSlice()); n != MaxValues {
		t.Errorf("%d elements kept, want %d", n, MaxValues)
	}
	if last := v.AsSlice()[MaxValues-1]; last.AsString() != Truncated {
		t.Errorf("last element %v, want %q", last, Truncated)
	}
}

func depth(v attribute.Value) int {
	switch v.Type() {
	case attribute.MAP:
		return 1 + depth(v.AsMap()[0].Value)
	case attribute.SLICE:
		return 1 + depth(v.AsSlice()[0])
	}
	return 0
}

func count(v attribute.Value) int {
	n := 1
	switch v.Type() {
	case attribute.MAP:
		for _, kv := range v.AsMap() {
			n += count(kv.Value)
		}
	case attribute.SLICE:
		for _, e := range v.AsSlice() {
			n += count(e)
		}
	}
	return n
}

func TestAppendSlogAttr(t *testing.T) {
	cases := []struct {
		a    slog.Attr
		want string
	}{
		{slog.Attr{}, ""},
		{slog.Group("g"), ""},
		{slog.Group("g", slog.Attr{}), ""},
		{slog.Group("", "a", 1, "b", 2), "a=1 b=2"},
		{slog.Any("v", hidden{}), "v=[hidden]"},
		{slog.String("", "kept"), "=kept"},
	}
	for _, c := range cases {
		var parts []string
		for _, kv := range AppendSlogAttr(nil, c.a) {
			parts = append(parts, string(kv.Key)+"="+emit(kv.Value))
		}
		if got := strings.Join(parts, " "); got != c.want {
			t.Errorf("%v: got %q, want %q", c.a, got, c.want)
		}
	}
}

// TestText: a value given where a string is wanted reads as the converter reads it, byte
// slices as the text they hold wherever they sit.
func TestText(t *testing.T) {
	cases := []struct {
		x    any
		want string
	}{
		{"boom", "boom"},
		{42, "42"},
		{[]byte("password=hunter2"), "password=hunter2"},
		{[]byte{'a', 0xff}, "a\uFFFD"},
		{struct{ Body []byte }{[]byte("ab")}, `{"Body":"ab"}`},
		{[][]byte{[]byte("ab")}, `["ab"]`},
		{errors.New("failed"), "failed"},
	}
	for _, c := range cases {
		if got := Text(c.x); got != c.want {
			t.Errorf("Text(%#v) = %q, want %q", c.x, got, c.want)
		}
	}
}

// BenchmarkFromSlogStruct: a struct of five fields, converted to a map of its fields, and
// printed with %+v as otelslog does (the stock conversion).
func BenchmarkFromSlogStruct(b *testing.B) {
	type order struct {
		ID       int
		User     string
		Total    float64
		Paid     bool
		Currency string `json:"currency"`
	}
	v := slog.AnyValue(order{1042, "bob", 149.99, true, "EUR"})
	b.Run("fields", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			FromSlog(v)
		}
	})
	b.Run("stock", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			attribute.StringValue(fmt.Sprintf("%+v", v.Any()))
		}
	})
}

// customerName hides itself the way slog.JSONHandler and slog.TextHandler honour: with
// MarshalText.
type customerName string

func (customerName) MarshalText() ([]byte, error) { return []byte("[customer]"), nil }

type account struct{ owner string }

func (*account) MarshalText() ([]byte, error) { return []byte("[account]"), nil }

// TestTextMarshalerHonoured: the converter honours LogValuer, error, Stringer and
// json.Marshaler but not encoding.TextMarshaler, which both slog handlers use: a value the
// application hides with MarshalText is written in clear (the string kind's raw text, or a
// struct's fields with %+v), at the top and in slices.
func TestTextMarshalerHonoured(t *testing.T) {
	for _, x := range []any{customerName("Alice Liddell"), []customerName{"Alice Liddell"}, account{"Alice Liddell"}, &account{"Alice Liddell"}} {
		if got := FromSlog(slog.AnyValue(x)).String(); strings.Contains(got, "Alice") {
			t.Errorf("%T: MarshalText's hiding ignored: %q", x, got)
		}
	}
}

type jsonAndError struct{}

func (jsonAndError) MarshalJSON() ([]byte, error) { return []byte(`"json"`), nil }
func (jsonAndError) Error() string                { return "error" }

type errorAndText struct{}

func (errorAndText) Error() string                { return "error" }
func (errorAndText) MarshalText() ([]byte, error) { return []byte("text"), nil }

type textAndString struct{}

func (textAndString) MarshalText() ([]byte, error) { return []byte("text"), nil }
func (textAndString) String() string               { return "string" }

type failingText struct{}

func (failingText) MarshalText() ([]byte, error) { return nil, errors.New("no") }
func (failingText) String() string               { return "string" }

type panickingText struct{}

func (panickingText) MarshalText() ([]byte, error) { panic("broken MarshalText") }

// TestMethodOrder: a value with several ways to describe itself is described as
// slog.JSONHandler would (MarshalJSON, then Error, then MarshalText), String last; a
// method that fails gives way, one that panics is described.
func TestMethodOrder(t *testing.T) {
	for _, c := range []struct {
		x    any
		want string
	}{
		{jsonAndError{}, `"json"`},
		{errorAndText{}, "error"},
		{textAndString{}, "text"},
		{failingText{}, "string"},
		{panickingText{}, "!PANIC in MarshalText method of attrvalue.panickingText: broken MarshalText"},
	} {
		if got := FromSlog(slog.AnyValue(c.x)).AsString(); got != c.want {
			t.Errorf("%T: %q, want %q", c.x, got, c.want)
		}
	}
}
