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
	if want := "2026-05-07T14:32:01.000Z - x m\\x7f \"k\\x7f\"=\"v\\x7f\"\n"; got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func TestConsoleZeroTime(t *testing.T) {
	r := recordtest.Make("x", func(r *log.Record) {
		r.SetObservedTimestamp(time.Date(2026, 5, 7, 14, 32, 1, 0, time.UTC))
		r.SetSeverity(log.SeverityInfo)
		r.SetBody(attribute.StringValue("m"))
	})
	if got, want := string(AppendConsole(nil, &r)), "INFO x m observed_time=2026-05-07T14:32:01.000Z\n"; got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

// Two records of the same second are told apart and kept in order on a terminal: the
// time keeps its milliseconds, always three digits so that the columns line up.
func TestConsoleKeepsSubSecondTime(t *testing.T) {
	for _, c := range []struct {
		ns   int
		want string
	}{
		{123456789, "2026-05-07T14:32:01.123Z INFO x m\n"},
		{5000000, "2026-05-07T14:32:01.005Z INFO x m\n"},
		{0, "2026-05-07T14:32:01.000Z INFO x m\n"},
	} {
		r := recordtest.Make("x", func(r *log.Record) {
			r.SetTimestamp(time.Date(2026, 5, 7, 14, 32, 1, c.ns, time.UTC))
			r.SetSeverity(log.SeverityInfo)
			r.SetBody(attribute.StringValue("m"))
		})
		if got := string(AppendConsole(nil, &r)); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
	}
	r := recordtest.Make("x", func(r *log.Record) {
		r.SetObservedTimestamp(time.Date(2026, 5, 7, 14, 32, 1, 250000000, time.UTC))
		r.SetSeverity(log.SeverityInfo)
		r.SetBody(attribute.StringValue("m"))
	})
	if got, want := string(AppendConsole(nil, &r)), "INFO x m observed_time=2026-05-07T14:32:01.250Z\n"; got != want {
		t.Errorf("zero time: got  %q\nwant %q", got, want)
	}
}
