package e2e

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/resilog/resilog"
	"github.com/resilog/resilog/bridge"
	"github.com/resilog/resilog/collector/collectortest"
)

// The instrumentation scope's version and schema URL reach the collector, over both
// protocols: Pipeline.Logger's schema URL (the conventions of the bridge's attributes),
// and the version a bridge handler of the user's own is given, as with otelslog.
func TestScopeVersionAndSchemaURLReachTheCollector(t *testing.T) {
	for _, proto := range []string{"http", "grpc"} {
		t.Run(proto, func(t *testing.T) {
			c := collectortest.Start(t)
			p := newPipeline(t, resilog.WithProtocol(map[string]string{"http": "http/protobuf", "grpc": "grpc"}[proto]),
				resilog.WithEndpoint(endpointFor(c, proto)))
			p.Logger("github.com/acme/shop/orders").Info("from Pipeline.Logger")
			slog.New(bridge.NewHandler("github.com/acme/lib", bridge.WithLoggerProvider(p.LoggerProvider()),
				bridge.WithVersion("v1.4.2"), bridge.WithSchemaURL("https://opentelemetry.io/schemas/1.26.0"))).Info("from a handler of its own")
			if err := p.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			want := map[string][2]string{
				"github.com/acme/shop/orders": {"", "https://opentelemetry.io/schemas/1.40.0"},
				"github.com/acme/lib":         {"v1.4.2", "https://opentelemetry.io/schemas/1.26.0"},
			}
			for _, r := range c.WaitForLogs(t, 2, 10*time.Second) {
				if got := [2]string{r.ScopeVersion, r.ScopeSchemaURL}; got != want[r.Scope] {
					t.Errorf("scope %q: version and schema URL %q, want %q", r.Scope, got, want[r.Scope])
				}
			}
		})
	}
}
