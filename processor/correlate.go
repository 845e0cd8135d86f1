package processor

import (
	"context"
	"encoding/binary"
	"slices"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/propagation"
)

// CorrelateConfig configures [NewCorrelate].
type CorrelateConfig struct {
	// Baggage lists the W3C baggage members copied onto records, under their own key.
	// Baggage comes from other services: copy only members you trust and need.
	Baggage []string
	// Datadog adds dd.trace_id and dd.span_id (the decimal of the low 64 bits, as Datadog
	// expects) and dd.service, dd.env, dd.version from the Resource (service.name,
	// deployment.environment.name or deployment.environment, service.version).
	Datadog bool
}

// Correlate puts on every record what its context knows: the request ID (request.id) and
// the attributes bound with propagation.With (converted when they were bound, exactly as
// the bridge converts logged attributes), unless the record already has an attribute with
// that key; the allowlisted baggage members; and, optionally, Datadog's correlation
// fields. Trace and span IDs are set by the SDK from the context's span.
//
// resilog registers Correlate before Redact, so that attributes bound to a context are
// redacted like any other. A record whose context carries nothing costs two context
// lookups and no allocation.
type Correlate struct {
	baggage []string
	datadog bool
}

var _ sdklog.Processor = (*Correlate)(nil)

// NewCorrelate returns a Correlate.
func NewCorrelate(c CorrelateConfig) *Correlate {
	return &Correlate{baggage: append([]string(nil), c.Baggage...), datadog: c.Datadog}
}

// OnEmit adds the context's correlation attributes to r.
func (c *Correlate) OnEmit(ctx context.Context, r *sdklog.Record) error {
	if ctx == nil {
		return nil
	}
	id := propagation.RequestID(ctx)
	bound := propagation.Attrs(ctx)
	if id == "" && len(bound) == 0 && len(c.baggage) == 0 && !c.datadog {
		return nil
	}
	var buf [8]attribute.KeyValue
	add := buf[:0]
	n := 1 + len(bound) + len(c.baggage)
	if c.datadog {
		n += 5
	}
	if n > len(buf) {
		add = make([]attribute.KeyValue, 0, n) // one allocation, not one per doubling
	}
	keys := recordKeys{r: r}
	if id != "" && !keys.has(propagation.RequestIDKey) {
		add = append(add, attribute.String(propagation.RequestIDKey, id))
	}
	// Bound keys are unique (propagation.With merges them): each is looked for among the
	// record's own attributes, and the request ID, only.
	keys.expect(len(bound))
	for _, kv := range bound {
		if !keys.has(string(kv.Key)) && (id == "" || kv.Key != propagation.RequestIDKey) {
			add = append(add, kv)
		}
	}
	if len(c.baggage) > 0 {
		bag := baggage.FromContext(ctx)
		for _, k := range c.baggage {
			if m := bag.Member(k); m.Key() != "" && !keys.has(k) && !slices.ContainsFunc(add, func(kv attribute.KeyValue) bool { return string(kv.Key) == k }) {
				add = append(add, attribute.String(k, m.Value()))
			}
		}
	}
	if c.datadog {
		add = c.appendDatadog(add, r)
	}
	if len(add) > 0 {
		r.AddAttributes(add...)
	}
	return nil
}

// recordKeys answers whether a record has an attribute with a key: by walking the record
// while few lookups are expected, through a set of its keys, built once, past that, so
// that a record costs time linear in the attributes bound to its context.
type recordKeys struct {
	r   *sdklog.Record
	set map[string]struct{}
}

// walkLimit is how many lookups times record attributes are done by walking the record;
// below it a record costs no allocation.
const walkLimit = 256

// expect tells k that n more lookups are coming.
func (k *recordKeys) expect(n int) {
	if k.set != nil || n*k.r.AttributesLen() <= walkLimit {
		return
	}
	k.set = make(map[string]struct{}, k.r.AttributesLen())
	k.r.WalkAttributes(func(kv attribute.KeyValue) bool {
		k.set[string(kv.Key)] = struct{}{}
		return true
	})
}

func (k *recordKeys) has(key string) bool {
	if k.set != nil {
		_, ok := k.set[key]
		return ok
	}
	found := false
	k.r.WalkAttributes(func(kv attribute.KeyValue) bool {
		found = string(kv.Key) == key
		return !found
	})
	return found
}

// Datadog's correlation keys for the record's trace and span IDs.
const (
	ddTraceIDKey = "dd.trace_id"
	ddSpanIDKey  = "dd.span_id"
)

// datadogTraceID returns the record's trace ID as Datadog numbers it: its low 64 bits.
func datadogTraceID(r *sdklog.Record) (uint64, bool) {
	tid := r.TraceID()
	return binary.BigEndian.Uint64(tid[8:]), tid.IsValid()
}

// datadogSpanID returns the record's span ID as Datadog numbers it.
func datadogSpanID(r *sdklog.Record) (uint64, bool) {
	sid := r.SpanID()
	return binary.BigEndian.Uint64(sid[:]), sid.IsValid()
}

// isOwnDatadogID reports whether kv is dd.trace_id or dd.span_id holding exactly the
// decimal of the record's own ID, as Correlate writes it: a number derived from the
// record, never user data, whatever shape its digits have.
func isOwnDatadogID(r *sdklog.Record, kv attribute.KeyValue) bool {
	var id uint64
	var ok bool
	switch kv.Key {
	case ddTraceIDKey:
		id, ok = datadogTraceID(r)
	case ddSpanIDKey:
		id, ok = datadogSpanID(r)
	}
	if !ok || kv.Value.Type() != attribute.STRING {
		return false
	}
	s := kv.Value.AsString()
	n, err := strconv.ParseUint(s, 10, 64)
	return err == nil && n == id && (s[0] != '0' || s == "0")
}

func (c *Correlate) appendDatadog(add []attribute.KeyValue, r *sdklog.Record) []attribute.KeyValue {
	if id, ok := datadogTraceID(r); ok {
		add = append(add, attribute.String(ddTraceIDKey, strconv.FormatUint(id, 10)))
	}
	if id, ok := datadogSpanID(r); ok {
		add = append(add, attribute.String(ddSpanIDKey, strconv.FormatUint(id, 10)))
	}
	if res := r.Resource(); res != nil {
		set := res.Set()
		for _, m := range []struct{ from, to string }{
			{"service.name", "dd.service"},
			{"deployment.environment.name", "dd.env"},
			{"deployment.environment", "dd.env"},
			{"service.version", "dd.version"},
		} {
			if v, ok := set.Value(attribute.Key(m.from)); ok {
				dup := false
				for _, kv := range add {
					dup = dup || string(kv.Key) == m.to
				}
				if !dup {
					add = append(add, attribute.String(m.to, v.String()))
				}
			}
		}
	}
	return add
}

// Enabled returns true.
func (c *Correlate) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }

// Shutdown does nothing.
func (c *Correlate) Shutdown(context.Context) error { return nil }

// ForceFlush does nothing.
func (c *Correlate) ForceFlush(context.Context) error { return nil }
