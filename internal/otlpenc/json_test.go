package otlpenc

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
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
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/resilog/resilog/internal/recordtest"
	"github.com/resilog/resilog/internal/recorduid"
)

// jsonRecords are records with every field and value type set, two resources and two scopes.
func jsonRecords() []sdklog.Record {
	res := resource.NewWithAttributes("https://opentelemetry.io/schemas/1.26.0", attribute.String("service.name", "orders"), attribute.Int("pid", 42))
	ts := time.Date(2026, 5, 7, 14, 32, 1, 123, time.UTC)
	r := recordtest.Make("github.com/acme/shop/orders", func(r *log.Record) {
		r.SetTimestamp(ts)
		r.SetObservedTimestamp(ts.Add(time.Millisecond))
		r.SetSeverity(log.SeverityError)
		r.SetSeverityText("ERROR")
		r.SetEventName("order.failed")
		r.SetBody(attribute.StringValue("order \"created\"\n\u2028 ünïcode \x01 \xff"))
		r.AddAttributes(
			attribute.String("s", "v"),
			attribute.Bool("b", true),
			attribute.Int64("neg", -42),
			attribute.Int64("big", math.MaxInt64),
			attribute.Float64("f", 3.25),
			attribute.Float64("nan", math.NaN()),
			attribute.Float64("inf", math.Inf(-1)),
			attribute.Map("user", attribute.Int("id", 88), attribute.Map("address", attribute.String("city", "Paris"))),
			attribute.StringSlice("tags", []string{"a", "b"}),
			attribute.Int64Slice("ns", []int64{1, 2}),
			attribute.Slice("mixed", attribute.IntValue(1), attribute.StringValue("x"), attribute.MapValue(attribute.Bool("k", false))),
			attribute.ByteSlice("raw", []byte{0, 1, 255}),
		)
	}, sdklog.WithResource(res), sdklog.WithAttributeCountLimit(11))
	r.SetTraceID(trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	r.SetSpanID(trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8})
	r.SetTraceFlags(trace.FlagsSampled)
	other := recordtest.Make("other/scope", func(r *log.Record) { r.SetBody(attribute.IntValue(7)) })
	return []sdklog.Record{r, other, r}
}

// TestJSONEncodingMatchesProtobuf: the JSON encoding, read by the reference proto3 JSON
// decoder, is the very message the protobuf encoding writes, once the IDs (hex in OTLP/JSON,
// base64 in proto3 JSON) are converted.
func TestJSONEncodingMatchesProtobuf(t *testing.T) {
	records := jsonRecords()
	js := AppendRequestJSON(nil, records, recorduid.UIDs{})
	if bytes.ContainsAny(js, "\n\r") || bytes.Contains(js, []byte("\u2028")) {
		t.Fatalf("the encoding is not one line: %s", js)
	}
	var generic any
	if err := json.Unmarshal(js, &generic); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, js)
	}
	idsToBase64(t, generic)
	again, _ := json.Marshal(generic)
	var fromJSON collogpb.ExportLogsServiceRequest
	if err := protojson.Unmarshal(again, &fromJSON); err != nil {
		t.Fatalf("not an ExportLogsServiceRequest in proto3 JSON: %v\n%s", err, js)
	}
	var fromProto collogpb.ExportLogsServiceRequest
	if err := proto.Unmarshal(AppendRequest(nil, records, recorduid.UIDs{}), &fromProto); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(&fromJSON, &fromProto) {
		t.Fatalf("JSON and protobuf encodings differ:\njson:  %v\nproto: %v", &fromJSON, &fromProto)
	}
	for _, want := range []string{`"traceId":"0102030405060708090a0b0c0d0e0f10"`, `"spanId":"0102030405060708"`,
		`"timeUnixNano":"1778164321000000123"`, `{"intValue":"9223372036854775807"}`, `"severityNumber":17`,
		`"droppedAttributesCount":`, `"doubleValue":"NaN"`, `\u2028`} {
		if !bytes.Contains(js, []byte(want)) {
			t.Errorf("the encoding lacks %s:\n%s", want, js)
		}
	}
}

// idsToBase64 rewrites the hex traceId and spanId of OTLP/JSON into proto3 JSON's base64.
func idsToBase64(t *testing.T, v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if s, ok := e.(string); ok && (k == "traceId" || k == "spanId") {
				p, err := hex.DecodeString(s)
				if err != nil {
					t.Fatalf("%s %q is not hex", k, s)
				}
				v[k] = base64.StdEncoding.EncodeToString(p)
				continue
			}
			idsToBase64(t, e)
		}
	case []any:
		for _, e := range v {
			idsToBase64(t, e)
		}
	}
}

// TestJSONDecodeRoundTrips: DecodeRequestJSON gives back every field AppendRequestJSON wrote.
func TestJSONDecodeRoundTrips(t *testing.T) {
	records := jsonRecords()
	got, err := DecodeRequestJSON(AppendRequestJSON(nil, records, recorduid.UIDs{}))
	if err != nil {
		t.Fatal(err)
	}
	var flat []Record
	for _, rl := range got {
		for _, sl := range rl.Scopes {
			flat = append(flat, sl.Records...)
		}
	}
	if len(got) != 2 || len(flat) != 3 {
		t.Fatalf("%d resources, %d records; want 2, 3", len(got), len(flat))
	}
	if rl := got[0]; rl.SchemaURL != "https://opentelemetry.io/schemas/1.26.0" || len(rl.Resource) != 2 || rl.Scopes[0].Name != "github.com/acme/shop/orders" {
		t.Errorf("resource or scope = %+v", rl)
	}
	want, dec := &records[0], flat[0]
	if !dec.Timestamp.Equal(want.Timestamp()) || !dec.ObservedTimestamp.Equal(want.ObservedTimestamp()) ||
		dec.Severity != want.Severity() || dec.SeverityText != want.SeverityText() || dec.EventName != want.EventName() ||
		dec.TraceID != want.TraceID() || dec.SpanID != want.SpanID() || dec.TraceFlags != want.TraceFlags() ||
		dec.DroppedAttributes != want.DroppedAttributes() || dec.Body.String() != strings.ToValidUTF8(want.Body().AsString(), "\uFFFD") {
		t.Errorf("decoded %+v\nwant %+v", dec, want)
	}
	var wantAttrs []attribute.KeyValue
	want.WalkAttributes(func(kv attribute.KeyValue) bool { wantAttrs = append(wantAttrs, kv); return true })
	if len(dec.Attributes) != len(wantAttrs) {
		t.Fatalf("%d attributes, want %d", len(dec.Attributes), len(wantAttrs))
	}
	for i, kv := range wantAttrs {
		g := dec.Attributes[i]
		if kv.Key == "nan" {
			if g.Value.Type() != attribute.FLOAT64 || !math.IsNaN(g.Value.AsFloat64()) {
				t.Errorf("nan = %v", g.Value.String())
			}
			continue
		}
		// Typed slices come back as slices of values: the wire has one array type.
		if g.Key != kv.Key || g.Value.String() != kv.Value.String() {
			t.Errorf("attribute %d = %s:%s, want %s:%s", i, g.Key, g.Value.String(), kv.Key, kv.Value.String())
		}
	}
	if b := flat[2].Body; b.Type() != attribute.INT64 || b.AsInt64() != 7 {
		t.Errorf("body = %v", b.String())
	}
}

func TestJSONDecodeRejectsMalformedInput(t *testing.T) {
	for _, in := range []string{`{`, `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"xyz"}]}]}]}`,
		`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"-1"}]}]}]}`,
		`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"intValue":"1.5"}}]}]}]}`} {
		if _, err := DecodeRequestJSON([]byte(in)); err == nil {
			t.Errorf("%s: no error", in)
		}
	}
}
