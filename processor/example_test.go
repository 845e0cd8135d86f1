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

// The default pipeline's exporter tells Batch where its exports went.
var _ processor.Deliverer = (*exporter.Failover)(nil)

// The processors in resilog's order, assembled by hand (resilog.New does this for you).
func ExampleNewBatch() {
	ctx := context.Background()
	otlp, err := exporter.NewOTLP(ctx, exporter.OTLPConfig{Endpoint: "http://127.0.0.1:4318/v1/logs"})
	if err != nil {
		panic(err)
	}
	failover := exporter.NewFailover(otlp, exporter.NewJSONLines(os.Stdout), exporter.FailoverConfig{})
	batch := processor.NewBatch(failover, processor.BatchConfig{Overflow: processor.OverflowFallback})
	engine, err := redact.New(redact.Config{})
	if err != nil {
		panic(err)
	}
	provider := sdklog.NewLoggerProvider(
		sdklog.WithAllowKeyDuplication(), // DedupKeys does it, cheaper
		sdklog.WithProcessor(processor.NewDedupKeys()),
		sdklog.WithProcessor(processor.NewCorrelate(processor.CorrelateConfig{Baggage: []string{"tenant"}})),
		sdklog.WithProcessor(processor.NewRedact(engine)),
		sdklog.WithProcessor(batch),
	)
	defer provider.Shutdown(ctx)
	fmt.Println(batch.Stats().Emitted)
	// Output: 0
}
