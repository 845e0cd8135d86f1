package exporter

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/resilog/resilog/internal/recordtest"
)

// BenchmarkStdoutJSON compares the stdout JSON lines exporter with slog.JSONHandler on the
// same record: five attributes, written to io.Discard.
func BenchmarkStdoutJSON(b *testing.B) {
	now := time.Now()
	b.Run("slog", func(b *testing.B) {
		h := slog.NewJSONHandler(io.Discard, nil)
		r := slog.NewRecord(now, slog.LevelInfo, "order created", 0)
		r.AddAttrs(slog.Int("order_id", 1042), slog.Int("user_id", 88), slog.String("total", "149.99"),
			slog.Bool("paid", true), slog.Duration("latency", 12*time.Millisecond))
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			_ = h.Handle(ctx, r)
		}
	})
	b.Run("resilog", func(b *testing.B) {
		rec := recordtest.Make("github.com/acme/shop/orders", func(r *log.Record) {
			r.SetTimestamp(now)
			r.SetSeverity(log.SeverityInfo)
			r.SetSeverityText("INFO")
			r.SetBody(attribute.StringValue("order created"))
			r.AddAttributes(attribute.Int("order_id", 1042), attribute.Int("user_id", 88), attribute.String("total", "149.99"),
				attribute.Bool("paid", true), attribute.Int64("latency", int64(12*time.Millisecond)))
		}, sdklog.WithResource(resource.NewSchemaless(attribute.String("service.name", "orders"))))
		exp := NewJSONLines(io.Discard)
		recs := []sdklog.Record{rec}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			_ = exp.Export(ctx, recs)
		}
	})
}
