package exporter

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"

	"github.com/resilog/resilog/internal/recordtest"
)

func TestJSONLinesSchema(t *testing.T) {
	r := recordtest.Make("github.com/acme/shop/orders", func(r *log.Record) {
		r.SetTimestamp(time.Date(2026, 5, 7, 14, 32, 1, 5, time.UTC))
		r.SetSeverity(log.SeverityInfo)
		r.SetBody(attribute.StringValue("order created"))
		r.AddAttributes(
			attribute.Int("order_id", 1042),
			attribute.String("request.id", "abc-123"),
			attribute.String("msg", "collides with the top level"),
			attribute.Map("user", attribute.Int("id", 88), attribute.Map("address", attribute.String("city", "Paris"))),
			attribute.Float64("ratio", 0.5),
		)
	}, sdklog.WithResource(resource.NewSchemaless(attribute.String("service.name", "orders"))))
	r.SetTraceID(trace.TraceID{0x3f, 0x2a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14})
	r.SetSpanID(trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8})
	var buf bytes.Buffer
	if err := NewJSONLines(&buf).Export(context.Background(), []sdklog.Record{r}); err != nil {
		t.Fatal(err)
	}
	want := `{"time":"2026-05-07T14:32:01.000000005Z","level":"INFO","logger":"github.com/acme/shop/orders","msg":"order created",` +
		`"trace_id":"3f2a0102030405060708090a0b0c0d0e","span_id":"0102030405060708","request_id":"abc-123","service":"orders",` +
		`"order_id":1042,"attr.msg":"collides with the top level","user":{"address":{"city":"Paris"},"id":88},"ratio":0.5}` + "\n"
	if got := buf.String(); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestJSONLinesHostileStrings(t *testing.T) {
	hostile := map[string]string{ // input: what msg must decode to
		"\n2026-05-07T14:32:01Z INFO forged":    "\n2026-05-07T14:32:01Z INFO forged",
		"\x1b[31mred\x1b[0m":                    "\x1b[31mred\x1b[0m",
		"bad utf8 \xff\xfe":                     "bad utf8 \ufffd\ufffd",
		"quote \" backslash \\ tab \t nul \x00": "quote \" backslash \\ tab \t nul \x00",
		"line\u2028separator\u2029":             "line\u2028separator\u2029",
	}
	for h, want := range hostile {
		r := recordtest.Make("x", func(r *log.Record) {
			r.SetBody(attribute.StringValue(h))
			r.AddAttributes(attribute.String(h, h))
		})
		line := AppendJSON(nil, &r)
		if bytes.Count(line, []byte("\n")) != 1 || line[len(line)-1] != '\n' {
			t.Errorf("%q: output is not exactly one line: %q", h, line)
		}
		if !utf8.Valid(line) {
			t.Errorf("%q: output is not valid UTF-8", h)
		}
		if bytes.ContainsAny(line, "\x1b\x00\u2028\u2029") {
			t.Errorf("%q: a raw control character survived: %q", h, line)
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Errorf("%q: not JSON: %v", h, err)
			continue
		}
		if m["msg"] != want {
			t.Errorf("msg round-trips to %q, want %q", m["msg"], want)
		}
	}
}
