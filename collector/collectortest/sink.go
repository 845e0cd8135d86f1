package collectortest

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// LogRecord is one log record as the collector received it, flattened for assertions.
type LogRecord struct {
	Resource       map[string]any // resource attributes
	Scope          string         // instrumentation scope name
	ScopeVersion   string         // instrumentation scope version
	ScopeSchemaURL string         // the scope's schema URL (ScopeLogs.schema_url)
	Body           any
	SeverityNumber int32
	SeverityText   string
	Attributes     map[string]any // nested groups are map[string]any
	TraceID        string         // lowercase hex, "" when unset
	SpanID         string
	Timestamp      time.Time
	// ObservedTimestamp, Flags (the W3C trace flags) and EventName complete the record,
	// for tests that compare records field for field.
	ObservedTimestamp time.Time
	Flags             uint32
	EventName         string
}

// Span is one span as the collector received it.
type Span struct {
	Resource     map[string]any
	Name         string
	Kind         string
	TraceID      string
	SpanID       string
	ParentSpanID string
	Attributes   map[string]any
}

// sink is the in-memory exporter the test collector sends everything to. It outlives
// collector restarts, so a test sees what every incarnation received.
type sink struct {
	mu    sync.Mutex
	logs  []LogRecord
	spans []Span
}

var sinkType = component.MustNewType("resilogtest_sink")

func (s *sink) factory() exporter.Factory {
	return exporter.NewFactory(sinkType,
		func() component.Config { return &struct{}{} },
		exporter.WithLogs(func(context.Context, exporter.Settings, component.Config) (exporter.Logs, error) {
			return &sinkComponent{sink: s}, nil
		}, component.StabilityLevelDevelopment),
		exporter.WithTraces(func(context.Context, exporter.Settings, component.Config) (exporter.Traces, error) {
			return &sinkComponent{sink: s}, nil
		}, component.StabilityLevelDevelopment),
	)
}

type sinkComponent struct{ sink *sink }

func (*sinkComponent) Start(context.Context, component.Host) error { return nil }
func (*sinkComponent) Shutdown(context.Context) error              { return nil }
func (*sinkComponent) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

func (c *sinkComponent) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	var out []LogRecord
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		res := rl.Resource().Attributes().AsRaw()
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sl := sls.At(j)
			lrs := sl.LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				out = append(out, LogRecord{
					Resource:       res,
					Scope:          sl.Scope().Name(),
					ScopeVersion:   sl.Scope().Version(),
					ScopeSchemaURL: sl.SchemaUrl(),
					Body:           lr.Body().AsRaw(),
					SeverityNumber: int32(lr.SeverityNumber()),
					SeverityText:   lr.SeverityText(),
					Attributes:     lr.Attributes().AsRaw(),
					TraceID:        hexID(lr.TraceID().IsEmpty(), lr.TraceID().String()),
					SpanID:         hexID(lr.SpanID().IsEmpty(), lr.SpanID().String()),
					Timestamp:      lr.Timestamp().AsTime(),

					ObservedTimestamp: lr.ObservedTimestamp().AsTime(),
					Flags:             uint32(lr.Flags()),
					EventName:         lr.EventName(),
				})
			}
		}
	}
	c.sink.mu.Lock()
	defer c.sink.mu.Unlock()
	c.sink.logs = append(c.sink.logs, out...)
	return nil
}

func (c *sinkComponent) ConsumeTraces(_ context.Context, td ptrace.Traces) error {
	var out []Span
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		res := rs.Resource().Attributes().AsRaw()
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				out = append(out, Span{
					Resource:     res,
					Name:         sp.Name(),
					Kind:         sp.Kind().String(),
					TraceID:      hexID(sp.TraceID().IsEmpty(), sp.TraceID().String()),
					SpanID:       hexID(sp.SpanID().IsEmpty(), sp.SpanID().String()),
					ParentSpanID: hexID(sp.ParentSpanID().IsEmpty(), sp.ParentSpanID().String()),
					Attributes:   sp.Attributes().AsRaw(),
				})
			}
		}
	}
	c.sink.mu.Lock()
	defer c.sink.mu.Unlock()
	c.sink.spans = append(c.sink.spans, out...)
	return nil
}

func hexID(empty bool, s string) string {
	if empty {
		return ""
	}
	return s
}
