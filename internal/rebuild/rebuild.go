// Package rebuild makes a copy of an SDK record with the attributes and the dropped
// count a processor chose. The SDK's Record cannot be given either directly: its
// dropped count (OTLP's dropped_attributes_count) is set only by its own count limit,
// which comes, like its resource and scope, from the LoggerProvider that emitted it; and
// a record emitted under a count limit never takes an attribute past it.
//
// processor.Limit uses it to keep the count of the attributes it removed; the root
// package, to add log.record.uid to the copies an exporter resilog does not own gets,
// past the count limit of a record Limit cut.
package rebuild

import (
	"context"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
)

// Templates holds, per resource, scope and count limit, an empty record from a private
// LoggerProvider configured with that count limit, to build records from.
//
// It holds at most maxTemplates records (scope names are not a bounded set) and starts
// over when full. Safe for concurrent use; the zero value is ready.
type Templates struct {
	mu        sync.Mutex
	providers map[templateProvider]*capture
	records   map[templateKey]sdklog.Record
}

const maxTemplates = 256

type templateProvider struct {
	res   *resource.Resource
	count int
}

type templateKey struct {
	templateProvider
	scope instrumentation.Scope
}

// filler stands for an attribute dropped: the template's count limit drops it, which
// sets the dropped count.
var filler = attribute.Bool("resilog.dropped", true)

// Record returns a copy of r with attrs as its attributes, in that order, and dropped as
// its dropped count, whatever count limit r was emitted under. It appends to attrs. ok
// is false when r has no resource (a record not emitted by a LoggerProvider): no
// template can stand for it.
func (t *Templates) Record(r *sdklog.Record, attrs []attribute.KeyValue, dropped int) (out sdklog.Record, ok bool) {
	tmpl, ok := t.get(r.Resource(), r.InstrumentationScope(), len(attrs))
	if !ok {
		return sdklog.Record{}, false
	}
	out = tmpl.Clone()
	out.SetEventName(r.EventName())
	out.SetTimestamp(r.Timestamp())
	out.SetObservedTimestamp(r.ObservedTimestamp())
	out.SetSeverity(r.Severity())
	out.SetSeverityText(r.SeverityText())
	out.SetBody(r.Body())
	out.SetTraceID(r.TraceID())
	out.SetSpanID(r.SpanID())
	out.SetTraceFlags(r.TraceFlags())
	for range dropped {
		attrs = append(attrs, filler)
	}
	out.SetAttributes(attrs...)
	return out, true
}

// capture keeps a clone of the last record emitted to it.
type capture struct {
	provider *sdklog.LoggerProvider
	res      *resource.Resource // the resource its records must carry
	fixed    bool               // the provider's resource is res's value
	last     sdklog.Record
}

// OnEmit keeps a clone of r, with res as its resource. sdklog.WithResource merged
// resource.Environment() under res, reading OTEL_RESOURCE_ATTRIBUTES again, unredacted
// and perhaps changed since the pipeline was built: the first record overwrites the
// value of the provider's resource (its private copy, made by that merge) with res's.
func (c *capture) OnEmit(_ context.Context, r *sdklog.Record) error {
	if !c.fixed {
		if got := r.Resource(); got != nil && got != c.res {
			*got = *c.res
		}
		c.fixed = true
	}
	c.last = r.Clone()
	return nil
}
func (c *capture) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }
func (c *capture) Shutdown(context.Context) error                         { return nil }
func (c *capture) ForceFlush(context.Context) error                       { return nil }

// Template returns an empty record of res and scope from a provider without limits, to
// be cloned and filled in (the spool's decoder builds replayed records so); ok is false
// when res is nil.
func (t *Templates) Template(res *resource.Resource, scope instrumentation.Scope) (sdklog.Record, bool) {
	return t.get(res, scope, -1)
}

// get returns the template record for res, scope and count; ok is false when res is nil.
func (t *Templates) get(res *resource.Resource, scope instrumentation.Scope, count int) (sdklog.Record, bool) {
	if res == nil {
		return sdklog.Record{}, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	key := templateKey{templateProvider{res, count}, scope}
	if r, ok := t.records[key]; ok {
		return r, true
	}
	if t.providers == nil || len(t.records) >= maxTemplates {
		t.providers = map[templateProvider]*capture{}
		t.records = map[templateKey]sdklog.Record{}
	}
	c := t.providers[key.templateProvider]
	if c == nil {
		c = &capture{res: res}
		// No goroutine and nothing to flush: the provider needs no Shutdown.
		c.provider = sdklog.NewLoggerProvider(sdklog.WithResource(res), sdklog.WithAllowKeyDuplication(),
			sdklog.WithAttributeCountLimit(count), sdklog.WithAttributeValueLengthLimit(-1), sdklog.WithProcessor(c))
		t.providers[key.templateProvider] = c
	}
	c.provider.Logger(scope.Name, log.WithInstrumentationVersion(scope.Version), log.WithSchemaURL(scope.SchemaURL),
		log.WithInstrumentationAttributeSet(scope.Attributes)).Emit(context.Background(), log.Record{})
	t.records[key] = c.last
	return c.last, true
}
