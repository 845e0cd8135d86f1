package processor

import (
	"context"
	"log/slog"
	"reflect"
	"testing"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/recordtest"
)

func TestDedupKeys(t *testing.T) {
	exp := new(recordtest.Exporter)
	lp := sdklog.NewLoggerProvider(sdklog.WithAllowKeyDuplication(),
		sdklog.WithProcessor(NewDedupKeys()), sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)))
	defer lp.Shutdown(context.Background())
	l := slog.New(otelslog.NewHandler("t", otelslog.WithLoggerProvider(lp)))

	l.With("user", 1, "a", "x").Info("m", "user", 2, "b", true)
	l.Info("m", slog.Group("g", "k", 1, "k", 2, slog.Group("h", "z", 1, "z", 3)), "g2", 0)
	var many []any
	for i := range 40 {
		many = append(many, "k", i) // 40 duplicates of one key: the map path
	}
	l.Info("m", many...)
	l.Info("m", "clean", 1, "also", 2)

	recs := exp.Records()
	want := []map[string]any{
		{"user": int64(2), "a": "x", "b": true},
		{"g": map[string]any{"k": int64(2), "h": map[string]any{"z": int64(3)}}, "g2": int64(0)},
		{"k": int64(39)},
		{"clean": int64(1), "also": int64(2)},
	}
	if len(recs) != len(want) {
		t.Fatalf("%d records", len(recs))
	}
	for i, r := range recs {
		got := recordtest.AsMap(r)
		delete(got, slog.TimeKey)
		delete(got, slog.LevelKey)
		delete(got, slog.MessageKey)
		if !reflect.DeepEqual(got, want[i]) {
			t.Errorf("record %d: got %v, want %v", i, got, want[i])
		}
		if n := r.AttributesLen(); n != len(want[i]) {
			t.Errorf("record %d holds %d attributes, want %d", i, n, len(want[i]))
		}
	}
	// Inside groups too, each key is there once.
	recs[1].WalkAttributes(func(kv attribute.KeyValue) bool {
		if kv.Key == "g" {
			if n := len(kv.Value.AsMap()); n != 2 {
				t.Errorf("group g holds %d entries, want 2 (k, h): %v", n, kv.Value.String())
			}
		}
		return true
	})
}
