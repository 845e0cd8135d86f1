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

// statMetrics are the instruments registerMetrics publishes, one value of Stats each
// (resilog.records.dropped and resilog.export.failures, with attributes, are apart).
var statMetrics = []struct {
	name, unit, desc string
	counter          bool
	value            func(Stats) int64
}{
	{"resilog.records.emitted", "{record}", "Records that reached the batching processor.", true, func(s Stats) int64 { return int64(s.Emitted) }},
	{"resilog.records.exported", "{record}", "Records accepted by the collector.", true, func(s Stats) int64 { return int64(s.Exported) }},
	{"resilog.records.fallback", "{record}", "Records written by the fallback exporter.", true, func(s Stats) int64 { return int64(s.Fallback) }},
	{"resilog.queue.records", "{record}", "Records waiting to be exported.", false, func(s Stats) int64 { return int64(s.QueueRecords) }},
	{"resilog.queue.bytes", "By", "Estimated memory of the records waiting to be exported.", false, func(s Stats) int64 { return int64(s.QueueBytes) }},
	{"resilog.export.retries", "{attempt}", "Export attempts beyond the first.", true, func(s Stats) int64 { return int64(s.Retries) }},
	{"resilog.breaker.open", "", "1 while the circuit breaker sends batches straight to the fallback.", false, func(s Stats) int64 {
		if s.Breaker == "open" {
			return 1
		}
		return 0
	}},
	{"resilog.records.replayed", "{record}", "Records earlier runs left in the spool, queued at start.", true, func(s Stats) int64 { return int64(s.Replayed) }},
	{"resilog.spool.full", "{record}", "Records the full spool could not take (they took the memory path).", true, func(s Stats) int64 { return int64(s.SpoolFull) }},
	{"resilog.spool.records", "{record}", "Records in the spool not yet delivered.", false, func(s Stats) int64 { return s.SpoolRecords }},
	{"resilog.spool.bytes", "By", "Disk the spool takes.", false, func(s Stats) int64 { return s.SpoolBytes }},
}

// registerMetrics publishes Stats as asynchronous instruments, read at collection time so
// that the log call pays nothing for them.
func registerMetrics(mp metric.MeterProvider, stats func() Stats) (metric.Registration, error) {
	m := mp.Meter("github.com/resilog/resilog")
	var errs []error
	instruments := make([]metric.Int64Observable, len(statMetrics))
	for i, d := range statMetrics {
		var err error
		if d.counter {
			instruments[i], err = m.Int64ObservableCounter(d.name, metric.WithUnit(d.unit), metric.WithDescription(d.desc))
		} else {
			instruments[i], err = m.Int64ObservableGauge(d.name, metric.WithUnit(d.unit), metric.WithDescription(d.desc))
		}
		errs = append(errs, err)
	}
	dropped, err := m.Int64ObservableCounter("resilog.records.dropped", metric.WithUnit("{record}"),
		metric.WithDescription("Records dropped, by reason."))
	errs = append(errs, err)
	failures, err := m.Int64ObservableCounter("resilog.export.failures", metric.WithUnit("{failure}"),
		metric.WithDescription("Failed exports: permanent (batches rejected for good) or transient (attempts a retry can fix)."))
	if err := errors.Join(append(errs, err)...); err != nil {
		return nil, err
	}
	observed := make([]metric.Observable, 0, len(instruments)+2)
	for _, in := range instruments {
		observed = append(observed, in)
	}
	return m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := stats()
		for i, d := range statMetrics {
			o.ObserveInt64(instruments[i], d.value(s))
		}
		for reason, n := range s.Dropped {
			o.ObserveInt64(dropped, int64(n), metric.WithAttributes(attribute.String("reason", reason)))
		}
		o.ObserveInt64(failures, int64(s.PermanentFailures), metric.WithAttributes(attribute.String("failure", "permanent")))
		o.ObserveInt64(failures, int64(s.TransientFailures), metric.WithAttributes(attribute.String("failure", "transient")))
		return nil
	}, append(observed, dropped, failures)...)
}
