package exporter

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"math"
	"os"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/attrvalue"
	"github.com/resilog/resilog/internal/jsonstr"
	"github.com/resilog/resilog/internal/recorduid"
	"github.com/resilog/resilog/internal/stdfd"
)

// JSONLines writes each record as one JSON object per line: the stdout fallback, the
// console exporter of containers, and the format of the rotating file exporter.
//
// The schema is stable. Top-level fields, in this order, each omitted when empty:
//
//	time           RFC 3339 with nanoseconds, UTC; omitted when the record has no time
//	observed_time  when the record has no time: when it was observed, in the same form
//	level       severity text, or DEBUG/INFO/WARN/ERROR derived from the severity number
//	logger      instrumentation scope name
//	msg         the body (a string; other bodies as their JSON value)
//	trace_id    32 lowercase hex digits
//	span_id     16 lowercase hex digits
//	request_id  the request.id attribute, lifted so that grep finds it
//	service     the resource's service.name
//
// then the attributes, maps as nested objects. An attribute whose key collides with a
// top-level field is written as "attr.<key>". Strings are escaped so that no value can
// start a new line: control characters, U+2028/U+2029 and invalid UTF-8 never appear raw.
type JSONLines struct{ lines }

// NewJSONLines returns an exporter that writes to w. Writes are serialised; one Export
// is one Write call.
//
// When w is the process's stdout or stderr, a closed pipe (`./svc | head`) makes Export
// return an error instead of killing the process with SIGPIPE, as Go does for writes to
// descriptors 1 and 2: the exporter writes through a duplicate of the descriptor, opened at
// the first Export and closed by Shutdown, after which Export returns an error.
func NewJSONLines(w io.Writer) *JSONLines {
	j := new(JSONLines)
	j.init(w, appendJSON)
	return j
}

// lines is what the line-oriented exporters share: format every record of a batch into
// one buffer, write it with one call.
type lines struct {
	mu     sync.Mutex // serialises Export, held across its Write
	w      io.Writer
	buf    []byte
	uid    []byte // the uid of the record being formatted (package recorduid)
	format func(b []byte, r *sdklog.Record, uid []byte) []byte

	// std is w when it is the process's stdout or stderr, written through dup (see
	// NewJSONLines). dupMu is never held across a write, so that Shutdown does not wait
	// for a blocked one.
	std    *os.File
	dupMu  sync.Mutex
	dup    *os.File
	closed bool
}

// init sets l up to write to w; format appends a record's line, with uid (nil: none)
// as its log.record.uid attribute in place of any the record has.
func (l *lines) init(w io.Writer, format func(b []byte, r *sdklog.Record, uid []byte) []byte) {
	l.w, l.format = w, format
	if f, ok := w.(*os.File); ok && stdfd.IsStd(f) {
		l.std = f
	}
}

// errShutdown is returned by an Export on stdout or stderr after Shutdown.
var errShutdown = errors.New("exporter: shut down")

// Export writes records, each with the log.record.uid ctx gives it (package recorduid).
func (l *lines) Export(ctx context.Context, records []sdklog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, err := l.writer()
	if err != nil {
		return err
	}
	uids := recorduid.FromContext(ctx)
	l.buf = l.buf[:0]
	for i := range records {
		var uid []byte
		if u, ok := uids.Append(l.uid[:0], i); ok {
			uid, l.uid = u, u[:0]
		}
		l.buf = l.format(l.buf, &records[i], uid)
	}
	_, err = w.Write(l.buf)
	if cap(l.buf) > 1<<20 {
		l.buf = nil // don't keep a burst's buffer forever
	}
	return err
}

// writer returns where Export writes: w, or the duplicate of stdout or stderr.
func (l *lines) writer() (io.Writer, error) {
	if l.std == nil {
		return l.w, nil
	}
	l.dupMu.Lock()
	defer l.dupMu.Unlock()
	if l.closed {
		return nil, errShutdown
	}
	if l.dup == nil {
		d, err := stdfd.Dup(l.std)
		if err != nil {
			return l.std, nil // no descriptor to spare, or no SIGPIPE on this system
		}
		l.dup = d
	}
	return l.dup, nil
}

// ForceFlush does nothing: every Export is written at once.
func (*lines) ForceFlush(context.Context) error { return nil }

// Shutdown closes the duplicate of stdout or stderr, if one was opened, without waiting
// for a write blocked on it; any other writer belongs to the caller and is left open.
func (l *lines) Shutdown(context.Context) error {
	l.dupMu.Lock()
	defer l.dupMu.Unlock()
	if l.std == nil || l.closed {
		return nil
	}
	l.closed = true
	if l.dup != nil {
		err := l.dup.Close()
		l.dup = nil
		return err
	}
	return nil
}

// reservedKeys are the top-level fields of the schema.
func reservedKey(k string) bool {
	switch k {
	case "time", "observed_time", "level", "logger", "msg", "trace_id", "span_id", "request_id", "service":
		return true
	}
	return false
}

// requestIDKey is the attribute lifted to request_id.
const requestIDKey = "request.id"

// AppendJSON appends r as one JSON line (with its newline) to b.
func AppendJSON(b []byte, r *sdklog.Record) []byte { return appendJSON(b, r, nil) }

// appendJSON is AppendJSON, with uid (nil: none) as the last attribute, log.record.uid,
// in place of any r has.
func appendJSON(b []byte, r *sdklog.Record, uid []byte) []byte {
	b = append(b, '{')
	first := true
	field := func(name string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, '"', ':')
	}
	// A record without a time has none in the output either (slog's rule, which
	// testing/slogtest checks); when it was observed is kept under its own key.
	if ts := r.Timestamp(); !ts.IsZero() {
		field("time")
		b = appendTime(b, ts)
	} else if ts := r.ObservedTimestamp(); !ts.IsZero() {
		field("observed_time")
		b = appendTime(b, ts)
	}
	if lvl := LevelText(r.Severity(), r.SeverityText()); lvl != "" {
		field("level")
		b = appendString(b, lvl)
	}
	if name := r.InstrumentationScope().Name; name != "" {
		field("logger")
		b = appendString(b, name)
	}
	if body := r.Body(); body.Type() != attribute.EMPTY {
		field("msg")
		b = appendValue(b, body, 0)
	}
	if tid := r.TraceID(); tid.IsValid() {
		field("trace_id")
		b = append(b, '"')
		b = appendHex(b, tid[:])
		b = append(b, '"')
	}
	if sid := r.SpanID(); sid.IsValid() {
		field("span_id")
		b = append(b, '"')
		b = appendHex(b, sid[:])
		b = append(b, '"')
	}
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		if string(kv.Key) == requestIDKey && kv.Value.Type() == attribute.STRING {
			field("request_id")
			b = appendString(b, kv.Value.AsString())
			return false
		}
		return true
	})
	if res := r.Resource(); res != nil {
		if v, ok := res.Set().Value("service.name"); ok && v.Type() == attribute.STRING {
			field("service")
			b = appendString(b, v.AsString())
		}
	}
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		k := string(kv.Key)
		if k == requestIDKey && kv.Value.Type() == attribute.STRING || uid != nil && k == recorduid.Key {
			return true
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		if reservedKey(k) {
			b = appendString(b, "attr."+k)
		} else {
			b = appendString(b, k)
		}
		b = append(b, ':')
		b = appendValue(b, kv.Value, 0)
		return true
	})
	if uid != nil {
		field(recorduid.Key)
		b = append(b, '"')
		b = append(b, uid...) // hex digits: nothing to escape
		b = append(b, '"')
	}
	return append(b, '}', '\n')
}

// LevelText returns text if set, else the slog-style name of the severity range.
func LevelText(sev log.Severity, text string) string {
	if text != "" {
		return text
	}
	switch {
	case sev == 0:
		return ""
	case sev < log.SeverityDebug:
		return "TRACE"
	case sev < log.SeverityInfo:
		return "DEBUG"
	case sev < log.SeverityWarn:
		return "INFO"
	case sev < log.SeverityError:
		return "WARN"
	case sev < log.SeverityFatal:
		return "ERROR"
	}
	return "FATAL"
}

// maxDepth bounds nesting; deeper values are written as a marker string.
const maxDepth = 32

func appendValue(b []byte, v attribute.Value, depth int) []byte {
	if depth > maxDepth {
		return append(b, `"[too deep]"`...)
	}
	switch v.Type() {
	case attribute.BOOL:
		return strconv.AppendBool(b, v.AsBool())
	case attribute.INT64:
		return strconv.AppendInt(b, v.AsInt64(), 10)
	case attribute.FLOAT64:
		f := v.AsFloat64()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return appendString(b, strconv.FormatFloat(f, 'g', -1, 64))
		}
		return strconv.AppendFloat(b, f, 'g', -1, 64)
	case attribute.STRING:
		return appendString(b, v.AsString())
	case attribute.BYTESLICE:
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, v.AsByteSlice())
		return append(b, '"')
	case attribute.MAP:
		b = append(b, '{')
		for i, kv := range v.AsMap() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, string(kv.Key))
			b = append(b, ':')
			b = appendValue(b, kv.Value, depth+1)
		}
		return append(b, '}')
	case attribute.SLICE, attribute.BOOLSLICE, attribute.INT64SLICE, attribute.FLOAT64SLICE, attribute.STRINGSLICE:
		b = append(b, '[')
		for i, e := range attrvalue.Elems(v) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendValue(b, e, depth+1)
		}
		return append(b, ']')
	}
	return append(b, "null"...)
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

func appendHex(b []byte, p []byte) []byte {
	for _, c := range p {
		b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return b
}

// appendString appends s as a JSON string ([jsonstr.Append]): one line, valid UTF-8.
func appendString(b []byte, s string) []byte { return jsonstr.Append(b, s) }
