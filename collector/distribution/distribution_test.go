package distribution

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"go.opentelemetry.io/collector/otelcol"
)

// TestShippedConfigsValidate checks every configuration in collector/config with the
// distribution's own factories, the way `resilog-collector validate` does.
func TestShippedConfigsValidate(t *testing.T) {
	paths, err := filepath.Glob("../config/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The README documents these; each must stay shipped and valid.
	for _, name := range []string{"agent.yaml", "datadog.yaml", "gateway.yaml", "grafana.yaml", "local.yaml"} {
		if !slices.Contains(paths, filepath.Join("../config", name)) {
			t.Errorf("config/%s is missing", name)
		}
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			col, err := otelcol.NewCollector(Settings([]string{p}))
			if err != nil {
				t.Fatal(err)
			}
			if err := col.DryRun(context.Background()); err != nil {
				t.Fatalf("%s does not validate: %v", p, err)
			}
		})
	}
}

func TestBrokenConfigIsRejected(t *testing.T) {
	col, err := otelcol.NewCollector(Settings([]string{"testdata/unknown-exporter.yaml"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := col.DryRun(context.Background()); err == nil {
		t.Fatal("a config naming an exporter the distribution lacks validated")
	}
}
