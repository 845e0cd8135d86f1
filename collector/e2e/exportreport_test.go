package e2e

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resilog/resilog"
	"github.com/resilog/resilog/collector/collectortest"
	"github.com/resilog/resilog/exporter"
	"github.com/resilog/resilog/processor"
)

// stderrCapture points os.Stderr at a pipe for the test: resilog's report writer opens
// os.Stderr when it starts writing, so its lines land here.
type stderrCapture struct {
	mu   sync.Mutex
	b    strings.Builder
	done chan struct{}
}

func captureStderr(t *testing.T) *stderrCapture {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &stderrCapture{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		buf := make([]byte, 4096)
		for {
			n, err := r.Read(buf)
			c.mu.Lock()
			c.b.Write(buf[:n])
			c.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	saved := os.Stderr
	os.Stderr = w
	t.Cleanup(func() {
		os.Stderr = saved
		w.Close()
		<-c.done
		r.Close()
		if t.Failed() {
			t.Logf("stderr:\n%s", c.String())
		}
	})
	return c
}

func (c *stderrCapture) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.String()
}

// lines returns the report lines that contain every one of parts.
func (c *stderrCapture) lines(parts ...string) []string {
	var out []string
	for _, l := range strings.Split(c.String(), "\n") {
		ok := strings.HasPrefix(l, "resilog: ")
		for _, p := range parts {
			ok = ok && strings.Contains(l, p)
		}
		if ok {
			out = append(out, l)
		}
	}
	return out
}

// logUntil logs a record every 10ms until cond holds or 20s pass.
func logUntil(t *testing.T, p *resilog.Pipeline, what string, cond func() bool) {
	t.Helper()
	l := p.Logger("e2e")
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 20s", what)
		}
		l.Info("report", "at", time.Now().UnixNano())
		time.Sleep(10 * time.Millisecond)
	}
}

func checkAccounting(t *testing.T, p *resilog.Pipeline) resilog.Stats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	s := p.Stats()
	if s.Emitted == 0 || s.Emitted != s.Exported+s.Fallback+s.DroppedTotal {
		t.Errorf("emitted %d != exported %d + fallback %d + dropped %d", s.Emitted, s.Exported, s.Fallback, s.DroppedTotal)
	}
	return s
}

// Issue 11, item 9, against the real collector: while it is down the report says so at
// once (connection refused, with the endpoint); when it comes back, a line says delivery
// resumed.
func TestExportFailureReportedThenResumed(t *testing.T) {
	c, err := collectortest.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	stderr := captureStderr(t)
	endpoint := c.HTTPEndpoint() + "/v1/logs"
	p, err := resilog.New(context.Background(), resilog.WithServiceName("report"),
		resilog.WithEndpoint(c.HTTPEndpoint()),
		resilog.WithFallback(exporter.NewJSONLines(io.Discard)),
		resilog.WithBatch(processor.BatchConfig{Interval: 20 * time.Millisecond}),
		resilog.WithFailover(processor.FailoverConfig{ProbeInterval: 50 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	logUntil(t, p, "report of the failure", func() bool {
		return len(stderr.lines("export to "+endpoint+" failed (connection refused)")) > 0
	})
	if s := p.Stats(); !strings.Contains(s.LastExportError, "connection refused") || s.TransientFailures == 0 {
		t.Errorf("Stats while the collector is down: %+v", s)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	logUntil(t, p, "report that delivery resumed", func() bool {
		return len(stderr.lines("export to "+endpoint+" resumed after")) > 0
	})
	s := checkAccounting(t, p)
	if s.Exported == 0 {
		t.Errorf("nothing exported after the collector came back: %+v", s)
	}
	if n := len(stderr.lines("export to " + endpoint + " failed")); n != 1 {
		t.Errorf("%d lines for one kind of failure, want 1:\n%s", n, stderr.String())
	}
}

// gRPC aimed at the collector's HTTP port: the report names the gRPC failure.
func TestExportFailureGRPCAtHTTPPort(t *testing.T) {
	c := collectortest.Start(t)
	stderr := captureStderr(t)
	endpoint := c.HTTPEndpoint() // OTLP/HTTP's port, given as the gRPC endpoint
	p, err := resilog.New(context.Background(), resilog.WithServiceName("report"),
		resilog.WithProtocol(exporter.ProtocolGRPC), resilog.WithEndpoint(endpoint),
		resilog.WithFallback(exporter.NewJSONLines(io.Discard)),
		resilog.WithBatch(processor.BatchConfig{Interval: 20 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	logUntil(t, p, "report of the failure", func() bool {
		return len(stderr.lines("export to "+endpoint+" failed (gRPC ")) > 0
	})
	t.Log(stderr.lines("export to")[0])
	s := checkAccounting(t, p)
	if s.Exported != 0 || s.LastExportError == "" || s.PermanentFailures+s.TransientFailures == 0 {
		t.Errorf("Stats: %+v", s)
	}
}

// A gateway in front of the real collector that wants an API key answers 401 to a wrong
// one: the report says so at once, and names neither the key nor the endpoint's userinfo.
func TestExportFailure401AtAuthProxy(t *testing.T) {
	c := collectortest.Start(t)
	target, err := url.Parse(c.HTTPEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Api-Key") != "right-key-123" {
			http.Error(w, "invalid api key", http.StatusUnauthorized)
			return
		}
		forward.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	stderr := captureStderr(t)
	secrets := []string{"tenant-7", "pw-secret-9", "wrong-key-456"}
	p, err := resilog.New(context.Background(), resilog.WithServiceName("report"),
		resilog.WithEndpoint(strings.Replace(proxy.URL, "http://", "http://tenant-7:pw-secret-9@", 1)),
		resilog.WithHeaders(map[string]string{"Api-Key": "wrong-key-456"}),
		resilog.WithFallback(exporter.NewJSONLines(io.Discard)),
		resilog.WithBatch(processor.BatchConfig{Interval: 20 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	want := "export to " + proxy.URL + "/v1/logs failed (HTTP 401): permanent export failure: 401 Unauthorized: invalid api key"
	logUntil(t, p, "report of the 401", func() bool { return len(stderr.lines(want)) > 0 })
	s := checkAccounting(t, p)
	for _, secret := range secrets {
		if strings.Contains(stderr.String(), secret) || strings.Contains(s.LastExportError, secret) {
			t.Errorf("a credential (%q) reached stderr or Stats:\n%s\n%s", secret, stderr.String(), s.LastExportError)
		}
	}
	if s.Exported != 0 || s.PermanentFailures == 0 || s.TransientFailures != 0 {
		t.Errorf("Stats: %+v", s)
	}
}
