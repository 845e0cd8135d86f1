package resilog

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"runtime/debug"
	"strings"
	"testing"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"

	"github.com/resilog/resilog/internal/recordtest"
)

func TestModuleVersion(t *testing.T) {
	info := &debug.BuildInfo{
		Main: debug.Module{Path: "github.com/acme/shop", Version: "v1.4.2"},
		Deps: []*debug.Module{
			{Path: "go.opentelemetry.io/otel", Version: "v1.47.0"},
			{Path: "go.opentelemetry.io/otel/sdk/log", Version: "v0.23.0"},
			{Path: "github.com/acme/lib", Version: "v0.1.0", Replace: &debug.Module{Path: "github.com/fork/lib", Version: "v0.1.1"}},
			{Path: "github.com/acme/local", Version: "v0.2.0", Replace: &debug.Module{Path: "../local"}},
		},
	}
	for name, want := range map[string]string{
		"github.com/acme/shop":               "v1.4.2",
		"github.com/acme/shop/orders":        "v1.4.2",
		"github.com/acme/shopping":           "", // a prefix, not a path element
		"go.opentelemetry.io/otel/trace":     "v1.47.0",
		"go.opentelemetry.io/otel/sdk/log/x": "v0.23.0", // the longest module path wins
		"github.com/acme/lib/db":             "v0.1.1",  // the replacement's version
		"github.com/acme/local/db":           "",        // replaced by a directory: no version
		"orders":                             "",
		"":                                   "",
	} {
		if got := moduleVersion(info, name); got != want {
			t.Errorf("moduleVersion(%q) = %q, want %q", name, got, want)
		}
	}
	info.Main.Version = "(devel)"
	if got := moduleVersion(info, "github.com/acme/shop/orders"); got != "" {
		t.Errorf("a (devel) main module gave version %q", got)
	}
	if got := moduleVersion(nil, "github.com/acme/shop"); got != "" {
		t.Errorf("no build information gave version %q", got)
	}
}

// A logger named by an import path carries, as otelslog's WithVersion and WithSchemaURL
// would set them, the version of the module that holds the package (from the binary's
// build information) and the schema URL of the conventions the bridge's own attributes
// follow (code.*, exception.*).
func TestLoggerScopeHasModuleVersionAndSchemaURL(t *testing.T) {
	exp := new(recordtest.Exporter)
	p, err := New(context.Background(), WithSDKExporter(exp), envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	// Test binaries carry no dependency list: give the pipeline the build information a
	// service's binary would have.
	p.build = &debug.BuildInfo{
		Main: debug.Module{Path: "github.com/acme/shop", Version: "v1.4.2"},
		Deps: []*debug.Module{{Path: "google.golang.org/grpc", Version: "v1.83.2"}},
	}
	p.Logger("github.com/acme/shop/orders").Info("from the service")
	slog := p.Logger("google.golang.org/grpc/internal/transport")
	slog.Info("from a dependency")
	p.Logger("orders").Info("a name that is no import path")
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"github.com/acme/shop/orders":               "v1.4.2",
		"google.golang.org/grpc/internal/transport": "v1.83.2",
		"orders": "",
	}
	recs := exp.Records()
	if len(recs) != len(want) {
		t.Fatalf("exported %d records, want %d", len(recs), len(want))
	}
	for _, r := range recs {
		s := r.InstrumentationScope()
		if v, ok := want[s.Name]; !ok || s.Version != v {
			t.Errorf("scope %q: version %q, want %q", s.Name, s.Version, v)
		}
		if s.SchemaURL != semconv.SchemaURL {
			t.Errorf("scope %q: schema URL %q, want %q", s.Name, s.SchemaURL, semconv.SchemaURL)
		}
	}
}

func bodies(exp *recordtest.Exporter) []string {
	var out []string
	for _, r := range exp.Records() {
		out = append(out, r.InstrumentationScope().Name+":"+r.Body().AsString())
	}
	return out
}

// Issue 14, item 2: RESILOG_LOG_LEVELS gates a library's own bridge on the pipeline's
// provider, by its scope name, as it gates Pipeline.Logger; redaction on or off.
func TestLevelsGateEveryLoggerOfTheProvider(t *testing.T) {
	for _, redaction := range []bool{true, false} {
		t.Run(map[bool]string{true: "redaction", false: "no redaction"}[redaction], func(t *testing.T) {
			exp := new(recordtest.Exporter)
			opts := []Option{envOf(map[string]string{"RESILOG_LOG_LEVELS": "warn,example.com/somelib/verbose=debug"}), WithSDKExporter(exp)}
			if !redaction {
				opts = append(opts, WithoutRedaction())
			}
			p, err := New(context.Background(), opts...)
			if err != nil {
				t.Fatal(err)
			}
			lib := otelslog.NewLogger("example.com/somelib", otelslog.WithLoggerProvider(p.LoggerProvider()))
			lib.Debug("lib debug")
			lib.Info("lib info")
			lib.Warn("lib warn")
			otelslog.NewLogger("example.com/somelib/verbose", otelslog.WithLoggerProvider(p.LoggerProvider())).Debug("verbose debug")

			// A bridge that emits without asking Enabled first.
			raw := p.LoggerProvider().Logger("example.com/rawlib")
			if raw.Enabled(context.Background(), log.EnabledParameters{Severity: log.SeverityInfo}) {
				t.Error("Enabled(INFO) under warn")
			}
			var rec log.Record
			rec.SetSeverity(log.SeverityInfo)
			rec.SetBody(attribute.StringValue("raw info"))
			raw.Emit(context.Background(), rec)
			rec.SetSeverity(log.SeverityError)
			rec.SetBody(attribute.StringValue("raw error"))
			raw.Emit(context.Background(), rec)

			// The levels change at run time for these loggers too.
			if err := p.Levels().Set("debug"); err != nil {
				t.Fatal(err)
			}
			lib.Debug("lib debug after the change")
			if err := p.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			want := "example.com/somelib:lib warn,example.com/somelib/verbose:verbose debug,example.com/rawlib:raw error,example.com/somelib:lib debug after the change"
			if got := strings.Join(bodies(exp), ","); got != want {
				t.Errorf("records\n got %s\nwant %s", got, want)
			}
		})
	}
}

// Issue 14, item 2, as the issue met it: a library's otelslog logger on the global
// provider that WithGlobal installs.
func TestLevelsGateTheGlobalProvider(t *testing.T) {
	prevSlog, prevProvider := slog.Default(), otel.GetLoggerProvider()
	t.Cleanup(func() { slog.SetDefault(prevSlog); otel.SetLoggerProvider(prevProvider) })
	exp := new(recordtest.Exporter)
	p, err := New(context.Background(), envOf(map[string]string{"RESILOG_LOG_LEVELS": "warn"}), WithServiceName("svc"), WithSDKExporter(exp), WithGlobal())
	if err != nil {
		t.Fatal(err)
	}
	lib := otelslog.NewLogger("example.com/somelib")
	lib.Debug("lib debug")
	lib.Info("lib info")
	lib.Warn("lib warn")
	slog.Info("default info")
	slog.Warn("default warn")
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(bodies(exp), ","), "example.com/somelib:lib warn,svc:default warn"; got != want {
		t.Errorf("records\n got %s\nwant %s", got, want)
	}
}

// Issue 14, item 2: Levels is never nil. Under WithLevel it holds WithLevel's level as its
// default, shows it, and mounts as the README shows.
func TestLevelsUnderWithLevel(t *testing.T) {
	exp := new(recordtest.Exporter)
	p, err := New(context.Background(), envOf(nil), WithSDKExporter(exp), WithLevel(slog.LevelWarn))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(context.Background())
	if p.Levels() == nil {
		t.Fatal("Levels() is nil under WithLevel")
	}
	srv := httptest.NewServer(p.Levels())
	defer srv.Close()
	get := func() string {
		resp, err := srv.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if got := get(); got != "warn\n" {
		t.Errorf("GET = %q, want the WithLevel default", got)
	}
	lib := otelslog.NewLogger("example.com/somelib", otelslog.WithLoggerProvider(p.LoggerProvider()))
	p.Logger("app").Info("app info")
	lib.Info("lib info")
	resp, err := srv.Client().Post(srv.URL, "text/plain", strings.NewReader("example.com/somelib=debug"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := get(); got != "warn,example.com/somelib=debug\n" {
		t.Errorf("GET = %q: a spec without a default keeps WithLevel's", got)
	}
	p.Logger("app").Info("app info, still below warn")
	lib.Debug("lib debug")
	_ = p.ForceFlush(context.Background())
	if got, want := strings.Join(bodies(exp), ","), "example.com/somelib:lib debug"; got != want {
		t.Errorf("records\n got %s\nwant %s", got, want)
	}
}

// WithLevel with a *slog.LevelVar keeps changing every logger's default live.
func TestLevelsWithLevelVar(t *testing.T) {
	exp := new(recordtest.Exporter)
	var lv slog.LevelVar
	lv.Set(slog.LevelError)
	p, err := New(context.Background(), envOf(map[string]string{"RESILOG_LOG_LEVELS": "debug,example.com/quiet=error"}), WithSDKExporter(exp), WithLevel(&lv))
	if err != nil {
		t.Fatal(err)
	}
	app, lib, quiet := p.Logger("app"), otelslog.NewLogger("example.com/somelib", otelslog.WithLoggerProvider(p.LoggerProvider())), p.Logger("example.com/quiet")
	app.Warn("app warn")
	lib.Warn("lib warn")
	lv.Set(slog.LevelDebug)
	app.Debug("app debug")
	lib.Debug("lib debug")
	quiet.Warn("quiet warn") // the variable's prefix entry stays
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(bodies(exp), ","), "app:app debug,example.com/somelib:lib debug"; got != want {
		t.Errorf("records\n got %s\nwant %s", got, want)
	}
}
