package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/resilog/resilog/collector/collectortest"
)

// buildOrders builds examples/orders from the root module.
func buildOrders(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "orders")
	cmd := exec.Command("go", "build", "-o", bin, "./examples/orders")
	cmd.Dir = filepath.Join("..", "..") // the root module
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the orders example: %v\n%s", err, out)
	}
	return bin
}

// startOrders runs the service with env and stops it (SIGTERM: it flushes) at the end;
// stop returns what it wrote on stdout.
func startOrders(t *testing.T, bin string, env ...string) (base string, stop func() []byte) {
	t.Helper()
	addr, err := collectortest.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(addr)
	var stdout bytes.Buffer
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), append(env, "PORT="+port, "OTEL_SERVICE_NAME=orders")...)
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop = func() []byte {
		if !stopped {
			stopped = true
			_ = collectortest.StopProcess(cmd, 30*time.Second)
		}
		return stdout.Bytes()
	}
	t.Cleanup(func() { stop() })
	if err := collectortest.WaitListening(context.Background(), addr, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	return "http://127.0.0.1:" + port, stop
}

func post(t *testing.T, url, requestID, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if requestID != "" {
		req.Header.Set("X-Request-ID", requestID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestOrdersRequestIsCorrelated sends one order and one panic through the orders service
// against the real collector (logs and traces) and checks that every record of the
// request carries its server span's trace, the request ID and the bound user ID.
func TestOrdersRequestIsCorrelated(t *testing.T) {
	bin := buildOrders(t)
	c := collectortest.Start(t)
	base, stop := startOrders(t, bin, "OTEL_EXPORTER_OTLP_ENDPOINT="+c.HTTPEndpoint())

	resp := post(t, base+"/orders", "abc-123", `{"user_id":88,"total":"149.99","card":"4111 1111 1111 1111"}`)
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("X-Request-ID") != "abc-123" {
		t.Fatalf("POST /orders: %d, X-Request-ID %q", resp.StatusCode, resp.Header.Get("X-Request-ID"))
	}
	presp, err := http.Get(base + "/panic")
	if err != nil {
		t.Fatal(err)
	}
	presp.Body.Close()
	if presp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("GET /panic: %d", presp.StatusCode)
	}
	panicID := presp.Header.Get("X-Request-ID")
	stop() // flushes logs (after the invoice job) and spans

	var server collectortest.Span
	for _, s := range c.WaitForSpans(t, 2, 10*time.Second) {
		if s.Kind == "Server" && s.Attributes["request.id"] == "abc-123" {
			server = s
		}
	}
	if server.TraceID == "" {
		t.Fatalf("no server span with request.id abc-123 among %v", c.Spans())
	}
	recs := c.WaitForLogs(t, 4, 10*time.Second)
	byMsg := map[string]collectortest.LogRecord{}
	for _, r := range recs {
		if r.Attributes["request.id"] != "abc-123" {
			continue
		}
		byMsg[r.Body.(string)] = r
		if r.TraceID != server.TraceID {
			t.Errorf("%q: trace %s, server span's %s", r.Body, r.TraceID, server.TraceID)
		}
	}
	for _, msg := range []string{"order created", "payment authorized", "invoice sent"} {
		if _, ok := byMsg[msg]; !ok {
			t.Errorf("no %q record with request.id abc-123 (got %v)", msg, byMsg)
		}
	}
	// The user ID was bound in the order handler: its records and the background job's
	// carry it. (The payments endpoint is another request; only the ID and trace travel.)
	for _, msg := range []string{"order created", "invoice sent"} {
		if got := byMsg[msg].Attributes["user_id"]; got != int64(88) {
			t.Errorf("%q: user_id = %v", msg, got)
		}
	}
	if card := byMsg["order created"].Attributes["card"]; card != "****1111" {
		t.Errorf("card reached the collector as %v", card)
	}
	panics := 0
	for _, r := range recs {
		if r.Attributes["request.id"] == panicID && r.SeverityText == "ERROR" {
			panics++
			if st, _ := r.Attributes["exception.stacktrace"].(string); !strings.Contains(st, "goroutine") {
				t.Errorf("panic record without a stack: %v", r.Attributes)
			}
		}
	}
	if panics != 1 {
		t.Errorf("%d ERROR records for the panic, want 1", panics)
	}
}

// TestOrdersConsole is the README's console walk-through: every stdout line of a request
// contains its ID; a 300-character ID is replaced by a generated one.
func TestOrdersConsole(t *testing.T) {
	bin := buildOrders(t)
	base, stop := startOrders(t, bin, "OTEL_LOGS_EXPORTER=console", "OTEL_TRACES_EXPORTER=none")
	resp := post(t, base+"/orders", "abc-123", `{"user_id":88,"total":"149.99"}`)
	if resp.StatusCode/100 != 2 || resp.Header.Get("X-Request-ID") != "abc-123" {
		t.Fatalf("%d, %q", resp.StatusCode, resp.Header.Get("X-Request-ID"))
	}
	long := strings.Repeat("a", 300)
	resp = post(t, base+"/orders", long, `{"user_id":89,"total":"5.00"}`)
	generated := resp.Header.Get("X-Request-ID")
	if generated == long || generated == "" {
		t.Fatalf("a 300-character ID came back: %q", generated)
	}
	out := stop()
	var ours, theirs int
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("stdout line is not JSON: %s", sc.Text())
		}
		if m["trace_id"] == nil {
			continue // startup lines
		}
		switch m["request_id"] {
		case "abc-123":
			ours++
			if !strings.Contains(sc.Text(), "abc-123") {
				t.Errorf("line without the ID: %s", sc.Text())
			}
		case generated:
			theirs++
		default:
			t.Errorf("line of neither request: %s", sc.Text())
		}
		if strings.Contains(sc.Text(), long) {
			t.Errorf("the 300-character ID reached the log: %s", sc.Text())
		}
	}
	if ours < 3 || theirs < 3 {
		t.Errorf("%d lines for abc-123 and %d for the generated ID, want 3 each:\n%s", ours, theirs, out)
	}
}
