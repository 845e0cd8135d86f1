package exporter

import (
	"io"
	"strconv"
	"unicode"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/recorduid"
)

// Console writes records as text lines for a developer's terminal:
//
//	2026-05-07T14:32:01.123Z INFO [3f2a1b9c] github.com/acme/shop/orders order created order_id=1042 user.id=88
//
// Times are UTC with milliseconds, always three digits, so that records of the same second
// keep their order and the columns line up. The bracket holds the first 8 hex digits of the trace ID (or the request ID when there
// is no trace); nested groups are flattened to dotted keys. A record without a time
// starts with its level and ends with observed_time=. Every control character (DEL and
// C1 included), line or paragraph separator, bidirectional override and invalid UTF-8
// byte in the message, keys and values is escaped, and values with spaces, quotes or '='
// are quoted, so user input can never forge or reorder a line.
type Console struct{ lines }

// NewConsole returns a Console writing to w; one Export is one Write. On stdout or
// stderr, a closed pipe is an error, not a SIGPIPE (see [NewJSONLines]).
func NewConsole(w io.Writer) *Console {
	c := new(Console)
	c.init(w, appendConsole)
	return c
}

// consoleTime is RFC 3339 with milliseconds kept, trailing zeros included.
const consoleTime = "2006-01-02T15:04:05.000Z07:00"

// AppendConsole appends r as one text line to b.
func AppendConsole(b []byte, r *sdklog.Record) []byte { return appendConsole(b, r, nil) }

// appendConsole is AppendConsole, with uid (nil: none) as the last attribute,
// log.record.uid, in place of any r has.
func appendConsole(b []byte, r *sdklog.Record, uid []byte) []byte {
	// A record without a time starts with its level (slog's rule); when it was observed
	// ends the line as observed_time.
	ts := r.Timestamp()
	if !ts.IsZero() {
		b = ts.UTC().AppendFormat(b, consoleTime)
		b = append(b, ' ')
	}
	lvl := LevelText(r.Severity(), r.SeverityText())
	if lvl == "" {
		lvl = "-"
	}
	b = appendEscaped(b, lvl)
	if tid := r.TraceID(); tid.IsValid() {
		b = append(b, " ["...)
		b = appendHex(b, tid[:4])
		b = append(b, ']')
	} else {
		r.WalkAttributes(func(kv attribute.KeyValue) bool {
			if string(kv.Key) == requestIDKey && kv.Value.Type() == attribute.STRING {
				b = append(b, " ["...)
				b = appendEscaped(b, kv.Value.AsString())
				b = append(b, ']')
				return false
			}
			return true
		})
	}
	if name := r.InstrumentationScope().Name; name != "" {
		b = append(b, ' ')
		b = appendEscaped(b, name)
	}
	if body := r.Body(); body.Type() != attribute.EMPTY {
		b = append(b, ' ')
		if body.Type() == attribute.STRING {
			b = appendEscaped(b, body.AsString())
		} else {
			b = appendConsoleValue(b, body)
		}
	}
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		if uid == nil || kv.Key != recorduid.Key {
			b = appendConsoleAttr(b, string(kv.Key), kv.Value, 0)
		}
		return true
	})
	if uid != nil {
		b = append(b, " "+recorduid.Key+"="...)
		b = append(b, uid...) // hex digits: nothing to escape or quote
	}
	if obs := r.ObservedTimestamp(); ts.IsZero() && !obs.IsZero() {
		b = append(b, " observed_time="...)
		b = obs.UTC().AppendFormat(b, consoleTime)
	}
	return append(b, '\n')
}

func appendConsoleAttr(b []byte, key string, v attribute.Value, depth int) []byte {
	if v.Type() == attribute.MAP && depth < maxDepth {
		for _, kv := range v.AsMap() {
			b = appendConsoleAttr(b, key+"."+string(kv.Key), kv.Value, depth+1)
		}
		return b
	}
	b = append(b, ' ')
	b = appendConsoleString(b, key)
	b = append(b, '=')
	return appendConsoleValue(b, v)
}

func appendConsoleValue(b []byte, v attribute.Value) []byte {
	switch v.Type() {
	case attribute.STRING:
		return appendConsoleString(b, v.AsString())
	case attribute.INT64:
		return strconv.AppendInt(b, v.AsInt64(), 10)
	case attribute.BOOL:
		return strconv.AppendBool(b, v.AsBool())
	case attribute.FLOAT64:
		return strconv.AppendFloat(b, v.AsFloat64(), 'g', -1, 64)
	}
	return appendConsoleString(b, v.String())
}

// appendConsoleString writes s bare if it is plain, quoted and escaped otherwise.
func appendConsoleString(b []byte, s string) []byte {
	if s == "" {
		return append(b, `""`...)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f || c >= utf8.RuneSelf {
			return strconv.AppendQuote(b, s)
		}
	}
	return append(b, s...)
}

// appendEscaped writes s unquoted with control characters, line separators and invalid
// UTF-8 escaped Go-style (\n, \x1b, \u2028, \ufffd).
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= ' ' && c < utf8.RuneSelf && c != 0x7f && c != '\\' {
			b = append(b, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case c == '\\':
			b = append(b, `\\`...)
		case r == '\u2028' || r == '\u2029' || !unicode.IsPrint(r):
			q := strconv.QuoteRune(r) // 'x' with the escape inside
			b = append(b, q[1:len(q)-1]...)
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}
