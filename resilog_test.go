package resilog

import (
	"context"
	"errors"
	stdlog "log"
	"log/slog"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"

	"github.com/resilog/resilog/internal/recordtest"
)

func TestPipelineEndToEndInMemory(t *testing.T) {
	ctx := context.Background()
	exp := new(recordtest.Exporter)
	p, err := New(ctx, envOf(map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=test,service.name=env"}),
		WithServiceName("orders"), WithResourceAttributes(attribute.String("team", "shop")), WithSDKExporter(exp))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider()
	sctx, span := tp.Tracer("t").Start(ctx, "op")
	p.Logger("github.com/acme/shop/orders").InfoContext(sctx, "order created", "order_id", 1042)
	span.End()
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	recs := exp.Records()
	if len(recs) != 1 {
		t.Fatalf("exported %d records, want 1", len(recs))
	}
	r := recs[0]
	if r.TraceID() != span.SpanContext().TraceID() || r.SpanID() != span.SpanContext().SpanID() {
		t.Errorf("trace/span = %s/%s, want %s/%s", r.TraceID(), r.SpanID(), span.SpanContext().TraceID(), span.SpanContext().SpanID())
	}
	set := r.Resource().Set()
	if v, _ := set.Value(semconv.ServiceNameKey); v.AsString() != "orders" {
		t.Errorf("service.name = %q, want the option to beat OTEL_RESOURCE_ATTRIBUTES", v.AsString())
	}
	if v, _ := set.Value("deployment.environment"); v.AsString() != "test" {
		t.Errorf("deployment.environment = %q, want it from OTEL_RESOURCE_ATTRIBUTES", v.AsString())
	}
	if v, _ := set.Value("team"); v.AsString() != "shop" {
		t.Errorf("team = %q", v.AsString())
	}
	if r.InstrumentationScope().Name != "github.com/acme/shop/orders" {
		t.Errorf("scope = %q", r.InstrumentationScope().Name)
	}
	// A second Shutdown returns the first result and logging after it is harmless.
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	p.Logger("x").Info("after shutdown")
}

func TestServiceNameFromResourceAttributes(t *testing.T) {
	exp := new(recordtest.Exporter)
	p, err := New(context.Background(), envOf(map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attrs"}), WithSDKExporter(exp))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := p.Resource().Set().Value(semconv.ServiceNameKey); v.AsString() != "from-attrs" {
		t.Errorf("service.name = %q", v.AsString())
	}
}

func TestDisabledPipelineDiscards(t *testing.T) {
	exp := new(recordtest.Exporter)
	p, err := New(context.Background(), envOf(map[string]string{"OTEL_SDK_DISABLED": "true"}), WithSDKExporter(exp))
	if err != nil {
		t.Fatal(err)
	}
	p.Logger("x").Error("nothing")
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(exp.Records()); n != 0 {
		t.Fatalf("disabled pipeline exported %d records", n)
	}
}

func TestExporterNone(t *testing.T) {
	p, err := New(context.Background(), envOf(map[string]string{"OTEL_LOGS_EXPORTER": "none"}))
	if err != nil {
		t.Fatal(err)
	}
	p.Logger("x").Info("goes nowhere")
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestInvalidResourceAttributes(t *testing.T) {
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "novalue")
	_, err := New(context.Background(), WithSDKExporter(new(recordtest.Exporter)))
	if !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("err = %v, want ErrInvalidConfig", err)
	}
}

func TestWithGlobal(t *testing.T) {
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	exp := new(recordtest.Exporter)
	p, err := New(context.Background(), envOf(nil), WithServiceName("svc"), WithSDKExporter(exp), WithGlobal())
	if err != nil {
		t.Fatal(err)
	}
	slog.Info("via default")
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if recs := exp.Records(); len(recs) != 1 || recs[0].InstrumentationScope().Name != "svc" {
		t.Fatalf("records = %v", recs)
	}
}

func TestLevelsByPrefix(t *testing.T) {
	exp := new(recordtest.Exporter)
	p, err := New(context.Background(), envOf(map[string]string{"RESILOG_LOG_LEVELS": "warn,github.com/acme/shop=debug"}), WithSDKExporter(exp))
	if err != nil {
		t.Fatal(err)
	}
	p.Logger("github.com/acme/shop/orders").Debug("kept")
	p.Logger("github.com/acme/shopping").Info("dropped by the default")
	if err := p.Levels().Set("error"); err != nil {
		t.Fatal(err)
	}
	p.Logger("github.com/acme/shop/orders").Warn("dropped after the change")
	_ = p.Shutdown(context.Background())
	if recs := exp.Records(); len(recs) != 1 || recs[0].Body().AsString() != "kept" {
		t.Fatalf("records %v", recs)
	}
}

func TestGlobalCapturesStdLogButNotOtelErrors(t *testing.T) {
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	exp := new(recordtest.Exporter)
	p, err := New(context.Background(), envOf(nil), WithServiceName("svc"), WithSDKExporter(exp), WithGlobal(), WithSource())
	if err != nil {
		t.Fatal(err)
	}
	stdlog.Printf("from the standard log package")
	otel.Handle(errors.New("exporter exploded")) // must go to stderr, not into the pipeline
	slog.Info("from slog.Default")
	_ = p.Shutdown(context.Background())
	recs := exp.Records()
	if len(recs) != 2 || recs[0].Body().AsString() != "from the standard log package" {
		t.Fatalf("records %v", recs)
	}
	if _, ok := recordtest.AsMap(recs[0])["code.file.path"]; ok {
		t.Error("empty source attributes on a record without a call site")
	}
	m := recordtest.AsMap(recs[1])
	if f, _ := m["code.file.path"].(string); !strings.HasSuffix(f, "resilog_test.go") || m["code.line.number"] == int64(0) {
		t.Errorf("WithSource: %v", m)
	}
}
