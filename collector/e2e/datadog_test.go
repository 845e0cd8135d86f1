package e2e

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/resilog/resilog"
	"github.com/resilog/resilog/collector/collectortest"
	"github.com/resilog/resilog/processor"
)

// TestDatadogFieldsThroughTheShippedConfig runs config/datadog.yaml as its own process in
// front of a collector standing in for the Datadog Agent's OTLP ingest, and checks what the
// Agent would receive: each record's dd.trace_id and dd.span_id are the decimal of its own
// trace and span IDs (the form Datadog joins logs to traces by), and dd.service, dd.env and
// dd.version come from service.name and the deployment.environment.name and
// service.version set in OTEL_RESOURCE_ATTRIBUTES, which the resource carries too (the
// Agent turns them into the service, env and version tags), beside the detected host and
// process. Two of the IDs are ones whose
// digits pass as card numbers: neither resilog's redaction nor the config's may mask them.
func TestDatadogFieldsThroughTheShippedConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the collector as a process")
	}
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	agent := collectortest.Start(t)
	httpAddr, grpcAddr := freeAddr(t), freeAddr(t)
	dd := startProcess(t, t.TempDir(), "datadog", bin, "../config/datadog.yaml", []string{httpAddr, grpcAddr},
		"OTLP_HTTP_LISTEN="+httpAddr, "OTLP_GRPC_LISTEN="+grpcAddr, "DD_AGENT_OTLP_ENDPOINT="+agent.GRPCAddr())
	defer dd.stop()

	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=prod,service.version=1.4.2")
	p := newPipeline(t, resilog.WithEndpoint("http://"+httpAddr), resilog.WithServiceName("orders"),
		resilog.WithCorrelation(processor.CorrelateConfig{Datadog: true}))
	log := p.Logger("github.com/acme/shop/orders")

	const n = 200
	for i := range n {
		var tid trace.TraceID
		var sid trace.SpanID
		binary.BigEndian.PutUint64(tid[:8], uint64(i+1))
		binary.BigEndian.PutUint64(tid[8:], 0x9e3779b97f4a7c15*uint64(i+1))
		binary.BigEndian.PutUint64(sid[:], 0xbf58476d1ce4e5b9*uint64(i+1))
		switch i {
		case 0:
			binary.BigEndian.PutUint64(tid[8:], 5538334915893955021) // a Visa-shaped decimal, Luhn-valid
		case 1:
			binary.BigEndian.PutUint64(sid[:], 6757320758862335044)
		}
		ctx := trace.ContextWithSpanContext(context.Background(),
			trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
		log.InfoContext(ctx, "order created", "order_id", i)
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	decimal := func(hexID string) string {
		b, err := hex.DecodeString(hexID)
		if err != nil || len(b) < 8 {
			return "invalid " + hexID
		}
		return strconv.FormatUint(binary.BigEndian.Uint64(b[len(b)-8:]), 10)
	}
	host, _ := os.Hostname()
	wrong := 0
	for _, r := range agent.WaitForLogs(t, n, 20*time.Second) {
		want := map[string]any{
			"dd.trace_id": decimal(r.TraceID), "dd.span_id": decimal(r.SpanID),
			"dd.service": "orders", "dd.env": "prod", "dd.version": "1.4.2",
		}
		for k, v := range want {
			if r.Attributes[k] != v {
				wrong++
				if wrong <= 10 {
					t.Errorf("record %v (trace %s, span %s): %s = %v, want %v", r.Attributes["order_id"], r.TraceID, r.SpanID, k, r.Attributes[k], v)
				}
			}
		}
		if r.Resource["deployment.environment.name"] != "prod" || r.Resource["service.version"] != "1.4.2" || r.Resource["service.name"] != "orders" {
			t.Errorf("resource %v lacks the service, env and version the Agent tags with", r.Resource)
		}
		// The detected resource travels too: the Agent tags logs with the host.
		if r.Resource["host.name"] != host || r.Resource["process.pid"] != int64(os.Getpid()) || r.Resource["os.type"] != runtime.GOOS {
			t.Errorf("resource %v lacks the detected host.name %q, process.pid %d, os.type", r.Resource, host, os.Getpid())
		}
	}
	if wrong > 0 {
		t.Errorf("%d wrong dd.* fields in %d records", wrong, n)
	}
}
