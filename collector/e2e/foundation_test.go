package e2e

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/resilog/resilog"
	"github.com/resilog/resilog/collector/collectortest"
)

// TestRecordsArriveWithTraceCorrelation logs through the default resilog pipeline over every
// OTLP protocol (protobuf and JSON over HTTP, gRPC) and checks every field the collector
// received.
func TestRecordsArriveWithTraceCorrelation(t *testing.T) {
	for _, proto := range []string{"http/protobuf", "http/json", "grpc"} {
		t.Run(proto, func(t *testing.T) {
			c := collectortest.Start(t)
			endpoint := c.HTTPEndpoint()
			if proto == "grpc" {
				endpoint = c.GRPCEndpoint()
			}
			ctx := context.Background()
			p := newPipeline(t,
				resilog.WithServiceName("e2e-orders"),
				resilog.WithProtocol(proto),
				resilog.WithEndpoint(endpoint),
				resilog.WithLevel(slog.LevelDebug),
			)
			tp := sdktrace.NewTracerProvider()
			defer tp.Shutdown(ctx)
			sctx, span := tp.Tracer("e2e").Start(ctx, "POST /orders")
			log := p.Logger("github.com/acme/shop/orders")
			log.InfoContext(sctx, "order created",
				"order_id", 1042,
				"total", 149.99,
				"paid", true,
				slog.Group("user", "id", 88, slog.Group("address", "city", "Paris")),
			)
			log.With("component", "billing").WithGroup("req").WarnContext(sctx, "slow payment", "ms", 1200)
			log.DebugContext(ctx, "no span here")
			span.End()
			if err := p.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}

			recs := c.WaitForLogs(t, 3, 10*time.Second)
			if len(recs) != 3 {
				t.Fatalf("collector received %d records, want 3", len(recs))
			}
			byBody := map[any]collectortest.LogRecord{}
			for _, r := range recs {
				byBody[r.Body] = r
			}
			sc := span.SpanContext()
			created, ok := byBody["order created"]
			if !ok {
				t.Fatalf("no 'order created' record among %v", recs)
			}
			if created.SeverityNumber != 9 || created.SeverityText != "INFO" {
				t.Errorf("severity = %d %q, want 9 INFO", created.SeverityNumber, created.SeverityText)
			}
			if created.TraceID != sc.TraceID().String() || created.SpanID != sc.SpanID().String() {
				t.Errorf("trace/span = %s/%s, want %s/%s", created.TraceID, created.SpanID, sc.TraceID(), sc.SpanID())
			}
			if got := created.Resource["service.name"]; got != "e2e-orders" {
				t.Errorf("service.name = %v", got)
			}
			if created.Scope != "github.com/acme/shop/orders" {
				t.Errorf("scope = %q", created.Scope)
			}
			wantAttrs := map[string]any{
				"order_id": int64(1042),
				"total":    149.99,
				"paid":     true,
				"user": map[string]any{
					"id":      int64(88),
					"address": map[string]any{"city": "Paris"},
				},
			}
			if !reflect.DeepEqual(created.Attributes, wantAttrs) {
				t.Errorf("attributes = %#v\nwant %#v", created.Attributes, wantAttrs)
			}
			if time.Since(created.Timestamp) > time.Minute {
				t.Errorf("timestamp %v is not the time of the call", created.Timestamp)
			}

			slow := byBody["slow payment"]
			if slow.SeverityNumber != 13 || slow.SeverityText != "WARN" {
				t.Errorf("warn severity = %d %q", slow.SeverityNumber, slow.SeverityText)
			}
			wantSlow := map[string]any{"component": "billing", "req": map[string]any{"ms": int64(1200)}}
			if !reflect.DeepEqual(slow.Attributes, wantSlow) {
				t.Errorf("attributes = %#v, want %#v", slow.Attributes, wantSlow)
			}
			if slow.TraceID != sc.TraceID().String() {
				t.Errorf("warn trace = %s", slow.TraceID)
			}

			debug := byBody["no span here"]
			if debug.SeverityNumber != 5 || debug.TraceID != "" || debug.SpanID != "" {
				t.Errorf("debug record = %+v, want severity 5 and no trace", debug)
			}
		})
	}
}

// TestErrorRecordCarriesException checks that an error attribute reaches the collector as
// exception.* attributes.
func TestErrorRecordCarriesException(t *testing.T) {
	c := collectortest.Start(t)
	ctx := context.Background()
	p := newPipeline(t, resilog.WithServiceName("e2e"), resilog.WithEndpoint(c.HTTPEndpoint()))
	p.Logger("x").ErrorContext(ctx, "charge failed", "cause", fmt.Errorf("charging order 1042: %w", errors.New("card declined")),
		slog.Group("retry", "last_error", errors.New("timeout")))
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	r := c.WaitForLogs(t, 1, 10*time.Second)[0]
	want := map[string]any{
		"cause":             "charging order 1042: card declined",
		"retry":             map[string]any{"last_error": "timeout"},
		"exception.type":    "*errors.errorString",
		"exception.message": "charging order 1042: card declined",
	}
	if r.SeverityNumber != 17 || !reflect.DeepEqual(r.Attributes, want) {
		t.Errorf("record = %d %#v, want severity 17 and %#v", r.SeverityNumber, r.Attributes, want)
	}
}
