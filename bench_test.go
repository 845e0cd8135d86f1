package resilog

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// discard is a no-op exporter: the benchmarks measure the log call, not the network.
type discard struct{}

func (discard) Export(context.Context, []sdklog.Record) error { return nil }
func (discard) ForceFlush(context.Context) error              { return nil }
func (discard) Shutdown(context.Context) error                { return nil }

// BenchmarkHotPath compares the cost of one log call with five attributes through the
// stock stack (otelslog + SDK BatchProcessor) and through resilog's default pipeline,
// without and with the spool.
func BenchmarkHotPath(b *testing.B) {
	ctx := context.Background()
	logCall := func(b *testing.B, l *slog.Logger) {
		b.ReportAllocs()
		for b.Loop() {
			l.InfoContext(ctx, "order created",
				"order_id", 1042, "user_id", 88, "total", "149.99", "paid", true, "latency", 12*time.Millisecond)
		}
	}
	b.Run("stock", func(b *testing.B) {
		lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(discard{})))
		defer lp.Shutdown(ctx)
		logCall(b, slog.New(otelslog.NewHandler("bench", otelslog.WithLoggerProvider(lp))))
	})
	b.Run("resilog", func(b *testing.B) {
		p, err := New(ctx, envOf(nil), WithServiceName("bench"), WithSDKExporter(discard{}))
		if err != nil {
			b.Fatal(err)
		}
		defer p.Shutdown(ctx)
		logCall(b, p.Logger("bench"))
	})
	// The same with the spool on (WithSpool): each record is also encoded and copied into
	// the spool's memory-mapped ring before the call returns. Target (issue 13): at most 1.25×
	// resilog's figure, and below stock's.
	b.Run("resilog-spool", func(b *testing.B) {
		p, err := New(ctx, envOf(nil), WithServiceName("bench"), WithSDKExporter(discard{}), WithSpool(b.TempDir()))
		if err != nil {
			b.Fatal(err)
		}
		defer p.Shutdown(ctx)
		logCall(b, p.Logger("bench"))
	})
}

// BenchmarkDisabled is the cost of a call below its logger's level: through p.Logger,
// rejected by the bridge's own gate; through a library's otelslog logger on
// p.LoggerProvider(), rejected by the provider's gate.
func BenchmarkDisabled(b *testing.B) {
	ctx := context.Background()
	p, err := New(ctx, envOf(nil), WithServiceName("bench"), WithSDKExporter(discard{}),
		WithLevels("info,github.com/acme/shop/db=warn"))
	if err != nil {
		b.Fatal(err)
	}
	defer p.Shutdown(ctx)
	logCall := func(b *testing.B, l *slog.Logger) {
		b.ReportAllocs()
		for b.Loop() {
			l.DebugContext(ctx, "query", "sql", "SELECT 1", "rows", 1, "ms", 0.4, "cached", true, "table", "orders")
		}
	}
	b.Run("Logger", func(b *testing.B) { logCall(b, p.Logger("github.com/acme/shop/db")) })
	b.Run("otelslog", func(b *testing.B) {
		logCall(b, otelslog.NewLogger("github.com/acme/shop/db", otelslog.WithLoggerProvider(p.LoggerProvider())))
	})
}
