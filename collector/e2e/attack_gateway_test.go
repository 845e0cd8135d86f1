package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/resilog/resilog/collector/collectortest"
)

// TestAttackGatewayRedactsBypass sends what a service that does not use resilog would send
// straight to a gateway (config/gateway.yaml) with a plain OTLP/gRPC client: a password in an
// attribute and in the body. gateway.yaml promises that "records from services that do not
// use resilog are redacted here before any backend sees them"; the gateway's backend must
// not see hunter2.
func TestAttackGatewayRedactsBypass(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the collector as a process")
	}
	dir := t.TempDir()
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	sink := collectortest.Start(t)
	addr := freeAddr(t)
	gw := startProcess(t, dir, "gateway", bin, "../config/gateway.yaml", []string{addr},
		"OTLP_GRPC_LISTEN="+addr,
		"LOKI_OTLP_ENDPOINT="+sink.HTTPEndpoint(),
		"TEMPO_OTLP_ENDPOINT="+sink.GRPCAddr())
	defer gw.stop()

	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "legacy-billing")
	lr := rl.ScopeLogs().AppendEmpty().LogRecords()
	cases := []struct{ key, value, body string }{
		{"password", "hunter2", "login ok"},
		{"msg", "ok", "login user=bob password=hunter2"},
		{"db.url", "postgres://bob:hunter2@db:5432/orders", "connecting"},
		{"authorization", "Bearer hunter2hunter2hunter2", "request"},
		// Control: what the gateway's redaction is configured for (card numbers) is masked,
		// so the leaks above are the configuration's, not a pipeline that skips redaction.
		{"card", "4111111111111111", "paid"},
	}
	for _, c := range cases {
		r := lr.AppendEmpty()
		r.Body().SetStr(c.body)
		r.Attributes().PutStr(c.key, c.value)
	}

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := plogotlp.NewGRPCClient(conn).Export(ctx, plogotlp.NewExportRequestFromLogs(ld)); err != nil {
		t.Fatalf("gateway refused the export: %v", err)
	}
	got := sink.WaitForLogs(t, len(cases), 10*time.Second)
	for _, r := range got {
		s := fmt.Sprint(r.Body, r.Attributes)
		if strings.Contains(s, "4111111111111111") {
			t.Errorf("control: the gateway did not mask a card number: %s", s)
		}
		if strings.Contains(s, "hunter2") {
			t.Errorf("gateway forwarded a secret to its backend: body=%v attributes=%v", r.Body, r.Attributes)
		}
	}
}

// TestAttackGatewayRedactsSpans sends a span straight to a gateway whose attribute holds a
// card number, the one thing gateway.yaml's redaction is configured to mask (its logs
// control above shows it is masked there). The gateway forwards traces to Tempo, a backend
// like Loki: the span's attributes must not reach it unmasked either.
func TestAttackGatewayRedactsSpans(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the collector as a process")
	}
	dir := t.TempDir()
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	sink := collectortest.Start(t)
	addr := freeAddr(t)
	gw := startProcess(t, dir, "gateway", bin, "../config/gateway.yaml", []string{addr},
		"OTLP_GRPC_LISTEN="+addr,
		"LOKI_OTLP_ENDPOINT="+sink.HTTPEndpoint(),
		"TEMPO_OTLP_ENDPOINT="+sink.GRPCAddr())
	defer gw.stop()

	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "legacy-billing")
	sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetName("charge")
	sp.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	sp.SetSpanID(pcommon.SpanID{1, 2, 3, 4, 5, 6, 7, 8})
	sp.Attributes().PutStr("card", "4111111111111111")
	sp.Attributes().PutStr("password", "hunter2")

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := ptraceotlp.NewGRPCClient(conn).Export(ctx, ptraceotlp.NewExportRequestFromTraces(td)); err != nil {
		t.Fatalf("gateway refused the export: %v", err)
	}
	for _, s := range sink.WaitForSpans(t, 1, 10*time.Second) {
		if a := fmt.Sprint(s.Attributes); strings.Contains(a, "4111111111111111") || strings.Contains(a, "hunter2") {
			t.Errorf("gateway forwarded a span's secrets to its backend: %v", s.Attributes)
		}
	}
}
