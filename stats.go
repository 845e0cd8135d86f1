package resilog

import (
	"context"
	"errors"
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
// The counts are deliveries, summed over the exporters: each record is delivered once to
// each exporter of the list (OTEL_LOGS_EXPORTER=otlp,console, WithAdditionalExporter) and
// counted there, in Exporters, where the same balance holds for each exporter. With one
// exporter, the default, a delivery is a record. Breaker is "open" when any exporter's
// is; LastExportError is the latest of theirs.
//
// Why exports fail is said on stderr as it happens (the first failure of each kind at
// once, then at most one line per kind per 10s, and a line when delivery resumes);
// LastExportError keeps the last one.
type Stats struct {
	Emitted        uint64            // records that reached the batching processor
	Exported       uint64            // accepted by the collector (the primary exporter)
	Fallback       uint64            // written by the fallback (stdout JSON by default)
	Dropped        map[string]uint64 // by reason: queue_full, block_timeout, fallback_full, fallback_error, shutdown, sampled, export_failed, corrupt (an earlier run's record damaged in the spool)
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

	// Replayed counts the records earlier runs left in the spool (WithSpool) that New
	// queued before any new record; they are part of Emitted. SpoolFull counts records
	// the full spool could not take: they took the memory path and are counted at their
	// fate like any other (not a loss). SpoolRecords and SpoolBytes are the spool's
	// backlog: records not yet delivered, and the disk it takes.
	Replayed, SpoolFull uint64
	SpoolRecords        int64
	SpoolBytes          int64

	// Exporters is the accounting of each exporter, in the order of the list, then
	// WithAdditionalExporter's; the counts above are their sums.
	Exporters []ExporterStats
}

// Stats returns the accounting so far. It is cheap enough to poll.
func (p *Pipeline) Stats() Stats {
	if p.chain == nil {
		return Stats{Dropped: map[string]uint64{}, Breaker: "closed"}
	}
	return p.chain.Stats()
}

// Stats returns the accounting so far, summed over the exporters and for each (see
// [Stats]). It is cheap enough to poll.
func (c *Processor) Stats() Stats {
	s := Stats{Dropped: map[string]uint64{}, Breaker: "closed"}
	for _, k := range c.sinks {
		s.add(k.stats())
	}
	if len(c.sinks) > 0 {
		s.ReportLinesLost = c.sinks[0].reportLinesLost()
	}
	if c.spool != nil {
		b := c.sinks[0].batch.Stats()
		sp := c.spool.Stats()
		s.Replayed, s.SpoolFull, s.SpoolRecords, s.SpoolBytes = b.Replayed, b.SpoolFull, sp.Records, sp.Bytes
	}
	if c.limit != nil {
		l := c.limit.Stats()
		s.AttributesDropped, s.AttributesTruncated = l.AttributesDropped, l.AttributesTruncated
	}
	return s
}

// add counts one exporter's accounting in s, the sum over the exporters.
func (s *Stats) add(e ExporterStats) {
	s.Exporters = append(s.Exporters, e)
	s.Emitted += e.Emitted
	s.Exported += e.Exported
	s.Fallback += e.Fallback
	for reason, n := range e.Dropped {
		s.Dropped[reason] += n
	}
	s.DroppedTotal += e.DroppedTotal
	s.QueueRecords += e.QueueRecords
	s.QueueBytes += e.QueueBytes
	s.FallbackQueued += e.FallbackQueued
	s.Retries += e.Retries
	if e.Breaker == "open" {
		s.Breaker = "open"
	}
	s.PermanentFailures += e.PermanentFailures
	s.TransientFailures += e.TransientFailures
	if e.LastExportErrorTime.After(s.LastExportErrorTime) {
		s.LastExportError, s.LastExportErrorTime = e.LastExportError, e.LastExportErrorTime
	}
}

// registerMetrics publishes Stats as asynchronous instruments, read at collection time so
// that the log call pays nothing for them.
func registerMetrics(mp metric.MeterProvider, stats func() Stats) (metric.Registration, error) {
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
	replayed, err10 := m.Int64ObservableCounter("resilog.records.replayed", metric.WithUnit("{record}"),
		metric.WithDescription("Records earlier runs left in the spool, queued at start."))
	spoolFull, err11 := m.Int64ObservableCounter("resilog.spool.full", metric.WithUnit("{record}"),
		metric.WithDescription("Records the full spool could not take (they took the memory path)."))
	spoolRecords, err12 := m.Int64ObservableGauge("resilog.spool.records", metric.WithUnit("{record}"),
		metric.WithDescription("Records in the spool not yet delivered."))
	spoolBytes, err13 := m.Int64ObservableGauge("resilog.spool.bytes", metric.WithUnit("By"),
		metric.WithDescription("Disk the spool takes."))
	if err := errors.Join(err1, err2, err3, err4, err5, err6, err7, err8, err9, err10, err11, err12, err13); err != nil {
		return nil, err
	}
	return m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := stats()
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
		o.ObserveInt64(replayed, int64(s.Replayed))
		o.ObserveInt64(spoolFull, int64(s.SpoolFull))
		o.ObserveInt64(spoolRecords, s.SpoolRecords)
		o.ObserveInt64(spoolBytes, s.SpoolBytes)
		return nil
	}, emitted, exported, fallback, dropped, queue, queueBytes, retries, breaker, failures, replayed, spoolFull, spoolRecords, spoolBytes)
}
