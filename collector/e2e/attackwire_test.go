package e2e

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/resilog/resilog"
	"github.com/resilog/resilog/collector/collectortest"
	"github.com/resilog/resilog/exporter"
)

// Attacks by adversary attackwire on http/json, the OTLP/JSON encoding and the Datadog
// config's dd.* exemption.

// wireRecords sends the same records over proto to a fresh real collector and returns what
// it received, keyed by body, printed with %v (which prints NaN, unlike DeepEqual's view).
func wireRecords(t *testing.T, proto string, log func(l *slog.Logger)) (map[string]string, resilog.Stats) {
	t.Helper()
	c := collectortest.Start(t)
	p := newPipeline(t, resilog.WithProtocol(proto), resilog.WithEndpoint(c.HTTPEndpoint()), resilog.WithServiceName("wire"))
	log(p.Logger("github.com/acme/shop/orders"))
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := p.Stats()
	out := map[string]string{}
	if s.Exported == 0 {
		return out, s
	}
	for _, r := range c.WaitForLogs(t, int(s.Exported), 10*time.Second) {
		r.Resource, r.Timestamp, r.ObservedTimestamp = nil, time.Time{}, time.Time{}
		out[fmt.Sprint(r.Attributes["case"])] = fmt.Sprintf("%+v", r)
	}
	return out, s
}

// TestHTTPJSONDeliversInvalidUTF8AsProtobufDoes guards against what adversary attackwire found (fixed): a string holding a run of
// invalid UTF-8 bytes reaches the real collector differently over http/json than over
// http/protobuf: the protobuf encoding replaces each run with one U+FFFD
// (strings.ToValidUTF8), the JSON encoding (appendJSONString) writes one \ufffd per invalid
// byte, though its doc says it does "as the protobuf encoding does". "a\xff\xfeb" arrives
// as "a\uFFFDb" over protobuf and as "a\uFFFD\uFFFDb" over JSON; an encoded surrogate
// (\xed\xa0\x80, what a UTF-16 conversion leaves) as one and three U+FFFD. The same record
// thus differs by protocol (body, attribute values and keys: a key changes, so a dashboard
// or a query by key finds one protocol's records only), and a record replayed from the
// otlp-json fallback differs from the same record exported before the outage.
// Correct: the two encodings deliver the same strings.
func TestHTTPJSONDeliversInvalidUTF8AsProtobufDoes(t *testing.T) {
	log := func(l *slog.Logger) {
		l.Info("a\xff\xfeb", "case", "run", "k\xff\xfe", "v\xed\xa0\x80w")
	}
	pb, spb := wireRecords(t, exporter.ProtocolHTTP, log)
	js, sjs := wireRecords(t, exporter.ProtocolHTTPJSON, log)
	if spb.Exported != 1 || sjs.Exported != 1 {
		t.Fatalf("exported over protobuf %d, over json %d; want 1 each", spb.Exported, sjs.Exported)
	}
	if pb["run"] != js["run"] {
		t.Errorf("the collector received a different record over http/json than over http/protobuf:\nprotobuf %q\njson     %q", pb["run"], js["run"])
	}
}

// TestHugeSeverityDeliversTheBatchOverBothProtocols guards against what adversary attackwire found (fixed): over http/json one record logged
// at a level whose severity does not fit OTLP's int32 (slog.Level(math.MaxInt32): severity
// 2^31+8) makes the real collector reject the whole request (400 "ReadInt32: overflow"),
// so every record of its batch goes to the fallback instead of the collector, while over
// http/protobuf the same batch is delivered (the varint is read as an int32). One odd log
// call (a level computed or parsed from input) keeps the innocent records logged beside it
// out of the backend. The otlp-json fallback line holds the same number, which `resilog
// replay` cannot decode either (int32): the record is never replayed.
// Correct: the JSON encoding writes the severity the protobuf encoding delivers (an int32),
// and every record of the batch reaches the collector over both protocols.
func TestHugeSeverityDeliversTheBatchOverBothProtocols(t *testing.T) {
	const n = 10
	log := func(l *slog.Logger) {
		for i := range n {
			l.Info("innocent", "case", i)
		}
		l.Log(context.Background(), slog.Level(math.MaxInt32), "odd level", "case", "odd")
	}
	_, spb := wireRecords(t, exporter.ProtocolHTTP, log)
	_, sjs := wireRecords(t, exporter.ProtocolHTTPJSON, log)
	if spb.Exported != n+1 {
		t.Fatalf("over protobuf %d of %d records exported: %+v", spb.Exported, n+1, spb)
	}
	if sjs.Exported != n+1 {
		t.Errorf("over http/json %d of %d records exported (fallback %d), protobuf delivered all; last error: %.200s",
			sjs.Exported, n+1, sjs.Fallback, sjs.LastExportError)
	}
}

// TestDatadogConfigMasksACardInDDTraceID guards against what adversary attackwire found (fixed): config/datadog.yaml's
// `ignored_keys: [dd.trace_id, dd.span_id]` exempts those keys whatever they hold: a card
// number sent under dd.trace_id (by any client of the gateway: a service not built on
// resilog, or one whose record has no span, or another span) reaches the Datadog Agent
// unmasked, while the same number under any other key is masked by the config's
// blocked_values. The comment above it says these values are "derived from the record's
// IDs, never user data", which the collector does not check (resilog's own exemption,
// isOwnDatadogID, does: it compares with the record's IDs).
// Correct: a dd.trace_id that is not the decimal of the record's own trace ID is redacted
// like any other attribute (for example by a transform/filter on the key's value that
// keeps only the record's own ID, or by not ignoring the keys and masking card numbers
// with patterns that cannot match inside a longer run of digits).
func TestDatadogConfigMasksACardInDDTraceID(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the collector as a process")
	}
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	agent := collectortest.Start(t)
	httpAddr, grpcAddr := freeAddr(t), freeAddr(t)
	dd := startProcess(t, t.TempDir(), "datadog", bin, "../config/datadog.yaml", []string{httpAddr, grpcAddr},
		"OTLP_HTTP_LISTEN="+httpAddr, "OTLP_GRPC_LISTEN="+grpcAddr, "DD_AGENT_OTLP_ENDPOINT="+agent.GRPCAddr())
	defer dd.stop()

	const card = "4111111111111111"
	// A record without a span (no traceId), sent as any OTLP client sends it.
	body := `{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"billing"}}]},` +
		`"scopeLogs":[{"scope":{"name":"billing"},"logRecords":[{"severityNumber":9,"body":{"stringValue":"charged"},"attributes":[` +
		`{"key":"dd.trace_id","value":{"stringValue":"` + card + `"}},` +
		`{"key":"dd.span_id","value":{"stringValue":"5500000000000004"}},` +
		`{"key":"note","value":{"stringValue":"cards ` + card + ` ` + card + `,` + card + `"}}]}]}]}]}`
	resp, err := http.Post("http://"+httpAddr+"/v1/logs", "application/json", bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("gateway answered %s", resp.Status)
	}
	r := agent.WaitForLogs(t, 1, 20*time.Second)[0]
	if note := fmt.Sprint(r.Attributes["note"]); strings.Contains(note, card) {
		t.Fatalf("the config did not mask each card under an ordinary key (%q)", note)
	}
	for _, k := range []string{"dd.trace_id", "dd.span_id"} {
		if v := fmt.Sprint(r.Attributes[k]); strings.Contains(v, "4111111111111111") || strings.Contains(v, "5500000000000004") {
			t.Errorf("the Datadog Agent received a card number under %s: %q (the record has no trace or span)", k, v)
		}
	}
}
