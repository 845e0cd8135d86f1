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

// TestGatewayRedactsServicesBypassingResilog sends what a service that does not use resilog
// would send straight to a gateway (config/gateway.yaml) with a plain OTLP/gRPC client:
// passwords, a DSN, HTTP credentials, API keys and card numbers, in attributes and in string
// and map bodies. gateway.yaml's redaction is the defence in depth for exactly these; the
// gateway's backend must see none of them, and must see ordinary values unchanged.
func TestGatewayRedactsServicesBypassingResilog(t *testing.T) {
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
		// Control: card numbers were masked before the fix too, so a leak above is the
		// configuration's, not a pipeline that skips redaction.
		{"card", "4111111111111111", "paid"},
		{"http.request.header.x-api-key", "k-hunter2", "called"},
		{"upstream", "ok", "retrying with Authorization: Basic Ym9iOmh1bnRlcjI="},
		{"note", "key sk-hunter2hunter2hunter2hunter2 rotated", "rotated"},
		{"aws", "AKIAIOSFODNN7EXAMPLE", "assumed role"},
		{"msg", "ok", "paid with 5500 0000 0000 0004, db_password: hunter2"},
		{"amount", "12", "refund to 3782 822463 10005"},
	}
	for _, c := range cases {
		r := lr.AppendEmpty()
		r.Body().SetStr(c.body)
		r.Attributes().PutStr(c.key, c.value)
	}
	// A structured body, as a non-resilog service may send it.
	mr := lr.AppendEmpty()
	mb := mr.Body().SetEmptyMap()
	mb.PutStr("event", "login")
	mb.PutEmptyMap("user").PutStr("password", "hunter2")
	// Ordinary values the redaction must leave alone.
	plain := lr.AppendEmpty()
	plain.Body().SetStr("basic authentication failed for https://example.com/orders at 12:30:45")
	plain.Attributes().PutInt("gen_ai.usage.input_tokens", 1234)
	plain.Attributes().PutStr("http.url", "https://example.com/orders?id=42")
	plain.Attributes().PutInt("order.id", 4111)
	leaks := []string{"4111111111111111", "Ym9iOmh1bnRlcjI=", "AKIAIOSFODNN7EXAMPLE",
		"5500 0000 0000 0004", "3782 822463 10005"}

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
	got := sink.WaitForLogs(t, len(cases)+2, 10*time.Second)
	sawPlain := false
	for _, r := range got {
		s := fmt.Sprint(r.Body, r.Attributes)
		if strings.Contains(s, "4111111111111111") {
			t.Errorf("control: the gateway did not mask a card number: %s", s)
		}
		if strings.Contains(s, "hunter2") {
			t.Errorf("gateway forwarded a secret to its backend: body=%v attributes=%v", r.Body, r.Attributes)
		}
		for _, l := range leaks {
			if strings.Contains(s, l) {
				t.Errorf("gateway forwarded %q to its backend: body=%v attributes=%v", l, r.Body, r.Attributes)
			}
		}
		if b, ok := r.Body.(string); ok && strings.HasPrefix(b, "basic authentication") {
			sawPlain = true
			want := "basic authentication failed for https://example.com/orders at 12:30:45"
			if b != want {
				t.Errorf("gateway changed an ordinary body: got %q, want %q", b, want)
			}
			if v := fmt.Sprint(r.Attributes["gen_ai.usage.input_tokens"], " ", r.Attributes["http.url"], " ", r.Attributes["order.id"]); v != "1234 https://example.com/orders?id=42 4111" {
				t.Errorf("gateway changed ordinary attributes: %v", r.Attributes)
			}
		}
	}
	if !sawPlain {
		t.Error("the record with ordinary values did not reach the backend")
	}
}

// TestGatewayRedactsSpans sends a span straight to a gateway whose attributes hold a card
// number and a password. The gateway forwards traces to Tempo, a backend like Loki: its
// traces pipeline must redact the span's attributes as the logs pipeline does.
func TestGatewayRedactsSpans(t *testing.T) {
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
