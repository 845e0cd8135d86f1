package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	collogpb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	"google.golang.org/protobuf/proto"
)

// Attacks by adversary attackwire on `resilog replay`.

// otlpSink is an OTLP/HTTP protobuf endpoint that counts the records it is sent.
type otlpSink struct {
	mu      sync.Mutex
	records int
	srv     *httptest.Server
}

func newOTLPSink(t *testing.T) *otlpSink {
	t.Helper()
	s := &otlpSink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var req collogpb.ExportLogsServiceRequest
		if err := proto.Unmarshal(b, &req); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		for _, rl := range req.ResourceLogs {
			for _, sl := range rl.ScopeLogs {
				s.records += len(sl.LogRecords)
			}
		}
		s.mu.Unlock()
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *otlpSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.records
}

// otlpLine is one line of the otlp-json fallback: one record of resource res.
func otlpLine(res, body string) string {
	return `{"resourceLogs":[{"resource":{"attributes":[` + res + `]},"scopeLogs":[{"scope":{"name":"s"},"logRecords":[{"timeUnixNano":"1796000000000000000","severityNumber":9,"body":{"stringValue":"` + body + `"}}]}]}]}` + "\n"
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fallback.jsonl")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReplayExitsNonZeroWhenNothingIsExported guards against what adversary attackwire found (fixed): `resilog replay` exits 0 — "Exit
// status 0 only when every record was exported" — after reading a valid record it exported
// nowhere, when the environment it inherits from the service switches export off
// (OTEL_LOGS_EXPORTER=none, OTEL_SDK_DISABLED=true): its accounting line says records=1
// emitted=0 exported=0, and the exit status compares only emitted with exported. An
// operator (or a script: `resilog replay f && rm f`) deletes the file, and the records
// that survived the outage are gone.
// Correct: exit status non-zero unless every record read was exported (records == exported).
func TestReplayExitsNonZeroWhenNothingIsExported(t *testing.T) {
	for _, env := range [][2]string{{"OTEL_LOGS_EXPORTER", "none"}, {"OTEL_SDK_DISABLED", "true"}} {
		t.Run(env[0], func(t *testing.T) {
			t.Setenv(env[0], env[1])
			path := writeFile(t, otlpLine(`{"key":"service.name","value":{"stringValue":"orders"}}`, "kept through the outage"))
			var stdout, stderr bytes.Buffer
			if code := run([]string{"replay", path}, nil, &stdout, &stderr); code == 0 {
				t.Errorf("exit 0 though no record was exported: %s", strings.TrimSpace(stderr.String()))
			}
		})
	}
}

// TestReplaySkipsAHugeLineAndReplaysTheRest guards against what adversary attackwire found (fixed): one line longer than maxReplayLine (64
// MiB: a record with a large body, or garbage where a crash tore the file) ends the
// replay: readLine's error makes read return, so every valid line after it is never read,
// the long line is neither reported with its number nor counted as skipped (lines=1
// skipped=0), contrary to "A line that is not an OTLP/JSON request (...) is reported with
// its number and skipped" in the README and main's doc ("the others still replayed").
// Correct: the long line is discarded up to its newline, reported with its number and
// counted as skipped, and the lines after it are replayed.
func TestReplaySkipsAHugeLineAndReplaysTheRest(t *testing.T) {
	sink := newOTLPSink(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", sink.srv.URL)
	res := `{"key":"service.name","value":{"stringValue":"orders"}}`
	var file strings.Builder
	file.WriteString(otlpLine(res, "before"))
	file.WriteString(strings.Repeat("x", maxReplayLine+1) + "\n")
	file.WriteString(otlpLine(res, "after"))
	path := writeFile(t, file.String())
	var stdout, stderr bytes.Buffer
	code := run([]string{"replay", path}, nil, &stdout, &stderr)
	if got := sink.count(); got != 2 || !strings.Contains(stderr.String(), "line 2 skipped") {
		t.Errorf("exit %d, the collector received %d of the 2 valid records; stderr:\n%s", code, got, stderr.String())
	}
}

const replayHelperEnv = "RESILOG_ATTACKWIRE_REPLAY_HELPER"

// TestReplayHelperProcess is `resilog replay` run as a process by
// TestReplayStopsAtTheSizeTheFileHadWhenOpened.
func TestReplayHelperProcess(t *testing.T) {
	if os.Getenv(replayHelperEnv) == "" {
		t.Skip("run by TestReplayStopsAtTheSizeTheFileHadWhenOpened")
	}
	os.Exit(run([]string{"replay", os.Getenv(replayHelperEnv)}, os.Stdin, os.Stdout, os.Stderr))
}

// TestReplayStopsAtTheSizeTheFileHadWhenOpened guards against what adversary attackwire found (fixed): `resilog replay FILE` with the
// collector down and its stdout (the fallback, otlp-json as the service's environment
// sets it) appended to FILE — `resilog replay fallback.jsonl >> fallback.jsonl`, or a
// replay run where the service's stdout goes — reads back the records its own fallback
// appends and replays them again, forever: a 3000-line file grows by millions of lines a
// minute until the disk is full, and the process never exits. Replay does not check that
// its output is the file it reads (os.SameFile), nor stop at the size the file had when
// it was opened.
// Correct: each record of the file is read once (the file ends with at most the 3000 lines
// plus the 3000 written back), or replay refuses to run with its fallback on its input.
func TestReplayStopsAtTheSizeTheFileHadWhenOpened(t *testing.T) {
	const n = 3000
	var file strings.Builder
	for i := range n {
		file.WriteString(otlpLine(`{"key":"service.name","value":{"stringValue":"orders"}}`, fmt.Sprintf("record %d", i)))
	}
	path := writeFile(t, file.String())
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestReplayHelperProcess$")
	cmd.Env = append(os.Environ(), replayHelperEnv+"="+path, "RESILOG_FALLBACK_FORMAT=otlp-json",
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:1", // nothing listens: the collector is down
		"OTEL_BLRP_MAX_QUEUE_SIZE=256", "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE=128")
	cmd.Stdout = out
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	lines := func() int {
		b, _ := os.ReadFile(path)
		return bytes.Count(b, []byte("\n"))
	}
	deadline := time.After(60 * time.Second)
	for {
		select {
		case <-done:
			if got := lines(); got > 2*n {
				t.Errorf("the file holds %d lines after replay, want at most %d", got, 2*n)
			}
			return
		case <-deadline:
			_ = cmd.Process.Kill()
			<-done
			t.Fatalf("replay had not exited after 60s; the file holds %d lines", lines())
		case <-time.After(100 * time.Millisecond):
			if got := lines(); got > 3*n {
				_ = cmd.Process.Kill()
				<-done
				t.Fatalf("replay reads back what its fallback appends: the %d-line file holds %d lines and grows", n, got)
			}
		}
	}
}

// TestReplayBoundsTheOpenPipelines guards against what adversary attackwire found (fixed): `resilog replay` keeps one whole
// pipeline (batcher, exporter goroutines, its own HTTP transport and connection) open for
// every distinct resource in the file until the end of the file: the goroutines and open
// connections grow with the file. A fallback file spanning many process runs has one
// resource per run (the detected process.pid differs), e.g. a cron job or a crash-looping
// pod during a long outage. Measured: 1000 resources, 10,795 goroutines and 1,901 open
// descriptors (with the sink's side) at once; under the common `ulimit -n 1024` the
// exports fail with "too many open files". The invariant "goroutines and memory stay
// bounded" does not hold for the command.
// Correct: the number of pipelines (goroutines, connections) alive at once is bounded
// whatever the number of resources in the file.
func TestReplayBoundsTheOpenPipelines(t *testing.T) {
	sink := newOTLPSink(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", sink.srv.URL)
	const n = 400
	var file strings.Builder
	for i := range n {
		file.WriteString(otlpLine(fmt.Sprintf(`{"key":"service.name","value":{"stringValue":"cron"}},{"key":"process.pid","value":{"intValue":"%d"}}`, 1000+i), "tick"))
	}
	path := writeFile(t, file.String())
	base := runtime.NumGoroutine()
	stop, peak := make(chan struct{}), make(chan int)
	go func() {
		m := 0
		for {
			select {
			case <-stop:
				peak <- m
				return
			case <-time.After(time.Millisecond):
				m = max(m, runtime.NumGoroutine())
			}
		}
	}()
	var stdout, stderr bytes.Buffer
	code := run([]string{"replay", path}, nil, &stdout, &stderr)
	close(stop)
	m := <-peak
	if code != 0 || sink.count() != n {
		t.Fatalf("exit %d, %d of %d records exported; stderr %s", code, sink.count(), n, stderr.String())
	}
	if m-base > 100 {
		t.Errorf("replaying %d resources ran %d goroutines at once (%d before): one pipeline per resource, all open until the end", n, m-base, base)
	}
}

// TestReplaySkipsALineWithTrailingData guards against what adversary attackwire found (fixed): DecodeRequestJSON reads the first
// JSON value of a line and ignores whatever follows it (json.Decoder.Decode, never checked
// for the end of the input): a line holding two requests — two lines joined where a
// newline was lost — replays the first record, silently drops the second, and replay exits
// 0 with skipped=0, though the file is then deleted as "all replayed". The same holds for
// any garbage after a valid request.
// Correct: a line with anything but whitespace after its request is reported with its
// number and skipped (or every request on it replayed); never exit 0 with a record unread.
func TestReplaySkipsALineWithTrailingData(t *testing.T) {
	sink := newOTLPSink(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", sink.srv.URL)
	res := `{"key":"service.name","value":{"stringValue":"orders"}}`
	joined := strings.TrimSuffix(otlpLine(res, "first"), "\n") + otlpLine(res, "second")
	path := writeFile(t, joined)
	var stdout, stderr bytes.Buffer
	code := run([]string{"replay", path}, nil, &stdout, &stderr)
	if got := sink.count(); code == 0 && got != 2 {
		t.Errorf("exit 0 with %d of the line's 2 records exported, nothing reported: %s", got, strings.TrimSpace(stderr.String()))
	}
}
