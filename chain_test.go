package resilog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/exporter"
	"github.com/resilog/resilog/internal/recordtest"
)

// chainSecrets are logged by logChainSecrets; no exporter may receive any of them.
var chainSecrets = []string{"hunter2-S3cret", "4111111111111111", "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"}

func logChainSecrets(l *slog.Logger) {
	l.Error("payment failed with card 4111111111111111", "password", "hunter2-S3cret",
		slog.Group("config", "token", "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"))
}

// checkRedacted fails t if a record of recs holds a secret, or if none was redacted.
func checkRedacted(t *testing.T, where string, recs []sdklog.Record) {
	t.Helper()
	for _, r := range recs {
		all := fmt.Sprint(recordtest.AsMap(r))
		for _, s := range chainSecrets {
			if strings.Contains(all, s) {
				t.Errorf("%s received %q: %s", where, s, all)
			}
		}
		if !strings.Contains(all, "[REDACTED:") {
			t.Errorf("%s: no placeholder in %s", where, all)
		}
	}
}

// checkBalance fails t unless the totals and every exporter's counts balance, and each
// exporter was given want records.
func checkBalance(t *testing.T, s Stats, want uint64) {
	t.Helper()
	if s.Emitted != s.Exported+s.Fallback+s.DroppedTotal {
		t.Errorf("emitted %d != exported %d + fallback %d + dropped %d", s.Emitted, s.Exported, s.Fallback, s.DroppedTotal)
	}
	var sum uint64
	for _, e := range s.Exporters {
		sum += e.Emitted
		if e.Emitted != want || e.Emitted != e.Exported+e.Fallback+e.DroppedTotal {
			t.Errorf("exporter %s: emitted %d (want %d) != exported %d + fallback %d + dropped %d",
				e.Name, e.Emitted, want, e.Exported, e.Fallback, e.DroppedTotal)
		}
	}
	if sum != s.Emitted {
		t.Errorf("the exporters' emitted sum to %d, the total is %d", sum, s.Emitted)
	}
}

func TestAdditionalExporterSeesEveryRecordRedacted(t *testing.T) {
	ctx := context.Background()
	primary, audit := new(recordtest.Exporter), new(recordtest.Exporter)
	p, err := New(ctx, envOf(nil), WithSDKExporter(primary), WithAdditionalExporter("audit", audit))
	if err != nil {
		t.Fatal(err)
	}
	l := p.Logger("github.com/acme/shop/checkout")
	logChainSecrets(l)
	l.Info("second")
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for name, e := range map[string]*recordtest.Exporter{"the primary": primary, "the additional exporter": audit} {
		if n := len(e.Records()); n != 2 {
			t.Errorf("%s received %d records, want 2", name, n)
		}
		// The ERROR is exported at once, "second" at Shutdown: by two of the concurrent
		// exports, in either order.
		var secrets []sdklog.Record
		for _, r := range e.Records() {
			if r.Body().AsString() != "second" {
				secrets = append(secrets, r)
			}
		}
		if len(secrets) != 1 {
			t.Errorf("%s received %d records with secrets, want 1", name, len(secrets))
		}
		checkRedacted(t, name, secrets)
	}
	s := p.Stats()
	checkBalance(t, s, 2)
	if len(s.Exporters) != 2 || s.Exporters[0].Name != "custom" || s.Exporters[1].Name != "audit" {
		t.Fatalf("exporters = %+v, want custom then audit", s.Exporters)
	}
	if s.Emitted != 4 || s.Exported != 4 {
		t.Errorf("totals: emitted %d exported %d, want 4 deliveries of 2 records to 2 exporters", s.Emitted, s.Exported)
	}
}

// failingExporter refuses every batch for good (a permanent error: no retry).
type failingExporter struct{ recordtest.Exporter }

func (*failingExporter) Export(context.Context, []sdklog.Record) error {
	return &exporter.ExportError{Err: errors.New("400 Bad Request"), Permanent: true}
}

// One exporter failing sends its records to the shared fallback; the other exporter
// still gets every record, and each is counted where it ended.
func TestExportersFailIndependently(t *testing.T) {
	ctx := context.Background()
	primary, fallback := new(recordtest.Exporter), new(recordtest.Exporter)
	p, err := New(ctx, envOf(nil), WithSDKExporter(primary), WithAdditionalExporter("broken", new(failingExporter)),
		WithAdditionalExporter("audit", new(recordtest.Exporter)), WithFallback(fallback))
	if err != nil {
		t.Fatal(err)
	}
	logChainSecrets(p.Logger("github.com/acme/shop/checkout"))
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	s := p.Stats()
	checkBalance(t, s, 1)
	if n := len(primary.Records()); n != 1 {
		t.Errorf("the primary received %d records, want 1", n)
	}
	checkRedacted(t, "the fallback", fallback.Records())
	if len(fallback.Records()) != 1 || s.Exporters[1].Fallback != 1 || s.Exporters[0].Exported != 1 || s.Exporters[2].Exported != 1 {
		t.Errorf("fallback got %d records; exporters %+v", len(fallback.Records()), s.Exporters)
	}
	if s.PermanentFailures != 1 || s.LastExportError == "" {
		t.Errorf("permanent failures %d, last error %q", s.PermanentFailures, s.LastExportError)
	}
}

// The fallback a list shares stays open until the last exporter using it shuts it
// down: the first exporter's Shutdown must not close it under the others.
func TestSharedFallbackShutsDownOnce(t *testing.T) {
	ctx := context.Background()
	fb := &countingShutdown{}
	share := shareFallback(fb, 3)
	a, b, c := share(), share(), share()
	_ = a.Shutdown(ctx)
	_ = a.Shutdown(ctx)
	_ = b.Shutdown(ctx)
	if fb.n != 0 {
		t.Fatalf("shut down %d times while an exporter still uses it", fb.n)
	}
	_ = c.Shutdown(ctx)
	if fb.n != 1 {
		t.Fatalf("shut down %d times, want 1", fb.n)
	}
}

type countingShutdown struct {
	recordtest.Exporter
	n int
}

func (c *countingShutdown) Shutdown(context.Context) error { c.n++; return nil }

func TestExporterListFromEnvironment(t *testing.T) {
	s, err := resolveWith(t, map[string]string{"OTEL_LOGS_EXPORTER": " OTLP , console"})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(s.exporters) != "[otlp console]" {
		t.Errorf("exporters = %q", s.exporters)
	}
	if s, err := resolveWith(t, map[string]string{"OTEL_LOGS_EXPORTER": "otlp,console"}, WithExporter("console")); err != nil || fmt.Sprint(s.exporters) != "[console]" {
		t.Errorf("WithExporter must beat the variable: %q, %v", s.exporters, err)
	}
}

// The console exporter of a list writes stdout; with the list, New builds one delivery
// unit per exporter, accounted for by name.
func TestExporterListBuildsOneUnitEach(t *testing.T) {
	ctx := context.Background()
	p, err := New(ctx, envOf(map[string]string{"OTEL_LOGS_EXPORTER": "otlp,console",
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}), WithFallback(exporter.NewJSONLines(new(strings.Builder))))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	s := p.Stats()
	if len(s.Exporters) != 2 || s.Exporters[0].Name != "otlp" || s.Exporters[1].Name != "console" {
		t.Fatalf("exporters = %+v", s.Exporters)
	}
}

// NewProcessor plugs the chain into the application's own provider: records are
// redacted before any processor registered after it, levels gate by scope, and the
// accounting balances.
func TestProcessorInTheApplicationsProvider(t *testing.T) {
	ctx := context.Background()
	exp, theirs := new(recordtest.Exporter), new(recordtest.Exporter)
	proc, err := NewProcessor(ctx, envOf(map[string]string{"RESILOG_LOG_LEVELS": "warn,github.com/acme/shop=debug"}), WithSDKExporter(exp))
	if err != nil {
		t.Fatal(err)
	}
	provider := sdklog.NewLoggerProvider(sdklog.WithProcessor(proc), sdklog.WithProcessor(sdklog.NewSimpleProcessor(theirs)))
	shop := otelslog.NewLogger("github.com/acme/shop/checkout", otelslog.WithLoggerProvider(provider))
	other := otelslog.NewLogger("example.com/somelib", otelslog.WithLoggerProvider(provider))
	logChainSecrets(shop)
	shop.Debug("shop debug")
	logChainSecrets(other.With()) // at ERROR: passes
	other.Info("somelib info", "password", "hunter2-S3cret")
	other.Warn("somelib warn")

	param := sdklog.EnabledParameters{Severity: log.SeverityInfo}
	param.InstrumentationScope.Name = "example.com/somelib"
	if proc.Enabled(ctx, param) {
		t.Error("Enabled: INFO for example.com/somelib passes under warn")
	}
	param.InstrumentationScope.Name, param.Severity = "github.com/acme/shop/db", log.SeverityDebug
	if !proc.Enabled(ctx, param) {
		t.Error("Enabled: DEBUG for github.com/acme/shop/db is refused under shop=debug")
	}
	proc.Levels().Set("error")
	other.Warn("after set")

	if err := provider.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	// Batches are exported by several workers at once (one Export at a time for an
	// exporter of the application's, but in no set order): compare without order.
	var msgs []string
	var secret []sdklog.Record
	for _, r := range exp.Records() {
		switch m := r.Body().AsString(); m {
		case "shop debug", "somelib warn":
			msgs = append(msgs, m)
		default:
			secret = append(secret, r)
		}
	}
	slices.Sort(msgs)
	if len(secret) != 2 || !slices.Equal(msgs, []string{"shop debug", "somelib warn"}) {
		t.Errorf("exported %q and %d other records, want shop debug, somelib warn and the secret record twice", msgs, len(secret))
	}
	checkRedacted(t, "the exporter", secret)
	// A processor after resilog's sees every record, those below their level included
	// (the SDK calls each processor): redacted.
	if got := theirs.Records(); len(got) != 6 {
		t.Errorf("the application's processor received %d records, want 6", len(got))
	} else {
		checkRedacted(t, "a processor registered after resilog's", []sdklog.Record{got[0], got[2]})
		checkRedacted(t, "a processor registered after resilog's (below the level)", got[3:4])
	}
	checkBalance(t, proc.Stats(), 4)
	if err := proc.Shutdown(ctx); err != nil {
		t.Errorf("a second Shutdown: %v", err)
	}
}

// Disabled, or with exporter none, the processor exports nothing (disabled, it writes the
// records to stdout through the console exporter, as New does), and still redacts for
// the processors after it.
func TestProcessorWithoutExporterStillRedacts(t *testing.T) {
	for _, env := range []map[string]string{{"OTEL_SDK_DISABLED": "true"}, {"OTEL_LOGS_EXPORTER": "none"}} {
		ctx := context.Background()
		exp, theirs := new(recordtest.Exporter), new(recordtest.Exporter)
		opts := []Option{envOf(env)}
		if env["OTEL_SDK_DISABLED"] != "" {
			opts = append(opts, WithSDKExporter(exp))
		}
		proc, err := NewProcessor(ctx, opts...)
		if err != nil {
			t.Fatal(err)
		}
		provider := sdklog.NewLoggerProvider(sdklog.WithProcessor(proc), sdklog.WithProcessor(sdklog.NewSimpleProcessor(theirs)))
		logChainSecrets(otelslog.NewLogger("x", otelslog.WithLoggerProvider(provider)))
		if err := provider.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(exp.Records()); n != 0 {
			t.Errorf("%v: exported %d records", env, n)
		}
		if len(theirs.Records()) != 1 {
			t.Fatalf("%v: the application's processor received %d records", env, len(theirs.Records()))
		}
		checkRedacted(t, fmt.Sprintf("%v: a processor registered after resilog's", env), theirs.Records())
		s := proc.Stats()
		if env["OTEL_SDK_DISABLED"] != "" {
			if s.Emitted != 1 || len(s.Exporters) != 1 || s.Exporters[0].Name != ExporterConsole {
				t.Errorf("%v: stats %+v, want the record to the console exporter alone", env, s)
			}
		} else if s.Emitted != 0 || len(s.Exporters) != 0 {
			t.Errorf("%v: stats %+v", env, s)
		}
	}
}
