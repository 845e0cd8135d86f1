package resilog

import (
	"context"
	"runtime/debug"
	"testing"

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
