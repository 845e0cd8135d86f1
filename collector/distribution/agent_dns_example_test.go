package distribution

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/otelcol"
)

// TestAgentDNSResolverExampleValidates does what config/agent.yaml tells a user with
// gateways behind one DNS name to do: use the commented dns: resolver "instead of static".
// The resulting config must validate with the distribution's factories.
func TestAgentDNSResolverExampleValidates(t *testing.T) {
	raw, err := os.ReadFile("../config/agent.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src := string(raw)
	static := regexp.MustCompile(`(?m)^      static:\n        hostnames: .*\n`)
	if !static.MatchString(src) {
		t.Fatal("agent.yaml has no static resolver block to replace")
	}
	src = static.ReplaceAllString(src, "")
	// Uncomment the example: "      # dns:" → "      dns:", "      #   port: \"4317\"" → "        port: \"4317\"".
	example := regexp.MustCompile(`(?m)^      # (dns:|  [a-z]+: .*)$`)
	if !example.MatchString(src) {
		t.Fatal("agent.yaml has no commented dns: example")
	}
	src = example.ReplaceAllString(src, "      $1")
	if !strings.Contains(src, "      dns:\n        hostname:") {
		t.Fatalf("uncommenting went wrong:\n%s", src)
	}
	p := filepath.Join(t.TempDir(), "agent-dns.yaml")
	if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	col, err := otelcol.NewCollector(Settings([]string{p}))
	if err != nil {
		t.Fatal(err)
	}
	if err := col.DryRun(context.Background()); err != nil {
		t.Fatalf("agent.yaml with its documented dns: resolver does not validate: %v", err)
	}
}
