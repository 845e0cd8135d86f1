package resilog

import (
	"context"
	"errors"
	"maps"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Stats is the pipeline's accounting. After Shutdown,
//
//	Emitted == Exported + Fallback + DroppedTotal
//
// always holds; before it, the difference is what is still queued or being written.
//
// Why exports fail is said on stderr as it happens (the first failure of each kind at
// once, then at most one line per kind per 10s, and a line when delivery resumes);
// LastExportError keeps the last one.
type Stats struct {
	Emitted        uint64            // records that reached the batching processor
	Exported       uint64            // accepted by the collector (the primary exporter)
	Fallback       uint64            // written by the fallback (stdout JSON by default)
	Dropped        map[string]uint64 // by reason: queue_full, block_timeout, fallback_full, fallback_error, shutdown, sampled, export_failed
	DroppedTotal   uint64
	QueueRecords   int    // waiting to be exported
	QueueBytes     int    // their estimated memory
	FallbackQueued int    // waiting in the fallback's buffer
	Retries        uint64 // export attempts beyond the first
	Breaker        string // "closed" or "open"

	AttributesDropped   uint64 // attributes removed by the attribute count limit
	AttributesTruncated uint64 // attribute values cut to the attribute value length limit

	// PermanentFailures counts batches the collector rejected for good (HTTP 400, 401,
	// 403…; gRPC InvalidArgument, Unauthenticated…): they went to the fallback unretried.
	PermanentFailures uint64
	// TransientFailures counts export attempts that failed in a way a retry can fix
	// (unreachable, timeout, HTTP 429/502/503/504, gRPC Unavailable…).
	TransientFailures uint64
	// LastExportError is the collector's last failure, an export or a probe, with the
	// endpoint but without credentials (userinfo, query, header values); "" if none.
	// LastExportErrorTime is when it happened.
	LastExportError     string
	LastExportErrorTime time.Time
	// ReportLinesLost counts lines of resilog's stderr report (drops, export failures)
	// lost because stderr was blocked or failed: the report never waits for stderr. The
	// stderr report is the process's, so this count is too.
	ReportLinesLost uint64
}

// Stats returns the accounting so far. It is cheap enough to poll.
func (p *Pipeline) Stats() Stats {
	if p.batch == nil {
		return Stats{Dropped: map[string]uint64{}, Breaker: "closed"}
	}
	b, f := p.batch.Stats(), p.failover.Stats()
	s := Stats{
		Emitted:        b.Emitted,
		Exported:       f.Exported,
		Fallback:       f.Fallback,
		Dropped:        maps.Clone(b.Dropped),
		QueueRecords:   b.QueueRecords,
		QueueBytes:     b.QueueBytes,
		FallbackQueued: f.FallbackQueued,
		Retries:        f.Retries,
		Breaker:        f.Breaker,

		PermanentFailures:   f.Permanent,
		TransientFailures:   f.Transient,
		LastExportError:     f.LastError,
		LastExportErrorTime: f.LastErrorTime,
		ReportLinesLost:     f.ReportLinesLost,
	}
	l := p.limit.Stats()
	s.AttributesDropped, s.AttributesTruncated = l.AttributesDropped, l.AttributesTruncated
	for reason, n := range f.Dropped {
		s.Dropped[reason] += n
	}
	for _, n := range s.Dropped {
		s.DroppedTotal += n
	}
	return s
}

// registerMetrics publishes Stats as asynchronous instruments, read at collection time so
// that the log call pays nothing for them.
func (p *Pipeline) registerMetrics(mp metric.MeterProvider) (metric.Registration, error) {
	m := mp.Meter("github.com/resilog/resilog")
	emitted, err1 := m.Int64ObservableCounter("resilog.records.emitted", metric.WithUnit("{record}"),
		metric.WithDescription("Records that reached the batching processor."))
	exported, err2 := m.Int64ObservableCounter("resilog.records.exported", metric.WithUnit("{record}"),
		metric.WithDescription("Records accepted by the collector."))
	fallback, err3 := m.Int64ObservableCounter("resilog.records.fallback", metric.WithUnit("{record}"),
		metric.WithDescription("Records written by the fallback exporter."))
	dropped, err4 := m.Int64ObservableCounter("resilog.records.dropped", metric.WithUnit("{record}"),
		metric.WithDescription("Records dropped, by reason."))
	queue, err5 := m.Int64ObservableGauge("resilog.queue.records", metric.WithUnit("{record}"),
		metric.WithDescription("Records waiting to be exported."))
	queueBytes, err6 := m.Int64ObservableGauge("resilog.queue.bytes", metric.WithUnit("By"),
		metric.WithDescription("Estimated memory of the records waiting to be exported."))
	retries, err7 := m.Int64ObservableCounter("resilog.export.retries", metric.WithUnit("{attempt}"),
		metric.WithDescription("Export attempts beyond the first."))
	breaker, err8 := m.Int64ObservableGauge("resilog.breaker.open",
		metric.WithDescription("1 while the circuit breaker sends batches straight to the fallback."))
	failures, err9 := m.Int64ObservableCounter("resilog.export.failures", metric.WithUnit("{failure}"),
		metric.WithDescription("Failed exports: permanent (batches rejected for good) or transient (attempts a retry can fix)."))
	if err := errors.Join(err1, err2, err3, err4, err5, err6, err7, err8, err9); err != nil {
		return nil, err
	}
	return m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := p.Stats()
		o.ObserveInt64(emitted, int64(s.Emitted))
		o.ObserveInt64(exported, int64(s.Exported))
		o.ObserveInt64(fallback, int64(s.Fallback))
		for reason, n := range s.Dropped {
			o.ObserveInt64(dropped, int64(n), metric.WithAttributes(attribute.String("reason", reason)))
		}
		o.ObserveInt64(queue, int64(s.QueueRecords))
		o.ObserveInt64(queueBytes, int64(s.QueueBytes))
		o.ObserveInt64(retries, int64(s.Retries))
		open := int64(0)
		if s.Breaker == "open" {
			open = 1
		}
		o.ObserveInt64(breaker, open)
		o.ObserveInt64(failures, int64(s.PermanentFailures), metric.WithAttributes(attribute.String("failure", "permanent")))
		o.ObserveInt64(failures, int64(s.TransientFailures), metric.WithAttributes(attribute.String("failure", "transient")))
		return nil
	}, emitted, exported, fallback, dropped, queue, queueBytes, retries, breaker, failures)
}
