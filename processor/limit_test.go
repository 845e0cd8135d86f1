package processor

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"

	"github.com/resilog/resilog/internal/recordtest"
	"github.com/resilog/resilog/propagation"
)

// unlimited are the provider options resilog uses: the SDK's own limits off.
var unlimited = []sdklog.LoggerProviderOption{sdklog.WithAttributeCountLimit(-1), sdklog.WithAttributeValueLengthLimit(-1)}

func TestLimitTruncatesEveryString(t *testing.T) {
	r := recordtest.Make("s", func(r *log.Record) {
		r.AddAttributes(
			attribute.String("s", "héllo wörld"), // runes, not bytes
			attribute.String("short", "abc"),
			attribute.Int("n", 123456789),
			attribute.ByteSlice("b", []byte("0123456789")),
			attribute.StringSlice("ss", []string{"abcdefgh", "ab"}),
			attribute.Map("m", attribute.String("inner", "abcdefgh"), attribute.Slice("l", attribute.StringValue("abcdefgh"))),
		)
	}, unlimited...)
	l := NewLimit(LimitConfig{AttributeValueLength: 5})
	if err := l.OnEmit(context.Background(), &r); err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(recordtest.AsMap(r))
	want := "map[b:[48 49 50 51 52] m:map[inner:abcde l:[abcde]] n:123456789 s:héllo short:abc ss:[abcde ab]]"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if s := l.Stats(); s.AttributesTruncated != 4 || s.AttributesDropped != 0 {
		t.Errorf("stats = %+v, want 4 truncated, none dropped", s)
	}
}

func TestLimitCountKeepsExceptionAndCorrelationFirst(t *testing.T) {
	res := resource.NewSchemaless(attribute.String("service.name", "svc"))
	tid, sid := trace.TraceID{1}, trace.SpanID{2}
	r := recordtest.Make("scope", func(r *log.Record) {
		r.SetEventName("ev")
		r.SetTimestamp(time.Unix(10, 0))
		r.SetSeverity(log.SeverityWarn)
		r.SetSeverityText("WARN")
		r.SetBody(attribute.StringValue("body"))
		for i := range 6 {
			r.AddAttributes(attribute.Int(fmt.Sprintf("u%d", i), i))
		}
		r.AddAttributes(attribute.String("exception.message", "boom"), attribute.String("request.id", "r1"),
			attribute.String("tenant", "acme"), attribute.String("dd.trace_id", "1"))
	}, append(unlimited, sdklog.WithResource(res))...)
	r.SetTraceID(tid)
	r.SetSpanID(sid)
	ctx := propagation.With(propagation.WithRequestID(context.Background(), "r1"), "tenant", "acme")

	l := NewLimit(LimitConfig{AttributeCount: 6})
	if err := l.OnEmit(ctx, &r); err != nil {
		t.Fatal(err)
	}
	var keys []string
	r.WalkAttributes(func(kv attribute.KeyValue) bool { keys = append(keys, string(kv.Key)); return true })
	if got, want := fmt.Sprint(keys), "[u0 u1 exception.message request.id tenant dd.trace_id]"; got != want {
		t.Errorf("kept %s, want %s (priority first, then logged order, in logged order)", got, want)
	}
	if r.DroppedAttributes() != 4 || l.Stats().AttributesDropped != 4 {
		t.Errorf("record's dropped count %d, stats %+v, want 4", r.DroppedAttributes(), l.Stats())
	}
	// Everything else about the record is unchanged.
	if r.EventName() != "ev" || !r.Timestamp().Equal(time.Unix(10, 0)) || r.Severity() != log.SeverityWarn ||
		r.SeverityText() != "WARN" || r.Body().AsString() != "body" || r.TraceID() != tid || r.SpanID() != sid ||
		!r.Resource().Equal(res) || r.InstrumentationScope().Name != "scope" || r.ObservedTimestamp().IsZero() {
		t.Errorf("record changed: %v, event %q, trace %s, span %s, resource %s, scope %q",
			recordtest.AsMap(r), r.EventName(), r.TraceID(), r.SpanID(), r.Resource(), r.InstrumentationScope().Name)
	}
	// The record stays at its limit: an attribute added later is dropped and counted.
	c := r.Clone()
	c.AddAttributes(attribute.String("late", "x"))
	if c.AttributesLen() != 6 || c.DroppedAttributes() != 5 {
		t.Errorf("after a later attribute: %d attributes, %d dropped; want 6 and 5", c.AttributesLen(), c.DroppedAttributes())
	}
}

func TestLimitWithoutContext(t *testing.T) {
	r := recordtest.Make("s", func(r *log.Record) {
		r.AddAttributes(attribute.Int("a", 1), attribute.Int("b", 2))
	}, unlimited...)
	var ctx context.Context // a bridge may pass none
	if err := NewLimit(LimitConfig{AttributeCount: 1}).OnEmit(ctx, &r); err != nil || r.AttributesLen() != 1 {
		t.Errorf("OnEmit without a context: %v, %d attributes", err, r.AttributesLen())
	}
}

func TestLimitWithinLimitsDoesNotAllocate(t *testing.T) {
	r := recordtest.Make("s", func(r *log.Record) {
		for i := range 5 {
			r.AddAttributes(attribute.String(fmt.Sprintf("k%d", i), "value"))
		}
	}, unlimited...)
	l := NewLimit(LimitConfig{AttributeValueLength: 64})
	if n := testing.AllocsPerRun(100, func() { _ = l.OnEmit(context.Background(), &r) }); n != 0 {
		t.Errorf("%v allocations per record within the limits", n)
	}
}

func BenchmarkLimit(b *testing.B) {
	for _, bc := range []struct {
		name string
		c    LimitConfig
		n    int
	}{
		{"within", LimitConfig{AttributeValueLength: 64}, 5},
		{"truncate", LimitConfig{AttributeValueLength: 3}, 5},
		{"drop", LimitConfig{AttributeCount: 3}, 5},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := recordtest.Make("s", func(r *log.Record) {
				for i := range bc.n {
					r.AddAttributes(attribute.String(fmt.Sprintf("k%d", i), "value"))
				}
			}, unlimited...)
			l := NewLimit(bc.c)
			b.ReportAllocs()
			for b.Loop() {
				c := r.Clone()
				_ = l.OnEmit(context.Background(), &c)
			}
		})
	}
}

// Over the count, Limit rebuilds the record from a provider of its own: the record keeps
// its resource as it was, not one with OTEL_RESOURCE_ATTRIBUTES merged in again
// (unredacted, and perhaps set since the pipeline was built).
func TestLimitKeepsTheRecordsResourceWhateverTheEnvironment(t *testing.T) {
	res := resource.NewSchemaless(attribute.String("service.name", "svc"))
	r := recordtest.Make("s", func(r *log.Record) {
		r.AddAttributes(attribute.Int("a", 1), attribute.Int("b", 2))
	}, append(unlimited, sdklog.WithResource(res))...)
	want := r.Resource().Attributes()
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "db.password=hunter2")
	t.Setenv("OTEL_SERVICE_NAME", "other")
	if err := NewLimit(LimitConfig{AttributeCount: 1}).OnEmit(context.Background(), &r); err != nil {
		t.Fatal(err)
	}
	if got := r.Resource().Attributes(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("resource %v, want %v", got, want)
	}
	if r.DroppedAttributes() != 1 {
		t.Errorf("dropped %d, want 1", r.DroppedAttributes())
	}
}
