package resilogtest_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/resilog/resilog/propagation"
	"github.com/resilog/resilog/resilogtest"
)

func TestRecorder(t *testing.T) {
	logs := resilogtest.New(t)
	log := logs.Logger("github.com/acme/shop/checkout")
	ctx := propagation.WithRequestID(context.Background(), "abc-123")
	log.DebugContext(ctx, "cart loaded", "items", 3)
	log.ErrorContext(ctx, "payment failed", "order_id", 1042, "error", errors.New("card declined"), "card", "4111 1111 1111 1111")

	if logs.Len() != 2 {
		t.Fatalf("%d records: %v", logs.Len(), logs.Records())
	}
	got := logs.FilterMessage("payment failed")
	if len(got) != 1 {
		t.Fatalf("FilterMessage: %v", got)
	}
	r := got[0]
	if r.Level != slog.LevelError || r.Logger != "github.com/acme/shop/checkout" || r.Attrs["order_id"] != int64(1042) ||
		r.Attrs["request.id"] != "abc-123" || r.Attrs["card"] != "****1111" || r.Attrs["exception.message"] != "card declined" {
		t.Errorf("record %+v", r)
	}
	if n := len(logs.FilterLevel(slog.LevelWarn)); n != 1 {
		t.Errorf("FilterLevel: %d", n)
	}
	if n := len(logs.FilterAttr("items", int64(3))); n != 1 {
		t.Errorf("FilterAttr: %d", n)
	}
	if n := len(logs.FilterMessageSnippet("cart")); n != 1 {
		t.Errorf("FilterMessageSnippet: %d", n)
	}
}

// Issue 14, item 6: the Recorder reads no environment variable, so that
// `OTEL_SDK_DISABLED=true go test` (or any OTEL_*/RESILOG_* a shell or CI job exports)
// still captures every record, whole.
func TestRecorderIgnoresTheEnvironment(t *testing.T) {
	all := map[string]string{
		"OTEL_SDK_DISABLED":                 "true",
		"OTEL_LOGS_EXPORTER":                "none",
		"RESILOG_LOG_LEVELS":                "error",
		"RESILOG_CONSOLE_FORMAT":            "xml",
		"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT": "3",
		"OTEL_BLRP_MAX_QUEUE_SIZE":          "1",
		"OTEL_EXPORTER_OTLP_ENDPOINT":       "localhost:4318", // no scheme: refused by New
		"OTEL_SERVICE_NAME":                 "from-env",
	}
	for name, value := range all {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, value)
			recordsWhole(t)
		})
	}
	t.Run("all", func(t *testing.T) {
		for name, value := range all {
			t.Setenv(name, value)
		}
		recordsWhole(t)
	})
}

func recordsWhole(t *testing.T) {
	t.Helper()
	logs := resilogtest.New(t)
	log := logs.Logger("github.com/acme/shop")
	for i := range 3 {
		log.Debug("query", "sql", "SELECT 1", "i", i)
	}
	got := logs.Records()
	if len(got) != 3 {
		t.Fatalf("%d records, want 3: %v", len(got), got)
	}
	if got[0].Attrs["sql"] != "SELECT 1" {
		t.Errorf("record %+v", got[0])
	}
}
