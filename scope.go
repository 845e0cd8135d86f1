package resilog

import (
	"context"
	"log/slog"
	"runtime/debug"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/log/embedded"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/bridge"
	"github.com/resilog/resilog/redact"
)

// scopes is the LoggerProvider resilog hands out (Pipeline.Logger, WithGlobal,
// Pipeline.LoggerProvider). It does, per Logger, what no processor can:
//
//   - it redacts the instrumentation scope (name, version, schema URL, attributes) when a
//     Logger is created: a record's scope cannot be changed by a processor, and every
//     exporter writes it (OTLP's scope, the JSON lines' "logger");
//   - it gates every Logger by the levels of its scope name, so that a library's own
//     bridge (otelslog on the global provider) obeys RESILOG_LOG_LEVELS like
//     Pipeline.Logger does. The gate answers Enabled before the SDK is asked, so that a
//     disabled call costs what the bridge's own gate costs, and drops a record below the
//     level in Emit too, for bridges that emit without asking.
//
// The redaction is paid once per Logger, not per record: a Logger keeps its scope, and the
// SDK keeps one Logger per scope. The levels are matched against the name as given, before
// redaction, as the user wrote them.
type scopes struct {
	embedded.LoggerProvider
	sdk    *sdklog.LoggerProvider
	engine *redact.Redactor // nil: redaction off
	levels *bridge.Levels   // nil: no gate (Pipeline.Handler's bridge gates by itself)
}

var _ log.LoggerProvider = scopes{}

func (p scopes) Logger(name string, opts ...log.LoggerOption) log.Logger {
	l := p.sdkLogger(name, opts...)
	if p.levels == nil {
		return l
	}
	return &gatedLogger{Logger: l, level: p.levels.For(name)}
}

func (p scopes) sdkLogger(name string, opts ...log.LoggerOption) log.Logger {
	if p.engine == nil {
		return p.sdk.Logger(name, opts...)
	}
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

// gatedLogger is a Logger whose records below its scope's level are disabled. A record
// without a severity (SeverityUndefined) is not judged: it passes.
type gatedLogger struct {
	log.Logger
	level slog.Leveler
}

func (g *gatedLogger) Enabled(ctx context.Context, param log.EnabledParameters) bool {
	return !below(param.Severity, g.level.Level()) && g.Logger.Enabled(ctx, param)
}

func (g *gatedLogger) Emit(ctx context.Context, r log.Record) {
	if !below(r.Severity(), g.level.Level()) {
		g.Logger.Emit(ctx, r)
	}
}

// sevOffset maps OpenTelemetry severities onto slog levels, as the bridge and otelslog do:
// SeverityInfo (9) is slog.LevelInfo (0).
const sevOffset = slog.Level(log.SeverityInfo) - slog.LevelInfo

// below reports whether a record at severity sev is below the level min: the levels' one
// rule, for New's loggers (gatedLogger) and NewProcessor's records (Processor). A record
// without a severity (SeverityUndefined) is not judged: it is never below.
func below(sev log.Severity, min slog.Level) bool {
	return sev != log.SeverityUndefined && slog.Level(sev)-sevOffset < min
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
