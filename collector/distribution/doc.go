// Package distribution is resilog's OpenTelemetry Collector distribution: the set of
// upstream components (all at one release) that cmd/resilog-collector runs and that
// collectortest starts in-process for tests.
//
// Receivers: otlp (HTTP and gRPC). Processors: batch, memory_limiter, redaction.
// Exporters: debug, file, otlp_grpc (alias otlp), otlp_http (alias otlphttp).
package distribution
