// Package bridge is the start of resilog's data path: the [slog.Handler] that turns
// log/slog records into OpenTelemetry log records.
//
//	slog.Logger ─► bridge.Handler ─► sdk/log LoggerProvider ─► processors ─► exporter
//
// A [Handler] is named: the name (by Go convention the import path of the code that logs)
// becomes the record's instrumentation scope. Its level gate runs in Enabled, before any
// conversion, so a disabled call costs a comparison. Conversion is the upstream otelslog
// bridge's: groups become nested maps, the trace and span of the context become the
// record's trace_id and span_id. Records whose attributes are all scalars are converted in
// the Handler itself, with the same result and one allocation fewer per call.
//
//	h := bridge.NewHandler("github.com/acme/shop/orders",
//		bridge.WithLoggerProvider(provider),
//		bridge.WithLevel(slog.LevelDebug))
//	logger := slog.New(h)
//
// A Handler is safe for concurrent use. Handle never blocks on I/O: what happens after
// conversion is the processors' business.
package bridge
