package resilog

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/recordtest"
	"github.com/resilog/resilog/processor"
)

// down is a primary that fails every export, as a collector that is not there.
type down struct{ recordtest.Exporter }

func (*down) Export(context.Context, []sdklog.Record) error { return errors.New("connection refused") }

// openBreaker returns a pipeline whose collector is down and whose breaker is open, its
// fallback fb holding the one ERROR record that opened it. The batch interval is an hour:
// only the open breaker can send a record to the fallback before Shutdown.
func openBreaker(t *testing.T, maxBatch int) (*Pipeline, *recordtest.Exporter) {
	t.Helper()
	fb := new(recordtest.Exporter)
	p, err := New(context.Background(), envOf(nil), WithSDKExporter(new(down)), WithFallback(fb),
		WithBatch(processor.BatchConfig{Interval: time.Hour, MaxBatch: maxBatch}),
		WithFailover(processor.FailoverConfig{RetryInitial: time.Millisecond, RetryMax: time.Millisecond, ProbeInterval: time.Hour}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	// An ERROR is sent at once: three failed attempts open the breaker.
	p.Logger("t").Error("opens the breaker")
	waitFor(t, "the breaker to open and the ERROR to reach the fallback", func() bool {
		return p.Stats().Breaker == "open" && len(fb.Records()) == 1
	})
	return p, fb
}

// TestBreakerOpenRecordsReachTheFallbackAtOnce (issue 14, item 8): while the breaker is
// open, a record reaches the fallback without waiting for the next batch. They used to
// wait for the batch interval (1s by default: lines on stdout 280-1000 ms late).
func TestBreakerOpenRecordsReachTheFallbackAtOnce(t *testing.T) {
	p, fb := openBreaker(t, 0)
	for i := range 5 {
		p.Logger("t").Info("while open", "seq", i)
	}
	waitFor(t, "5 records logged while the breaker is open to reach the fallback (batch interval: 1h)", func() bool {
		return len(fb.Records()) == 6
	})
}

// TestBreakerOpenRecordsReachTheFallbackInCallOrder (issue 14, item 8): while the breaker
// is open, the records of each goroutine reach the fallback in the order they were
// logged. Full batches used to reach it from several concurrent exports, out of order.
func TestBreakerOpenRecordsReachTheFallbackInCallOrder(t *testing.T) {
	p, fb := openBreaker(t, 16) // batches of 16 are sent when full, without the interval
	log := p.Logger("t")

	const goroutines, each = 4, 500
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				log.Info("while open", "g", g, "seq", i)
			}
		}()
	}
	wg.Wait()
	waitFor(t, "the records logged while the breaker is open to reach the fallback (batch interval: 1h)", func() bool {
		return len(fb.Records()) == 1+goroutines*each
	})
	next := make([]int64, goroutines)
	for i, r := range fb.Records()[1:] {
		g, seq := int64(-1), int64(-1)
		r.WalkAttributes(func(kv attribute.KeyValue) bool {
			switch kv.Key {
			case "g":
				g = kv.Value.AsInt64()
			case "seq":
				seq = kv.Value.AsInt64()
			}
			return true
		})
		if g < 0 || g >= goroutines || seq != next[g] {
			t.Fatalf("fallback record %d is goroutine %d's seq %d, want seq %d: out of call order", i, g, seq, next[g])
		}
		next[g]++
	}
}

// waitFor polls cond until it holds, failing the test after 10s: a bound that only a
// record left waiting for a timer (the batch interval, an hour here) reaches.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting after 10s for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
