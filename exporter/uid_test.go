package exporter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/otlpenc"
	"github.com/resilog/resilog/internal/recordtest"
	"github.com/resilog/resilog/internal/recorduid"
)

// The line exporters write the uid the Export's context gives a record, once, in place
// of one it was logged with; a record without one is written as it is.
func TestLinesWriteTheUIDs(t *testing.T) {
	forwarded := recordtest.Make("s", func(r *log.Record) {
		r.SetBody(attribute.StringValue("forwarded"))
		r.AddAttributes(attribute.String(recorduid.Key, "upstream"), attribute.Int("a", 1))
	}, sdklog.WithAllowKeyDuplication())
	earlier := recordtest.Make("s", func(r *log.Record) {
		r.SetBody(attribute.StringValue("earlier"))
		r.AddAttributes(attribute.String(recorduid.Key, "its own"))
	})
	records := []sdklog.Record{forwarded, earlier}
	ctx := recorduid.NewContext(context.Background(), recorduid.New(recordtest.HexUIDs{}, []uint64{5, 1005}))
	want := []string{fmt.Sprintf("%032x", 5), "its own"}

	var out bytes.Buffer
	if err := NewJSONLines(&out).Export(ctx, records); err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if n := strings.Count(line, recorduid.Key); n != 1 {
			t.Errorf("JSON line %d has %s %d times: %s", i, recorduid.Key, n, line)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil || m[recorduid.Key] != want[i] {
			t.Errorf("JSON line %d: %s = %v (%v), want %s", i, recorduid.Key, m[recorduid.Key], err, want[i])
		}
	}

	out.Reset()
	if err := NewConsole(&out).Export(ctx, records); err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if n := strings.Count(line, recorduid.Key); n != 1 || !strings.Contains(line, want[i]) {
			t.Errorf("console line %d: %s %d times, want once with %q: %s", i, recorduid.Key, n, want[i], line)
		}
	}

	out.Reset()
	if err := NewOTLPJSONLines(&out).Export(ctx, records); err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		rls, err := otlpenc.DecodeRequestJSON([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		var uids []string
		for _, kv := range rls[0].Scopes[0].Records[0].Attributes {
			if kv.Key == recorduid.Key {
				uids = append(uids, kv.Value.AsString())
			}
		}
		if len(uids) != 1 || uids[0] != want[i] {
			t.Errorf("otlp-json line %d: uids %q, want [%s]", i, uids, want[i])
		}
	}
}
