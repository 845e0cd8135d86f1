package resilog

import (
	"context"
	"errors"
	"testing"

	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/resilog/resilog/exporter"
	"github.com/resilog/resilog/internal/recordtest"
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
