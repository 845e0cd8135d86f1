package processor

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/recordtest"
	"github.com/resilog/resilog/redact"
)

// TestRedactRecord checks the adapter: body and attributes go through the engine, a
// dropped attribute leaves the record, clean ones stay in their place.
func TestRedactRecord(t *testing.T) {
	engine, err := redact.New(redact.Config{Masks: map[redact.Kind]redact.Mask{redact.KindCVV: redact.MaskDrop}})
	if err != nil {
		t.Fatal(err)
	}
	p := NewRedact(engine)
	rec := recordtest.Make("t", func(rec *log.Record) {
		rec.SetBody(attribute.StringValue("login password=hunter22"))
		rec.AddAttributes(attribute.Int("user_id", 88), attribute.Int("cvv", 123),
			attribute.String("mail", "jane@example.com"), attribute.Bool("ok", true))
	})
	if err := p.OnEmit(context.Background(), &rec); err != nil {
		t.Fatal(err)
	}
	got := rec.Body().AsString()
	rec.WalkAttributes(func(kv attribute.KeyValue) bool {
		got += " " + string(kv.Key) + "=" + kv.Value.String()
		return true
	})
	if want := "login password=[REDACTED:secret] user_id=88 mail=[REDACTED:email] ok=true"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// Bridges other than slog set the event name and severity text to anything: Redact
// scans them like the body; a clean severity text stays.
func TestRedactEventNameAndSeverityText(t *testing.T) {
	engine, err := redact.New(redact.Config{})
	if err != nil {
		t.Fatal(err)
	}
	rec := recordtest.Make("t", func(rec *log.Record) {
		rec.SetEventName("login password=hunter22")
		rec.SetSeverityText("mail jane@example.com")
	})
	clean := recordtest.Make("t", func(rec *log.Record) {
		rec.SetEventName("user.login")
		rec.SetSeverityText("INFO")
	})
	for _, r := range []*sdklog.Record{&rec, &clean} {
		if err := NewRedact(engine).OnEmit(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := rec.EventName(), "login password=[REDACTED:secret]"; got != want {
		t.Errorf("event name %q, want %q", got, want)
	}
	if got, want := rec.SeverityText(), "mail [REDACTED:email]"; got != want {
		t.Errorf("severity text %q, want %q", got, want)
	}
	if clean.EventName() != "user.login" || clean.SeverityText() != "INFO" {
		t.Errorf("clean record changed: %q %q", clean.EventName(), clean.SeverityText())
	}
}
