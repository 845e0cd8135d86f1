package exporter

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/trace"

	"github.com/resilog/resilog/internal/otlpenc"
	"github.com/resilog/resilog/internal/recordtest"
)

// TestOTLPJSONLinesOneRequestPerRecord: each record is one line, one OTLP/JSON request
// holding that record with every field, whatever its strings hold.
func TestOTLPJSONLinesOneRequestPerRecord(t *testing.T) {
	ts := time.Date(2026, 5, 7, 14, 32, 1, 123, time.UTC)
	var records []sdklog.Record
	for i, body := range []string{"first\nline \u2028 \u0085", "second \x1b[31m"} {
		r := recordtest.Make("github.com/acme/shop", func(r *log.Record) {
			r.SetTimestamp(ts.Add(time.Duration(i)))
			r.SetSeverity(log.SeverityWarn)
			r.SetSeverityText("WARN")
			r.SetBody(attribute.StringValue(body))
			r.AddAttributes(attribute.Int("i", i), attribute.ByteSlice("raw", []byte{0, 255}))
		})
		r.SetTraceID(trace.TraceID{1})
		r.SetSpanID(trace.SpanID{2})
		records = append(records, r)
	}
	var out bytes.Buffer
	e := NewOTLPJSONLines(&out)
	if err := e.Export(context.Background(), records); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != len(records) {
		t.Fatalf("%d lines for %d records:\n%s", len(lines), len(records), out.String())
	}
	for i, line := range lines {
		rls, err := otlpenc.DecodeRequestJSON([]byte(line))
		if err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		got := rls[0].Scopes[0].Records
		if len(rls) != 1 || len(rls[0].Scopes) != 1 || len(got) != 1 {
			t.Fatalf("line %d holds %d resources, want one record", i, len(rls))
		}
		r := got[0]
		if r.Body.AsString() != records[i].Body().AsString() || !r.Timestamp.Equal(records[i].Timestamp()) ||
			r.SeverityText != "WARN" || r.TraceID != (trace.TraceID{1}) || r.SpanID != (trace.SpanID{2}) ||
			rls[0].Scopes[0].Name != "github.com/acme/shop" || len(r.Attributes) != 2 || r.Attributes[1].Value.Type() != attribute.BYTESLICE {
			t.Errorf("line %d decodes to %+v", i, r)
		}
	}
}
