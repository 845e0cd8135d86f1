package processor

import (
	"context"
	"log/slog"
	"math"
	"reflect"
	"testing"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/resilog/resilog/bridge"
	"github.com/resilog/resilog/internal/recordtest"
	"github.com/resilog/resilog/propagation"
)

func correlated(t *testing.T, c CorrelateConfig, ctx context.Context, args ...any) map[string]any {
	t.Helper()
	exp := new(recordtest.Exporter)
	lp := sdklog.NewLoggerProvider(sdklog.WithResource(resource.NewSchemaless(
		attribute.String("service.name", "orders"), attribute.String("deployment.environment.name", "prod"), attribute.String("service.version", "1.2.3"))),
		sdklog.WithProcessor(NewCorrelate(c)), sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)))
	defer lp.Shutdown(context.Background())
	slog.New(otelslog.NewHandler("t", otelslog.WithLoggerProvider(lp))).InfoContext(ctx, "m", args...)
	recs := exp.Records()
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	if n := recs[0].AttributesLen(); n != len(recordtest.AsMap(recs[0]))-3 {
		t.Errorf("duplicate keys among %d attributes: %v", n, recordtest.AsMap(recs[0]))
	}
	return recordtest.AsMap(recs[0])
}

func TestCorrelateAddsContext(t *testing.T) {
	ctx := propagation.WithRequestID(context.Background(), "abc-123")
	ctx = propagation.With(ctx, "user_id", 88, slog.Group("tenant", "id", "acme"))
	got := correlated(t, CorrelateConfig{}, ctx, "order_id", 1042)
	if got["request.id"] != "abc-123" || got["user_id"] != int64(88) || got["order_id"] != int64(1042) {
		t.Errorf("got %v", got)
	}
	if g, _ := got["tenant"].(map[string]any); g["id"] != "acme" {
		t.Errorf("group: %v", got["tenant"])
	}
	// What the record already has wins over the context.
	got = correlated(t, CorrelateConfig{}, ctx, "user_id", 7, "request.id", "explicit")
	if got["user_id"] != int64(7) || got["request.id"] != "explicit" {
		t.Errorf("got %v", got)
	}
	// Nothing in the context: nothing added.
	if got := correlated(t, CorrelateConfig{}, context.Background(), "a", 1); len(got) != 4 {
		t.Errorf("got %v", got)
	}
}

func TestCorrelateBaggageAndDatadog(t *testing.T) {
	m1, _ := baggage.NewMember("tenant", "acme")
	m2, _ := baggage.NewMember("secret_flag", "x")
	bag, _ := baggage.New(m1, m2)
	ctx := baggage.ContextWithBaggage(context.Background(), bag)
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("t").Start(ctx, "op")
	defer span.End()
	got := correlated(t, CorrelateConfig{Baggage: []string{"tenant"}, Datadog: true}, ctx)
	if got["tenant"] != "acme" || got["secret_flag"] != nil {
		t.Errorf("baggage: %v", got)
	}
	sc := span.SpanContext()
	tid, sid := sc.TraceID(), sc.SpanID()
	var low, s uint64
	for _, b := range tid[8:] {
		low = low<<8 | uint64(b)
	}
	for _, b := range sid[:] {
		s = s<<8 | uint64(b)
	}
	if got["dd.trace_id"] != formatUint(low) || got["dd.span_id"] != formatUint(s) ||
		got["dd.service"] != "orders" || got["dd.env"] != "prod" || got["dd.version"] != "1.2.3" {
		t.Errorf("datadog: %v", got)
	}
}

func formatUint(v uint64) string {
	if v == 0 {
		return "0"
	}
	var b []byte
	for ; v > 0; v /= 10 {
		b = append([]byte{byte('0' + v%10)}, b...)
	}
	return string(b)
}

// BenchmarkCorrelate: with nothing bound, binding and correlation cost two context
// lookups; with a request ID and two bound attributes, the attributes are added.
func BenchmarkCorrelate(b *testing.B) {
	c := NewCorrelate(CorrelateConfig{})
	rec := recordtest.Make("b", func(r *log.Record) {
		r.SetBody(attribute.StringValue("order created"))
		r.AddAttributes(attribute.Int("order_id", 1042), attribute.Int("user_id", 88), attribute.String("total", "149.99"),
			attribute.Bool("paid", true), attribute.Int("latency", 12))
	})
	// An HTTP handler's context is a few layers deep.
	empty := context.WithValue(context.WithValue(context.Background(), struct{ a int }{}, 1), struct{ b int }{}, 2)
	bound := propagation.With(propagation.WithRequestID(empty, "abc-123"), "tenant", "acme")
	for _, bc := range []struct {
		name string
		ctx  context.Context
	}{{"nothing_bound", empty}, {"request_id_and_attr", bound}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := rec.Clone()
				_ = c.OnEmit(bc.ctx, &r)
			}
		})
	}
}

type nilPtrErr struct{}

func (*nilPtrErr) Error() string { return "unreachable" }

type panicErr struct{}

func (panicErr) Error() string { panic("broken Error") }

// TestCorrelateHostileBound: whatever was bound to the context, every later record with it
// is emitted, and bound values convert exactly as the bridge converts logged ones.
func TestCorrelateHostileBound(t *testing.T) {
	var typedNil *nilPtrErr
	ctx := propagation.With(context.Background(), "last_error", typedNil, "broken", panicErr{},
		"errs", []error{typedNil}, "big", uint64(math.MaxUint64))
	got := correlated(t, CorrelateConfig{}, ctx)
	want := correlatedByBridge(t, "last_error", typedNil, "broken", panicErr{}, "errs", []error{typedNil}, "big", uint64(math.MaxUint64))
	for _, k := range []string{"last_error", "broken", "errs", "big"} {
		if !reflect.DeepEqual(got[k], want[k]) {
			t.Errorf("%s: bound %#v, logged %#v", k, got[k], want[k])
		}
	}
	if got["big"] != "18446744073709551615" {
		t.Errorf("big = %#v", got["big"])
	}
}

// correlatedByBridge is what the bridge makes of args logged directly.
func correlatedByBridge(t *testing.T, args ...any) map[string]any {
	t.Helper()
	exp := new(recordtest.Exporter)
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)))
	defer lp.Shutdown(context.Background())
	slog.New(bridge.NewHandler("t", bridge.WithLoggerProvider(lp))).Info("m", args...)
	return recordtest.AsMap(exp.Records()[0])
}
