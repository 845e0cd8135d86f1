package resilogtest

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog"
	"github.com/resilog/resilog/internal/recordtest"
	"github.com/resilog/resilog/internal/settingenv"
)

// Record is one captured record, flattened for assertions.
type Record struct {
	Time    time.Time
	Level   slog.Level
	Message string
	Logger  string         // the instrumentation scope: the logger's name
	Attrs   map[string]any // groups are map[string]any; ints are int64
	TraceID string         // lowercase hex, "" when the context had no span
	SpanID  string
}

// Recorder is a resilog pipeline whose records stay in memory.
type Recorder struct {
	p   *resilog.Pipeline
	mem *memory
}

// New returns a Recorder, shut down when the test ends. opts are passed to resilog.New
// after the recorder's own (level DEBUG, in-memory exporter), so they may override them.
//
// The Recorder reads no environment variable: what the test process inherits
// (OTEL_SDK_DISABLED, OTEL_LOGS_EXPORTER, RESILOG_LOG_LEVELS, the OTEL_* limits and
// endpoints…) changes nothing, so that a test sees the same records in every shell and CI
// job. Every setting is the recorder's, opts', or the documented default.
func New(t testing.TB, opts ...resilog.Option) *Recorder {
	t.Helper()
	mem := new(memory)
	base := []resilog.Option{
		settingenv.Ignore.(resilog.Option),
		resilog.WithLevels("debug"),
		resilog.WithSDKExporter(mem),
		resilog.WithFallback(mem),
		resilog.WithServiceName("resilogtest"),
	}
	p, err := resilog.New(context.Background(), append(base, opts...)...)
	if err != nil {
		t.Fatalf("resilogtest: %v", err)
	}
	t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	return &Recorder{p: p, mem: mem}
}

// Logger returns a logger named name whose records the Recorder captures.
func (r *Recorder) Logger(name string) *slog.Logger { return r.p.Logger(name) }

// Pipeline returns the pipeline behind the Recorder, for its Stats or Levels.
func (r *Recorder) Pipeline() *resilog.Pipeline { return r.p }

// Records returns every record logged so far, in order.
func (r *Recorder) Records() []Record {
	_ = r.p.ForceFlush(context.Background())
	return r.mem.records()
}

// Len returns the number of records logged so far.
func (r *Recorder) Len() int { return len(r.Records()) }

// FilterMessage returns the records whose message is msg.
func (r *Recorder) FilterMessage(msg string) []Record {
	return r.filter(func(rec Record) bool { return rec.Message == msg })
}

// FilterMessageSnippet returns the records whose message contains snippet.
func (r *Recorder) FilterMessageSnippet(snippet string) []Record {
	return r.filter(func(rec Record) bool { return strings.Contains(rec.Message, snippet) })
}

// FilterLevel returns the records at level or above.
func (r *Recorder) FilterLevel(level slog.Level) []Record {
	return r.filter(func(rec Record) bool { return rec.Level >= level })
}

// FilterAttr returns the records with an attribute key equal to value (compared after
// flattening: ints as int64, groups as map[string]any).
func (r *Recorder) FilterAttr(key string, value any) []Record {
	return r.filter(func(rec Record) bool {
		v, ok := rec.Attrs[key]
		return ok && v == value
	})
}

func (r *Recorder) filter(keep func(Record) bool) []Record {
	var out []Record
	for _, rec := range r.Records() {
		if keep(rec) {
			out = append(out, rec)
		}
	}
	return out
}

// memory is the in-memory exporter at the end of the pipeline.
type memory struct {
	mu   sync.Mutex
	recs []Record
}

func (m *memory) Export(_ context.Context, records []sdklog.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range records {
		m.recs = append(m.recs, flatten(&records[i]))
	}
	return nil
}

func (m *memory) ForceFlush(context.Context) error { return nil }
func (m *memory) Shutdown(context.Context) error   { return nil }

func (m *memory) records() []Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Record(nil), m.recs...)
}

func flatten(r *sdklog.Record) Record {
	out := Record{
		Time:    r.Timestamp(),
		Level:   slog.Level(r.Severity()) - 9, // OTel INFO (9) is slog INFO (0)
		Message: r.Body().AsString(),
		Logger:  r.InstrumentationScope().Name,
		Attrs:   map[string]any{},
	}
	if r.Body().Type() != attribute.STRING {
		out.Message = r.Body().String()
	}
	if id := r.TraceID(); id.IsValid() {
		out.TraceID = id.String()
	}
	if id := r.SpanID(); id.IsValid() {
		out.SpanID = id.String()
	}
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		out.Attrs[string(kv.Key)] = recordtest.Value(kv.Value)
		return true
	})
	return out
}
