package e2e

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"

	"github.com/resilog/resilog"
	"github.com/resilog/resilog/collector/collectortest"
	"github.com/resilog/resilog/exporter"
)

// checkNoSecret fails t if text holds one of secrets, or no placeholder.
func checkNoSecret(t *testing.T, where, text string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s received %q: %s", where, s, text)
		}
	}
	if !strings.Contains(text, "[REDACTED:") {
		t.Errorf("%s: no placeholder in %s", where, text)
	}
}

// checkExporters fails t unless Stats lists the exporters names, in order, each given
// n records and having delivered them all.
func checkExporters(t *testing.T, s resilog.Stats, n uint64, names ...string) {
	t.Helper()
	var got []string
	for _, e := range s.Exporters {
		got = append(got, e.Name)
		if e.Emitted != n || e.Exported != n || e.Emitted != e.Exported+e.Fallback+e.DroppedTotal {
			t.Errorf("exporter %s: emitted %d exported %d fallback %d dropped %d, want %d exported", e.Name, e.Emitted, e.Exported, e.Fallback, e.DroppedTotal, n)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(names) {
		t.Errorf("exporters %v, want %v", got, names)
	}
	if s.Emitted != n*uint64(len(names)) {
		t.Errorf("emitted %d, want %d records delivered to %d exporters", s.Emitted, n, len(names))
	}
}

// OTEL_LOGS_EXPORTER=otlp,console: each record reaches the collector and stdout, redacted
// in both, and each exporter is accounted for.
func TestExporterListReachesCollectorAndStdout(t *testing.T) {
	c := collectortest.Start(t)
	t.Setenv("OTEL_LOGS_EXPORTER", "otlp,console")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w // read by New: the console exporter writes to the pipe
	t.Cleanup(func() { os.Stdout = stdout })
	read := make(chan string)
	go func() { b, _ := io.ReadAll(r); read <- string(b) }()

	p := newPipeline(t, resilog.WithEndpoint(c.HTTPEndpoint()))
	os.Stdout = stdout
	logSecrets(p)
	p.Logger("github.com/acme/shop/checkout").Info("second")
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	lines := strings.Split(strings.TrimSpace(<-read), "\n")
	got := c.WaitForLogs(t, 2, 10*time.Second)

	if len(lines) != 2 || len(got) != 2 {
		t.Fatalf("stdout has %d lines, the collector %d records; want 2 each:\n%s", len(lines), len(got), strings.Join(lines, "\n"))
	}
	// The ERROR record is exported at once, the other with the next batch: either may
	// come first.
	checkNoSecret(t, "stdout (console exporter)", strings.Join(lines, "\n"))
	checkNoSecret(t, "the collector", fmt.Sprint(got[0].Body, got[0].Attributes, got[1].Body, got[1].Attributes))
	checkExporters(t, p.Stats(), 2, "otlp", "console")
}

// A second sink added in code sees the records redacted, as the collector does.
func TestAdditionalExporterSeesOnlyRedactedRecords(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			c := collectortest.Start(t)
			audit := new(lockedBuffer)
			p := newPipeline(t, resilog.WithProtocol(proto), resilog.WithEndpoint(endpointFor(c, proto)),
				resilog.WithAdditionalExporter("audit", exporter.NewJSONLines(audit)))
			logSecrets(p)
			if err := p.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			got := c.WaitForLogs(t, 1, 10*time.Second)
			lines := audit.lines()
			if len(lines) != 1 || len(got) != 1 {
				t.Fatalf("the additional exporter wrote %d lines, the collector received %d records; want 1 each", len(lines), len(got))
			}
			checkNoSecret(t, "the additional exporter", string(lines[0]))
			checkNoSecret(t, "the collector", fmt.Sprint(got[0].Body, got[0].Attributes))
			checkExporters(t, p.Stats(), 1, "otlp", "audit")
		})
	}
}

// An application that builds its own LoggerProvider plugs resilog's chain in with
// NewProcessor: records reach the real collector redacted, with the application's
// resource, the accounting balances, and Shutdown leaves no goroutine behind.
func TestApplicationsProviderWithResilogProcessor(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			c := collectortest.Start(t)
			label := fmt.Sprintf("%s#%d", t.Name(), pipelineSeq.Add(1))
			before := goroutineIDs(libraryGoroutines())
			var proc *resilog.Processor
			var err error
			pprof.Do(context.Background(), pprof.Labels(pipelineLabel, label), func(ctx context.Context) {
				proc, err = resilog.NewProcessor(ctx, resilog.WithProtocol(proto), resilog.WithEndpoint(endpointFor(c, proto)),
					resilog.WithLevels("warn,github.com/acme/shop=info"))
			})
			if err != nil {
				t.Fatal(err)
			}
			res := resource.NewSchemaless(semconv.ServiceName("orders"))
			provider := sdklog.NewLoggerProvider(sdklog.WithResource(res), sdklog.WithProcessor(proc),
				sdklog.WithAttributeCountLimit(-1), sdklog.WithAttributeValueLengthLimit(-1))
			logSecretsTo(otelslog.NewLogger("github.com/acme/shop/checkout", otelslog.WithLoggerProvider(provider)))
			lib := otelslog.NewLogger("example.com/somelib", otelslog.WithLoggerProvider(provider))
			lib.Info("below the library's level")
			lib.Warn("library warning")

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := provider.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			got := c.WaitForLogs(t, 2, 10*time.Second)
			if len(got) != 2 {
				t.Fatalf("the collector received %d records, want 2", len(got))
			}
			// Concurrent exports: the ERROR record, flushed at once, may come first or not.
			secret, warning := got[0], got[1]
			if secret.Scope != "github.com/acme/shop/checkout" {
				secret, warning = warning, secret
			}
			checkNoSecret(t, "the collector", fmt.Sprint(secret.Body, secret.Attributes))
			if warning.Body != "library warning" || warning.Scope != "example.com/somelib" || secret.Resource["service.name"] != "orders" {
				t.Errorf("records %+v", got)
			}
			checkExporters(t, proc.Stats(), 2, "otlp")
			if left := waitGoroutines(label, before, 0); len(left) > 0 {
				t.Errorf("%d goroutines left after the provider's Shutdown:\n%s", len(left), strings.Join(left, "\n"))
			}
		})
	}
}
