package otlpenc

import (
	"fmt"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/recordtest"
	"github.com/resilog/resilog/internal/recorduid"
)

// uidRecords: one record with attributes, one logged with a log.record.uid of its own,
// one without attributes, one of an earlier run (its own uid), one not spooled.
func uidRecords() ([]sdklog.Record, recorduid.UIDs, [][]string) {
	withAttrs := recordtest.Make("s", func(r *log.Record) {
		r.SetBody(attribute.StringValue("a"))
		r.AddAttributes(attribute.Int("a", 1), attribute.String("b", "x"))
	})
	forwarded := recordtest.Make("s", func(r *log.Record) {
		r.AddAttributes(attribute.String(recorduid.Key, "upstream"), attribute.Int("a", 1))
	}, sdklog.WithAllowKeyDuplication())
	bare := recordtest.Make("s", func(r *log.Record) { r.SetBody(attribute.StringValue("bare")) })
	earlier := recordtest.Make("s", func(r *log.Record) { r.AddAttributes(attribute.String(recorduid.Key, "its own")) })
	records := []sdklog.Record{withAttrs, forwarded, bare, earlier, withAttrs}
	u := recorduid.New(recordtest.HexUIDs{}, []uint64{1, 2, 3, 1001, 0})
	want := [][]string{
		{"a=1", "b=x", recorduid.Key + "=" + fmt.Sprintf("%032x", 1)},
		{"a=1", recorduid.Key + "=" + fmt.Sprintf("%032x", 2)},
		{recorduid.Key + "=" + fmt.Sprintf("%032x", 3)},
		{recorduid.Key + "=its own"},
		{"a=1", "b=x"},
	}
	return records, u, want
}

func kvStrings(kvs []attribute.KeyValue) []string {
	var out []string
	for _, kv := range kvs {
		out = append(out, string(kv.Key)+"="+kv.Value.String())
	}
	return out
}

// Both encodings write a record's uid as its last attribute, in place of one it was
// logged with, and leave a record without one as it is.
func TestRequestsCarryTheUIDs(t *testing.T) {
	records, u, want := uidRecords()
	req := decode(t, AppendRequest(nil, records, u))
	got := req.ResourceLogs[0].ScopeLogs[0].LogRecords
	for i, lr := range got {
		var kvs []string
		for _, kv := range lr.Attributes {
			v := fmt.Sprint(kv.Value.GetIntValue())
			if kv.Value.GetStringValue() != "" {
				v = kv.Value.GetStringValue()
			}
			kvs = append(kvs, kv.Key+"="+v)
		}
		if fmt.Sprint(kvs) != fmt.Sprint(want[i]) {
			t.Errorf("protobuf record %d: attributes %v, want %v", i, kvs, want[i])
		}
	}

	rls, err := DecodeRequestJSON(AppendRequestJSON(nil, records, u))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rls[0].Scopes[0].Records {
		if got := kvStrings(r.Attributes); fmt.Sprint(got) != fmt.Sprint(want[i]) {
			t.Errorf("JSON record %d: attributes %v, want %v", i, got, want[i])
		}
	}
	one, err := DecodeRequestJSON(AppendRecordRequestJSON(nil, &records[1], []byte("0123")))
	if err != nil {
		t.Fatal(err)
	}
	if got := kvStrings(one[0].Scopes[0].Records[0].Attributes); fmt.Sprint(got) != "[a=1 "+recorduid.Key+"=0123]" {
		t.Errorf("one record's request: attributes %v", got)
	}
}

// Writing the uids costs no allocation: they go straight into the buffer. (Grouping
// the records by resource and scope allocates, with or without uids.)
func TestUIDsDoNotAllocate(t *testing.T) {
	records, u, _ := uidRecords()
	buf := AppendRequest(nil, records, u)
	jbuf := AppendRequestJSON(nil, records, u)
	allocs := func(uids recorduid.UIDs) (proto, json float64) {
		proto = testing.AllocsPerRun(100, func() { buf = AppendRequest(buf[:0], records, uids) })
		json = testing.AllocsPerRun(100, func() { jbuf = AppendRequestJSON(jbuf[:0], records, uids) })
		return proto, json
	}
	p0, j0 := allocs(recorduid.UIDs{})
	p, j := allocs(u)
	if p != p0 || j != j0 {
		t.Errorf("allocations per request: protobuf %v with uids, %v without; JSON %v with, %v without", p, p0, j, j0)
	}
}
