package collectortest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/otelcol"

	"github.com/resilog/resilog/collector/distribution"
)

// Collector is a running (or stopped) in-process collector.
type Collector struct {
	httpAddr, grpcAddr string
	scheme             string // "https" when the receivers serve TLS
	configPath         string
	sink               *sink

	mu   sync.Mutex
	col  *otelcol.Collector
	done chan error
}

// Start starts a collector and stops it when the test ends.
func Start(t testing.TB) *Collector {
	t.Helper()
	c, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	return c
}

// New prepares a collector whose configuration lives in dir, on two free loopback ports.
// It does not start it.
func New(dir string) (*Collector, error) { return newCollector(dir, nil) }

// newCollector is New, with both receivers serving TLS when tls is not nil.
func newCollector(dir string, tls *ReceiverTLS) (*Collector, error) {
	httpAddr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	grpcAddr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	c := &Collector{httpAddr: httpAddr, grpcAddr: grpcAddr, sink: &sink{}, configPath: filepath.Join(dir, "collector.yaml"), scheme: "http"}
	if tls != nil {
		c.scheme = "https"
	}
	cfg := fmt.Sprintf(`receivers:
  otlp:
    protocols:
      http:
        endpoint: %s`+tls.yaml()+`
      grpc:
        endpoint: %s`+tls.yaml()+`
processors:
  batch:
    timeout: 50ms
exporters:
  %s: {}
service:
  telemetry:
    logs:
      level: error
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [%[3]s]
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [%[3]s]
`, httpAddr, grpcAddr, sinkType)
	if err := os.WriteFile(c.configPath, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	return c, nil
}

// HTTPEndpoint is the OTLP/HTTP base URL, e.g. http://127.0.0.1:43123 (https:// when
// the receivers serve TLS).
func (c *Collector) HTTPEndpoint() string { return c.scheme + "://" + c.httpAddr }

// GRPCEndpoint is the OTLP/gRPC URL, e.g. http://127.0.0.1:43124 (https:// when the
// receivers serve TLS).
func (c *Collector) GRPCEndpoint() string { return c.scheme + "://" + c.grpcAddr }

// HTTPAddr and GRPCAddr are the listening host:port pairs.
func (c *Collector) HTTPAddr() string { return c.httpAddr }

// GRPCAddr is the gRPC receiver's host:port.
func (c *Collector) GRPCAddr() string { return c.grpcAddr }

// Start runs the collector and waits until its receivers listen. Starting a running
// collector is an error.
func (c *Collector) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.col != nil {
		return errors.New("collectortest: already running")
	}
	set := distribution.Settings([]string{c.configPath}, c.sink.factory())
	set.DisableGracefulShutdown = true // tests own SIGINT, not the collector
	set.SkipSettingGRPCLogger = true
	col, err := otelcol.NewCollector(set)
	if err != nil {
		return fmt.Errorf("collectortest: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- col.Run(context.Background()) }()
	deadline := time.Now().Add(30 * time.Second)
	for col.GetState() != otelcol.StateRunning {
		select {
		case err := <-done:
			return fmt.Errorf("collectortest: collector exited while starting: %w", err)
		default:
		}
		if time.Now().After(deadline) {
			col.Shutdown()
			return errors.New("collectortest: collector did not start within 30s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Running means the receivers were started; make sure both ports accept.
	for _, addr := range []string{c.httpAddr, c.grpcAddr} {
		if err := WaitListening(context.Background(), addr, time.Until(deadline)); err != nil {
			col.Shutdown()
			<-done
			return err
		}
	}
	c.col, c.done = col, done
	return nil
}

// Stop shuts the collector down and waits until its ports are closed. Stopping a stopped
// collector does nothing.
func (c *Collector) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.col == nil {
		return
	}
	c.col.Shutdown()
	<-c.done
	c.col, c.done = nil, nil
}

// Restart stops the collector and starts it again on the same ports.
func (c *Collector) Restart() error {
	c.Stop()
	return c.Start()
}

// Running reports whether the collector is up.
func (c *Collector) Running() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.col != nil
}

// Logs returns every log record received so far, across restarts.
func (c *Collector) Logs() []LogRecord {
	c.sink.mu.Lock()
	defer c.sink.mu.Unlock()
	return append([]LogRecord(nil), c.sink.logs...)
}

// Spans returns every span received so far, across restarts.
func (c *Collector) Spans() []Span {
	c.sink.mu.Lock()
	defer c.sink.mu.Unlock()
	return append([]Span(nil), c.sink.spans...)
}

// Reset forgets what was received.
func (c *Collector) Reset() {
	c.sink.mu.Lock()
	defer c.sink.mu.Unlock()
	c.sink.logs, c.sink.spans = nil, nil
}

// WaitForLogs polls until at least n log records arrived or timeout passes, then returns
// what arrived. It fails t only on timeout.
func (c *Collector) WaitForLogs(t testing.TB, n int, timeout time.Duration) []LogRecord {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := c.Logs()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("collectortest: %d log records after %v, want %d", len(got), timeout, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// WaitForSpans is WaitForLogs for spans.
func (c *Collector) WaitForSpans(t testing.TB, n int, timeout time.Duration) []Span {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := c.Spans()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("collectortest: %d spans after %v, want %d", len(got), timeout, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
