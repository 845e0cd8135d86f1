// Package distribution is resilog's OpenTelemetry Collector distribution: the set of
// upstream components (all at one release) that cmd/resilog-collector runs and that
// collectortest starts in-process for tests.
//
// Receivers: otlp (HTTP and gRPC). Processors: batch, memory_limiter, redaction.
// Exporters: debug, file, loadbalancing, otlp_grpc (alias otlp), otlp_http (alias otlphttp).
// Extensions: file_storage (the persistent sending queue of config/agent.yaml).
package distribution
