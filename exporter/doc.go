// Package exporter holds resilog's [sdklog.Exporter] implementations: the end of the data path.
//
//	bridge ─► processors (DedupKeys ─► Correlate ─► Redact ─► Limit ─► Batch: queue, retries, breaker) ─► exporter
//
// An exporter receives batches of records that were already correlated, redacted and limited. It owns
// network and file I/O and nothing else: queueing, retries, the breaker and the choice between
// the collector and the fallback belong to processor.Batch and its Route.
//
// [NewOTLP] builds the OTLP exporter (HTTP/protobuf, HTTP/JSON or gRPC) from an [OTLPConfig] that the root
// package resolves from options and OTEL_EXPORTER_OTLP_* variables.
//
//	exp, err := exporter.NewOTLP(ctx, exporter.OTLPConfig{
//		Protocol: exporter.ProtocolHTTP,
//		Endpoint: "http://127.0.0.1:4318/v1/logs",
//		Timeout:  10 * time.Second,
//	})
//
// Its zero fields take the defaults written beside them; [OTLPConfig.Validate] checks a
// configuration (certificate files included) before NewOTLP uses it. For TLS, give an
// https endpoint and either a *tls.Config or the PEM files of OTEL_EXPORTER_OTLP_CERTIFICATE
// and, for mTLS, the client certificate and key.
//
// [sdklog.Exporter]: https://pkg.go.dev/go.opentelemetry.io/otel/sdk/log#Exporter
package exporter
