package otlpenc

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"
	collogpb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/proto"

	"github.com/resilog/resilog/internal/recordtest"
	"github.com/resilog/resilog/internal/recorduid"
)

func decode(t *testing.T, b []byte) *collogpb.ExportLogsServiceRequest {
	t.Helper()
	var req collogpb.ExportLogsServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		t.Fatalf("the encoding does not parse as ExportLogsServiceRequest: %v", err)
	}
	return &req
}

func TestEncodingRoundTrips(t *testing.T) {
	res := resource.NewWithAttributes("https://opentelemetry.io/schemas/1.26.0", attribute.String("service.name", "orders"))
	ts := time.Date(2026, 5, 7, 14, 32, 1, 123, time.UTC)
	r := recordtest.Make("github.com/acme/shop/orders", func(r *log.Record) {
		r.SetTimestamp(ts)
		r.SetObservedTimestamp(ts.Add(time.Millisecond))
		r.SetSeverity(log.SeverityError)
		r.SetSeverityText("ERROR")
		r.SetEventName("order.failed")
		r.SetBody(attribute.StringValue("order created ünïcode"))
		r.AddAttributes(
			attribute.String("s", "v"),
			attribute.Bool("b", true),
			attribute.Int64("neg", -42),
			attribute.Int64("big", math.MaxInt64),
			attribute.Float64("f", 3.25),
			attribute.Map("user", attribute.Int("id", 88), attribute.Map("address", attribute.String("city", "Paris"))),
			attribute.StringSlice("tags", []string{"a", "b"}),
			attribute.Int64Slice("ns", []int64{1, 2}),
			attribute.Slice("mixed", attribute.IntValue(1), attribute.StringValue("x"), attribute.MapValue(attribute.Bool("k", false))),
			attribute.ByteSlice("raw", []byte{0, 1, 255}),
		)
	}, sdklog.WithResource(res))
	r.SetTraceID(trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	r.SetSpanID(trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8})
	r.SetTraceFlags(trace.FlagsSampled)
	other := recordtest.Make("other/scope", func(r *log.Record) { r.SetBody(attribute.IntValue(7)) }, sdklog.WithResource(res))

	req := decode(t, AppendRequest(nil, []sdklog.Record{r, other, r}, recorduid.UIDs{}))
	if len(req.ResourceLogs) != 2 {
		// recordtest.Make builds one provider per record, so the two resources are
		// distinct values even though equal.
		t.Logf("%d resource groups", len(req.ResourceLogs))
	}
	rl := req.ResourceLogs[0]
	if got := rl.Resource.Attributes[0]; got.Key != "service.name" || got.Value.GetStringValue() != "orders" || rl.SchemaUrl != res.SchemaURL() {
		t.Errorf("resource = %v, schema %q", rl.Resource, rl.SchemaUrl)
	}
	sl := rl.ScopeLogs[0]
	if sl.Scope.Name != "github.com/acme/shop/orders" {
		t.Errorf("scope = %v", sl.Scope)
	}
	lr := sl.LogRecords[0]
	if lr.TimeUnixNano != uint64(ts.UnixNano()) || lr.ObservedTimeUnixNano != uint64(ts.Add(time.Millisecond).UnixNano()) {
		t.Errorf("times = %d %d", lr.TimeUnixNano, lr.ObservedTimeUnixNano)
	}
	if lr.SeverityNumber != 17 || lr.SeverityText != "ERROR" || lr.EventName != "order.failed" || lr.Flags != 1 {
		t.Errorf("severity %v %q event %q flags %d", lr.SeverityNumber, lr.SeverityText, lr.EventName, lr.Flags)
	}
	if lr.Body.GetStringValue() != "order created ünïcode" {
		t.Errorf("body = %v", lr.Body)
	}
	if string(lr.TraceId) != string([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}) || len(lr.SpanId) != 8 {
		t.Errorf("ids = %x %x", lr.TraceId, lr.SpanId)
	}
	attrs := map[string]*commonpb.AnyValue{}
	for _, kv := range lr.Attributes {
		attrs[kv.Key] = kv.Value
	}
	if attrs["s"].GetStringValue() != "v" || !attrs["b"].GetBoolValue() || attrs["neg"].GetIntValue() != -42 ||
		attrs["big"].GetIntValue() != math.MaxInt64 || attrs["f"].GetDoubleValue() != 3.25 {
		t.Errorf("scalars = %v", attrs)
	}
	user := attrs["user"].GetKvlistValue().GetValues()
	if len(user) != 2 || user[0].Key != "address" || user[0].Value.GetKvlistValue().Values[0].Value.GetStringValue() != "Paris" || user[1].Value.GetIntValue() != 88 {
		t.Errorf("user = %v", user)
	}
	if tags := attrs["tags"].GetArrayValue().GetValues(); len(tags) != 2 || tags[1].GetStringValue() != "b" {
		t.Errorf("tags = %v", tags)
	}
	if ns := attrs["ns"].GetArrayValue().GetValues(); len(ns) != 2 || ns[1].GetIntValue() != 2 {
		t.Errorf("ns = %v", ns)
	}
	mixed := attrs["mixed"].GetArrayValue().GetValues()
	if len(mixed) != 3 || mixed[1].GetStringValue() != "x" || mixed[2].GetKvlistValue().Values[0].Key != "k" {
		t.Errorf("mixed = %v", mixed)
	}
	if raw := attrs["raw"].GetBytesValue(); string(raw) != "\x00\x01\xff" {
		t.Errorf("raw = %v", raw)
	}
	// Same resource pointer and scope group together; the second r lands beside the first.
	total := 0
	for _, rl := range req.ResourceLogs {
		for _, sl := range rl.ScopeLogs {
			total += len(sl.LogRecords)
		}
	}
	if total != 3 {
		t.Fatalf("%d records decoded, want 3", total)
	}
	if len(sl.LogRecords) != 2 {
		t.Errorf("records of the same resource and scope were not grouped: %d", len(sl.LogRecords))
	}
}

func TestEncodingIsCanonicalProtobuf(t *testing.T) {
	r := recordtest.Make("s", func(r *log.Record) {
		r.SetBody(attribute.StringValue("m"))
		r.SetSeverity(log.SeverityInfo)
		r.AddAttributes(attribute.Map("g", attribute.Slice("a", attribute.IntValue(1))))
	})
	b := AppendRequest(nil, []sdklog.Record{r}, recorduid.UIDs{})
	// Re-marshalling what we wrote must give the same bytes: sizes and field order agree
	// with the generated code's.
	again, err := proto.MarshalOptions{Deterministic: true}.Marshal(decode(t, b))
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != len(b) {
		t.Fatalf("re-marshalled %d bytes, encoded %d", len(again), len(b))
	}
}

// TestEncodingAtLengthBoundaries: lengths are written after the content, into room of a
// guessed width; every size around a varint boundary must still give canonical protobuf
// with the content intact, at every level (value, attribute, record, scope and resource
// groups).
func TestEncodingAtLengthBoundaries(t *testing.T) {
	for _, n := range []int{0, 1, 100, 120, 125, 126, 127, 128, 129, 200, 16370, 16380, 16383, 16384, 20000, 2_097_140, 2_097_152, 2_200_000} {
		body := strings.Repeat("b", n)
		r := recordtest.Make("s", func(r *log.Record) {
			r.SetBody(attribute.StringValue(body))
			r.AddAttributes(attribute.Map("m", attribute.String("k", body[:min(n, 300)])), attribute.Slice("l", attribute.StringValue(body[:min(n, 130)])))
		})
		b := AppendRequest(nil, []sdklog.Record{r, r}, recorduid.UIDs{})
		req := decode(t, b)
		recs := req.ResourceLogs[0].ScopeLogs[0].LogRecords
		if len(recs) != 2 || recs[1].Body.GetStringValue() != body {
			t.Fatalf("n=%d: records or body lost", n)
		}
		if got := recs[0].Attributes[0].Value.GetKvlistValue().Values[0].Value.GetStringValue(); got != body[:min(n, 300)] {
			t.Fatalf("n=%d: map value = %d bytes", n, len(got))
		}
		again, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("n=%d: re-marshalled %d bytes differ from the %d encoded", n, len(again), len(b))
		}
	}
}

func FuzzEncodeDecodes(f *testing.F) {
	f.Add("k", "v", int64(1), 1.5, true, 3)
	f.Fuzz(func(t *testing.T, k, s string, i int64, fl float64, bl bool, depth int) {
		v := attribute.StringValue(s)
		for range depth % 40 {
			v = attribute.MapValue(attribute.KeyValue{Key: attribute.Key(k), Value: v}, attribute.Int64(k+"i", i), attribute.Float64("f", fl), attribute.Bool("b", bl))
		}
		r := recordtest.Make(k, func(r *log.Record) {
			r.SetBody(v)
			r.AddAttributes(attribute.KeyValue{Key: attribute.Key(k), Value: v})
		})
		decode(t, AppendRequest(nil, []sdklog.Record{r}, recorduid.UIDs{}))
	})
}
