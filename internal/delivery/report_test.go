package delivery

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resilog/resilog/exporter"
)

// syncBuffer is a report writer the test reads while the report's goroutine writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Secrets the tests give the exporter; none may appear in a report line or in Stats.
const (
	userSecret   = "alice-user"
	passSecret   = "pw-9f8e7d"
	querySecret  = "q-key-1234"
	headerSecret = "Bearer tok-5a6b7c8d"
)

// reportingFailover returns a Failover from an OTLP exporter for endpoint (credentials
// added) to a discarding fallback, its report written to the returned buffer.
func reportingFailover(t *testing.T, protocol, endpoint string, interval time.Duration) (failover, *syncBuffer) {
	t.Helper()
	u := strings.Replace(endpoint, "://", "://"+userSecret+":"+passSecret+"@", 1) + "?api_key=" + querySecret
	if protocol == exporter.ProtocolGRPC {
		u = endpoint
	}
	otlp, err := exporter.NewOTLP(context.Background(), exporter.OTLPConfig{Protocol: protocol, Endpoint: u,
		Headers: map[string]string{"Authorization": headerSecret}, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cfg := fastConfig()
	cfg.RetryMaxElapsed = 50 * time.Millisecond
	f := newFailover(otlp, exporter.NewJSONLines(io.Discard), cfg)
	out := new(syncBuffer)
	f.ledger.drops.SetReport(out, interval)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = f.Shutdown(ctx)
	})
	return f, out
}

// reportLines waits until the report holds at least n lines and returns them.
func reportLines(t *testing.T, f failover, out *syncBuffer, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		f.ledger.drops.Report().Wait(time.Second)
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if out.String() == "" {
			lines = nil
		}
		if len(lines) >= n || time.Now().After(deadline) {
			return lines
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func checkNoSecrets(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range []string{userSecret, passSecret, querySecret, headerSecret, "tok-5a6b7c8d"} {
		if strings.Contains(s, secret) {
			t.Errorf("%s holds the credential %q: %s", what, secret, s)
		}
	}
}

// Issue 11, item 9: each kind of failure is said on the report at once, with its cause and
// the endpoint without credentials, and kept in Stats; permanent failures are counted
// apart from transient ones.
func TestExportFailuresSayWhy(t *testing.T) {
	closed := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr + "/v1/logs"
	}
	unauthorized := func(t *testing.T) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// A server that echoes what it got: the header value must still not be shown.
			http.Error(w, "invalid api key: "+r.Header.Get("Authorization"), http.StatusUnauthorized)
		}))
		t.Cleanup(srv.Close)
		return srv.URL + "/v1/logs"
	}
	unknownCA := func(t *testing.T) string {
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		t.Cleanup(srv.Close)
		return srv.URL + "/v1/logs"
	}
	for _, c := range []struct {
		name      string
		endpoint  func(*testing.T) string
		kind      string
		permanent bool
	}{
		{"closed port", closed, "(connection refused)", false},
		{"401", unauthorized, "(HTTP 401)", true},
		{"unknown CA", unknownCA, "(TLS: certificate signed by an unknown authority)", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			endpoint := c.endpoint(t)
			f, out := reportingFailover(t, exporter.ProtocolHTTP, endpoint, time.Hour)
			start := time.Now()
			for range 5 {
				_ = f.Export(context.Background(), records(2))
			}
			lines := reportLines(t, f, out, 1)
			if len(lines) != 1 {
				t.Fatalf("%d report lines for one kind of failure within the interval, want 1:\n%s", len(lines), out.String())
			}
			if !strings.Contains(lines[0], "export to "+endpoint+" failed "+c.kind) {
				t.Errorf("report line does not give the endpoint %s and cause %s:\n%s", endpoint, c.kind, lines[0])
			}
			t.Log(lines[0])
			checkNoSecrets(t, "report line", lines[0])
			s := f.Stats()
			checkNoSecrets(t, "Stats.LastError", s.LastError)
			if !strings.Contains(s.LastError, endpoint) && c.name != "401" {
				t.Errorf("Stats.LastError does not show the endpoint %s: %s", endpoint, s.LastError)
			}
			if s.LastError == "" || s.LastErrorTime.Before(start) {
				t.Errorf("Stats has no last error: %+v", s)
			}
			if c.permanent && (s.Permanent != 5 || s.Transient != 0) || !c.permanent && (s.Transient == 0 || s.Permanent != 0) {
				t.Errorf("permanent %d, transient %d; want the failures counted as permanent=%v", s.Permanent, s.Transient, c.permanent)
			}
			if err := f.ForceFlush(context.Background()); err != nil {
				t.Fatal(err)
			}
			checkBalance(t, f, 10)
		})
	}
}

// While a failure persists, at most one line per kind per interval; a new kind at once.
func TestExportFailureReportIsRateLimited(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) > 6 {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		http.Error(w, "invalid api key", http.StatusUnauthorized)
	}))
	defer srv.Close()
	f, out := reportingFailover(t, exporter.ProtocolHTTP, srv.URL, time.Hour)
	for range 3 {
		_ = f.Export(context.Background(), records(1))
	}
	// The interval passes (without a timed wait, which a loaded machine could stretch).
	f.ledger.failures.mu.Lock()
	for k, at := range f.ledger.failures.printed {
		f.ledger.failures.printed[k] = at.Add(-time.Hour)
	}
	f.ledger.failures.mu.Unlock()
	for range 3 {
		_ = f.Export(context.Background(), records(1)) // 401 still, after the interval, then 403s
	}
	for range 3 {
		_ = f.Export(context.Background(), records(1))
	}
	lines := reportLines(t, f, out, 3)
	want := []string{"failed (HTTP 401)", "still failing (HTTP 401): 4 failures since", "failed (HTTP 403)"}
	if len(lines) != len(want) {
		t.Fatalf("report:\n%s\nwant %d lines", out.String(), len(want))
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d: %s\nwant it to contain %q", i, lines[i], w)
		}
	}
}

// A server's answer cannot forge report lines nor make them long.
func TestExportFailureReportIsOneLine(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad\nresilog: export resumed\u2028"+strings.Repeat("x", 10000), http.StatusBadRequest)
	}))
	defer srv.Close()
	f, out := reportingFailover(t, exporter.ProtocolHTTP, srv.URL, time.Hour)
	_ = f.Export(context.Background(), records(1))
	lines := reportLines(t, f, out, 1)
	if len(lines) != 1 || len(lines[0]) > 1024 || strings.ContainsRune(lines[0], '\u2028') {
		t.Fatalf("report: %q", out.String())
	}
}
