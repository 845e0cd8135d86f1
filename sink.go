package resilog

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/processor"
)

// ExporterStats is the accounting of one exporter of the list (OTEL_LOGS_EXPORTER,
// WithExporter, WithAdditionalExporter): each record is delivered to every exporter
// through its own queue, retries, breaker and fallback, and counted here. After
// Shutdown, Emitted == Exported + Fallback + DroppedTotal holds for each exporter.
type ExporterStats struct {
	Name           string            // "otlp", "console", the name given to WithAdditionalExporter, or "custom" (WithSDKExporter)
	Emitted        uint64            // records given to this exporter's queue
	Exported       uint64            // accepted by the exporter
	Fallback       uint64            // written by its fallback instead
	Dropped        map[string]uint64 // by reason, as in Stats.Dropped
	DroppedTotal   uint64
	QueueRecords   int    // waiting to be exported
	QueueBytes     int    // their estimated memory
	FallbackQueued int    // waiting in the fallback's buffer
	Retries        uint64 // export attempts beyond the first
	Breaker        string // "closed" or "open"

	PermanentFailures   uint64
	TransientFailures   uint64
	LastExportError     string
	LastExportErrorTime time.Time
}

// sink is one exporter's delivery unit: the queue that takes records off the log call,
// then retries, breaker and fallback (processor.Batch and its route), with sampling in
// front when it is on. Every exporter of the list gets its own, so that a slow or
// failing exporter never holds up the others, and so that each is accounted for on its
// own. newSink is the one place a delivery unit is built.
type sink struct {
	name  string
	batch *processor.Batch
	head  sdklog.Processor // batch, or the Sample in front of it
}

func newSink(out output, failover processor.FailoverConfig, batch processor.BatchConfig, sampling processor.Sampling) (*sink, error) {
	b, err := processor.NewBatch(processor.Route{Primary: out.primary, Probe: out.probe, Fallback: out.fallback}, batch, failover)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	k := &sink{name: out.name, batch: b, head: b}
	if sampling.First > 0 {
		if k.head, err = processor.NewSample(b, sampling); err != nil {
			_ = b.Shutdown(context.Background())
			return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
		}
	}
	return k, nil
}

func (k *sink) OnEmit(ctx context.Context, r *sdklog.Record) error { return k.head.OnEmit(ctx, r) }

// offer hands r on as OnEmit does, unless that would wait for room in the queue
// (OverflowBlock with the queue full): it then returns false, having counted nothing, and
// the caller gives r to OnEmit once every other exporter has it. With sampling in front,
// the record is handed on as OnEmit does.
func (k *sink) offer(ctx context.Context, r *sdklog.Record) bool {
	if k.head != sdklog.Processor(k.batch) {
		_ = k.head.OnEmit(ctx, r)
		return true
	}
	return k.batch.TryOnEmit(ctx, r)
}
func (k *sink) ForceFlush(ctx context.Context) error { return k.batch.ForceFlush(ctx) }

// Shutdown shuts the queue down, which shuts its route and both exporters down.
func (k *sink) Shutdown(ctx context.Context) error { return k.batch.Shutdown(ctx) }

func (k *sink) stats() ExporterStats {
	b := k.batch.Stats()
	s := ExporterStats{
		Name:                k.name,
		Emitted:             b.Emitted,
		Exported:            b.Exported,
		Fallback:            b.Fallback,
		Dropped:             b.Dropped,
		QueueRecords:        b.QueueRecords,
		QueueBytes:          b.QueueBytes,
		FallbackQueued:      b.FallbackQueued,
		Retries:             b.Retries,
		Breaker:             b.Breaker,
		PermanentFailures:   b.Permanent,
		TransientFailures:   b.Transient,
		LastExportError:     b.LastError,
		LastExportErrorTime: b.LastErrorTime,
	}
	for _, n := range s.Dropped {
		s.DroppedTotal += n
	}
	return s
}

// reportLinesLost is the stderr report's count, which is the process's, not a sink's.
func (k *sink) reportLinesLost() uint64 { return k.batch.Stats().ReportLinesLost }

// sharedFallback lets several sinks write to one fallback exporter (WithFallback, or
// stdout shared by every exporter of the list): each route shuts its fallback down,
// and the exporter must keep writing until the last of them has.
type sharedFallback struct {
	sdklog.Exporter
	users *atomic.Int32
	once  sync.Once
}

func shareFallback(e sdklog.Exporter, users int) func() sdklog.Exporter {
	if users <= 1 {
		return func() sdklog.Exporter { return e }
	}
	n := new(atomic.Int32)
	n.Store(int32(users))
	return func() sdklog.Exporter { return &sharedFallback{Exporter: e, users: n} }
}

func (s *sharedFallback) Shutdown(ctx context.Context) error {
	var err error
	s.once.Do(func() {
		if s.users.Add(-1) == 0 {
			err = s.Exporter.Shutdown(ctx)
		}
	})
	return err
}
