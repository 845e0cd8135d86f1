package resilog_test

import (
	"context"
	"fmt"
	"log"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/resilog/resilog"
	"github.com/resilog/resilog/exporter"
)

// The README's quickstart, kept compiling.
func ExampleNew() {
	ctx := context.Background()
	p, err := resilog.New(ctx, resilog.WithServiceName("orders"))
	if err != nil {
		log.Fatal(err) // bad configuration is an error, never a half-built pipeline
	}
	defer p.Shutdown(ctx)

	logger := p.Logger("github.com/acme/shop/orders") // a *slog.Logger
	logger.InfoContext(ctx, "order created", "order_id", 1042, "total", "149.99")
}

// Stats says where every record went.
func ExamplePipeline_Stats() {
	ctx := context.Background()
	p, err := resilog.New(ctx, resilog.WithExporter("none"))
	if err != nil {
		log.Fatal(err)
	}
	_ = p.Shutdown(ctx)
	s := p.Stats()
	log.Printf("emitted=%d exported=%d fallback=%d dropped=%d", s.Emitted, s.Exported, s.Fallback, s.DroppedTotal)
}

// A second sink besides the collector: every record, redacted, also goes to a rotated
// file, through its own queue and fallback; Stats().Exporters counts each.
func ExampleWithAdditionalExporter() {
	ctx := context.Background()
	file, err := exporter.NewFile(exporter.FileConfig{Path: "/var/log/orders/audit.jsonl"})
	if err != nil {
		log.Fatal(err)
	}
	p, err := resilog.New(ctx, resilog.WithServiceName("orders"), resilog.WithAdditionalExporter("audit", file))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Shutdown(ctx)
	p.Logger("github.com/acme/shop/orders").InfoContext(ctx, "order created", "order_id", 1042)
}

// messages is an exporter of the application's own: it prints each record's message.
type messages struct{}

func (messages) Export(_ context.Context, records []sdklog.Record) error {
	for _, r := range records {
		fmt.Println(r.Body().AsString())
	}
	return nil
}
func (messages) ForceFlush(context.Context) error { return nil }
func (messages) Shutdown(context.Context) error   { return nil }

// An application that builds its own LoggerProvider plugs resilog's chain into it:
// correlation, redaction, limits, queues, retries and fallback, with the levels and
// Stats. It takes New's options and OTEL_* variables (here an exporter of the
// application's replaces OTLP, so that the example prints what it receives).
func ExampleNewProcessor() {
	ctx := context.Background()
	proc, err := resilog.NewProcessor(ctx, resilog.WithSDKExporter(messages{}),
		resilog.WithLevels("info,github.com/acme/shop=debug"))
	if err != nil {
		log.Fatal(err)
	}
	provider := sdklog.NewLoggerProvider(
		sdklog.WithResource(resource.Default()),
		sdklog.WithProcessor(proc), // first: what comes after it sees the records redacted
		sdklog.WithAttributeCountLimit(-1), sdklog.WithAttributeValueLengthLimit(-1),
	)
	orders := otelslog.NewLogger("github.com/acme/shop/orders", otelslog.WithLoggerProvider(provider))
	somelib := otelslog.NewLogger("example.com/somelib", otelslog.WithLoggerProvider(provider))

	orders.Debug("charging card 4111 1111 1111 1111")
	somelib.Debug("below its level: not exported")
	if err := proc.Shutdown(ctx); err != nil { // first: the provider's may give up before calling it
		log.Fatal(err)
	}
	if err := provider.Shutdown(ctx); err != nil {
		log.Fatal(err)
	}
	s := proc.Stats()
	fmt.Printf("emitted=%d exported=%d fallback=%d dropped=%d\n", s.Emitted, s.Exported, s.Fallback, s.DroppedTotal)
	// Output:
	// charging card ****1111
	// emitted=1 exported=1 fallback=0 dropped=0
}
