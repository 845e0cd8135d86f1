package bridge_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/bridge"
)

// describe renders everything a converted record carries, attributes in order.
func describe(r sdklog.Record) string {
	var b strings.Builder
	fmt.Fprintf(&b, "time=%d sev=%d text=%q body=%s scope=%q", r.Timestamp().UnixNano(), r.Severity(), r.SeverityText(), r.Body().String(), r.InstrumentationScope().Name)
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		fmt.Fprintf(&b, " %s=%s:%s", kv.Key, kv.Value.Type(), kv.Value.String())
		return true
	})
	return b.String()
}

// TestConversionMatchesOtelslog: where otelslog's conversion is right, the bridge's gives
// the same records. It departs from it on purpose for times (RFC 3339 strings), unsigned
// integers beyond int64 (decimal strings), structs (maps of their fields), chains of
// groups and the user's own hiding:
// see TestConversionDeparts and group_test.go.
func TestConversionMatchesOtelslog(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 30, 0, 123456789, time.UTC)
	cases := []struct {
		name string
		log  func(l *slog.Logger)
	}{
		{"every scalar kind", func(l *slog.Logger) {
			l.Info("scalars", "s", "text", "empty", "", "i", -42, "i64", int64(math.MinInt64), "u", uint64(7),
				"f", 3.25, "b", true, "d", 1500*time.Millisecond)
		}},
		{"more than five attributes", func(l *slog.Logger) {
			l.Warn("many", "a", 1, "b", 2, "c", 3, "d", 4, "e", 5, "f", 6, "g", 7)
		}},
		{"custom levels", func(l *slog.Logger) {
			l.Log(context.Background(), slog.LevelInfo+2, "info+2", "k", "v")
			l.Log(context.Background(), slog.LevelDebug-4, "debug-4")
			l.Log(context.Background(), slog.LevelError+8, "error+8")
		}},
		{"bound scalars", func(l *slog.Logger) {
			l.With("svc", "orders", "shard", 3).With("zone", "eu").Info("bound", "k", "v")
		}},
		{"bound non-scalar", func(l *slog.Logger) {
			l.With("p", []int{1, 2}).Info("slice bound", "k", "v")
		}},
		{"non-scalar attributes", func(l *slog.Logger) {
			l.Info("any", "list", []int{1, 2}, "bytes", []byte("ab"), "m", map[string]int{"a": 1})
		}},
		{"group attribute and empty key", func(l *slog.Logger) {
			l.Info("group", slog.Group("req", "method", "GET", "path", "/"), slog.String("", "ignored"), "k", "v")
			l.Info("inline", slog.Group("", "x", 1))
		}},
		{"log valuer", func(l *slog.Logger) {
			l.Info("valuer", "v", valuer{}, "k", "v")
		}},
		{"with group", func(l *slog.Logger) {
			l.With("top", 1).WithGroup("g").With("in", 2).Info("grouped", "k", "v")
			l.WithGroup("empty").Info("no attributes")
		}},
		{"no attributes", func(l *slog.Logger) {
			l.Error("bare")
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := emitted(t, func(lp *sdklog.LoggerProvider) slog.Handler {
				return bridge.NewHandler("conv", bridge.WithLoggerProvider(lp), bridge.WithLevel(slog.Level(-100)))
			}, c.log, at)
			want := emitted(t, func(lp *sdklog.LoggerProvider) slog.Handler {
				return otelslog.NewHandler("conv", otelslog.WithLoggerProvider(lp))
			}, c.log, at)
			if len(got) != len(want) {
				t.Fatalf("%d records, otelslog gives %d", len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("record %d:\n got %s\nwant %s", i, got[i], want[i])
				}
			}
		})
	}
}

// TestConversionDeparts pins where the bridge knowingly differs from otelslog.
func TestConversionDeparts(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 30, 0, 123456789, time.UTC)
	exp, lp := newPipeline(t)
	l := slog.New(bridge.NewHandler("conv", bridge.WithLoggerProvider(lp)))
	l.Info("m", "t", at, "u_big", uint64(math.MaxUint64), "p", &card{"4242424242424242"}, "v", card{"4242424242424242"},
		"list", []valuer{{}}, "s", point{1, 2}, "ps", &point{3, 4}, "errs", []error{nil, (*brokenErr)(nil), brokenErr{}})
	got := describe(exp.Records()[0])
	for _, want := range []string{
		"t=STRING:2026-11-26T09:30:00.123456789Z",
		"u_big=STRING:18446744073709551615",
		"p=STRING:card ending 4242",
		"v=STRING:card ending 4242",
		"list=SLICE:[7]",
		`s=MAP:{"X":1,"Y":2}`,
		`ps=MAP:{"X":3,"Y":4}`,
		`errs=SLICE:[null,"<nil>","!PANIC in Error method of bridge_test.brokenErr: broken"]`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in\n%s", want, got)
		}
	}
}

type point struct{ X, Y int }

// card hides itself with a String method on its pointer type.
type card struct{ number string }

func (c *card) String() string { return "card ending " + c.number[len(c.number)-4:] }

type brokenErr struct{}

func (brokenErr) Error() string { panic("broken") }

type valuer struct{}

func (valuer) LogValue() slog.Value { return slog.IntValue(7) }

// fixedTime sets every record's time, so that two handlers' records compare equal.
type fixedTime struct {
	slog.Handler
	at time.Time
}

func (h fixedTime) Handle(ctx context.Context, r slog.Record) error {
	r.Time = h.at
	return h.Handler.Handle(ctx, r)
}
func (h fixedTime) WithAttrs(a []slog.Attr) slog.Handler {
	return fixedTime{h.Handler.WithAttrs(a), h.at}
}
func (h fixedTime) WithGroup(n string) slog.Handler { return fixedTime{h.Handler.WithGroup(n), h.at} }

func emitted(t *testing.T, handler func(*sdklog.LoggerProvider) slog.Handler, log func(*slog.Logger), at time.Time) []string {
	t.Helper()
	exp, lp := newPipeline(t)
	log(slog.New(fixedTime{handler(lp), at}))
	var out []string
	for _, r := range exp.Records() {
		out = append(out, describe(r))
	}
	return out
}

// TestSourceOnBothPaths: with WithSource, a record converted by the bridge and one
// converted by otelslog (a struct attribute) end with the same three source attributes.
func TestSourceOnBothPaths(t *testing.T) {
	exp, lp := newPipeline(t)
	l := slog.New(bridge.NewHandler("src", bridge.WithLoggerProvider(lp), bridge.WithSource(true)))
	l.Info("scalar", "k", "v")
	l.Info("struct", "p", struct{ X int }{1})
	recs := exp.Records()
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	for _, r := range recs {
		var kvs []attribute.KeyValue
		r.WalkAttributes(func(kv attribute.KeyValue) bool { kvs = append(kvs, kv); return true })
		if len(kvs) != 4 {
			t.Fatalf("%s: %d attributes, want the record's and three source ones", r.Body().AsString(), len(kvs))
		}
		file, line, fn := kvs[1], kvs[2], kvs[3]
		if file.Key != "code.file.path" || !strings.HasSuffix(file.Value.AsString(), "convert_test.go") ||
			line.Key != "code.line.number" || line.Value.Type() != attribute.INT64 || line.Value.AsInt64() <= 0 ||
			fn.Key != "code.function.name" || !strings.HasSuffix(fn.Value.AsString(), "TestSourceOnBothPaths") {
			t.Errorf("%s: source attributes %v", r.Body().AsString(), kvs[1:])
		}
	}
}
