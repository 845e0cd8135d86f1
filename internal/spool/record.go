package spool

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/resilog/resilog/internal/otlpenc"
)

// A record's payload is its resource, its scope and the record itself, in OTLP protobuf
// as package otlpenc writes them for an export, so that a replayed record is the record
// that would have been exported, with its own resource and time:
//
//	uvarint len, Resource message
//	uvarint len, resource schema URL
//	uvarint len, InstrumentationScope message
//	uvarint len, scope schema URL
//	LogRecord message, up to the end; its last attribute is log.record.uid

// UIDKey is the attribute every spooled record carries (OpenTelemetry semantic
// conventions): the same on the copy exported from memory and on the copy replayed
// from disk, so that a backend can drop the second one.
const UIDKey = "log.record.uid"

// uidLen is the length of a uid: the run id and the seq, in hex.
const uidLen = 32

func appendUID(b []byte, run RunID, seq uint64) []byte {
	b = hex.AppendEncode(b, run[:])
	var s [8]byte
	for i := range s {
		s[i] = byte(seq >> (56 - 8*i))
	}
	return hex.AppendEncode(b, s[:])
}

// uidFieldLen is the length of the uid attribute's encoding, the same for every uid.
var uidFieldLen = len(otlpenc.AppendRecordAttribute(nil, attribute.String(UIDKey, string(appendUID(nil, RunID{}, 0)))))

// prefixKey identifies a (resource, scope) pair whose encoding is cached.
type prefixKey struct {
	res   *resource.Resource
	scope instrumentation.Scope
}

// maxPrefixes bounds the cache of encoded resource-and-scope prefixes (one per logger
// name, usually); past it, prefixes are encoded for each record.
const maxPrefixes = 4096

// prefixes caches encoded (resource, scope) prefixes. Safe for concurrent use.
type prefixes struct {
	m  sync.Map // prefixKey → []byte
	n  int      // entries, under mu
	mu sync.Mutex
}

func (p *prefixes) append(b []byte, r *sdklog.Record) []byte {
	key := prefixKey{r.Resource(), r.InstrumentationScope()}
	if v, ok := p.m.Load(key); ok {
		return append(b, v.([]byte)...)
	}
	enc := encodePrefix(nil, key.res, key.scope)
	p.mu.Lock()
	if p.n < maxPrefixes {
		if _, loaded := p.m.LoadOrStore(key, enc); !loaded {
			p.n++
		}
	}
	p.mu.Unlock()
	return append(b, enc...)
}

func encodePrefix(b []byte, res *resource.Resource, scope instrumentation.Scope) []byte {
	b = protowire.AppendBytes(b, otlpenc.AppendResource(nil, res))
	schema := ""
	if res != nil {
		schema = res.SchemaURL()
	}
	b = protowire.AppendString(b, schema)
	b = protowire.AppendBytes(b, otlpenc.AppendScope(nil, scope))
	return protowire.AppendString(b, scope.SchemaURL)
}

var errPayload = errors.New("spool: malformed record payload")

// payloadParts splits a payload into its parts.
func payloadParts(p []byte) (res []byte, resSchema string, scope []byte, scopeSchema string, rec []byte, err error) {
	var parts [4][]byte
	for i := range parts {
		v, n := protowire.ConsumeBytes(p)
		if n < 0 {
			return nil, "", nil, "", nil, errPayload
		}
		parts[i], p = v, p[n:]
	}
	return parts[0], string(parts[1]), parts[2], string(parts[3]), p, nil
}

// recordTime returns the record's timestamp (else its observed timestamp) without
// decoding the rest of it.
func recordTime(payload []byte) (time.Time, bool) {
	_, _, _, _, rec, err := payloadParts(payload)
	if err != nil {
		return time.Time{}, false
	}
	var observed uint64
	for len(rec) > 0 {
		num, typ, n := protowire.ConsumeTag(rec)
		if n < 0 {
			break
		}
		rec = rec[n:]
		if typ == protowire.Fixed64Type && (num == 1 || num == 11) {
			v, m := protowire.ConsumeFixed64(rec)
			if m < 0 {
				break
			}
			if num == 1 && v != 0 {
				return time.Unix(0, int64(v)), true
			}
			observed = v
		}
		m := protowire.ConsumeFieldValue(num, typ, rec)
		if m < 0 {
			break
		}
		rec = rec[m:]
	}
	return time.Unix(0, int64(observed)), observed != 0
}

// decoder turns payloads back into SDK records with their own resource and scope. The
// SDK builds a record's resource and scope only inside a Logger, so the decoder keeps a
// provider per resource that emits an empty record, and clones it as the template of
// every record of that resource and scope. Not safe for concurrent use.
type decoder struct {
	providers map[string]*capture      // by encoded resource and schema
	templates map[string]sdklog.Record // by encoded prefix
}

// capture keeps a clone of the last record emitted to it.
type capture struct {
	provider *sdklog.LoggerProvider
	res      *resource.Resource
	fixed    bool
	last     sdklog.Record
}

// OnEmit keeps a clone of r with res as its resource. sdklog.WithResource merges
// resource.Environment() under res (the OTEL_RESOURCE_ATTRIBUTES of the process that
// decodes, not of the one that logged): the first record overwrites the value of the
// provider's private copy with res's.
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

// maxTemplates bounds the decoder's caches; past it they start over.
const maxTemplates = 1024

func (d *decoder) template(resBytes []byte, resSchema string, scopeBytes []byte, scopeSchema string) (sdklog.Record, error) {
	key := string(resBytes) + "\x00" + resSchema + "\x00" + string(scopeBytes) + "\x00" + scopeSchema
	if r, ok := d.templates[key]; ok {
		return r, nil
	}
	if d.templates == nil || len(d.templates) >= maxTemplates {
		d.templates = map[string]sdklog.Record{}
		d.providers = map[string]*capture{}
	}
	resKey := string(resBytes) + "\x00" + resSchema
	c := d.providers[resKey]
	if c == nil {
		var rpb resourcepb.Resource
		if err := proto.Unmarshal(resBytes, &rpb); err != nil {
			return sdklog.Record{}, fmt.Errorf("%w: resource: %w", errPayload, err)
		}
		res := resource.NewWithAttributes(resSchema, keyValues(rpb.Attributes, 0)...)
		c = &capture{res: res}
		c.provider = sdklog.NewLoggerProvider(sdklog.WithResource(res), sdklog.WithAllowKeyDuplication(),
			sdklog.WithAttributeCountLimit(-1), sdklog.WithAttributeValueLengthLimit(-1), sdklog.WithProcessor(c))
		d.providers[resKey] = c
	}
	var spb commonpb.InstrumentationScope
	if err := proto.Unmarshal(scopeBytes, &spb); err != nil {
		return sdklog.Record{}, fmt.Errorf("%w: scope: %w", errPayload, err)
	}
	c.provider.Logger(spb.Name, log.WithInstrumentationVersion(spb.Version), log.WithSchemaURL(scopeSchema),
		log.WithInstrumentationAttributes(keyValues(spb.Attributes, 0)...)).Emit(context.Background(), log.Record{})
	d.templates[key] = c.last
	return c.last, nil
}

// decode returns the record a payload holds.
func (d *decoder) decode(payload []byte) (sdklog.Record, error) {
	resBytes, resSchema, scopeBytes, scopeSchema, recBytes, err := payloadParts(payload)
	if err != nil {
		return sdklog.Record{}, err
	}
	tmpl, err := d.template(resBytes, resSchema, scopeBytes, scopeSchema)
	if err != nil {
		return sdklog.Record{}, err
	}
	var lr logspb.LogRecord
	if err := proto.Unmarshal(recBytes, &lr); err != nil {
		return sdklog.Record{}, fmt.Errorf("%w: record: %w", errPayload, err)
	}
	r := tmpl.Clone()
	if lr.TimeUnixNano != 0 {
		r.SetTimestamp(time.Unix(0, int64(lr.TimeUnixNano)))
	}
	if lr.ObservedTimeUnixNano != 0 {
		r.SetObservedTimestamp(time.Unix(0, int64(lr.ObservedTimeUnixNano)))
	}
	r.SetSeverity(log.Severity(lr.SeverityNumber))
	r.SetSeverityText(lr.SeverityText)
	if lr.Body != nil {
		r.SetBody(value(lr.Body, 0))
	}
	r.SetAttributes(keyValues(lr.Attributes, 0)...)
	if len(lr.TraceId) == 16 {
		r.SetTraceID(trace.TraceID(lr.TraceId))
	}
	if len(lr.SpanId) == 8 {
		r.SetSpanID(trace.SpanID(lr.SpanId))
	}
	r.SetTraceFlags(trace.TraceFlags(lr.Flags))
	r.SetEventName(lr.EventName)
	return r, nil
}

// maxDepth bounds the recursion into nested values, as otlpenc's does.
const maxDepth = 64

func keyValues(kvs []*commonpb.KeyValue, depth int) []attribute.KeyValue {
	out := make([]attribute.KeyValue, 0, len(kvs))
	for _, kv := range kvs {
		out = append(out, attribute.KeyValue{Key: attribute.Key(kv.GetKey()), Value: value(kv.GetValue(), depth)})
	}
	return out
}

func value(v *commonpb.AnyValue, depth int) attribute.Value {
	if depth > maxDepth {
		return attribute.Value{}
	}
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return attribute.StringValue(x.StringValue)
	case *commonpb.AnyValue_BoolValue:
		return attribute.BoolValue(x.BoolValue)
	case *commonpb.AnyValue_IntValue:
		return attribute.Int64Value(x.IntValue)
	case *commonpb.AnyValue_DoubleValue:
		return attribute.Float64Value(x.DoubleValue)
	case *commonpb.AnyValue_BytesValue:
		return attribute.ByteSliceValue(x.BytesValue)
	case *commonpb.AnyValue_ArrayValue:
		vals := x.ArrayValue.GetValues()
		out := make([]attribute.Value, 0, min(len(vals), math.MaxInt32))
		for _, e := range vals {
			out = append(out, value(e, depth+1))
		}
		return attribute.SliceValue(out...)
	case *commonpb.AnyValue_KvlistValue:
		return attribute.MapValue(keyValues(x.KvlistValue.GetValues(), depth+1)...)
	}
	return attribute.Value{}
}
