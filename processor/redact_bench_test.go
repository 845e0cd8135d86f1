package processor

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/recordtest"
	"github.com/resilog/resilog/redact"
)

// BenchmarkRedact measures processor.Redact alone on the hot path's record: five
// attributes, nothing to redact (clean), and the same record with a password in it.
func BenchmarkRedact(b *testing.B) {
	engine, err := redact.New(redact.Config{})
	if err != nil {
		b.Fatal(err)
	}
	r := NewRedact(engine)
	mk := func(attrs ...attribute.KeyValue) sdklog.Record {
		return recordtest.Make("bench", func(rec *log.Record) {
			rec.SetBody(attribute.StringValue("order created"))
			rec.AddAttributes(attrs...)
		})
	}
	clean := mk(attribute.Int("order_id", 1042), attribute.Int("user_id", 88), attribute.String("total", "149.99"),
		attribute.Bool("paid", true), attribute.Int64("latency", int64(12*time.Millisecond)))
	secret := mk(attribute.Int("order_id", 1042), attribute.Int("user_id", 88), attribute.String("total", "149.99"),
		attribute.Bool("paid", true), attribute.String("password", "hunter2"))
	inText := mk(attribute.Int("order_id", 1042), attribute.Int("user_id", 88), attribute.String("total", "149.99"),
		attribute.Bool("paid", true), attribute.String("detail", "login failed for user=jdoe password=h4cdCSOJpeiX"))
	ctx := context.Background()
	// Redact leaves a clean record untouched, so the same record can be passed again.
	b.Run("clean", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = r.OnEmit(ctx, &clean)
		}
	})
	if n := clean.AttributesLen(); n != 5 {
		b.Fatalf("the clean record was modified: %d attributes", n)
	}
	// A record with a secret is rewritten: each iteration starts from a fresh clone.
	for _, bc := range []struct {
		name string
		rec  sdklog.Record
	}{{"secret_key", secret}, {"secret_in_text", inText}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rec := bc.rec.Clone()
				_ = r.OnEmit(ctx, &rec)
			}
		})
	}
	b.Run("clone_only", func(b *testing.B) { // the baseline the secret cases include
		b.ReportAllocs()
		for b.Loop() {
			rec := clean.Clone()
			_ = rec
		}
	})
}
