package processor

import (
	"context"
	"encoding/binary"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/trace"

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

// Datadog's decimal trace and span IDs are numbers of up to 20 digits; one in forty has
// the shape and checksum of a card number. Derived from the record's own IDs, they hold
// no user data and must reach Datadog unmasked, or its logs lose their trace; the same
// digits anywhere else are still redacted.
func TestRedactKeepsTheRecordsOwnDatadogIDs(t *testing.T) {
	engine, err := redact.New(redact.Config{})
	if err != nil {
		t.Fatal(err)
	}
	const traceLow, spanID = 5538334915893955021, 6757320758862335044 // both masked as cards before
	var tid trace.TraceID
	var sid trace.SpanID
	binary.BigEndian.PutUint64(tid[:8], 0x0af7651916cd43dd)
	binary.BigEndian.PutUint64(tid[8:], traceLow)
	binary.BigEndian.PutUint64(sid[:], spanID)
	ctx := trace.ContextWithSpanContext(context.Background(),
		trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))

	exp := new(recordtest.Exporter)
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(NewCorrelate(CorrelateConfig{Datadog: true})),
		sdklog.WithProcessor(NewRedact(engine)), sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)))
	defer lp.Shutdown(context.Background())
	var r log.Record
	r.SetBody(attribute.StringValue("paid"))
	r.AddAttributes(attribute.String("note", "card 5538334915893955021"))
	lp.Logger("t").Emit(ctx, r)
	var r2 log.Record
	r2.SetBody(attribute.StringValue("a dd.trace_id of the caller's own, not the record's"))
	r2.AddAttributes(attribute.String("dd.trace_id", "4111111111111111"), attribute.String("dd.span_id", "5538334915893955021"))
	lp.Logger("t").Emit(context.Background(), r2)

	recs := exp.Records()
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	got := recordtest.AsMap(recs[0])
	if got["dd.trace_id"] != "5538334915893955021" || got["dd.span_id"] != "6757320758862335044" {
		t.Errorf("the record's own Datadog IDs were changed: dd.trace_id=%v dd.span_id=%v", got["dd.trace_id"], got["dd.span_id"])
	}
	if got["note"] == "card 5538334915893955021" {
		t.Errorf("the same digits in another attribute were not redacted: %v", got["note"])
	}
	got = recordtest.AsMap(recs[1])
	if got["dd.trace_id"] == "4111111111111111" || got["dd.span_id"] == "5538334915893955021" {
		t.Errorf("card numbers under dd.* keys that are not the record's IDs were kept: %v", got)
	}
}
