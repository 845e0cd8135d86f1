package resilog

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/log/embedded"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/redact"
)

// redactedScopes is the LoggerProvider resilog hands out (Pipeline.Logger, WithGlobal,
// Pipeline.LoggerProvider): it redacts the instrumentation scope (name, version, schema
// URL, attributes) when a Logger is created. A record's scope cannot be changed by a
// processor, and every exporter writes it (OTLP's scope, the JSON lines' "logger").
//
// The cost is paid once per Logger, not per record: a Logger keeps its scope, and the
// SDK keeps one Logger per scope.
type redactedScopes struct {
	embedded.LoggerProvider
	sdk    *sdklog.LoggerProvider
	engine *redact.Redactor
}

var _ log.LoggerProvider = redactedScopes{}

func (p redactedScopes) Logger(name string, opts ...log.LoggerOption) log.Logger {
	cfg := log.NewLoggerConfig(opts...)
	version, schemaURL, attrs := cfg.InstrumentationVersion(), cfg.SchemaURL(), cfg.InstrumentationAttributes()
	if attrs.Len() > 0 {
		kept := make([]attribute.KeyValue, 0, attrs.Len())
		for _, kv := range attrs.ToSlice() {
			if out, keep, _ := p.engine.KeyValue(kv); keep {
				kept = append(kept, out)
			}
		}
		attrs = attribute.NewSet(kept...)
	}
	return p.sdk.Logger(p.engine.String(name),
		log.WithInstrumentationVersion(p.engine.String(version)),
		log.WithSchemaURL(p.engine.String(schemaURL)),
		log.WithInstrumentationAttributeSet(attrs))
}
