package e2e

import (
	"testing"
	"time"

	"github.com/resilog/resilog"
	"github.com/resilog/resilog/exporter"
	"github.com/resilog/resilog/processor"
)

// TestHarnessSeesTheWriterLeftBlockedOnStdout: stdout stays blocked until after the
// harness has counted the goroutines, as a stdout whose reader stalled for good would
// (TestFaultCollectorDownAndStdoutBlocked once released it in a defer, before the count,
// and so hid the writer left blocked). The harness finds the fallback's writer still
// blocked in Write, allows it as README's one exception (a newBlockedWriter's), frees the
// writer and checks that every goroutine then ends.
func TestHarnessSeesTheWriterLeftBlockedOnStdout(t *testing.T) {
	stdout := newBlockedWriter(t)
	l := newLoad(t, exporter.ProtocolHTTP, "http://127.0.0.1:1", // nothing listens: the collector is down
		resilog.WithFallback(exporter.NewJSONLines(stdout)),
		resilog.WithFailover(processor.FailoverConfig{FallbackRecords: 1000}))
	l.emit(2000, 0, nil)
	l.shutdown(500 * time.Millisecond)
	l.account(nil)
}
