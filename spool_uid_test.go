//go:build unix

package resilog

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	otellog "go.opentelemetry.io/otel/log"

	"github.com/resilog/resilog/internal/recordtest"
	"github.com/resilog/resilog/internal/spool"
	"github.com/resilog/resilog/processor"
)

// uidsOf returns the values of r's log.record.uid attributes, in order.
func uidsOf(r interface {
	WalkAttributes(func(attribute.KeyValue) bool)
}) []string {
	var out []string
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		if kv.Key == spool.UIDKey {
			out = append(out, kv.Value.AsString())
		}
		return true
	})
	return out
}

// The spool's log.record.uid is written where a record leaves the core, after the
// chain made keys unique (DedupKeys) and applied the attribute count limit (Limit): a
// record logged with a log.record.uid of its own (forwarded from another system) is
// exported with the key once, the spooled copy's uid in place of the logged one; a
// record Limit cut to the count still carries the uid, with its dropped count kept.
// (Found by the spool adversary as TestAttackSpoolUIDDuplicatedOrDropped.)
func TestSpoolUIDOnceAndPastTheCountLimit(t *testing.T) {
	exp := &recordtest.Exporter{}
	p, err := New(context.Background(), envOf(nil), WithSpool(t.TempDir()), WithSDKExporter(exp),
		WithAttributeLimits(processor.LimitConfig{AttributeCount: 2}))
	if err != nil {
		t.Fatal(err)
	}
	l := p.Logger("t")
	l.Info("forwarded", spool.UIDKey, "upstream-uid-1")
	l.Info("at the limit", "a", 1, "b", 2, "c", 3)
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	recs := exp.Records()
	if len(recs) != 2 {
		t.Fatalf("exported %d records, want 2", len(recs))
	}
	for _, r := range recs {
		uids := uidsOf(&r)
		t.Logf("%q: %v, %d attributes, %d dropped", r.Body().AsString(), uids, r.AttributesLen(), r.DroppedAttributes())
		if len(uids) != 1 || len(uids[0]) != 32 {
			t.Errorf("record %q exported with %s %q: want it once, the spooled copy's (32 hex digits)", r.Body().AsString(), spool.UIDKey, uids)
		}
		if r.Body().AsString() == "at the limit" && (r.AttributesLen() != 3 || r.DroppedAttributes() != 1) {
			t.Errorf("record cut to the limit: %d attributes, %d dropped; want the 2 kept, the uid and 1 dropped",
				r.AttributesLen(), r.DroppedAttributes())
		}
	}
}

// A record an earlier run left in the spool is replayed with the uid its frame carries,
// once: the exporter's copy gets no second one, and the record the earlier run kept in
// memory (Append adds the uid to it) had the same.
func TestSpoolReplayedRecordKeepsItsOwnUID(t *testing.T) {
	dir := t.TempDir()
	sp, err := spool.Open(spool.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]string{}
	for i := range 20 {
		r := recordtest.Make("t", func(r *otellog.Record) {
			r.SetBody(attribute.StringValue("earlier"))
			r.AddAttributes(attribute.Int("i", i))
		})
		seq, res := sp.Append(&r)
		if res != spool.Spooled {
			t.Fatalf("Append = %v", res)
		}
		u, ok := sp.UID(seq)
		if !ok {
			t.Fatalf("no uid for seq %d", seq)
		}
		want[int64(i)] = u.Value.AsString()
	}
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}

	exp := &recordtest.Exporter{}
	p, err := New(context.Background(), envOf(nil), WithSpool(dir), WithSDKExporter(exp))
	if err != nil {
		t.Fatal(err)
	}
	p.Logger("t").Info("new")
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	replayed := 0
	for _, r := range exp.Records() {
		uids := uidsOf(&r)
		if r.Body().AsString() == "new" {
			if len(uids) != 1 || len(uids[0]) != 32 {
				t.Errorf("the new record's uids %q, want one", uids)
			}
			for _, u := range want {
				if len(uids) > 0 && u == uids[0] {
					t.Errorf("the new record has an earlier record's uid %s", u)
				}
			}
			continue
		}
		replayed++
		i := recordtest.AsMap(r)["i"].(int64)
		if len(uids) != 1 || uids[0] != want[i] {
			t.Errorf("replayed record %d: uids %q, want [%s], the one written with it", i, uids, want[i])
		}
	}
	if replayed != len(want) {
		t.Errorf("%d records replayed, want %d", replayed, len(want))
	}
}
