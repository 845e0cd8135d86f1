package redact_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/resilog/resilog/resilogtest"
)

// TestThroughThePipeline logs the paths of issue 12 (items 2, 3, 8, 9: []byte and
// json.RawMessage, keys and group names, a ****-prefixed password, a float64 card)
// through resilog's default pipeline, slog to exporter, and looks for the secrets in
// what was exported.
func TestThroughThePipeline(t *testing.T) {
	logs := resilogtest.New(t)
	var decoded map[string]any
	if err := json.Unmarshal([]byte(`{"ref":4111111111111111}`), &decoded); err != nil {
		t.Fatal(err)
	}
	const tok = "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"
	logs.Logger("t").Info("paths",
		"payload", []byte("login password=hunter22"),
		"raw", json.RawMessage(`{"user": "bob", "token": "t0k3nv4lu3"}`),
		tok, 1,
		slog.Group("jane@example.com", "plan", "pro"),
		"order", decoded,
		"password", "****s3cr3tpw")
	recs := logs.Records()
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	dump := render(recs[0].Attrs) + " " + recs[0].Message
	if !strings.Contains(dump, `raw={"user": "bob", "token": "[REDACTED:secret]"}`) {
		t.Errorf("the RawMessage did not go through the JSON redactor: %s", dump)
	}
	for _, secret := range []string{"hunter22", "t0k3nv4lu3", "ghp_LpVv", "jane@", "4111111111111111", "4.111111111111111e+15", "s3cr3tpw"} {
		if strings.Contains(dump, secret) {
			t.Errorf("%s reached the exporter: %s", secret, dump)
		}
	}
}

// render prints attribute values as text, []byte included (fmt would print its bytes as
// numbers, hiding what they say).
func render(v any) string {
	switch v := v.(type) {
	case []byte:
		return string(v)
	case map[string]any:
		var b strings.Builder
		for k, e := range v {
			b.WriteString(k + "=" + render(e) + " ")
		}
		return b.String()
	case []any:
		var b strings.Builder
		for _, e := range v {
			b.WriteString(render(e) + " ")
		}
		return b.String()
	}
	return fmt.Sprint(v)
}
