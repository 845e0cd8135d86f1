package spool

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
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
	"github.com/resilog/resilog/internal/rebuild"
)

// A frame's payload is one of two kinds, told by its first byte:
//
//	kindPrefix, uvarint id, prefix      (frame seq 0)
//	kindRecord, uvarint id, LogRecord   (frame seq: the record's)
//
// A prefix is a resource and a scope, in OTLP protobuf as package otlpenc writes them
// for an export:
//
//	uvarint len, Resource message
//	uvarint len, resource schema URL
//	uvarint len, InstrumentationScope message
//	uvarint len, scope schema URL
//
// and a record's LogRecord message ends with its log.record.uid attribute. A segment
// defines each prefix it uses once, before the first record that uses it: a detected
// resource is several times the size of a record, and every byte written costs page
// faults. A segment's prefixes are its own, so that deleting a segment never orphans a
// record of another.
const (
	kindPrefix byte = 1
	kindRecord byte = 2
)

// UIDKey is the attribute every spooled record carries (OpenTelemetry semantic
// conventions): the same on the copy exported from memory and on the copy replayed
// from disk, so that a backend can drop the second one.
const UIDKey = "log.record.uid"

// uidLen is the length of a uid: the run id and the seq, in hex.
const uidLen = 32

func appendUID(b []byte, run RunID, seq uint64) []byte {
	b = hex.AppendEncode(b, run[:])
	return appendSeqHex(b, seq)
}

// appendSeqHex appends seq as 16 lowercase hex digits.
func appendSeqHex(b []byte, seq uint64) []byte {
	const digits = "0123456789abcdef"
	var h [16]byte
	for i := 15; i >= 0; i-- {
		h[i] = digits[seq&0xf]
		seq >>= 4
	}
	return append(b, h[:]...)
}

// uidFieldHead is the uid attribute's encoding (a LogRecord's attributes field) but
// for the uid itself, which ends it: every uid has the same length.
var uidFieldHead = func() []byte {
	f := otlpenc.AppendRecordAttribute(nil, attribute.String(UIDKey, string(appendUID(nil, RunID{}, 0))))
	return f[:len(f)-uidLen]
}()

// uidFieldLen is the length of the uid attribute's encoding, the same for every uid.
var uidFieldLen = len(uidFieldHead) + uidLen

// appendUIDField appends the uid attribute of (run, seq), as otlpenc would encode it;
// head is uidFieldHead followed by the run id in hex (uidHead).
func appendUIDField(b, head []byte, seq uint64) []byte {
	return appendSeqHex(append(b, head...), seq)
}

// uidHead returns what every uid attribute of run begins with: uidFieldHead and the run
// id in hex.
func uidHead(run RunID) []byte {
	return hex.AppendEncode(append([]byte(nil), uidFieldHead...), run[:])
}

// prefixKey identifies a (resource, scope) pair.
type prefixKey struct {
	res   *resource.Resource
	scope instrumentation.Scope
}

// prefix is a (resource, scope) pair: the id this run gave it, and the payload of the
// frame that defines it in a segment.
type prefix struct {
	id      uint64
	payload []byte
}

// maxPrefixes bounds the prefixes a run keeps (one per resource and logger name,
// usually); past it, the table starts over, with new ids.
const maxPrefixes = 4096

// prefixes gives (resource, scope) pairs their id and encoding. Safe for concurrent use.
type prefixes struct {
	last atomic.Pointer[lastPrefix] // the pair looked up last: most records share it
	m    sync.Map                   // prefixKey → *prefix
	mu   sync.Mutex
	n    int
	next uint64
}

type lastPrefix struct {
	key prefixKey
	p   *prefix
}

func (p *prefixes) lookup(r *sdklog.Record) *prefix {
	key := prefixKey{r.Resource(), r.InstrumentationScope()}
	if l := p.last.Load(); l != nil && l.key.res == key.res && l.key.scope.Name == key.scope.Name &&
		l.key.scope.Version == key.scope.Version && l.key.scope.SchemaURL == key.scope.SchemaURL &&
		l.key.scope.Attributes.Equals(&key.scope.Attributes) {
		return l.p
	}
	if v, ok := p.m.Load(key); ok {
		p.last.Store(&lastPrefix{key, v.(*prefix)})
		return v.(*prefix)
	}
	enc := encodePrefix(nil, key.res, key.scope)
	p.mu.Lock()
	defer p.mu.Unlock()
	if v, ok := p.m.Load(key); ok {
		return v.(*prefix)
	}
	if p.n >= maxPrefixes {
		p.m.Clear()
		p.n = 0
	}
	p.next++
	pr := &prefix{id: p.next}
	pr.payload = append(protowire.AppendVarint([]byte{kindPrefix}, pr.id), enc...)
	p.m.Store(key, pr)
	p.n++
	p.last.Store(&lastPrefix{key, pr})
	return pr
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

// parsePayload splits a frame's payload into its kind, its prefix id and the rest.
func parsePayload(p []byte) (kind byte, id uint64, rest []byte, err error) {
	if len(p) < 2 || p[0] != kindPrefix && p[0] != kindRecord {
		return 0, 0, nil, errPayload
	}
	id, n := protowire.ConsumeVarint(p[1:])
	if n < 0 {
		return 0, 0, nil, errPayload
	}
	return p[0], id, p[1+n:], nil
}

// prefixParts splits an encoded prefix into its parts.
func prefixParts(p []byte) (res []byte, resSchema string, scope []byte, scopeSchema string, err error) {
	var parts [4][]byte
	for i := range parts {
		v, n := protowire.ConsumeBytes(p)
		if n < 0 {
			return nil, "", nil, "", errPayload
		}
		parts[i], p = v, p[n:]
	}
	return parts[0], string(parts[1]), parts[2], string(parts[3]), nil
}

// recordTime returns a LogRecord's timestamp (else its observed timestamp) without
// decoding the rest of it.
func recordTime(rec []byte) (time.Time, bool) {
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

// frameDict resolves the prefixes of one segment's records, as its frames are read in
// order.
type frameDict map[uint64][]byte

// add reads one frame: a prefix is kept, a record is returned with its prefix; ok is
// false for a record whose prefix is missing (damaged) or a malformed payload.
func (d frameDict) add(payload []byte) (isRecord bool, prefix, rec []byte, ok bool) {
	kind, id, rest, err := parsePayload(payload)
	if err != nil {
		return false, nil, nil, false
	}
	if kind == kindPrefix {
		d[id] = rest
		return false, nil, nil, true
	}
	prefix, ok = d[id]
	return true, prefix, rest, ok
}

// decoder turns payloads back into SDK records with their own resource and scope: the
// SDK builds a record's resource and scope only inside a Logger, so each record is a
// clone of a template from rebuild.Templates, kept here by encoded prefix. Not safe for
// concurrent use.
type decoder struct {
	resources map[string]*resource.Resource // by encoded resource and schema
	templates map[string]sdklog.Record      // by encoded prefix
	built     rebuild.Templates
}

// maxTemplates bounds the decoder's caches; past it they start over.
const maxTemplates = 1024

func (d *decoder) template(resBytes []byte, resSchema string, scopeBytes []byte, scopeSchema string) (sdklog.Record, error) {
	key := string(resBytes) + "\x00" + resSchema + "\x00" + string(scopeBytes) + "\x00" + scopeSchema
	if r, ok := d.templates[key]; ok {
		return r, nil
	}
	if d.templates == nil || len(d.templates) >= maxTemplates {
		d.templates = map[string]sdklog.Record{}
		d.resources = map[string]*resource.Resource{}
	}
	resKey := string(resBytes) + "\x00" + resSchema
	res := d.resources[resKey]
	if res == nil {
		var rpb resourcepb.Resource
		if err := proto.Unmarshal(resBytes, &rpb); err != nil {
			return sdklog.Record{}, fmt.Errorf("%w: resource: %w", errPayload, err)
		}
		res = resource.NewWithAttributes(resSchema, keyValues(rpb.Attributes, 0)...)
		d.resources[resKey] = res
	}
	var spb commonpb.InstrumentationScope
	if err := proto.Unmarshal(scopeBytes, &spb); err != nil {
		return sdklog.Record{}, fmt.Errorf("%w: scope: %w", errPayload, err)
	}
	r, _ := d.built.Template(res, instrumentation.Scope{Name: spb.Name, Version: spb.Version, SchemaURL: scopeSchema,
		Attributes: attribute.NewSet(keyValues(spb.Attributes, 0)...)})
	d.templates[key] = r
	return r, nil
}

// decode returns the record a LogRecord and its prefix hold.
func (d *decoder) decode(prefix, recBytes []byte) (sdklog.Record, error) {
	resBytes, resSchema, scopeBytes, scopeSchema, err := prefixParts(prefix)
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
	r.SetAttributes(ownUID(keyValues(lr.Attributes, 0))...)
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

// ownUID returns kvs without the log.record.uid attributes but the last, the spool's: a
// record logged with one of its own would otherwise come back with two, and a backend
// could drop the wrong copy. (The copy exported from memory carries the spool's alone.)
func ownUID(kvs []attribute.KeyValue) []attribute.KeyValue {
	if len(kvs) == 0 || kvs[len(kvs)-1].Key != UIDKey {
		return kvs
	}
	out := kvs[:0]
	for i, kv := range kvs {
		if kv.Key != UIDKey || i == len(kvs)-1 {
			out = append(out, kv)
		}
	}
	return out
}
