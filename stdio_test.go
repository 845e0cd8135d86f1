package resilog

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resilog/resilog/processor"
)

// These tests re-run the test binary as a child whose real stdout and stderr are pipes the
// test controls: only descriptors 1 and 2 show how Go treats a closed or stalled stdout.
// The child runs the named test with childEnv set, writes its findings to the file named
// by childResultEnv and exits without letting the testing package print anything.
const (
	childEnv       = "RESILOG_TEST_CHILD"
	childResultEnv = "RESILOG_TEST_CHILD_RESULT"
)

// closedEndpoint returns an http URL on a loopback port nothing listens on: the collector
// is down, connections are refused.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// startChild starts the test named test in a child process with stdout and stderr given.
func startChild(t *testing.T, test, mode, endpoint string, stdout, stderr *os.File) (*exec.Cmd, string) {
	t.Helper()
	result := filepath.Join(t.TempDir(), "result.json")
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, childResultEnv+"="+result,
		"OTEL_EXPORTER_OTLP_ENDPOINT="+endpoint, "OTEL_SERVICE_NAME=child")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, result
}

// writeResult writes v where the parent reads it.
func writeResult(v any) {
	b, err := json.Marshal(v)
	if err == nil {
		err = os.WriteFile(os.Getenv(childResultEnv)+".tmp", b, 0o644)
	}
	if err == nil {
		err = os.Rename(os.Getenv(childResultEnv)+".tmp", os.Getenv(childResultEnv))
	}
	if err != nil {
		os.Exit(3)
	}
}

func readResult(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

type sigpipeResult struct {
	Stats       Stats
	ShutdownErr string
}

// Issue 11, item 3: `./svc | head -c1` with the collector down. The fallback writes JSON
// lines to stdout, whose reader is gone: Go kills a process writing to a broken pipe on
// descriptor 1 (exit 141 in a shell) unless resilog keeps that write off descriptor 1.
func TestClosedStdoutDoesNotKillTheProcess(t *testing.T) {
	if os.Getenv(childEnv) == "sigpipe" {
		p, err := New(context.Background()) // the default pipeline; the endpoint is in the environment
		if err != nil {
			os.Exit(2)
		}
		l := p.Logger("child")
		for i := range 200 {
			l.Info("record", "i", i)
			time.Sleep(2 * time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = p.Shutdown(ctx)
		res := sigpipeResult{Stats: p.Stats()}
		if err != nil {
			res.ShutdownErr = err.Error()
		}
		writeResult(res)
		os.Exit(0)
	}

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // `| head -c1` after it read its byte
	defer w.Close()
	var stderr strings.Builder
	er, ew, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(&stderr, er); close(copied) }()
	cmd, result := startChild(t, t.Name(), "sigpipe", closedEndpoint(t), w, ew)
	ew.Close()
	err = cmd.Wait()
	<-copied
	if err != nil {
		t.Fatalf("child: %v (a SIGPIPE death shows as \"signal: broken pipe\")\nstderr:\n%s", err, stderr.String())
	}
	var res sigpipeResult
	readResult(t, result, &res)
	s := res.Stats
	if s.Emitted != 200 || s.Emitted != s.Exported+s.Fallback+s.DroppedTotal {
		t.Errorf("accounting: %+v", s)
	}
	if s.Dropped["fallback_error"] == 0 {
		t.Errorf("no record counted as fallback_error: %+v", s)
	}
	// The broken pipe is reported once, and the drops it causes are in the drop report.
	if n := strings.Count(stderr.String(), "resilog: fallback exporter failed"); n != 1 || !strings.Contains(stderr.String(), "broken pipe") {
		t.Errorf("fallback failure reported %d times, want once, with its cause:\n%s", n, stderr.String())
	}
	if !strings.Contains(stderr.String(), "fallback_error=") {
		t.Errorf("drop report does not name fallback_error:\n%s", stderr.String())
	}
}

type blockedResult struct {
	Base       int
	Samples    []int // goroutines, every 500ms of the run
	ShutdownIn time.Duration
	Stats      Stats
	After      int // goroutines once stdout and stderr were read again (second result)
}

// blockedRun is how long the child logs into the blocked pipe.
const blockedRun = 30 * time.Second

// Issue 11, item 1, through the whole pipeline: a container whose log reader stalled.
// stdout and stderr are one pipe nobody reads, the collector is down, drops happen all
// the time (drop_newest), and the drop report and the fallback both write to that pipe.
// Goroutines must not grow with time, and Shutdown must return; once the pipe is read
// again, the goroutine count returns to what it was before New.
func TestBlockedStdoutAndStderrKeepGoroutinesBounded(t *testing.T) {
	if os.Getenv(childEnv) == "blocked" {
		runBlockedChild()
		return
	}
	if testing.Short() {
		t.Skip("30s of logging into a blocked pipe")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd, result := startChild(t, t.Name(), "blocked", closedEndpoint(t), w, w)
	w.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	// Nobody reads the pipe until the child has shut down.
	deadline := time.After(blockedRun + 60*time.Second)
	for {
		if _, err := os.Stat(result); err == nil {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("child exited before it shut down: %v", err)
		case <-deadline:
			_ = cmd.Process.Kill()
			t.Fatal("child did not finish within the run plus 60s (Shutdown hung?)")
		case <-time.After(100 * time.Millisecond):
		}
	}
	var res blockedResult
	readResult(t, result, &res)
	t.Logf("goroutines before New %d, every 500ms: %v; Shutdown took %v; %+v", res.Base, res.Samples, res.ShutdownIn, res.Stats)

	go func() { _, _ = io.Copy(io.Discard, r) }() // the log reader resumes
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("child: %v", err)
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("child did not exit after the pipe was read again")
	}
	readResult(t, result, &res)

	if len(res.Samples) < 40 {
		t.Fatalf("only %d samples", len(res.Samples))
	}
	if res.Stats.DroppedTotal == 0 || res.Stats.Emitted != res.Stats.Exported+res.Stats.Fallback+res.Stats.DroppedTotal {
		t.Errorf("accounting: %+v", res.Stats)
	}
	// No growth with time: the last third of the run has no more goroutines than the
	// first third (after the first seconds, when the pipeline starts its workers).
	third := len(res.Samples) / 3
	early, late := maxOf(res.Samples[2:third]), maxOf(res.Samples[2*third:])
	if late > early+2 || maxOf(res.Samples)-res.Base > 40 {
		t.Errorf("goroutines grew with time: base %d, max early %d, max late %d: %v", res.Base, early, late, res.Samples)
	}
	if res.ShutdownIn > 10*time.Second {
		t.Errorf("Shutdown took %v with stdout and stderr blocked", res.ShutdownIn)
	}
	if res.After > res.Base {
		t.Errorf("%d goroutines after Shutdown and the pipe read again, %d before New", res.After, res.Base)
	}
}

func maxOf(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

func runBlockedChild() {
	res := blockedResult{Base: runtime.NumGoroutine()}
	p, err := New(context.Background(), WithOverflow(processor.OverflowDropNewest),
		WithBatch(processor.BatchConfig{MaxQueueRecords: 1000}),
		WithFailover(processor.FailoverConfig{FallbackRecords: 500}))
	if err != nil {
		os.Exit(2)
	}
	l := p.Logger("child")
	start := time.Now()
	next := start
	for i := 0; time.Since(start) < blockedRun; i++ {
		l.Info("record", "i", i)
		if i%50 == 0 {
			time.Sleep(time.Millisecond)
		}
		if now := time.Now(); now.After(next) {
			res.Samples = append(res.Samples, runtime.NumGoroutine())
			next = now.Add(500 * time.Millisecond)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	t0 := time.Now()
	err = p.Shutdown(ctx)
	res.ShutdownIn = time.Since(t0)
	res.Stats = p.Stats()
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		os.Exit(4)
	}
	writeResult(res)
	// The parent reads the pipe from now on: the writes blocked on it finish.
	until := time.Now().Add(20 * time.Second)
	for runtime.NumGoroutine() > res.Base && time.Now().Before(until) {
		time.Sleep(10 * time.Millisecond)
	}
	res.After = runtime.NumGoroutine()
	writeResult(res)
	os.Exit(0)
}

// Issue 14, item 6: OTEL_SDK_DISABLED=true turns telemetry off, not the service's logs:
// nothing goes over OTLP (the endpoint sees no request), and the records reach stdout in
// the console format, redacted, in the child's real descriptor 1.
func TestSDKDisabledWritesToStdout(t *testing.T) {
	if os.Getenv(childEnv) == "disabled" {
		p, err := New(context.Background()) // OTEL_SDK_DISABLED and the endpoint are in the environment
		if err != nil {
			os.Exit(2)
		}
		l := p.Logger("child")
		l.Debug("below the level")
		l.Info("order created", "order_id", 1042, "password", "hunter2")
		l.Error("payment failed")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = p.Shutdown(ctx)
		res := sigpipeResult{Stats: p.Stats()}
		if err != nil {
			res.ShutdownErr = err.Error()
		}
		writeResult(res)
		os.Exit(0)
	}

	var requests atomic.Int64
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests.Add(1) }))
	defer collector.Close()
	t.Setenv("OTEL_SDK_DISABLED", "true")
	stdout, err := os.CreateTemp(t.TempDir(), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	var stderr strings.Builder
	er, ew, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(&stderr, er); close(copied) }()
	cmd, result := startChild(t, t.Name(), "disabled", collector.URL, stdout, ew)
	ew.Close()
	err = cmd.Wait()
	<-copied
	if err != nil {
		t.Fatalf("child: %v\nstderr:\n%s", err, stderr.String())
	}
	var res sigpipeResult
	readResult(t, result, &res)
	if n := requests.Load(); n != 0 {
		t.Errorf("the OTLP endpoint got %d requests with OTEL_SDK_DISABLED=true", n)
	}
	out, err := os.ReadFile(stdout.Name())
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("stdout line %q is not a JSON line: %v", line, err)
		}
		msgs = append(msgs, m["msg"].(string))
		if m["msg"] == "order created" && (m["order_id"] != 1042.0 || m["password"] == "hunter2" || m["service"] != "child") {
			t.Errorf("record on stdout: %s", line)
		}
	}
	if got := strings.Join(msgs, ","); got != "order created,payment failed" {
		t.Errorf("stdout messages %q, want the two records at INFO and above:\n%s", got, out)
	}
	if s := res.Stats; s.Emitted != 2 || s.Exported != 2 || s.Emitted != s.Exported+s.Fallback+s.DroppedTotal {
		t.Errorf("accounting: %+v", s)
	}
	if res.ShutdownErr != "" || stderr.Len() != 0 {
		t.Errorf("shutdown: %q; stderr:\n%s", res.ShutdownErr, stderr.String())
	}
}
