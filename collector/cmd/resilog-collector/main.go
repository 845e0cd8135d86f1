// Command resilog-collector is resilog's OpenTelemetry Collector distribution.
//
//	resilog-collector --config config/local.yaml
//	resilog-collector validate --config config/local.yaml
package main

import (
	"fmt"
	"os"

	"go.opentelemetry.io/collector/otelcol"

	"github.com/resilog/resilog/collector/distribution"
)

func main() {
	// URIs come from --config; the resolver is configured in distribution.Settings.
	cmd := otelcol.NewCommand(distribution.Settings(nil))
	if err := cmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
