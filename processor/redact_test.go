package processor

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"

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
