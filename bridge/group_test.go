package bridge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/bridge"
	"github.com/resilog/resilog/internal/recordtest"
	"github.com/resilog/resilog/processor"
	"github.com/resilog/resilog/redact"
)

// step is one With or WithGroup call of a generated program.
type step struct {
	name  string
	apply func(l *slog.Logger, i int) *slog.Logger
}

var steps = []step{
	{"With", func(l *slog.Logger, i int) *slog.Logger { return l.With(fmt.Sprintf("a%d", i), i) }},
	{"WithGroup", func(l *slog.Logger, i int) *slog.Logger { return l.WithGroup(fmt.Sprintf("g%d", i)) }},
	{"WithEmptyGroupAttr", func(l *slog.Logger, i int) *slog.Logger { return l.With(slog.Group(fmt.Sprintf("e%d", i))) }},
}

var calls = []struct {
	name string
	args []any
}{
	{"no attrs", nil},
	{"attrs", []any{"k", 1}},
	{"empty and inline groups", []any{slog.Group("empty"), slog.Group("", "i", 2)}},
}

// programs returns every chain of up to three steps.
func programs() [][]step {
	out := [][]step{nil}
	for n := 1; n <= 3; n++ {
		for _, p := range out {
			if len(p) != n-1 {
				continue
			}
			for _, s := range steps {
				out = append(out, append(append([]step(nil), p...), s))
			}
		}
	}
	return out
}

// TestGroupsMatchJSONHandler runs every program of up to three With/WithGroup steps before
// a log call, with and without attributes, through the bridge and through
// slog.JSONHandler: the attributes must have the same shape (groups left empty omitted,
// every level kept), 120 programs in all.
func TestGroupsMatchJSONHandler(t *testing.T) {
	n := 0
	for _, prog := range programs() {
		for _, call := range calls {
			var names []string
			for _, s := range prog {
				names = append(names, s.name)
			}
			name := strings.Join(append(names, call.name), "/")
			run := func(h slog.Handler) {
				l := slog.New(h)
				for i, s := range prog {
					l = s.apply(l, i+1)
				}
				l.Info("m", call.args...)
			}
			var buf bytes.Buffer
			run(slog.NewJSONHandler(&buf, nil))
			want := map[string]any{}
			if err := json.Unmarshal(buf.Bytes(), &want); err != nil {
				t.Fatal(err)
			}
			exp, lp := newPipeline(t)
			run(bridge.NewHandler("groups", bridge.WithLoggerProvider(lp)))
			got := roundTrip(t, recordtest.AsMap(exp.Records()[0]))
			for _, k := range []string{slog.TimeKey, slog.LevelKey, slog.MessageKey} {
				delete(want, k)
				delete(got, k)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s:\n got %v\nwant %v", name, got, want)
			}
			n++
		}
	}
	if n < 35 {
		t.Fatalf("only %d programs", n)
	}
}

func roundTrip(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSourceAndExceptionAtTopLevel: with a group open, the record's own attributes go in it,
// but code.* and exception.* describe the record and stay at the top level.
func TestSourceAndExceptionAtTopLevel(t *testing.T) {
	exp, lp := newPipeline(t)
	l := slog.New(bridge.NewHandler("src", bridge.WithLoggerProvider(lp), bridge.WithSource(true)))
	l.WithGroup("req").Error("failed", "error", fmt.Errorf("boom"))
	got := recordtest.AsMap(exp.Records()[0])
	for _, k := range []string{"code.file.path", "code.line.number", "code.function.name", "exception.type", "exception.message"} {
		if _, ok := got[k]; !ok {
			t.Errorf("%s not at the top level: %v", k, got)
		}
	}
	if req, _ := got["req"].(map[string]any); len(req) != 1 || req["error"] != "boom" {
		t.Errorf("req = %v, want only the record's error", got["req"])
	}
}

// TestPathRuleSeesGroups: a redaction path rule matches the group path the user wrote
// with WithGroup, however many groups were opened before any attribute.
func TestPathRuleSeesGroups(t *testing.T) {
	engine, err := redact.New(redact.Config{Keys: map[string]redact.Kind{"user.address.street": ""}})
	if err != nil {
		t.Fatal(err)
	}
	exp := new(recordtest.Exporter)
	lp := sdklog.NewLoggerProvider(
		sdklog.WithProcessor(processor.NewRedact(engine)),
		sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)))
	defer lp.Shutdown(context.Background())
	l := slog.New(bridge.NewHandler("paths", bridge.WithLoggerProvider(lp)))
	l.WithGroup("user").WithGroup("address").Info("moved", "street", "1 Privet Drive", "city", "Little Whinging")
	got := recordtest.AsMap(exp.Records()[0])
	addr, _ := got["user"].(map[string]any)["address"].(map[string]any)
	if addr == nil || addr["street"] == "1 Privet Drive" || addr["city"] != "Little Whinging" {
		t.Errorf("got %v, want user.address.street masked and city kept", got)
	}
}
