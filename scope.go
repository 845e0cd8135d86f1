package resilog

import (
	"runtime/debug"
	"strings"

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

// moduleVersion returns the version of the module in info that holds the package name
// names (the longest module path that is name or a path prefix of it; a replacement's
// version if the module is replaced), or "" when name is no such package or the module
// has no version ("(devel)", a directory replacement). It gives Pipeline.Logger's scope the
// version otelslog users set by hand with WithVersion.
func moduleVersion(info *debug.BuildInfo, name string) string {
	if info == nil || name == "" {
		return ""
	}
	best, version := "", ""
	consider := func(m *debug.Module) {
		if len(m.Path) <= len(best) || !(name == m.Path || strings.HasPrefix(name, m.Path) && name[len(m.Path)] == '/') {
			return
		}
		best, version = m.Path, m.Version
		if m.Replace != nil {
			version = m.Replace.Version
		}
	}
	consider(&info.Main)
	for _, m := range info.Deps {
		consider(m)
	}
	if version == "(devel)" {
		return ""
	}
	return version
}
