package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/resilog/resilog"
	"github.com/resilog/resilog/collector/collectortest"
	"github.com/resilog/resilog/processor"
)

// TestFaultBreakerOpenFallbackAtOnceInOrder (issue 14, item 8): with the collector down and
// the breaker open, each record reaches the fallback without waiting for a batch, in call
// order. The batch interval is an hour here, so only the open breaker can send a record
// there before Shutdown; the OTLP exporter's probes keep failing and the breaker open.
// Records used to wait for the batch interval (280-1000 ms with the default 1s) and reach
// the fallback out of order.
func TestFaultBreakerOpenFallbackAtOnceInOrder(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			c := collectortest.Start(t)
			c.Stop() // connection refused
			l := newLoad(t, proto, endpointFor(c, proto),
				resilog.WithBatch(processor.BatchConfig{Interval: time.Hour}),
				resilog.WithFailover(processor.FailoverConfig{RetryInitial: time.Millisecond, RetryMax: time.Millisecond}))
			// An ERROR is sent at once: its failed attempts open the breaker.
			l.p.Logger("x").Error("opens the breaker", "seq", l.emitted)
			l.emitted++
			waitUntil(t, "the breaker to open and the ERROR to reach the fallback", func() bool {
				return l.p.Stats().Breaker == "open" && len(l.fallback.lines()) == 1
			})
			var worst time.Duration
			for range 200 {
				start := time.Now()
				l.log.InfoContext(context.Background(), "load", "seq", l.emitted)
				l.emitted++
				waitUntil(t, "a record logged with the breaker open to reach the fallback (batch interval: 1h)", func() bool {
					return len(l.fallback.lines()) == l.emitted
				})
				worst = max(worst, time.Since(start))
			}
			t.Logf("slowest of 200 records to reach the fallback with the breaker open: %v", worst)
			// Generous: the target is 50 ms; the fallback's writer lingers 5 ms for more.
			if worst > time.Second {
				t.Errorf("a record took %v to reach the fallback with the breaker open", worst)
			}
			for i, line := range l.fallback.lines() {
				var m struct{ Seq int }
				if err := json.Unmarshal(line, &m); err != nil || m.Seq != i {
					t.Fatalf("fallback line %d has seq %d (%v), want %d: out of call order", i, m.Seq, err, i)
				}
			}
			l.shutdown(10 * time.Second)
			l.account(nil)
		})
	}
}

// waitUntil polls cond until it holds, failing the test after 10s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting after 10s for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
