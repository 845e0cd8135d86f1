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
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/resilog/resilog"
	"github.com/resilog/resilog/collector/collectortest"
	"github.com/resilog/resilog/exporter"
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

// TestReplayOTLPJSONFallbackIsLossless: records written to the OTLP/JSON fallback during an
// outage, replayed by `resilog replay FILE` to the real collector, arrive exactly as the
// same records exported before the outage did: body, severity number and text,
// timestamps, trace and span IDs and flags, typed attributes, scope, the whole resource.
func TestReplayOTLPJSONFallbackIsLossless(t *testing.T) {
	bin := buildResilogCommand(t)
	c := collectortest.Start(t)
	ctx := context.Background()
	tp := sdktrace.NewTracerProvider()
	defer tp.Shutdown(ctx)
	sctx, span := tp.Tracer("e2e").Start(ctx, "POST /orders")
	defer span.End()
	opts := []resilog.Option{
		resilog.WithServiceName("replayed"),
		resilog.WithResourceAttributes(attribute.String("deployment.environment.name", "test"), attribute.Int("build", 7)),
		resilog.WithLevel(slog.LevelDebug - 4),
	}

	// Before the outage: exported.
	direct := newPipeline(t, append(opts, resilog.WithEndpoint(c.HTTPEndpoint()))...)
	n := replayRecords(direct, sctx)
	if err := direct.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	want := c.WaitForLogs(t, n, 10*time.Second)
	c.Reset()

	// During the outage (nothing listens): the fallback writes OTLP/JSON lines to a file.
	path := filepath.Join(t.TempDir(), "fallback.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	outage := newPipeline(t, append(opts, resilog.WithEndpoint("http://"+freeAddr(t)), resilog.WithFallback(exporter.NewOTLPJSONLines(f)))...)
	replayRecords(outage, sctx)
	if err := outage.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if s := outage.Stats(); s.Fallback != uint64(n) {
		t.Fatalf("outage: %+v, want all %d records in the fallback", s, n)
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
	if w := want[0]; w.TraceID == "" || w.Flags != 1 || w.Resource["build"] != int64(7) || w.Attributes["raw"] == nil {
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
			t.Errorf("a line holds %d records, want 1", ld.LogRecordCount())
		}
		lr := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
		out[lr.Body().AsString()] = lr.ObservedTimestamp().AsTime()
	}
	if strings.Count(string(data), "\n") != len(out) {
		t.Errorf("%d lines for %d records", strings.Count(string(data), "\n"), len(out))
	}
	return out
}
