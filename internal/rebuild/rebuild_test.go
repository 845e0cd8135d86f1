package rebuild

import (
	"fmt"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/resilog/resilog/internal/recordtest"
)

// A record emitted under a count limit of 1, rebuilt with three attributes and a dropped
// count of 4: it holds them, in order, with its own resource, scope and fields.
func TestRecordGoesPastTheCountLimit(t *testing.T) {
	res := resource.NewSchemaless(attribute.String("service.name", "svc"))
	r := recordtest.Make("scope", func(r *log.Record) {
		r.SetBody(attribute.StringValue("hello"))
		r.SetSeverity(log.SeverityWarn)
		r.AddAttributes(attribute.Int("a", 1), attribute.Int("b", 2))
	}, sdklog.WithResource(res), sdklog.WithAttributeCountLimit(1))
	if r.AttributesLen() != 1 || r.DroppedAttributes() != 1 {
		t.Fatalf("precondition: %d attributes, %d dropped", r.AttributesLen(), r.DroppedAttributes())
	}
	var tm Templates
	attrs := []attribute.KeyValue{attribute.Int("a", 1), attribute.Int("b", 2), attribute.String("c", "3")}
	out, ok := tm.Record(&r, attrs, 4)
	if !ok {
		t.Fatal("Record reported no template for a record with a resource")
	}
	var got []string
	out.WalkAttributes(func(kv attribute.KeyValue) bool { got = append(got, string(kv.Key)+"="+kv.Value.String()); return true })
	if fmt.Sprint(got) != "[a=1 b=2 c=3]" || out.DroppedAttributes() != 4 {
		t.Errorf("attributes %v, dropped %d; want [a=1 b=2 c=3], 4", got, out.DroppedAttributes())
	}
	if out.Body().AsString() != "hello" || out.Severity() != log.SeverityWarn || out.InstrumentationScope().Name != "scope" ||
		!out.Resource().Equal(res) {
		t.Errorf("fields not kept: body %q severity %v scope %q resource %v", out.Body().AsString(), out.Severity(),
			out.InstrumentationScope().Name, out.Resource().Attributes())
	}
}

// One template record per resource, scope and count; scope names are not a bounded
// set, the templates are.
func TestTemplatesAreBounded(t *testing.T) {
	var tm Templates
	res := resource.NewSchemaless(attribute.String("service.name", "svc"))
	for i := range 3 * maxTemplates {
		r := recordtest.Make(fmt.Sprint("scope-", i), func(r *log.Record) {
			r.AddAttributes(attribute.Int("a", 1), attribute.Int("b", 2))
		}, sdklog.WithResource(res), sdklog.WithAttributeCountLimit(-1))
		out, ok := tm.Record(&r, []attribute.KeyValue{attribute.Int("a", 1)}, 1)
		if !ok || out.DroppedAttributes() != 1 || out.InstrumentationScope().Name != fmt.Sprint("scope-", i) {
			t.Fatalf("record %d: ok %v, dropped %d, scope %q", i, ok, out.DroppedAttributes(), out.InstrumentationScope().Name)
		}
	}
	if n := len(tm.records); n > maxTemplates {
		t.Errorf("%d templates kept, want at most %d", n, maxTemplates)
	}
}
