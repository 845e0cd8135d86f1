package resilog

import (
	"context"
	"errors"
	"fmt"
	stdlog "log"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"

	"github.com/resilog/resilog/internal/recordtest"
	"github.com/resilog/resilog/propagation"
	"github.com/resilog/resilog/redact"
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

// limitEnv sets the limit variables both in the process environment, where the SDK reads
// them, and in the lookup New uses, so that the test sees what a deployment would.
func limitEnv(t *testing.T, kv map[string]string) Option {
	for k, v := range kv {
		t.Setenv(k, v)
	}
	return envOf(kv)
}

// logOne logs with the pipeline built from opts and returns the one exported record and
// the pipeline's stats after Shutdown.
func logOne(t *testing.T, log func(*slog.Logger), opts ...Option) (map[string]any, int, Stats) {
	t.Helper()
	exp := new(recordtest.Exporter)
	p, err := New(context.Background(), append(opts, WithSDKExporter(exp))...)
	if err != nil {
		t.Fatal(err)
	}
	log(p.Logger("x"))
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	recs := exp.Records()
	if len(recs) != 1 {
		t.Fatalf("exported %d records, want 1", len(recs))
	}
	return recordtest.AsMap(recs[0]), recs[0].DroppedAttributes(), p.Stats()
}

func TestValueLengthLimitCutsAfterRedaction(t *testing.T) {
	for _, tc := range []struct {
		limit, value, leak string
		truncated          uint64
	}{
		{"14", "4242 4242 4242 4242", "4242 4242 4242", 0}, // masked to ****4242: nothing left to cut
		{"40", "upstream said: api key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789", "sk-proj-abc", 1},
	} {
		t.Run(tc.limit, func(t *testing.T) {
			env := limitEnv(t, map[string]string{"OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT": tc.limit})
			got, _, st := logOne(t, func(l *slog.Logger) { l.Info("m", "note", tc.value) }, env)
			note, _ := got["note"].(string)
			if strings.Contains(note, tc.leak) {
				t.Errorf("note = %q: the limit cut the secret before redaction saw it", note)
			}
			if n, _ := strconv.Atoi(tc.limit); utf8.RuneCountInString(note) > n {
				t.Errorf("note = %q: longer than the limit %d", note, n)
			}
			if st.AttributesTruncated != tc.truncated {
				t.Errorf("AttributesTruncated = %d, want %d", st.AttributesTruncated, tc.truncated)
			}
		})
	}
}

func TestCountLimitKeepsCorrelationAndExceptions(t *testing.T) {
	ctx := propagation.WithRequestID(context.Background(), "req-7")
	ctx = propagation.With(ctx, "tenant", "acme")
	t.Run("limit 3", func(t *testing.T) {
		env := limitEnv(t, map[string]string{"OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT": "3"})
		got, dropped, st := logOne(t, func(l *slog.Logger) {
			l.InfoContext(ctx, "m", "a", 1, "b", 2, "c", 3, "d", 4)
		}, env)
		if got["request.id"] != "req-7" || got["tenant"] != "acme" {
			t.Errorf("record = %v: request.id and the bound attribute must be kept first", got)
		}
		if dropped != 3 || st.AttributesDropped != 3 {
			t.Errorf("record's dropped count %d, Stats.AttributesDropped %d, want 3 and 3", dropped, st.AttributesDropped)
		}
		if got["a"] != int64(1) {
			t.Errorf("record = %v: the first user attribute fills the last place", got)
		}
	})
	t.Run("default 128", func(t *testing.T) {
		env := limitEnv(t, map[string]string{})
		got, dropped, st := logOne(t, func(l *slog.Logger) {
			args := make([]any, 0, 260)
			for i := range 130 {
				args = append(args, fmt.Sprintf("k%03d", i), i)
			}
			l.ErrorContext(ctx, "m", append(args, "err", errors.New("boom"))...)
		}, env)
		if got["request.id"] != "req-7" || got["tenant"] != "acme" || got["exception.message"] != "boom" {
			t.Errorf("request.id=%v tenant=%v exception.message=%v: correlation and exception attributes must be kept first",
				got["request.id"], got["tenant"], got["exception.message"])
		}
		if len(got) != 128+3 { // + msg, level and time, which AsMap adds
			t.Errorf("record has %d attributes, want 128", len(got)-3)
		}
		if dropped == 0 || uint64(dropped) != st.AttributesDropped {
			t.Errorf("record's dropped count %d, Stats.AttributesDropped %d", dropped, st.AttributesDropped)
		}
	})
}

func TestResourceAttributesAreRedacted(t *testing.T) {
	exp := new(recordtest.Exporter)
	p, err := New(context.Background(),
		envOf(map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "db.password=hunter2,service.namespace=shop,note=card%204242424242424242"}),
		WithResourceAttributes(attribute.String("api_key", "AKIAIOSFODNN7EXAMPLE")), WithServiceName("orders"), WithSDKExporter(exp))
	if err != nil {
		t.Fatal(err)
	}
	p.Logger("x").Info("m")
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, res := range []string{p.Resource().String(), exp.Records()[0].Resource().String()} {
		for _, secret := range []string{"hunter2", "4242424242424242", "AKIAIOSFODNN7EXAMPLE"} {
			if strings.Contains(res, secret) {
				t.Errorf("resource %s holds %q", res, secret)
			}
		}
		if !strings.Contains(res, "service.namespace=shop") || !strings.Contains(res, "service.name=orders") {
			t.Errorf("resource %s lost its plain attributes", res)
		}
	}
}

// The SDK merges the process's OTEL_RESOURCE_ATTRIBUTES under the resource it is given:
// a key the redaction drops must not come back from there.
func TestResourceAttributesFromTheProcessEnvironment(t *testing.T) {
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "db.password=hunter2,team=shop")
	exp := new(recordtest.Exporter)
	p, err := New(context.Background(), WithSDKExporter(exp), envOf(map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "db.password=hunter2,team=shop"}),
		WithRedaction(redact.Config{Masks: map[redact.Kind]redact.Mask{redact.KindSecret: redact.MaskDrop}}))
	if err != nil {
		t.Fatal(err)
	}
	p.Logger("x").Info("m")
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	res := exp.Records()[0].Resource()
	if s := res.String(); strings.Contains(s, "hunter2") || !strings.Contains(s, "team=shop") {
		t.Errorf("exported resource %s", s)
	}
	if !res.Equal(p.Resource()) {
		t.Errorf("records carry %s, Pipeline.Resource is %s", res, p.Resource())
	}
}
