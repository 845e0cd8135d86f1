package e2e

import (
	"testing"
	"time"

	"github.com/resilog/resilog"
	"github.com/resilog/resilog/exporter"
)

// TestAttackHarnessMissesALeakWhenStdoutStaysBlocked: TestFaultCollectorDownAndStdoutBlocked
// passes the harness's goroutine check only because its `defer close(stdout.release)`
// runs before the harness's t.Cleanup: the test unblocks stdout, and the fallback's writer
// returns, before the goroutines are counted. Here stdout stays blocked until after the
// harness has counted (a cleanup registered before newLoad runs after the harness's),
// as a stdout whose reader stalled for good would: the fallback's writer is still
// blocked in Write, and the harness reports it. The fault test hides that leak.
func TestAttackHarnessMissesALeakWhenStdoutStaysBlocked(t *testing.T) {
	stdout := blockedWriter{release: make(chan struct{})}
	t.Cleanup(func() { close(stdout.release) })                  // runs after the harness's check
	l := newLoad(t, exporter.ProtocolHTTP, "http://127.0.0.1:1", // nothing listens: the collector is down
		resilog.WithFallback(exporter.NewJSONLines(stdout)),
		resilog.WithFailover(exporter.FailoverConfig{FallbackRecords: 1000}))
	l.emit(2000, 0, nil)
	l.shutdown(500 * time.Millisecond)
	l.account(nil)
}
