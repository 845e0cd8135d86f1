package exporter

import (
	"context"
	"strings"
	"testing"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// ValidateEndpoint's errors promise scheme and host only, but the host includes the port,
// and an endpoint missing its "@host" part ("ftp://bob:4242424242424242") parses with the
// password as the port: a card number, or any numeric PIN, is quoted back.
func TestAttackValidateEndpointQuotesPort(t *testing.T) {
	err := ValidateEndpoint("ftp://bob:4242424242424242")
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), "4242424242424242") {
		t.Errorf("the error quotes a card number: %v", err)
	}
}

// net/http's errors strip an endpoint's password but keep its query, where collectors
// behind gateways take their API keys (?api_key=, ?token=): OTLP.Export's *ExportError and
// Probe's error quote it. Nothing on main prints them yet, but the error is the exported
// type every report of a failed export (Stats, stderr) is built from.
func TestAttackExportErrorQuotesEndpointQuery(t *testing.T) {
	const key = "sk-proj-RkjEkeFeW6pGPExMIe35ymTM5LNGhXgtGIztEQFZrihKR87Ct358x208LsT3BlbkFJEfYLVt1NG8asAmjrYEb"
	// Port 1 on loopback: refused at once, nothing listens there.
	o, err := NewOTLP(context.Background(), OTLPConfig{Endpoint: "http://127.0.0.1:1/v1/logs?api_key=" + key, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Shutdown(context.Background())
	for name, err := range map[string]error{
		"Export": o.Export(context.Background(), make([]sdklog.Record, 1)),
		"Probe":  o.Probe(context.Background()),
	} {
		if err == nil {
			t.Fatalf("%s: no error from a refused connection", name)
		}
		if strings.Contains(err.Error(), key) {
			t.Errorf("%s's error quotes the API key: %v", name, err)
		}
	}
}
