package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/resilog/resilog"
	"github.com/resilog/resilog/collector/collectortest"
)

// TestSDKDisabledSendsNothing: with OTEL_SDK_DISABLED (WithDisabled(true)) and a real,
// reachable collector as the endpoint, nothing goes over OTLP (the records go to stdout;
// the root package's TestSDKDisabledWritesToStdout reads them there). A pipeline that is
// not disabled, started afterwards on the same endpoint, proves the collector was there to
// take them: only its record arrives.
func TestSDKDisabledSendsNothing(t *testing.T) {
	for _, proto := range []string{"http/protobuf", "grpc"} {
		t.Run(proto, func(t *testing.T) {
			c := collectortest.Start(t)
			endpoint := c.HTTPEndpoint()
			if proto == "grpc" {
				endpoint = c.GRPCEndpoint()
			}
			ctx := context.Background()
			disabled := newPipeline(t, resilog.WithServiceName("e2e-disabled"), resilog.WithProtocol(proto),
				resilog.WithEndpoint(endpoint), resilog.WithDisabled(true))
			log := disabled.Logger("github.com/acme/shop/orders")
			for i := range 3 {
				log.InfoContext(ctx, "while telemetry is off", "i", i)
			}
			if err := disabled.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			if s := disabled.Stats(); s.Emitted != 3 || s.Exported != 3 {
				t.Errorf("disabled pipeline: %+v, want the 3 records written by the console exporter", s)
			}

			enabled := newPipeline(t, resilog.WithServiceName("e2e-enabled"), resilog.WithProtocol(proto), resilog.WithEndpoint(endpoint))
			enabled.Logger("github.com/acme/shop/orders").InfoContext(ctx, "marker")
			if err := enabled.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			c.WaitForLogs(t, 1, 10*time.Second)
			recs := c.Logs()
			if len(recs) != 1 || recs[0].Body != "marker" {
				t.Errorf("the collector received %d records, want only the marker: %v", len(recs), recs)
			}
		})
	}
}
