package recorduid_test

import (
	"context"
	"fmt"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/resilog/resilog/internal/rebuild"
	"github.com/resilog/resilog/internal/recordtest"
	"github.com/resilog/resilog/internal/recorduid"
)

func uidsOf(r *sdklog.Record) []string {
	var out []string
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		if kv.Key == recorduid.Key {
			out = append(out, kv.Value.AsString())
		}
		return true
	})
	return out
}

// Copies: a record with a uid gets it as its last attribute, once, in place of one it
// was logged with, past the count limit it was emitted under (its dropped count kept);
// a record without one is copied as it is; the records given are left as they are.
func TestCopiesAddTheUIDOnce(t *testing.T) {
	res := resource.NewSchemaless(attribute.String("service.name", "svc"))
	plain := recordtest.Make("s", func(r *log.Record) { r.AddAttributes(attribute.Int("a", 1)) }, sdklog.WithResource(res))
	forwarded := recordtest.Make("s", func(r *log.Record) {
		r.AddAttributes(attribute.String(recorduid.Key, "upstream"), attribute.Int("a", 1))
	}, sdklog.WithResource(res), sdklog.WithAllowKeyDuplication())
	limited := recordtest.Make("s", func(r *log.Record) {
		r.AddAttributes(attribute.Int("a", 1), attribute.Int("b", 2), attribute.Int("c", 3))
	}, sdklog.WithResource(res), sdklog.WithAttributeCountLimit(2))
	earlier := recordtest.Make("s", func(r *log.Record) { r.AddAttributes(attribute.String(recorduid.Key, "its own")) },
		sdklog.WithResource(res))
	short := recordtest.Make("s", func(r *log.Record) { r.AddAttributes(attribute.String("a", "1")) },
		sdklog.WithResource(res), sdklog.WithAttributeValueLengthLimit(8))
	records := []sdklog.Record{plain, forwarded, limited, earlier, plain, short}
	seqs := []uint64{1, 2, 3, 1001, 0, 6}

	u := recorduid.New(recordtest.HexUIDs{}, seqs)
	out := u.Copies(nil, records, new(rebuild.Templates), true)
	want := [][]string{
		{fmt.Sprintf("%032x", 1)}, {fmt.Sprintf("%032x", 2)}, {fmt.Sprintf("%032x", 3)}, {"its own"}, nil,
		{fmt.Sprintf("%032x", 6)}, // whole, past the value length limit
	}
	for i := range out {
		if got := uidsOf(&out[i]); fmt.Sprint(got) != fmt.Sprint(want[i]) {
			t.Errorf("record %d: uids %q, want %q", i, got, want[i])
		}
	}
	if out[2].AttributesLen() != 3 || out[2].DroppedAttributes() != 1 {
		t.Errorf("record at the count limit: %d attributes, %d dropped; want 2 kept, the uid, 1 dropped", out[2].AttributesLen(), out[2].DroppedAttributes())
	}
	if out[1].AttributesLen() != 2 {
		t.Errorf("forwarded record: %d attributes, want a and the uid", out[1].AttributesLen())
	}
	for i := range records {
		if got := uidsOf(&records[i]); i != 1 && i != 3 && got != nil {
			t.Errorf("record %d given to Copies now has uids %q", i, got)
		}
	}
	if got := recorduid.New(recordtest.HexUIDs{}, []uint64{0, 1001}).Copies(nil, records[3:], nil, true); &got[0] != &records[3] {
		t.Error("Copies copied a batch with no uid to write")
	}
}

// The uids travel in the context; a context without any stays as it is.
func TestContext(t *testing.T) {
	ctx := context.Background()
	if recorduid.NewContext(ctx, recorduid.New(nil, []uint64{1})) != ctx || recorduid.NewContext(ctx, recorduid.New(recordtest.HexUIDs{}, []uint64{0, 0})) != ctx {
		t.Error("a context was made for a batch without uids")
	}
	c := recorduid.NewContext(ctx, recorduid.New(recordtest.HexUIDs{}, []uint64{0, 7}))
	u := recorduid.FromContext(c)
	if b, ok := u.Append(nil, 1); !ok || string(b) != fmt.Sprintf("%032x", 7) {
		t.Errorf("record 1's uid %q, %v", b, ok)
	}
	if _, ok := u.Append(nil, 0); ok {
		t.Error("record 0 (seq 0) has a uid")
	}
	if recorduid.FromContext(recorduid.NewContext(c, recorduid.UIDs{})).Any() {
		t.Error("uids still in a context that cleared them")
	}
}

// BenchmarkCopies is the export worker's cost, per record, of the copies an exporter
// resilog does not own gets: a batch of BenchmarkHotPath's records, all spooled.
func BenchmarkCopies(b *testing.B) {
	r := recordtest.Make("bench", func(r *log.Record) {
		r.SetBody(attribute.StringValue("order created"))
		r.AddAttributes(attribute.Int("order_id", 1042), attribute.Int("user_id", 88), attribute.String("total", "149.99"),
			attribute.Bool("paid", true), attribute.String("latency", "12ms"))
	}, sdklog.WithResource(resource.NewSchemaless(attribute.String("service.name", "svc"))),
		sdklog.WithAllowKeyDuplication(), sdklog.WithAttributeCountLimit(-1), sdklog.WithAttributeValueLengthLimit(-1))
	records := make([]sdklog.Record, 512)
	seqs := make([]uint64, len(records))
	for i := range records {
		records[i], seqs[i] = r, uint64(i+1)
	}
	u := recorduid.New(recordtest.HexUIDs{}, seqs)
	var templates rebuild.Templates
	var dst []sdklog.Record
	b.ReportAllocs()
	for b.Loop() {
		dst = u.Copies(dst, records, &templates, false) // New's provider: no value limit
		clear(dst)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(records)), "ns/record")
}
