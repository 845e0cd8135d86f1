package exporter

import (
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"

	"github.com/resilog/resilog/internal/recordtest"
)

func TestConsoleEscapesDEL(t *testing.T) {
	r := recordtest.Make("x", func(r *log.Record) {
		r.SetTimestamp(time.Date(2026, 5, 7, 14, 32, 1, 0, time.UTC))
		r.SetBody(attribute.StringValue("m\x7f"))
		r.AddAttributes(attribute.String("k\x7f", "v\x7f"))
	})
	got := string(AppendConsole(nil, &r))
	if strings.Contains(got, "\x7f") {
		t.Fatalf("raw DEL in %q", got)
	}
	if want := "2026-05-07T14:32:01Z - x m\\x7f \"k\\x7f\"=\"v\\x7f\"\n"; got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func TestConsoleZeroTime(t *testing.T) {
	r := recordtest.Make("x", func(r *log.Record) {
		r.SetObservedTimestamp(time.Date(2026, 5, 7, 14, 32, 1, 0, time.UTC))
		r.SetSeverity(log.SeverityInfo)
		r.SetBody(attribute.StringValue("m"))
	})
	if got, want := string(AppendConsole(nil, &r)), "INFO x m observed_time=2026-05-07T14:32:01Z\n"; got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}
