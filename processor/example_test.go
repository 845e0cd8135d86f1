package processor_test

import (
	"context"
	"fmt"
	"os"
	"regexp"

	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/exporter"
	"github.com/resilog/resilog/processor"
)

// The default pipeline's exporter tells Batch where its exports went.
var _ processor.Deliverer = (*exporter.Failover)(nil)

func ExampleRedact_String() {
	r, err := processor.NewRedact(processor.RedactConfig{})
	if err != nil {
		panic(err)
	}
	fmt.Println(r.String("login failed for user=jdoe password=hunter22 from jane@example.com"))
	fmt.Println(r.String("charged 4242 4242 4242 4242, order 4406486902527628"))
	// Output:
	// login failed for user=jdoe password=[REDACTED:secret] from [REDACTED:email]
	// charged ****4242, order 4406486902527628
}

func ExampleNewRedact() {
	r, err := processor.NewRedact(processor.RedactConfig{
		Keys:     map[string]processor.Kind{"customer_note": ""},
		Patterns: []processor.Pattern{{Kind: "order_secret", Regexp: regexp.MustCompile(`OS-[0-9]{6}`)}},
		Masks:    map[processor.Kind]processor.Mask{processor.KindEmail: processor.MaskHMAC},
		HMACKey:  []byte("rotate me"),
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(r.String("customer_note=call-me ref OS-123456"))
	// Output: customer_note=[REDACTED:secret] ref [REDACTED:order_secret]
}

// The processors in resilog's order, assembled by hand (resilog.New does this for you).
func ExampleNewBatch() {
	ctx := context.Background()
	otlp, err := exporter.NewOTLP(ctx, exporter.OTLPConfig{Endpoint: "http://127.0.0.1:4318/v1/logs"})
	if err != nil {
		panic(err)
	}
	failover := exporter.NewFailover(otlp, exporter.NewJSONLines(os.Stdout), exporter.FailoverConfig{})
	batch := processor.NewBatch(failover, processor.BatchConfig{Overflow: processor.OverflowFallback})
	redact, err := processor.NewRedact(processor.RedactConfig{})
	if err != nil {
		panic(err)
	}
	provider := sdklog.NewLoggerProvider(
		sdklog.WithAllowKeyDuplication(), // DedupKeys does it, cheaper
		sdklog.WithProcessor(processor.NewDedupKeys()),
		sdklog.WithProcessor(processor.NewCorrelate(processor.CorrelateConfig{Baggage: []string{"tenant"}})),
		sdklog.WithProcessor(redact),
		sdklog.WithProcessor(batch),
	)
	defer provider.Shutdown(ctx)
	fmt.Println(batch.Stats().Emitted)
	// Output: 0
}
