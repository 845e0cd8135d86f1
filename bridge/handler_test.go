package bridge_test

import (
	"context"
	"log/slog"
	"testing"
	"testing/slogtest"

	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/bridge"
	"github.com/resilog/resilog/internal/recordtest"
)

func newPipeline(t testing.TB) (*recordtest.Exporter, *sdklog.LoggerProvider) {
	t.Helper()
	exp := new(recordtest.Exporter)
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)))
	t.Cleanup(func() { _ = lp.Shutdown(context.Background()) })
	return exp, lp
}

// TestSlogtest runs the standard library's handler conformance suite, reading the results
// back from the records that reached the exporter, with each option that adds attributes
// of the bridge's own (which must not disturb the user's groups).
func TestSlogtest(t *testing.T) {
	for name, opts := range map[string][]bridge.Option{
		"default":     nil,
		"source":      {bridge.WithSource(true)},
		"error stack": {bridge.WithErrorStack(true), bridge.WithLevel(slog.LevelDebug)},
	} {
		t.Run(name, func(t *testing.T) {
			var exp *recordtest.Exporter
			slogtest.Run(t, func(t *testing.T) slog.Handler {
				var lp *sdklog.LoggerProvider
				exp, lp = newPipeline(t)
				return bridge.NewHandler("slogtest", append(opts, bridge.WithLoggerProvider(lp))...)
			}, func(t *testing.T) map[string]any {
				recs := exp.Records()
				if len(recs) != 1 {
					t.Fatalf("exported %d records, want 1", len(recs))
				}
				m := recordtest.AsMap(recs[0])
				for _, k := range []string{"code.file.path", "code.line.number", "code.function.name"} {
					delete(m, k) // the record's own, at the top level
				}
				return m
			})
		})
	}
}

func TestScopeIsLoggerName(t *testing.T) {
	exp, lp := newPipeline(t)
	slog.New(bridge.NewHandler("github.com/acme/shop/orders", bridge.WithLoggerProvider(lp))).Info("hi")
	recs := exp.Records()
	if len(recs) != 1 {
		t.Fatalf("exported %d records, want 1", len(recs))
	}
	if got := recs[0].InstrumentationScope().Name; got != "github.com/acme/shop/orders" {
		t.Errorf("scope = %q, want the logger name", got)
	}
}

func TestLevelGate(t *testing.T) {
	exp, lp := newPipeline(t)
	var lv slog.LevelVar
	lv.Set(slog.LevelWarn)
	l := slog.New(bridge.NewHandler("x", bridge.WithLoggerProvider(lp), bridge.WithLevel(&lv)))
	l.Info("dropped by the gate")
	l.Warn("kept")
	lv.Set(slog.LevelDebug)
	l.Debug("kept after the level changed")
	recs := exp.Records()
	if len(recs) != 2 {
		t.Fatalf("exported %d records, want 2", len(recs))
	}
	if got := recs[0].Body().AsString(); got != "kept" {
		t.Errorf("first body = %q", got)
	}
	if got := recs[1].Severity(); got != 5 { // DEBUG
		t.Errorf("second severity = %d, want 5", got)
	}
}

func TestNilContext(t *testing.T) {
	exp, lp := newPipeline(t)
	h := bridge.NewHandler("x", bridge.WithLoggerProvider(lp))
	//lint:ignore SA1012 a nil context is the bad input under test
	if err := h.Handle(nil, slog.NewRecord(timeZero, slog.LevelInfo, "nil ctx", 0)); err != nil { //nolint:staticcheck
		t.Fatal(err)
	}
	if len(exp.Records()) != 1 {
		t.Fatal("record with nil context was not exported")
	}
}

var timeZero = slog.Record{}.Time

// The scope's version and schema URL, as otelslog's WithVersion and WithSchemaURL set them.
func TestScopeVersionAndSchemaURL(t *testing.T) {
	exp, lp := newPipeline(t)
	h := bridge.NewHandler("github.com/acme/shop/orders", bridge.WithLoggerProvider(lp),
		bridge.WithVersion("v1.4.2"), bridge.WithSchemaURL("https://opentelemetry.io/schemas/1.40.0"))
	slog.New(h).With("a", 1).WithGroup("g").Info("hi")
	recs := exp.Records()
	if len(recs) != 1 {
		t.Fatalf("exported %d records, want 1", len(recs))
	}
	s := recs[0].InstrumentationScope()
	if s.Name != "github.com/acme/shop/orders" || s.Version != "v1.4.2" || s.SchemaURL != "https://opentelemetry.io/schemas/1.40.0" {
		t.Errorf("scope = %+v", s)
	}
}
