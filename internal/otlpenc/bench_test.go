package otlpenc

import (
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/recordtest"
	"github.com/resilog/resilog/internal/recorduid"
)

// BenchmarkAppendRequest encodes a batch of 1024 ordinary records (a message, five
// attributes, one of them a string), the exporters' default batch.
func BenchmarkAppendRequest(b *testing.B) {
	batch := benchBatch()
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendRequest(buf[:0], batch, recorduid.UIDs{})
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkAppendRequestJSON is BenchmarkAppendRequest in the OTLP/JSON encoding
// (http/json, the otlp-json fallback).
func BenchmarkAppendRequestJSON(b *testing.B) {
	batch := benchBatch()
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendRequestJSON(buf[:0], batch, recorduid.UIDs{})
	}
	b.SetBytes(int64(len(buf)))
}

func benchBatch() []sdklog.Record {
	batch := make([]sdklog.Record, 1024)
	for i := range batch {
		batch[i] = recordtest.Make("github.com/acme/shop/orders", func(r *log.Record) {
			r.SetSeverity(log.SeverityInfo)
			r.SetSeverityText("INFO")
			r.SetBody(attribute.StringValue("order created"))
			r.AddAttributes(attribute.Int("seq", i), attribute.Int("order_id", 1000+i), attribute.Int("user_id", 88),
				attribute.String("total", "149.99"), attribute.String("currency", "EUR"))
		})
	}
	return batch
}
