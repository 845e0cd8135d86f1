package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"

	"github.com/resilog/resilog"
	"github.com/resilog/resilog/collector/collectortest"
)

// buildResilogCommand builds cmd/resilog, the command users run, into the test's directory.
func buildResilogCommand(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "resilog")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/resilog/resilog/cmd/resilog").CombinedOutput()
	if err != nil {
		t.Fatalf("building cmd/resilog: %v\n%s", err, out)
	}
	return bin
}

// replayRecords logs the same records, at fixed times, through p: every level slog has
// (custom ones too), every value type, nested groups, with and without a span.
func replayRecords(p *resilog.Pipeline, sctx context.Context) int {
	base := time.Date(2026, 11, 30, 1, 2, 3, 456789, time.UTC)
	h := p.Handler("github.com/acme/shop/orders")
	levels := []slog.Level{slog.LevelDebug - 4, slog.LevelDebug, slog.LevelInfo, slog.LevelInfo + 2, slog.LevelWarn, slog.LevelError, slog.LevelError + 4}
	for i, lvl := range levels {
		r := slog.NewRecord(base.Add(time.Duration(i)*time.Millisecond), lvl, fmt.Sprintf("record %d", i), 0)
		r.AddAttrs(slog.Int("i", i), slog.Float64("f", 1.5), slog.Bool("ok", i%2 == 0), slog.String("s", "line\nbreak \u2028 ünï"),
			slog.Group("user", slog.Int("id", 88), slog.Group("address", slog.String("city", "Paris"))),
			slog.Any("tags", []string{"a", "b"}), slog.Any("raw", []byte{0, 1, 255}), slog.Int64("big", 1<<62))
		ctx := context.Background()
		if i%2 == 0 {
			ctx = sctx
		}
		_ = h.Handle(ctx, r)
	}
	return len(levels)
}

// replayOptions are the options of the service in TestReplayOTLPJSONFallbackIsLossless,
// before the outage and during it. The resource is given rather than detected: the two
// runs are two processes, whose detected process.pid differs.
func replayOptions() []resilog.Option {
	return []resilog.Option{
		resilog.WithResource(resource.NewWithAttributes("https://opentelemetry.io/schemas/1.26.0",
			attribute.String("host.name", "node-1"), attribute.Int("process.pid", 4242), attribute.String("k8s.pod.name", "orders-7d9"))),
		resilog.WithServiceName("replayed"),
		resilog.WithResourceAttributes(attribute.String("deployment.environment.name", "test"), attribute.Int("build", 7)),
		resilog.WithLevel(slog.LevelDebug - 4),
	}
}

// replaySpan is the span the replayed records are logged in, the same in both processes.
func replaySpan() context.Context {
	return trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		TraceFlags: trace.FlagsSampled,
	}))
}

const outageProcessEnv = "RESILOG_E2E_OUTAGE_PROCESS"

// TestReplayOutageProcess is the service during the outage, run by
// TestReplayOTLPJSONFallbackIsLossless as a child process whose stdout is a file: it is
// configured by the environment alone (RESILOG_FALLBACK_FORMAT, OTEL_EXPORTER_OTLP_ENDPOINT),
// as a deployed service is.
func TestReplayOutageProcess(t *testing.T) {
	if os.Getenv(outageProcessEnv) != "1" {
		t.Skip("run by TestReplayOTLPJSONFallbackIsLossless")
	}
	p, err := resilog.New(context.Background(), replayOptions()...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	n := replayRecords(p, replaySpan())
	if err := p.Shutdown(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if s := p.Stats(); s.Fallback != uint64(n) || s.Emitted != uint64(n) {
		fmt.Fprintf(os.Stderr, "outage: %+v, want all %d records in the fallback\n", s, n)
		os.Exit(3)
	}
	os.Exit(0) // before the test framework writes to stdout, the fallback
}

// TestReplayOTLPJSONFallbackIsLossless: a service that cannot reach its collector, run with
// RESILOG_FALLBACK_FORMAT=otlp-json and its stdout sent to a file; `resilog replay FILE` with
// the collector back: the replayed records arrive at the real collector exactly as the same
// records the service exported before the outage did: body, severity number and text,
// timestamps, trace and span IDs and flags, typed attributes, scope, the whole resource.
func TestReplayOTLPJSONFallbackIsLossless(t *testing.T) {
	bin := buildResilogCommand(t)
	c := collectortest.Start(t)
	ctx := context.Background()

	// Before the outage: exported.
	direct := newPipeline(t, append(replayOptions(), resilog.WithEndpoint(c.HTTPEndpoint()))...)
	n := replayRecords(direct, replaySpan())
	if err := direct.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	want := c.WaitForLogs(t, n, 10*time.Second)
	c.Reset()

	// During the outage (nothing listens): the service's stdout, its fallback, is a file.
	path := filepath.Join(t.TempDir(), "fallback.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	child := exec.Command(os.Args[0], "-test.run=^TestReplayOutageProcess$")
	child.Env = append(os.Environ(), outageProcessEnv+"=1", "RESILOG_FALLBACK_FORMAT=otlp-json",
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://"+freeAddr(t))
	var childErr bytes.Buffer
	child.Stdout, child.Stderr = f, &childErr
	err = child.Run()
	f.Close()
	if err != nil {
		t.Fatalf("the service during the outage: %v\n%s", err, childErr.String())
	}
	observed := fileObservedTimes(t, path)

	// The collector is back: replay the file with the standard variables.
	cmd := exec.Command(bin, "replay", path)
	cmd.Env = append(os.Environ(), "OTEL_EXPORTER_OTLP_ENDPOINT="+c.HTTPEndpoint(),
		"OTEL_SERVICE_NAME=the-replaying-host", "OTEL_RESOURCE_ATTRIBUTES=host.name=replayer")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("resilog replay: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	wantLine := fmt.Sprintf("resilog replay: lines=%d skipped=0 records=%d emitted=%d exported=%d fallback=0 dropped=0\n", n, n, n, n)
	if stderr.String() != wantLine || stdout.Len() != 0 {
		t.Errorf("replay printed stderr %q stdout %q, want stderr %q", stderr.String(), stdout.String(), wantLine)
	}
	got := c.WaitForLogs(t, n, 10*time.Second)
	if len(got) != n {
		t.Fatalf("collector received %d replayed records, want %d", len(got), n)
	}

	byBody := func(rs []collectortest.LogRecord) {
		sort.Slice(rs, func(i, j int) bool { return fmt.Sprint(rs[i].Body) < fmt.Sprint(rs[j].Body) })
	}
	byBody(want)
	byBody(got)
	for i := range want {
		w, g := want[i], got[i]
		if !g.ObservedTimestamp.Equal(observed[fmt.Sprint(g.Body)]) {
			t.Errorf("%v: observed %v, want the outage's %v", g.Body, g.ObservedTimestamp, observed[fmt.Sprint(g.Body)])
		}
		// The observed time is when each run logged; everything else is the record.
		w.ObservedTimestamp, g.ObservedTimestamp = time.Time{}, time.Time{}
		if !reflect.DeepEqual(w, g) {
			t.Errorf("replayed record differs from the exported one:\n got %+v\nwant %+v", g, w)
		}
	}
	if w := want[0]; w.TraceID == "" || w.Flags != 1 || w.Resource["build"] != int64(7) || w.Resource["process.pid"] != int64(4242) || w.Attributes["raw"] == nil {
		t.Errorf("the records compared lack what the test means to compare: %+v", w)
	}
}

// fileObservedTimes reads the fallback file with the collector's own OTLP/JSON decoder and
// returns each record's observed time by body.
func fileObservedTimes(t *testing.T, path string) map[string]time.Time {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]time.Time{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	var u plog.JSONUnmarshaler
	for sc.Scan() {
		ld, err := u.UnmarshalLogs(sc.Bytes())
		if err != nil {
			t.Fatalf("a fallback line is not OTLP/JSON to the collector: %v\n%s", err, sc.Bytes())
		}
		if ld.LogRecordCount() != 1 {
			t.Fatalf("a line holds %d records, want 1: %s", ld.LogRecordCount(), sc.Bytes())
		}
		lr := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
		out[lr.Body().AsString()] = lr.ObservedTimestamp().AsTime()
	}
	if strings.Count(string(data), "\n") != len(out) {
		t.Errorf("%d lines for %d records", strings.Count(string(data), "\n"), len(out))
	}
	return out
}

// TestReplayLargeFileWaitsForRoom: a file longer than the queue is read no faster than the
// collector takes it: every record is exported, none sent to the fallback or dropped.
func TestReplayLargeFileWaitsForRoom(t *testing.T) {
	bin := buildResilogCommand(t)
	c := collectortest.Start(t)
	const n = 5000
	var file bytes.Buffer
	for i := range n {
		fmt.Fprintf(&file, `{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"big"}}]},"scopeLogs":[{"scope":{"name":"s"},"logRecords":[{"timeUnixNano":"1796000000000000000","severityNumber":9,"body":{"stringValue":"record %d"}}]}]}]}`+"\n", i)
	}
	path := filepath.Join(t.TempDir(), "fallback.jsonl")
	if err := os.WriteFile(path, file.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "replay", path)
	cmd.Env = append(os.Environ(), "OTEL_EXPORTER_OTLP_ENDPOINT="+c.HTTPEndpoint(),
		"OTEL_BLRP_MAX_QUEUE_SIZE=256", "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE=128")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	wantLine := fmt.Sprintf("resilog replay: lines=%d skipped=0 records=%d emitted=%d exported=%d fallback=0 dropped=0\n", n, n, n, n)
	if err != nil || stderr.String() != wantLine {
		t.Fatalf("resilog replay: %v\nstderr %q\nwant   %q\nstdout holds %d bytes", err, stderr.String(), wantLine, stdout.Len())
	}
	if got := c.WaitForLogs(t, n, 10*time.Second); len(got) != n {
		t.Fatalf("collector received %d records, want %d", len(got), n)
	}
}
