package processor

import (
	"context"
	"encoding/binary"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/attrvalue"
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
// the attributes bound with propagation.With, unless the record already has an attribute
// with that key (converted exactly as the bridge converts logged attributes); the
// allowlisted baggage members; and, optionally, Datadog's correlation fields. Trace and
// span IDs are set by the SDK from the context's span.
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
	has := func(key string) bool {
		found := false
		r.WalkAttributes(func(kv attribute.KeyValue) bool {
			found = string(kv.Key) == key
			return !found
		})
		for _, kv := range add {
			found = found || string(kv.Key) == key
		}
		return found
	}
	if id != "" && !has(propagation.RequestIDKey) {
		add = append(add, attribute.String(propagation.RequestIDKey, id))
	}
	for _, a := range bound {
		if !has(a.Key) {
			add = attrvalue.AppendSlogAttr(add, a)
		}
	}
	if len(c.baggage) > 0 {
		bag := baggage.FromContext(ctx)
		for _, k := range c.baggage {
			if m := bag.Member(k); m.Key() != "" && !has(k) {
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

func (c *Correlate) appendDatadog(add []attribute.KeyValue, r *sdklog.Record) []attribute.KeyValue {
	if tid := r.TraceID(); tid.IsValid() {
		add = append(add, attribute.String("dd.trace_id", strconv.FormatUint(binary.BigEndian.Uint64(tid[8:]), 10)))
	}
	if sid := r.SpanID(); sid.IsValid() {
		add = append(add, attribute.String("dd.span_id", strconv.FormatUint(binary.BigEndian.Uint64(sid[:]), 10)))
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
