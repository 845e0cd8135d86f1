// Package resilog makes a Go service's logs survive production.
//
// It bridges log/slog into the OpenTelemetry log SDK and exports over OTLP to an
// OpenTelemetry Collector. One call builds the whole data path:
//
//	slog.Logger ─► bridge ─► sdk/log LoggerProvider ─► processors ─► exporter
//
//	p, err := resilog.New(ctx, resilog.WithServiceName("orders"))
//	if err != nil {
//		return err
//	}
//	defer p.Shutdown(context.Background())
//	log := p.Logger("github.com/acme/shop/orders")
//	log.InfoContext(ctx, "order created", "order_id", 1042)
//
// # Configuration
//
// Every setting is resolved in one place with one precedence: an [Option] passed to [New]
// beats the standard OTEL_* environment variable, which beats the default. New reads
// OTEL_SDK_DISABLED, OTEL_LOGS_EXPORTER (otlp, console, a list of both, or none),
// OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_{,LOGS_}{ENDPOINT,
// PROTOCOL, HEADERS, TIMEOUT, COMPRESSION, INSECURE}, OTEL_BLRP_* and
// OTEL_{LOGRECORD_,}ATTRIBUTE_{COUNT, VALUE_LENGTH}_LIMIT (applied after redaction, see [WithAttributeLimits]). Invalid
// configuration makes New return an error wrapping [ErrInvalidConfig]; it never panics,
// never returns a half-built pipeline, and never quotes a credential.
// OTEL_SDK_DISABLED=true turns telemetry off, not the logs: nothing goes over OTLP, and
// records go to stdout through the console exporter. RESILOG_LOG_LEVELS (or [WithLevels],
// [WithLevel]) sets levels by logger name; they gate every logger of the pipeline, a
// library's own bridge on [Pipeline.LoggerProvider] or the global provider included.
//
// # Several exporters, your own provider
//
// With several exporters (OTEL_LOGS_EXPORTER=otlp,console, [WithAdditionalExporter]),
// each record goes to each, redacted, through a queue and fallback of its own, and
// [Stats] counts each delivery ([Stats.Exporters]). An application that builds its own
// sdklog.LoggerProvider plugs the same chain into it with [NewProcessor].
//
// # Globals
//
// New changes no process-wide state unless [WithGlobal] is given; then it sets
// slog.SetDefault and otel.SetLoggerProvider.
package resilog
