package resilog

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/recordtest"
	"github.com/resilog/resilog/processor"
)

// hung is a collector that accepted the connection and never answers: Export returns
// only when its context ends.
type hung struct{}

func (hung) Export(ctx context.Context, _ []sdklog.Record) error {
	<-ctx.Done()
	return ctx.Err()
}
func (hung) ForceFlush(context.Context) error { return nil }
func (hung) Shutdown(context.Context) error   { return nil }

// TestAttackShutdownDuringForceFlushNeverShutsDown: the SDK's LoggerProvider.Shutdown
// (v1.47.0) first waits for the processor operations under way — a ForceFlush, a log
// call — until its ctx ends, and if ctx ends first it returns ctx's error WITHOUT
// calling any processor's Shutdown. Pipeline.Shutdown passes ctx straight to it and
// records that result once for good: a ForceFlush running against a hung collector
// (here bounded at 2s by the ExportTimeout default) makes Shutdown(500ms) return with
// the Batch and the Failover never shut down: their goroutines run for ever, and the
// accounting is not complete when Shutdown returns.
func TestAttackShutdownDuringForceFlushNeverShutsDown(t *testing.T) {
	before := runtime.NumGoroutine()
	fb := new(recordtest.Exporter)
	p, err := New(context.Background(), envOf(nil), WithSDKExporter(hung{}), WithFallback(fb),
		WithBatch(processor.BatchConfig{ExportTimeout: 2 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	log := p.Logger("t")
	for i := range 100 {
		log.Info("m", "seq", i)
	}
	flushed := make(chan error, 1)
	go func() { flushed <- p.ForceFlush(context.Background()) }()
	time.Sleep(100 * time.Millisecond) // the ForceFlush waits for the hung export

	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err = p.Shutdown(ctx)
	if s := p.Stats(); s.Emitted != s.Exported+s.Fallback+s.DroppedTotal {
		t.Errorf("Shutdown (%v) returned with the accounting incomplete: %+v", err, s)
	}
	<-flushed
	if err := p.Shutdown(context.Background()); err != nil {
		t.Logf("a second Shutdown returns the first result: %v", err)
	}
	checkPipelineBalance(t, p)
	after := runtime.NumGoroutine()
	for deadline := time.Now().Add(3 * time.Second); after > before && time.Now().Before(deadline); after = runtime.NumGoroutine() {
		time.Sleep(10 * time.Millisecond)
	}
	if after > before {
		logStacks(t, "resilog/resilog/processor")
		t.Errorf("%d goroutines 3s after Shutdown and ForceFlush returned, %d before New: the Batch was never shut down", after, before)
	}
}

// TestAttackShutdownWhileALogCallBlocks: the same SDK wait with OverflowBlock. A log call
// waiting for room is a processor operation under way; Shutdown(ctx) waits for it
// instead of sealing the queue (Batch.Shutdown, which would wake it, is never reached),
// and when ctx ends first, returns without shutting anything down: the records queued
// are not accounted for when Shutdown returns, and the pipeline's goroutines never end.
func TestAttackShutdownWhileALogCallBlocks(t *testing.T) {
	before := runtime.NumGoroutine()
	fb := new(recordtest.Exporter)
	p, err := New(context.Background(), envOf(nil), WithSDKExporter(hung{}), WithFallback(fb),
		WithBatch(processor.BatchConfig{MaxBatch: 2, MaxQueueRecords: 2, Exporters: 1, ExportTimeout: time.Second,
			Overflow: processor.OverflowBlock, BlockTimeout: 3 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	log := p.Logger("t")
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 8 { // 2 exporting, 2 queued, then the calls wait for room
			log.Info("m", "seq", i)
		}
	}()
	time.Sleep(200 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = p.Shutdown(ctx)
	s := p.Stats()
	t.Logf("Shutdown took %v: %v", time.Since(start).Round(time.Millisecond), err)
	if s.Emitted != s.Exported+s.Fallback+s.DroppedTotal {
		t.Errorf("Shutdown returned with the accounting incomplete: %+v", s)
	}
	wg.Wait()
	after := runtime.NumGoroutine()
	for deadline := time.Now().Add(3 * time.Second); after > before && time.Now().Before(deadline); after = runtime.NumGoroutine() {
		time.Sleep(10 * time.Millisecond)
	}
	if after > before {
		logStacks(t, "resilog/resilog/processor")
		t.Errorf("%d goroutines 3s after Shutdown returned, %d before New: the Batch was never shut down", after, before)
	}
}

// TestAttackLogAfterShutdownIsNotCounted: Pipeline.Shutdown's doc says "records logged
// after Shutdown are discarded and counted". The SDK drops them before any processor
// sees them (LoggerProvider stopped): they appear nowhere in Stats.
func TestAttackLogAfterShutdownIsNotCounted(t *testing.T) {
	p, err := New(context.Background(), envOf(nil), WithSDKExporter(new(recordtest.Exporter)))
	if err != nil {
		t.Fatal(err)
	}
	log := p.Logger("t")
	log.Info("before")
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		log.Info("after")
	}
	p.Logger("new").Info("after, from a logger made after Shutdown")
	s := p.Stats()
	if s.Emitted != 12 || s.Dropped["shutdown"] != 11 {
		t.Errorf("11 records logged after Shutdown: %+v; want them counted (emitted 12, dropped{shutdown} 11)", s)
	}
}

// deaf is a primary stuck in a write that ignores its context until release is closed.
type deaf struct{ release chan struct{} }

func (d deaf) Export(context.Context, []sdklog.Record) error { <-d.release; return nil }
func (deaf) ForceFlush(context.Context) error                { return nil }
func (deaf) Shutdown(context.Context) error                  { return nil }

// TestAttackShutdownWithoutDeadlineWaitsForAForceFlush: Shutdown(context.Background()) is
// documented to return within the batch export timeout (here 1s) plus the drop report's
// 100ms, "whatever the collector or stdout do". The SDK's Shutdown first waits, with no
// bound, for the ForceFlush under way (here one given 4s, its exports stuck), and only
// then starts the bounded shutdown: about 4s in all.
func TestAttackShutdownWithoutDeadlineWaitsForAForceFlush(t *testing.T) {
	primary := deaf{release: make(chan struct{})}
	defer close(primary.release)
	p, err := New(context.Background(), envOf(nil), WithSDKExporter(primary), WithFallback(new(recordtest.Exporter)),
		WithBatch(processor.BatchConfig{ExportTimeout: time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	log := p.Logger("t")
	for i := range 100 {
		log.Info("m", "seq", i)
	}
	flushed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
		defer cancel()
		flushed <- p.ForceFlush(ctx)
	}()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	err = p.Shutdown(context.Background())
	took := time.Since(start)
	<-flushed
	if took > 2*time.Second {
		t.Errorf("Shutdown(context.Background()) took %v (%v) with ExportTimeout 1s", took.Round(time.Millisecond), err)
	}
	checkPipelineBalance(t, p)
}
