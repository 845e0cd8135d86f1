package exporter

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"

	"github.com/resilog/resilog/internal/recordtest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// goldenRecords are ordinary and hostile records with fixed times and IDs.
func goldenRecords() []sdklog.Record {
	ts := time.Date(2026, 5, 7, 14, 32, 1, 0, time.UTC)
	res := sdklog.WithResource(resource.NewSchemaless(attribute.String("service.name", "orders")))
	mk := func(sev log.Severity, text string, body attribute.Value, traced bool, attrs ...attribute.KeyValue) sdklog.Record {
		r := recordtest.Make("github.com/acme/shop/orders", func(r *log.Record) {
			r.SetTimestamp(ts)
			r.SetSeverity(sev)
			r.SetSeverityText(text)
			r.SetBody(body)
			r.AddAttributes(attrs...)
		}, res)
		if traced {
			r.SetTraceID(trace.TraceID{0x3f, 0x2a, 0x1b, 0x9c, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
			r.SetSpanID(trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8})
		}
		return r
	}
	return []sdklog.Record{
		mk(log.SeverityInfo, "INFO", attribute.StringValue("order created"), true,
			attribute.Int("order_id", 1042), attribute.String("request.id", "abc-123"),
			attribute.Map("user", attribute.Int("id", 88), attribute.String("name", "Jane Doe")), attribute.Float64("total", 149.99)),
		mk(log.SeverityWarn, "WARN", attribute.StringValue("\n2026-05-07T14:32:01Z INFO forged"), false,
			attribute.String("request.id", "r-2"), attribute.String("input", "line1\nline2\r\n2026-05-07 ERROR forged")),
		mk(log.SeverityError, "ERROR", attribute.StringValue("\x1b[31mred alert\x1b[0m"), false,
			attribute.String("term", "\x1b]0;pwned\x07"), attribute.String("quote", `say "hi" a=b`)),
		mk(log.SeverityInfo, "", attribute.StringValue("bad utf8 \xff\xfe and \u2028 separator"), false,
			attribute.String("bad\xffkey", "val\xc3\x28ue"), attribute.Bool("ok", true)),
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

func TestGoldenOutputs(t *testing.T) {
	recs := goldenRecords()
	for _, c := range []struct {
		name string
		new  func(*bytes.Buffer) sdklog.Exporter
	}{
		{"jsonlines.golden", func(b *bytes.Buffer) sdklog.Exporter { return NewJSONLines(b) }},
		{"console.golden", func(b *bytes.Buffer) sdklog.Exporter { return NewConsole(b) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := c.new(&buf).Export(context.Background(), recs); err != nil {
				t.Fatal(err)
			}
			out := buf.Bytes()
			if n := bytes.Count(out, []byte("\n")); n != len(recs) {
				t.Fatalf("%d lines for %d records: hostile input split a line:\n%s", n, len(recs), out)
			}
			if bytes.ContainsAny(out, "\x1b\x07\r\u2028") {
				t.Errorf("a raw control character reached the output:\n%q", out)
			}
			checkGolden(t, c.name, out)
		})
	}
}
