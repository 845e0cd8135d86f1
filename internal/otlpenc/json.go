package otlpenc

import (
	"encoding/base64"
	"math"
	"strconv"
	"unsafe"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/resilog/resilog/internal/attrvalue"
	"github.com/resilog/resilog/internal/jsonstr"
	"github.com/resilog/resilog/internal/recorduid"
)

// AppendRequestJSON appends records as one ExportLogsServiceRequest in the OTLP/JSON
// encoding (the specification's JSON mapping of the same protobuf messages AppendRequest
// writes: lowerCamelCase field names, trace and span IDs as hex, 64-bit integers as
// decimal strings, enums as numbers, fields at their default value omitted), on one line
// without a trailing newline: every control character and line separator in a string is
// escaped. Records are grouped by resource and scope as AppendRequest groups them, and
// carry the uids uids gives as AppendRequest writes them.
func AppendRequestJSON(b []byte, records []sdklog.Record, uids recorduid.UIDs) []byte {
	var uid [64]byte
	return appendRequestJSON(b, records, func(b []byte, i int) []byte { return uidOf(b, uids, i, &uid) })
}

// AppendRecordRequestJSON appends an ExportLogsServiceRequest holding r alone, as
// AppendRequestJSON does, with uid (nil: none) as its log.record.uid: for a writer of
// one request per line.
func AppendRecordRequestJSON(b []byte, r *sdklog.Record, uid []byte) []byte {
	return appendRequestJSON(b, unsafe.Slice(r, 1), func([]byte, int) []byte { return uid })
}

// appendRequestJSON is AppendRequestJSON with uidAt(b, i) giving records[i]'s uid.
func appendRequestJSON(b []byte, records []sdklog.Record, uidAt func(b []byte, i int) []byte) []byte {
	b = append(b, `{"resourceLogs":[`...)
	for gi, g := range group(records) {
		if gi > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"resource":{`...)
		b = appendResourceJSON(b, g.res)
		b = append(b, `},"scopeLogs":[`...)
		for si, s := range g.scopes {
			if si > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"scope":{`...)
			b = appendScopeJSON(b, s.scope)
			b = append(b, `},"logRecords":[`...)
			for ri, i := range s.records {
				if ri > 0 {
					b = append(b, ',')
				}
				b = appendRecordJSON(b, &records[i], uidAt(b, i))
			}
			b = append(b, ']')
			if s.scope.SchemaURL != "" {
				b = append(b, `,"schemaUrl":`...)
				b = appendJSONString(b, s.scope.SchemaURL)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
		if g.res != nil && g.res.SchemaURL() != "" {
			b = append(b, `,"schemaUrl":`...)
			b = appendJSONString(b, g.res.SchemaURL())
		}
		b = append(b, '}')
	}
	return append(b, ']', '}')
}

// jsonObject writes the members of one JSON object, a comma before each but the first.
type jsonObject struct {
	b     []byte
	first bool
}

func (o *jsonObject) key(k string) {
	if !o.first {
		o.b = append(o.b, ',')
	}
	o.first = false
	o.b = append(o.b, '"')
	o.b = append(o.b, k...)
	o.b = append(o.b, '"', ':')
}

func appendResourceJSON(b []byte, r *resource.Resource) []byte {
	if r == nil || r.Len() == 0 {
		return b
	}
	b = append(b, `"attributes":`...)
	return appendKVListJSON(b, r.Attributes(), 0)
}

func appendScopeJSON(b []byte, s instrumentation.Scope) []byte {
	o := jsonObject{b: b, first: true}
	if s.Name != "" {
		o.key("name")
		o.b = appendJSONString(o.b, s.Name)
	}
	if s.Version != "" {
		o.key("version")
		o.b = appendJSONString(o.b, s.Version)
	}
	if s.Attributes.Len() > 0 {
		o.key("attributes")
		o.b = appendKVListJSON(o.b, s.Attributes.ToSlice(), 0)
	}
	return o.b
}

// appendRecordJSON appends r's LogRecord object; uid as appendRecord's.
func appendRecordJSON(b []byte, r *sdklog.Record, uid []byte) []byte {
	o := jsonObject{b: append(b, '{'), first: true}
	if t := r.Timestamp(); !t.IsZero() {
		o.key("timeUnixNano")
		o.b = appendUint64String(o.b, uint64(t.UnixNano()))
	}
	if t := r.ObservedTimestamp(); !t.IsZero() {
		o.key("observedTimeUnixNano")
		o.b = appendUint64String(o.b, uint64(t.UnixNano()))
	}
	if s := r.Severity(); s != 0 {
		o.key("severityNumber")
		o.b = strconv.AppendInt(o.b, int64(severityNumber(s)), 10)
	}
	if s := r.SeverityText(); s != "" {
		o.key("severityText")
		o.b = appendJSONString(o.b, s)
	}
	if body := r.Body(); body.Type() != attribute.EMPTY {
		o.key("body")
		o.b = appendAnyValueJSON(o.b, body, 0)
	}
	if r.AttributesLen() > 0 || uid != nil {
		o.key("attributes")
		o.b = append(o.b, '[')
		n := 0
		r.WalkAttributes(func(kv attribute.KeyValue) bool {
			if uid != nil && kv.Key == recorduid.Key {
				return true
			}
			if n > 0 {
				o.b = append(o.b, ',')
			}
			n++
			o.b = appendKeyValueJSON(o.b, kv, 0)
			return true
		})
		if uid != nil {
			if n > 0 {
				o.b = append(o.b, ',')
			}
			o.b = append(o.b, `{"key":"`+recorduid.Key+`","value":{"stringValue":"`...)
			o.b = append(o.b, uid...) // hex digits: nothing to escape
			o.b = append(o.b, `"}}`...)
		}
		o.b = append(o.b, ']')
	}
	if d := r.DroppedAttributes(); d > 0 {
		o.key("droppedAttributesCount")
		o.b = strconv.AppendInt(o.b, int64(d), 10)
	}
	if f := r.TraceFlags(); f != 0 {
		o.key("flags")
		o.b = strconv.AppendUint(o.b, uint64(f), 10)
	}
	if id := r.TraceID(); id.IsValid() {
		o.key("traceId")
		o.b = appendHexString(o.b, id[:])
	}
	if id := r.SpanID(); id.IsValid() {
		o.key("spanId")
		o.b = appendHexString(o.b, id[:])
	}
	if e := r.EventName(); e != "" {
		o.key("eventName")
		o.b = appendJSONString(o.b, e)
	}
	return append(o.b, '}')
}

func appendKVListJSON(b []byte, kvs []attribute.KeyValue, depth int) []byte {
	b = append(b, '[')
	for i, kv := range kvs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendKeyValueJSON(b, kv, depth)
	}
	return append(b, ']')
}

func appendKeyValueJSON(b []byte, kv attribute.KeyValue, depth int) []byte {
	b = append(b, `{"key":`...)
	b = appendJSONString(b, string(kv.Key))
	b = append(b, `,"value":`...)
	b = appendAnyValueJSON(b, kv.Value, depth)
	return append(b, '}')
}

// appendAnyValueJSON appends v as an AnyValue object. Beyond maxDepth, as in the protobuf
// encoding, a value is written empty.
func appendAnyValueJSON(b []byte, v attribute.Value, depth int) []byte {
	if depth > maxDepth {
		return append(b, '{', '}')
	}
	switch v.Type() {
	case attribute.STRING:
		b = append(b, `{"stringValue":`...)
		b = appendJSONString(b, v.AsString())
	case attribute.BOOL:
		b = append(b, `{"boolValue":`...)
		b = strconv.AppendBool(b, v.AsBool())
	case attribute.INT64:
		b = append(b, `{"intValue":"`...)
		b = strconv.AppendInt(b, v.AsInt64(), 10)
		b = append(b, '"')
	case attribute.FLOAT64:
		b = append(b, `{"doubleValue":`...)
		b = appendDoubleJSON(b, v.AsFloat64())
	case attribute.BYTESLICE:
		b = append(b, `{"bytesValue":"`...)
		b = base64.StdEncoding.AppendEncode(b, v.AsByteSlice())
		b = append(b, '"')
	case attribute.MAP:
		b = append(b, `{"kvlistValue":{"values":`...)
		b = appendKVListJSON(b, v.AsMap(), depth+1)
		b = append(b, '}')
	case attribute.SLICE, attribute.BOOLSLICE, attribute.INT64SLICE, attribute.FLOAT64SLICE, attribute.STRINGSLICE:
		b = append(b, `{"arrayValue":{"values":[`...)
		for i, e := range attrvalue.Elems(v) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendAnyValueJSON(b, e, depth+1)
		}
		b = append(b, ']', '}')
	default:
		return append(b, '{', '}')
	}
	return append(b, '}')
}

// appendDoubleJSON writes f as proto3 JSON does: a number, or one of the strings "NaN",
// "Infinity" and "-Infinity", which a JSON number cannot hold.
func appendDoubleJSON(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

func appendUint64String(b []byte, v uint64) []byte {
	b = append(b, '"')
	b = strconv.AppendUint(b, v, 10)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

func appendHexString(b []byte, p []byte) []byte {
	b = append(b, '"')
	for _, c := range p {
		b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return append(b, '"')
}

// appendJSONString appends s as a JSON string, its invalid UTF-8 replaced as the
// protobuf encoding replaces it (utf8Valid), so that both encodings of a record carry the
// same string.
func appendJSONString(b []byte, s string) []byte { return jsonstr.Append(b, utf8Valid(s)) }
