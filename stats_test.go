package resilog

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/resilog/resilog/exporter"
	"github.com/resilog/resilog/internal/recordtest"
	"github.com/resilog/resilog/processor"
)

// refusing rejects every batch permanently, like a collector answering 400.
type refusing struct{}

func (refusing) Export(context.Context, []sdklog.Record) error {
	return &exporter.ExportError{Err: errors.New("400"), Permanent: true}
}
func (refusing) ForceFlush(context.Context) error { return nil }
func (refusing) Shutdown(context.Context) error   { return nil }

func TestStatsBalanceAfterShutdown(t *testing.T) {
	ctx := context.Background()
	fb := new(recordtest.Exporter)
	p, err := New(ctx, envOf(nil), WithSDKExporter(refusing{}), WithFallback(fb))
	if err != nil {
		t.Fatal(err)
	}
	log := p.Logger("x")
	for i := range 1000 {
		log.Info("m", "seq", i)
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	s := p.Stats()
	if s.Emitted != 1000 || s.Exported != 0 || s.Fallback != 1000 || s.DroppedTotal != 0 {
		t.Fatalf("stats %+v, want all 1000 records in the fallback", s)
	}
	if n := len(fb.Records()); n != 1000 {
		t.Fatalf("fallback holds %d records", n)
	}
}

func TestMetricsMirrorStats(t *testing.T) {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	exp := new(recordtest.Exporter)
	p, err := New(ctx, envOf(nil), WithSDKExporter(exp), WithMeterProvider(mp))
	if err != nil {
		t.Fatal(err)
	}
	for range 25 {
		p.Logger("x").Warn("m")
	}
	if err := p.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					got[m.Name] += dp.Value
				}
			case metricdata.Gauge[int64]:
				for _, dp := range d.DataPoints {
					got[m.Name] += dp.Value
				}
			}
		}
	}
	if got["resilog.records.emitted"] != 25 || got["resilog.records.exported"] != 25 {
		t.Fatalf("metrics %v, want 25 emitted and exported", got)
	}
	if _, ok := got["resilog.breaker.open"]; !ok {
		t.Fatalf("no breaker gauge in %v", got)
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestBatchEnvironment(t *testing.T) {
	s, err := resolveWith(t, map[string]string{"OTEL_BLRP_MAX_QUEUE_SIZE": "1000", "OTEL_BLRP_SCHEDULE_DELAY": "250", "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE": "100"})
	if err != nil {
		t.Fatal(err)
	}
	if s.batch.MaxQueueRecords != 1000 || s.batch.Interval.Milliseconds() != 250 || s.batch.MaxBatch != 100 {
		t.Fatalf("batch = %+v", s.batch)
	}
	for _, env := range []map[string]string{
		{"OTEL_BLRP_MAX_QUEUE_SIZE": "-1"},
		{"OTEL_BLRP_SCHEDULE_DELAY": "1s"},
		{"OTEL_BLRP_MAX_QUEUE_SIZE": "10", "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE": "100"},
	} {
		if _, err := resolveWith(t, env); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%v: err = %v, want ErrInvalidConfig", env, err)
		}
	}
}

// stubborn ignores its context: an export that outlives the shutdown deadline, as a
// primary stuck in a write would. returned counts the exports that came back.
type stubborn struct {
	release  chan struct{}
	returned chan int
}

func (s stubborn) Export(_ context.Context, recs []sdklog.Record) error {
	<-s.release
	s.returned <- len(recs)
	return nil
}
func (stubborn) ForceFlush(context.Context) error { return nil }
func (stubborn) Shutdown(context.Context) error   { return nil }

// TestStatsCountStuckExportsOnce: records whose export is still running at the shutdown
// deadline are counted once, when Shutdown gives up on them (dropped, reason shutdown),
// and not again when the export returns (it used to be counted exported as well: 10
// records emitted, 18 accounted for).
func TestStatsCountStuckExportsOnce(t *testing.T) {
	primary := stubborn{release: make(chan struct{}), returned: make(chan int, 2)}
	fb := new(recordtest.Exporter)
	p, err := New(context.Background(), envOf(nil), WithSDKExporter(primary), WithFallback(fb),
		WithBatch(processor.BatchConfig{MaxBatch: 4, Exporters: 2}))
	if err != nil {
		t.Fatal(err)
	}
	log := p.Logger("t")
	for i := range 10 {
		log.Info("stuck", "seq", i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := p.Shutdown(ctx); err == nil {
		t.Error("Shutdown reported success with two exports stuck")
	}
	check := func(when string) {
		t.Helper()
		s := p.Stats()
		// The batch stuck in the exporter is dropped at the deadline; the one waiting its
		// turn (one Export at a time) and the two records never sent are spilled:
		// written, or dropped if the fallback had no time left.
		if s.Emitted != 10 || s.Exported+s.Fallback+s.DroppedTotal != s.Emitted || s.Exported != 0 || s.Dropped["shutdown"] < 4 {
			t.Errorf("%s: %+v; want 10 emitted = 4 dropped{shutdown} (the stuck export) + 6 in the fallback or dropped", when, s)
		}
	}
	check("after Shutdown")
	close(primary.release)
	// WithSDKExporter's exporter gets one Export at a time (the SDK's contract): one of
	// the two batches was stuck in it, the other waited its turn until the deadline.
	<-primary.returned
	// The exports have returned; give the processor's goroutines time to (wrongly) count
	// their result.
	time.Sleep(100 * time.Millisecond)
	check("after the stuck exports returned")
}

// rejecting is a primary that rejects every batch for good, as a collector answering 401.
type rejecting struct{ recordtest.Exporter }

func (*rejecting) Export(context.Context, []sdklog.Record) error {
	return &exporter.ExportError{Err: errors.New("401 Unauthorized: invalid api key"), Permanent: true}
}

func TestStatsAndMetricsCarryExportFailures(t *testing.T) {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	fb := new(recordtest.Exporter)
	p, err := New(ctx, envOf(nil), WithSDKExporter(new(rejecting)), WithFallback(fb), WithMeterProvider(mp))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	p.Logger("x").Error("m") // flushed at once: one batch
	if err := p.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	s := p.Stats()
	if s.PermanentFailures != 1 || s.TransientFailures != 0 || !strings.Contains(s.LastExportError, "invalid api key") ||
		s.LastExportErrorTime.Before(start) || s.Fallback != 1 {
		t.Fatalf("stats %+v, want one permanent failure, its error and time, the record in the fallback", s)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if d, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == "resilog.export.failures" {
				for _, dp := range d.DataPoints {
					v, _ := dp.Attributes.Value("failure")
					got[v.AsString()] = dp.Value
				}
			}
		}
	}
	if got["permanent"] != 1 || got["transient"] != 0 {
		t.Fatalf("resilog.export.failures = %v, want permanent 1, transient 0", got)
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}
