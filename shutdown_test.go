package resilog

import (
	"context"
	"runtime"
	"strings"
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

// TestShutdownDuringAForceFlushShutsTheChainDown: the SDK's LoggerProvider.Shutdown
// (v1.47.0) first waits for the ForceFlush and log calls under way and, if ctx ends
// first, returns without calling any processor's Shutdown. Pipeline.Shutdown shuts the
// Batch and its route down itself: with a ForceFlush running against a hung collector,
// Shutdown(500ms) returns with the accounting complete and the pipeline's goroutines end.
func TestShutdownDuringAForceFlushShutsTheChainDown(t *testing.T) {
	before := takeGoroutines()
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
	if left := before.since(0); len(left) > 0 {
		logGoroutines(t, left)
		t.Errorf("%d of the library's goroutines left 3s after Shutdown and ForceFlush returned: the Batch was never shut down", len(left))
	}
}

// TestShutdownWakesALogCallWaitingForRoom: a log call waiting for room under
// OverflowBlock is an operation the SDK's Shutdown would wait for; only the Batch's
// Shutdown wakes it. Pipeline.Shutdown reaches the Batch whatever the SDK does: the
// accounting is complete when it returns and the goroutines end.
func TestShutdownWakesALogCallWaitingForRoom(t *testing.T) {
	before := takeGoroutines()
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
	if left := before.since(0); len(left) > 0 {
		logGoroutines(t, left)
		t.Errorf("%d of the library's goroutines left 3s after Shutdown returned: the Batch was never shut down", len(left))
	}
}

// TestLogAfterShutdownIsCounted: records logged after Shutdown, through a logger made
// before it or after it, are counted as emitted and dropped (reason shutdown); the SDK
// would have discarded them uncounted had its Shutdown been called.
func TestLogAfterShutdownIsCounted(t *testing.T) {
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

// TestShutdownWithoutDeadlineDoesNotWaitForAForceFlush: Shutdown(context.Background())
// returns within the batch export timeout (here 1s) plus the drop report's 100ms even
// while a ForceFlush given 4s is stuck on a primary that ignores its context.
func TestShutdownWithoutDeadlineDoesNotWaitForAForceFlush(t *testing.T) {
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

// goroutineSnapshot holds the IDs of the goroutines running when it was taken, so that a
// test looks only at the library's goroutines started since: leftovers of earlier tests
// that end meanwhile can neither hide a leak nor make a blocked writer look absent.
type goroutineSnapshot map[string]bool

func takeGoroutines() goroutineSnapshot {
	s := goroutineSnapshot{}
	for _, g := range goroutineStacks() {
		s[goroutineID(g)] = true
	}
	return s
}

// since waits up to 3s for at most want of the library's goroutines started after s to be
// left, and returns the stacks of those left.
func (s goroutineSnapshot) since(want int) []string {
	deadline := time.Now().Add(3 * time.Second)
	for {
		var left []string
		for _, g := range goroutineStacks() {
			if !s[goroutineID(g)] && (strings.Contains(g, "resilog/resilog/") || strings.Contains(g, "resilog/resilog.(*")) {
				left = append(left, g)
			}
		}
		if len(left) <= want || time.Now().After(deadline) {
			return left
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// goroutineID returns the ID in a stack's header line ("goroutine 42 [running]:").
func goroutineID(stack string) string {
	id, _, _ := strings.Cut(strings.TrimPrefix(stack, "goroutine "), " ")
	return id
}

func goroutineStacks() []string {
	buf := make([]byte, 4<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Split(strings.TrimSpace(string(buf)), "\n\n")
}

// logGoroutines logs stacks.
func logGoroutines(t *testing.T, stacks []string) {
	t.Helper()
	for _, g := range stacks {
		t.Logf("goroutine:\n%s", g)
	}
}
