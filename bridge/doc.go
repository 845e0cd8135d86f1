// Package bridge is the start of resilog's data path: the [slog.Handler] that turns
// log/slog records into OpenTelemetry log records.
//
//	slog.Logger ─► bridge.Handler ─► sdk/log LoggerProvider ─► processors ─► exporter
//
// A [Handler] is named: the name (by Go convention the import path of the code that logs)
// becomes the record's instrumentation scope. Its level gate runs in Enabled, before any
// conversion, so a disabled call costs a comparison. The trace and span of the context
// become the record's trace_id and span_id (the SDK reads them at Emit).
//
// The Handler converts records itself, with slog.JSONHandler's semantics: groups opened
// with WithGroup nest in the order they were opened and hold the attributes bound after
// them; a group left without attributes is omitted; source (code.*) and exception.*
// attributes stay at the top level. Values keep the caller's own hiding wherever they sit
// (a LogValuer is resolved; then, in slog.JSONHandler's order, MarshalJSON, Error and
// MarshalText speak for the value, String last; pointer receivers included), a time is an
// RFC 3339 string with nanoseconds, and no value — typed nil, cycle, panicking method, deep
// or huge — makes a log call panic or work without bound: depth, size and cycles are
// bounded and replaced by a marker. Bound context attributes go through the same converter,
// in propagation.With. A record with only scalar attributes and no open group is converted
// with no allocation of its own.
//
//	h := bridge.NewHandler("github.com/acme/shop/orders",
//		bridge.WithLoggerProvider(provider),
//		bridge.WithLevel(slog.LevelDebug))
//	logger := slog.New(h)
//
// A Handler is safe for concurrent use. Handle never blocks on I/O: what happens after
// conversion is the processors' business.
package bridge
