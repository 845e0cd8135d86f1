package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/resilog/resilog"
	"github.com/resilog/resilog/collector/collectortest"
	"github.com/resilog/resilog/exporter"
)

// TestHTTPJSONOnTheWire: with OTEL_EXPORTER_OTLP_PROTOCOL=http/json every request, the
// breaker's probe included, is OTLP/JSON (Content-Type application/json), and the real
// collector's JSON decoder takes it.
func TestHTTPJSONOnTheWire(t *testing.T) {
	for _, compression := range []string{"none", "gzip"} {
		t.Run(compression, func(t *testing.T) {
			t.Setenv("OTEL_EXPORTER_OTLP_COMPRESSION", compression)
			testHTTPJSONOnTheWire(t)
		})
	}
}

func testHTTPJSONOnTheWire(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
	c := collectortest.Start(t)
	proxy := httpProxy(t, c)
	p := newPipeline(t, resilog.WithServiceName("json-wire"), resilog.WithEndpoint(proxy.URL()))
	log := p.Logger("github.com/resilog/resilog/collector/e2e")
	for i := range 50 {
		log.Info("over json", "i", i)
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	recs := c.WaitForLogs(t, 50, 10*time.Second)
	if s := p.Stats(); len(recs) != 50 || s.Exported != 50 {
		t.Fatalf("collector received %d records, stats %+v; want 50 exported", len(recs), s)
	}
	if recs[49].Attributes["i"] != int64(49) || recs[49].Resource["service.name"] != "json-wire" {
		t.Errorf("last record = %+v", recs[49])
	}

	// The probe the breaker sends while the collector is down is an empty request, {} in
	// JSON (an empty body is no JSON document): the collector must accept it.
	o, err := exporter.NewOTLP(context.Background(), exporter.OTLPConfig{Protocol: exporter.ProtocolHTTPJSON, Endpoint: proxy.URL() + "/v1/logs"})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Shutdown(context.Background())
	if err := o.Probe(context.Background()); err != nil {
		t.Errorf("probe over http/json: %v", err)
	}

	reqs := proxy.Requests()
	if len(reqs) < 2 {
		t.Fatalf("proxy saw %d requests", len(reqs))
	}
	for _, r := range reqs {
		if r.ContentType != "application/json" || r.Path != "/v1/logs" {
			t.Errorf("request %s with Content-Type %q, want application/json", r.Path, r.ContentType)
		}
	}
}
