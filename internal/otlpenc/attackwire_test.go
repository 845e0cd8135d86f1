package otlpenc

import (
	"math"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/recordtest"
	"github.com/resilog/resilog/internal/recorduid"
)

// TestJSONRoundTripsASeverityBeyondInt32 guards against what adversary attackwire found (fixed): a record whose
// severity does not fit OTLP's int32 — what the bridge makes of slog.Level(math.MaxInt32),
// 2^31+8 — is written by AppendRequestJSON (the otlp-json fallback line) as a number
// DecodeRequestJSON cannot read back ("cannot unmarshal number 2147483656 into ... int32"):
// `resilog replay` skips the line, so the record the fallback kept never reaches the
// backend, and the real collector rejects the same number over http/json (see the e2e
// TestHugeSeverityDeliversTheBatchOverBothProtocols). The protobuf encoding writes the same
// severity as a varint the collector reads as an int32.
// Correct: the JSON encoding writes what the protobuf one delivers (the int32), and what it
// writes decodes, so the fallback line replays.
func TestJSONRoundTripsASeverityBeyondInt32(t *testing.T) {
	r := recordtest.Make("s", func(r *log.Record) {
		r.SetSeverity(log.Severity(math.MaxInt32 + 9))
		r.SetBody(attribute.StringValue("odd level"))
	})
	line := AppendRequestJSON(nil, []sdklog.Record{r}, recorduid.UIDs{})
	rls, err := DecodeRequestJSON(line)
	if err != nil {
		t.Fatalf("the line the otlp-json fallback writes does not decode: %v\n%s", err, line)
	}
	if n := len(rls); n != 1 || len(rls[0].Scopes) != 1 || len(rls[0].Scopes[0].Records) != 1 {
		t.Fatalf("decoded %+v", rls)
	}
}
