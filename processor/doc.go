// Package processor holds resilog's [sdklog.Processor] implementations: the middle of the
// data path, between the bridge and the exporter.
//
//	bridge ─► DedupKeys ─► Correlate ─► Redact ─► Limit ─► [Sample ─►] Batch ─► Route: primary exporter, or fallback
//
// Processors run in registration order on the same record, each seeing the previous one's
// changes. DedupKeys makes keys unique more cheaply than the SDK does; Correlate adds what
// the context knows (request ID, bound attributes), before Redact, so that those are
// redacted too and no later stage, and no exporter, ever holds an unredacted record. Limit
// applies the attribute limits after Redact, so that a value is never cut before redaction
// has seen it whole. Processors never do network I/O; Batch hands records to an exporter on its own
// goroutines so that a log call never waits on the network. Batch is the head of the
// delivery core: one bounded queue, one ledger of every record's fate, and the [Route] it
// is given (retries, breaker and probing to the primary; the fallback when it fails).
//
//	engine, err := redact.New(redact.Config{Off: []redact.Group{redact.GroupContact}})
//	route := processor.Route{Primary: otlp, Probe: otlp.Probe, Fallback: exporter.NewJSONLines(os.Stdout)}
//	batch, err := processor.NewBatch(route, processor.BatchConfig{}, processor.FailoverConfig{})
//	provider := sdklog.NewLoggerProvider(sdklog.WithAllowKeyDuplication(),
//		sdklog.WithAttributeCountLimit(-1), sdklog.WithAttributeValueLengthLimit(-1), // Limit applies them
//		sdklog.WithProcessor(processor.NewDedupKeys()), sdklog.WithProcessor(processor.NewCorrelate(processor.CorrelateConfig{})),
//		sdklog.WithProcessor(processor.NewRedact(engine)), sdklog.WithProcessor(processor.NewLimit(processor.LimitConfig{})), sdklog.WithProcessor(batch))
//
// [sdklog.Processor]: https://pkg.go.dev/go.opentelemetry.io/otel/sdk/log#Processor
package processor
