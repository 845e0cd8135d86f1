package processor_test

import (
	"context"
	"fmt"
	"os"

	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/exporter"
	"github.com/resilog/resilog/processor"
	"github.com/resilog/resilog/redact"
)

// The processors in resilog's order, assembled by hand (resilog.New does this for you).
func ExampleNewBatch() {
	ctx := context.Background()
	otlp, err := exporter.NewOTLP(ctx, exporter.OTLPConfig{Endpoint: "http://127.0.0.1:4318/v1/logs"})
	if err != nil {
		panic(err)
	}
	// The route is explicit: the collector, how to probe it, and stdout when it fails.
	route := processor.Route{Primary: otlp, Probe: otlp.Probe, Fallback: exporter.NewJSONLines(os.Stdout)}
	batch, err := processor.NewBatch(route, processor.BatchConfig{Overflow: processor.OverflowFallback}, processor.FailoverConfig{})
	if err != nil {
		panic(err)
	}
	// Sampling, when wanted, wraps the Batch and is registered in its place.
	sampled, err := processor.NewSample(batch, processor.Sampling{First: 100, Thereafter: 10})
	if err != nil {
		panic(err)
	}
	engine, err := redact.New(redact.Config{})
	if err != nil {
		panic(err)
	}
	provider := sdklog.NewLoggerProvider(
		sdklog.WithAllowKeyDuplication(), // DedupKeys does it, cheaper
		sdklog.WithProcessor(processor.NewDedupKeys()),
		sdklog.WithProcessor(processor.NewCorrelate(processor.CorrelateConfig{Baggage: []string{"tenant"}})),
		sdklog.WithProcessor(processor.NewRedact(engine)),
		sdklog.WithProcessor(sampled),
	)
	defer provider.Shutdown(ctx)
	fmt.Println(batch.Stats().Emitted)
	// Output: 0
}
