package otlpenc

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/trace"
)

// ResourceLogs is one resource's part of a decoded ExportLogsServiceRequest.
type ResourceLogs struct {
	Resource  []attribute.KeyValue
	SchemaURL string
	Scopes    []ScopeLogs
}

// ScopeLogs is one instrumentation scope's records.
type ScopeLogs struct {
	Name, Version, SchemaURL string
	Attributes               []attribute.KeyValue
	Records                  []Record
}

// Record is a decoded LogRecord: every field of the message.
type Record struct {
	Timestamp, ObservedTimestamp time.Time // zero when absent
	Severity                     log.Severity
	SeverityText                 string
	Body                         attribute.Value
	Attributes                   []attribute.KeyValue
	DroppedAttributes            int
	TraceFlags                   trace.TraceFlags
	TraceID                      trace.TraceID
	SpanID                       trace.SpanID
	EventName                    string
}

// ErrJSON is wrapped by every error of DecodeRequestJSON.
var ErrJSON = errors.New("not an OTLP/JSON logs request")

// The JSON shapes. 64-bit integers are accepted as strings (the specification's form) or
// numbers, as the Collector accepts them.
type (
	jsonRequest struct {
		ResourceLogs []jsonResourceLogs `json:"resourceLogs"`
	}
	jsonResourceLogs struct {
		Resource struct {
			Attributes []jsonKeyValue `json:"attributes"`
		} `json:"resource"`
		ScopeLogs []jsonScopeLogs `json:"scopeLogs"`
		SchemaURL string          `json:"schemaUrl"`
	}
	jsonScopeLogs struct {
		Scope struct {
			Name       string         `json:"name"`
			Version    string         `json:"version"`
			Attributes []jsonKeyValue `json:"attributes"`
		} `json:"scope"`
		LogRecords []jsonRecord `json:"logRecords"`
		SchemaURL  string       `json:"schemaUrl"`
	}
	jsonRecord struct {
		TimeUnixNano           json.Number    `json:"timeUnixNano"`
		ObservedTimeUnixNano   json.Number    `json:"observedTimeUnixNano"`
		SeverityNumber         int32          `json:"severityNumber"`
		SeverityText           string         `json:"severityText"`
		Body                   *jsonAnyValue  `json:"body"`
		Attributes             []jsonKeyValue `json:"attributes"`
		DroppedAttributesCount uint32         `json:"droppedAttributesCount"`
		Flags                  uint32         `json:"flags"`
		TraceID                string         `json:"traceId"`
		SpanID                 string         `json:"spanId"`
		EventName              string         `json:"eventName"`
	}
	jsonKeyValue struct {
		Key   string        `json:"key"`
		Value *jsonAnyValue `json:"value"`
	}
	jsonAnyValue struct {
		StringValue *string      `json:"stringValue"`
		BoolValue   *bool        `json:"boolValue"`
		IntValue    *json.Number `json:"intValue"`
		DoubleValue *jsonDouble  `json:"doubleValue"`
		BytesValue  *string      `json:"bytesValue"`
		ArrayValue  *struct {
			Values []jsonAnyValue `json:"values"`
		} `json:"arrayValue"`
		KvlistValue *struct {
			Values []jsonKeyValue `json:"values"`
		} `json:"kvlistValue"`
	}
	jsonDouble float64
)

// UnmarshalJSON accepts a number or the strings proto3 JSON uses for what a number
// cannot hold.
func (d *jsonDouble) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		switch s {
		case "NaN":
			*d = jsonDouble(math.NaN())
		case "Infinity":
			*d = jsonDouble(math.Inf(1))
		case "-Infinity":
			*d = jsonDouble(math.Inf(-1))
		default:
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return err
			}
			*d = jsonDouble(f)
		}
		return nil
	}
	var f float64
	err := json.Unmarshal(b, &f)
	*d = jsonDouble(f)
	return err
}

// DecodeRequestJSON decodes one ExportLogsServiceRequest in the OTLP/JSON encoding, the
// inverse of AppendRequestJSON. Unknown fields are ignored, as the specification asks;
// anything but white space after the request is an error (two requests joined where a
// newline was lost would otherwise lose the second silently).
func DecodeRequestJSON(data []byte) ([]ResourceLogs, error) {
	var req jsonRequest
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(&req); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJSON, err)
	}
	if rest := bytes.TrimSpace(data[d.InputOffset():]); len(rest) > 0 {
		return nil, fmt.Errorf("%w: %d bytes after the request", ErrJSON, len(rest))
	}
	out := make([]ResourceLogs, 0, len(req.ResourceLogs))
	for _, rl := range req.ResourceLogs {
		res, err := keyValues(rl.Resource.Attributes, 0)
		if err != nil {
			return nil, err
		}
		o := ResourceLogs{Resource: res, SchemaURL: rl.SchemaURL}
		for _, sl := range rl.ScopeLogs {
			attrs, err := keyValues(sl.Scope.Attributes, 0)
			if err != nil {
				return nil, err
			}
			s := ScopeLogs{Name: sl.Scope.Name, Version: sl.Scope.Version, SchemaURL: sl.SchemaURL, Attributes: attrs}
			for i := range sl.LogRecords {
				r, err := decodeRecord(&sl.LogRecords[i])
				if err != nil {
					return nil, err
				}
				s.Records = append(s.Records, r)
			}
			o.Scopes = append(o.Scopes, s)
		}
		out = append(out, o)
	}
	return out, nil
}

func decodeRecord(j *jsonRecord) (Record, error) {
	var r Record
	var err error
	if r.Timestamp, err = unixNano(j.TimeUnixNano); err != nil {
		return r, err
	}
	if r.ObservedTimestamp, err = unixNano(j.ObservedTimeUnixNano); err != nil {
		return r, err
	}
	r.Severity, r.SeverityText, r.EventName = log.Severity(j.SeverityNumber), j.SeverityText, j.EventName
	if j.Body != nil {
		if r.Body, err = anyValue(j.Body, 0); err != nil {
			return r, err
		}
	}
	if r.Attributes, err = keyValues(j.Attributes, 0); err != nil {
		return r, err
	}
	r.DroppedAttributes = int(j.DroppedAttributesCount)
	r.TraceFlags = trace.TraceFlags(j.Flags)
	if err := hexID(r.TraceID[:], j.TraceID); err != nil {
		return r, fmt.Errorf("%w: traceId: %w", ErrJSON, err)
	}
	if err := hexID(r.SpanID[:], j.SpanID); err != nil {
		return r, fmt.Errorf("%w: spanId: %w", ErrJSON, err)
	}
	return r, nil
}

// hexID decodes s, "" or exactly len(dst) bytes in hex, into dst.
func hexID(dst []byte, s string) error {
	if s == "" {
		return nil
	}
	if len(s) != 2*len(dst) {
		return fmt.Errorf("%d hex digits, want %d", len(s), 2*len(dst))
	}
	_, err := hex.Decode(dst, []byte(s))
	return err
}

func unixNano(n json.Number) (time.Time, error) {
	if n == "" {
		return time.Time{}, nil
	}
	v, err := strconv.ParseUint(string(n), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: time %q: %w", ErrJSON, n, err)
	}
	if v == 0 {
		return time.Time{}, nil
	}
	return time.Unix(0, int64(v)).UTC(), nil
}

func keyValues(kvs []jsonKeyValue, depth int) ([]attribute.KeyValue, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	out := make([]attribute.KeyValue, 0, len(kvs))
	for i := range kvs {
		var v attribute.Value
		if kvs[i].Value != nil {
			var err error
			if v, err = anyValue(kvs[i].Value, depth); err != nil {
				return nil, err
			}
		}
		out = append(out, attribute.KeyValue{Key: attribute.Key(kvs[i].Key), Value: v})
	}
	return out, nil
}

func anyValue(j *jsonAnyValue, depth int) (attribute.Value, error) {
	if depth > maxDepth {
		return attribute.Value{}, nil
	}
	switch {
	case j.StringValue != nil:
		return attribute.StringValue(*j.StringValue), nil
	case j.BoolValue != nil:
		return attribute.BoolValue(*j.BoolValue), nil
	case j.IntValue != nil:
		i, err := strconv.ParseInt(string(*j.IntValue), 10, 64)
		if err != nil {
			return attribute.Value{}, fmt.Errorf("%w: intValue %q: %w", ErrJSON, *j.IntValue, err)
		}
		return attribute.Int64Value(i), nil
	case j.DoubleValue != nil:
		return attribute.Float64Value(float64(*j.DoubleValue)), nil
	case j.BytesValue != nil:
		p, err := base64.StdEncoding.DecodeString(*j.BytesValue)
		if err != nil {
			return attribute.Value{}, fmt.Errorf("%w: bytesValue: %w", ErrJSON, err)
		}
		return attribute.ByteSliceValue(p), nil
	case j.ArrayValue != nil:
		vs := make([]attribute.Value, 0, len(j.ArrayValue.Values))
		for i := range j.ArrayValue.Values {
			v, err := anyValue(&j.ArrayValue.Values[i], depth+1)
			if err != nil {
				return attribute.Value{}, err
			}
			vs = append(vs, v)
		}
		return attribute.SliceValue(vs...), nil
	case j.KvlistValue != nil:
		kvs, err := keyValues(j.KvlistValue.Values, depth+1)
		if err != nil {
			return attribute.Value{}, err
		}
		return attribute.MapValue(kvs...), nil
	}
	return attribute.Value{}, nil
}
