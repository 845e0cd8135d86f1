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
