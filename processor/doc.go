// Package processor holds resilog's [sdklog.Processor] implementations: the middle of the
// data path, between the bridge and the exporter.
//
//	bridge ─► Redact ─► Correlate ─► Batch ─► exporter
//
// Processors run in registration order on the same record, each seeing the previous one's
// changes. Redaction comes first so that no later stage, and no exporter, ever holds an
// unredacted record. Processors never do network I/O; Batch hands records to an exporter
// on its own goroutines so that a log call never waits on the network.
//
// The pipeline built by the root package currently ends in the SDK's BatchProcessor; the
// processors of this package replace it as they land.
//
// [sdklog.Processor]: https://pkg.go.dev/go.opentelemetry.io/otel/sdk/log#Processor
package processor
