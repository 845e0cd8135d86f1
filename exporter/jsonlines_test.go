package exporter

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"

	"github.com/resilog/resilog/internal/accounting"
	"github.com/resilog/resilog/internal/recordtest"
)

func TestJSONLinesSchema(t *testing.T) {
	r := recordtest.Make("github.com/acme/shop/orders", func(r *log.Record) {
		r.SetTimestamp(time.Date(2026, 5, 7, 14, 32, 1, 5, time.UTC))
		r.SetSeverity(log.SeverityInfo)
		r.SetBody(attribute.StringValue("order created"))
		r.AddAttributes(
			attribute.Int("order_id", 1042),
			attribute.String("request.id", "abc-123"),
			attribute.String("msg", "collides with the top level"),
			attribute.Map("user", attribute.Int("id", 88), attribute.Map("address", attribute.String("city", "Paris"))),
			attribute.Float64("ratio", 0.5),
		)
	}, sdklog.WithResource(resource.NewSchemaless(attribute.String("service.name", "orders"))))
	r.SetTraceID(trace.TraceID{0x3f, 0x2a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14})
	r.SetSpanID(trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8})
	var buf bytes.Buffer
	if err := NewJSONLines(&buf).Export(context.Background(), []sdklog.Record{r}); err != nil {
		t.Fatal(err)
	}
	want := `{"time":"2026-05-07T14:32:01.000000005Z","level":"INFO","logger":"github.com/acme/shop/orders","msg":"order created",` +
		`"trace_id":"3f2a0102030405060708090a0b0c0d0e","span_id":"0102030405060708","request_id":"abc-123","service":"orders",` +
		`"order_id":1042,"attr.msg":"collides with the top level","user":{"address":{"city":"Paris"},"id":88},"ratio":0.5}` + "\n"
	if got := buf.String(); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestJSONLinesHostileStrings(t *testing.T) {
	hostile := map[string]string{ // input: what msg must decode to
		"\n2026-05-07T14:32:01Z INFO forged":    "\n2026-05-07T14:32:01Z INFO forged",
		"\x1b[31mred\x1b[0m":                    "\x1b[31mred\x1b[0m",
		"bad utf8 \xff\xfe":                     "bad utf8 \ufffd\ufffd",
		"quote \" backslash \\ tab \t nul \x00": "quote \" backslash \\ tab \t nul \x00",
		"line\u2028separator\u2029":             "line\u2028separator\u2029",
	}
	for h, want := range hostile {
		r := recordtest.Make("x", func(r *log.Record) {
			r.SetBody(attribute.StringValue(h))
			r.AddAttributes(attribute.String(h, h))
		})
		line := AppendJSON(nil, &r)
		if bytes.Count(line, []byte("\n")) != 1 || line[len(line)-1] != '\n' {
			t.Errorf("%q: output is not exactly one line: %q", h, line)
		}
		if !utf8.Valid(line) {
			t.Errorf("%q: output is not valid UTF-8", h)
		}
		if bytes.ContainsAny(line, "\x1b\x00\u2028\u2029") {
			t.Errorf("%q: a raw control character survived: %q", h, line)
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Errorf("%q: not JSON: %v", h, err)
			continue
		}
		if m["msg"] != want {
			t.Errorf("msg round-trips to %q, want %q", m["msg"], want)
		}
	}
}

// lineBreakers are what some reader takes for the end of a line: Python's str.splitlines
// splits at all of them (\v, \f, \x1c-\x1e, \x85, U+2028, U+2029 besides \n and \r),
// and the bidirectional overrides and isolates reorder what a terminal shows.
var lineBreakers = []string{"\n", "\r", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\u0085", "\u2028", "\u2029",
	"\u0080", "\u009f", "\x7f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
	"\u200e", "\u200f", "\u061c", "\u200b", "\ufeff"}

// splitLines splits s as Python's str.splitlines does.
func splitLines(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		switch r {
		case '\n', '\v', '\f', '\x1c', '\x1d', '\x1e', '\u0085', '\u2028', '\u2029':
		case '\r':
			if strings.HasPrefix(s[i+1:], "\n") {
				continue // \r\n is one break, at the \n
			}
		default:
			continue
		}
		out = append(out, s[start:i])
		start = i + utf8.RuneLen(r)
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// invisible are the bidirectional marks and zero-width runes a reader cannot see.
const invisible = "\u200e\u200f\u061c\u200b\ufeff"

// forbiddenRaw are the runes neither exporter may write unescaped.
func forbiddenRaw(r rune) bool {
	return r < 0x20 && r != '\n' || r == 0x7f || accounting.BreaksLine(r) || strings.ContainsRune(invisible, r)
}

// hostileRecords puts each breaker in the message, a key, a value, a nested key and
// value, the logger name and the level text.
func hostileRecords() []sdklog.Record {
	var recs []sdklog.Record
	for _, h := range lineBreakers {
		recs = append(recs, recordtest.Make("scope"+h+"name", func(r *log.Record) {
			r.SetTimestamp(time.Date(2026, 5, 7, 14, 32, 1, 0, time.UTC))
			r.SetSeverity(log.SeverityWarn)
			r.SetSeverityText("WARN" + h)
			r.SetBody(attribute.StringValue("before" + h + "2026-05-07T14:32:01Z INFO forged"))
			r.AddAttributes(attribute.String("key"+h, "value"+h+"tail"),
				attribute.Map("group"+h, attribute.String("in"+h+"ner", h)),
				attribute.StringSlice("list", []string{h, "x" + h}))
		}))
	}
	return recs
}

// Issue 11 ("the suite that keeps it so") and issue 14.13: a splitlines()-style reader sees
// exactly one line per record, and no raw C1 control, DEL, separator or bidi override
// reaches the output, in JSON lines and console text alike.
func TestOneLinePerRecordForEveryLineSplitter(t *testing.T) {
	recs := hostileRecords()
	for _, c := range []struct {
		name string
		exp  func(*bytes.Buffer) sdklog.Exporter
	}{
		{"jsonlines", func(b *bytes.Buffer) sdklog.Exporter { return NewJSONLines(b) }},
		{"console", func(b *bytes.Buffer) sdklog.Exporter { return NewConsole(b) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := c.exp(&buf).Export(context.Background(), recs); err != nil {
				t.Fatal(err)
			}
			lines := splitLines(buf.String())
			if len(lines) != len(recs) {
				t.Fatalf("splitlines sees %d lines for %d records:\n%q", len(lines), len(recs), buf.String())
			}
			for i, l := range lines {
				for _, r := range l {
					if forbiddenRaw(r) {
						t.Errorf("record %d (breaker %q): raw %U in %q", i, lineBreakers[i], r, l)
						break
					}
				}
				if c.name != "jsonlines" {
					continue
				}
				var m map[string]any
				if err := json.Unmarshal([]byte(l), &m); err != nil {
					t.Fatalf("record %d: not JSON: %v", i, err)
				}
				h := lineBreakers[i]
				if want := "before" + h + "2026-05-07T14:32:01Z INFO forged"; m["msg"] != want {
					t.Errorf("msg round-trips to %q, want %q", m["msg"], want)
				}
				if m["key"+h] != "value"+h+"tail" {
					t.Errorf("key %q: got %v", "key"+h, m)
				}
			}
		})
	}
}

// testing/slogtest's rule: a record with a zero time has no time in the output. When it
// was observed is kept, under observed_time.
func TestJSONLinesZeroTime(t *testing.T) {
	obs := time.Date(2026, 5, 7, 14, 32, 1, 5, time.UTC)
	r := recordtest.Make("x", func(r *log.Record) {
		r.SetObservedTimestamp(obs)
		r.SetBody(attribute.StringValue("m"))
		r.AddAttributes(attribute.String("observed_time", "user's"))
	})
	var m map[string]any
	if err := json.Unmarshal(AppendJSON(nil, &r), &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["time"]; ok {
		t.Errorf("zero-time record has a time: %v", m)
	}
	if m["observed_time"] != "2026-05-07T14:32:01.000000005Z" || m["attr.observed_time"] != "user's" {
		t.Errorf("observed_time not kept apart: %v", m)
	}
}
