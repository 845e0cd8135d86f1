package bridge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"

	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/bridge"
	"github.com/resilog/resilog/exporter"
	"github.com/resilog/resilog/internal/recordtest"
	"github.com/resilog/resilog/processor"
	"github.com/resilog/resilog/propagation"
	"github.com/resilog/resilog/redact"
)

// Values the fuzzer composes trees from.
type (
	fuzzPanicErr     struct{}
	fuzzNilErr       struct{}
	fuzzJoinedNil    struct{ errs []error }
	fuzzSelfUnwrap   struct{}
	fuzzPanicValuer  struct{}
	fuzzSelfValuer   struct{}
	fuzzPanicString  struct{}
	fuzzPtrString    struct{ s string }
	fuzzPanicJSON    struct{}
	fuzzGroupValuer  struct{ attrs []slog.Attr }
	fuzzNilStringPtr struct{ s string }
)

func (fuzzPanicErr) Error() string                 { panic("Error") }
func (*fuzzNilErr) Error() string                  { return "nil err" }
func (*fuzzJoinedNil) Error() string               { return "joined" }
func (e *fuzzJoinedNil) Unwrap() []error           { return e.errs }
func (e *fuzzSelfUnwrap) Error() string            { return "self" }
func (e *fuzzSelfUnwrap) Unwrap() error            { return e }
func (fuzzPanicValuer) LogValue() slog.Value       { panic("LogValue") }
func (s fuzzSelfValuer) LogValue() slog.Value      { return slog.AnyValue(s) }
func (fuzzPanicString) String() string             { panic("String") }
func (p *fuzzPtrString) String() string            { return "hidden:" + p.s[:0] }
func (fuzzPanicJSON) MarshalJSON() ([]byte, error) { panic("MarshalJSON") }
func (g fuzzGroupValuer) LogValue() slog.Value     { return slog.GroupValue(g.attrs...) }
func (p *fuzzNilStringPtr) String() string         { return p.s }

// fuzzTree builds slog attributes from data: each byte picks a value class, groups and
// containers take the attributes that follow, and some values refer back to themselves.
type fuzzTree struct {
	data []byte
	keys []string
}

func (f *fuzzTree) next() byte {
	if len(f.data) == 0 {
		return 0
	}
	b := f.data[0]
	f.data = f.data[1:]
	return b
}

func (f *fuzzTree) key() string { return f.keys[int(f.next())%len(f.keys)] }

func (f *fuzzTree) attrs(depth int) []slog.Attr {
	n := int(f.next() % 6)
	out := make([]slog.Attr, 0, n)
	for range n {
		out = append(out, slog.Any(f.key(), f.value(depth)))
	}
	return out
}

func (f *fuzzTree) value(depth int) any {
	var typedNil *fuzzNilErr
	var joined *fuzzJoinedNil
	op := f.next()
	if depth > 40 {
		op %= 16 // leaves only
	}
	switch op % 24 {
	case 0:
		return nil
	case 1:
		n := int(f.next())
		return string(f.data[:min(len(f.data), n)])
	case 2:
		return uint64(1)<<63 + uint64(f.next())
	case 3:
		return fuzzPanicErr{}
	case 4:
		return typedNil
	case 5:
		return error(joined)
	case 6:
		return &fuzzSelfUnwrap{}
	case 7:
		return fuzzPanicValuer{}
	case 8:
		return fuzzSelfValuer{}
	case 9:
		return fuzzPanicString{}
	case 10:
		return fuzzPtrString{"secret"}
	case 11:
		return fuzzPanicJSON{}
	case 12:
		return (*fuzzNilStringPtr)(nil)
	case 13:
		return errors.New("password=hunter2")
	case 14:
		return []byte{0xff, f.next()}
	case 15:
		return -int64(f.next())
	case 16:
		return slog.GroupValue(f.attrs(depth + 1)...)
	case 17:
		return fuzzGroupValuer{f.attrs(depth + 1)}
	case 18:
		s := []any{f.value(depth + 1), nil}
		s[1] = s
		return s
	case 19:
		m := map[string]any{f.key(): f.value(depth + 1)}
		m[f.key()] = m
		return m
	case 20:
		return []error{fuzzPanicErr{}, typedNil, error(joined)}
	case 21:
		return map[string]error{f.key(): typedNil, f.key(): fuzzPanicErr{}}
	case 22:
		v := slog.Int("leaf", 1)
		for range int(f.next()) * 40 {
			v = slog.Group(f.key(), v)
		}
		return slog.GroupValue(v)
	default:
		var p any
		p = &p
		return []any{p, f.value(depth + 1)}
	}
}

// FuzzHandle sends generated attribute trees — typed nils, cycles, panicking methods,
// deep groups, bound with With, WithGroup and propagation.With or logged — through the
// bridge and the processors (dedup, correlation, redaction) to the JSON-lines encoder: no
// panic, and every record comes out as one valid JSON line.
func FuzzHandle(f *testing.F) {
	for _, seed := range [][]byte{
		{3, 1, 3, 4}, {5, 20, 21, 6}, {16, 5, 1, 18, 2, 19, 3}, {22, 250}, {17, 4, 7, 8, 9, 10}, {23, 23, 23, 11, 12, 13, 14},
	} {
		f.Add(seed, "g", uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, group string, shape uint8) {
		engine, err := redact.New(redact.Config{})
		if err != nil {
			t.Fatal(err)
		}
		exp := new(recordtest.Exporter)
		lp := sdklog.NewLoggerProvider(
			sdklog.WithProcessor(processor.NewDedupKeys()),
			sdklog.WithProcessor(processor.NewCorrelate(processor.CorrelateConfig{})),
			sdklog.WithProcessor(processor.NewRedact(engine)),
			sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)))
		defer lp.Shutdown(context.Background())
		tree := &fuzzTree{data: data, keys: []string{"a", "password", "", group, "a.b", "error"}}
		l := slog.New(bridge.NewHandler("fuzz", bridge.WithLoggerProvider(lp), bridge.WithSource(shape&1 != 0)))
		ctx := context.Background()
		if shape&2 != 0 {
			ctx = propagation.With(ctx, anys(tree.attrs(0))...)
		}
		if shape&4 != 0 {
			l = l.With(anys(tree.attrs(0))...)
		}
		if shape&8 != 0 {
			l = l.WithGroup(group)
		}
		if shape&16 != 0 {
			l = l.With(anys(tree.attrs(0))...)
		}
		l.ErrorContext(ctx, "fuzz", anys(tree.attrs(0))...)
		recs := exp.Records()
		if len(recs) != 1 {
			t.Fatalf("%d records", len(recs))
		}
		var buf bytes.Buffer
		if err := exporter.NewJSONLines(&buf).Export(ctx, recs); err != nil {
			t.Fatal(err)
		}
		if lines := bytes.Count(buf.Bytes(), []byte("\n")); lines != 1 {
			t.Fatalf("%d lines: %q", lines, buf.Bytes())
		}
		if !json.Valid(buf.Bytes()) {
			t.Fatalf("invalid JSON: %q", buf.Bytes())
		}
	})
}

func anys(attrs []slog.Attr) []any {
	out := make([]any, len(attrs))
	for i, a := range attrs {
		out[i] = a
	}
	return out
}
