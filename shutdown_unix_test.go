//go:build unix

package resilog

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/resilog/resilog/exporter"
	"github.com/resilog/resilog/internal/accounting"
	"github.com/resilog/resilog/processor"
)

// stalledFIFO makes a named pipe whose reader is open and never reads: a file whose writes
// block once the pipe buffer (64 KiB) is full, as a log file on a hung NFS mount or a
// container's /dev/stdout whose reader stalled. drain reads it empty until the test ends,
// so that the writes blocked in the library can finish.
func stalledFIFO(t *testing.T) (path string, drain func()) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "app.log")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// O_NONBLOCK: opening the read end must not wait for a writer.
	r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	drained := false
	drain = func() {
		if drained {
			return
		}
		drained = true
		go func() { _, _ = io.Copy(io.Discard, r) }()
	}
	t.Cleanup(func() { drain(); time.Sleep(50 * time.Millisecond); r.Close() })
	return path, drain
}

// TestShutdownKeepsItsDeadlineWithABlockedFileFallback: with the library's own File
// exporter as the fallback and the file's writes blocked, File.Shutdown (lumberjack's
// Close) waits for the lock the blocked Write holds; the route's Shutdown abandons it at the
// deadline, and Shutdown returns in time with the accounting complete.
func TestShutdownKeepsItsDeadlineWithABlockedFileFallback(t *testing.T) {
	path, drain := stalledFIFO(t)
	file, err := exporter.NewFile(exporter.FileConfig{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(context.Background(), envOf(nil), WithSDKExporter(refusing{}), WithFallback(file),
		WithBatch(processor.BatchConfig{ExportTimeout: time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	log := p.Logger("t")
	pad := strings.Repeat("x", 200)
	for i := range 2000 { // ~600 KB of JSON lines: far more than the pipe holds
		log.Info("m", "seq", i, "pad", pad)
	}
	// Let the fallback's writer reach the blocked write.
	time.Sleep(200 * time.Millisecond)

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		done <- p.Shutdown(ctx)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		logStacks(t, "resilog/resilog/exporter")
		drain() // release the blocked write so that the test can end
		<-done
		t.Fatal("Shutdown with a 500ms deadline had not returned after 10s: the File fallback's Shutdown waits for its blocked Write")
	}
	checkPipelineBalance(t, p)
}

// TestShutdownWithoutDeadlineIsBoundedWithABlockedFileFallback: the quickstart's
// Shutdown(context.Background()) returns within the batch export timeout (here 1s, the
// test allows 10s) with the disk blocked.
func TestShutdownWithoutDeadlineIsBoundedWithABlockedFileFallback(t *testing.T) {
	path, drain := stalledFIFO(t)
	file, err := exporter.NewFile(exporter.FileConfig{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(context.Background(), envOf(nil), WithSDKExporter(refusing{}), WithFallback(file),
		WithBatch(processor.BatchConfig{ExportTimeout: time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	log := p.Logger("t")
	pad := strings.Repeat("x", 200)
	for i := range 2000 {
		log.Info("m", "seq", i, "pad", pad)
	}
	time.Sleep(200 * time.Millisecond)
	done := make(chan error, 1)
	go func() { done <- p.Shutdown(context.Background()) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		drain()
		<-done
		t.Fatal("Shutdown(context.Background()) with ExportTimeout 1s had not returned after 10s")
	}
	checkPipelineBalance(t, p)
}

// TestShutdownLeavesOnlyTheWriteBlockedOnStdout: with the fallback writing to a pipe
// nobody reads (stdout of a container whose log reader stalled), a write blocked on a
// general io.Writer cannot be abandoned: after Shutdown the one goroutine left above the
// count before New is the fallback's writer, parked in that write. Once the pipe is read
// again it returns, counting nothing, and the count is back to what it was before New.
func TestShutdownLeavesOnlyTheWriteBlockedOnStdout(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	before := takeGoroutines()
	p, err := New(context.Background(), envOf(nil), WithSDKExporter(refusing{}), WithFallback(exporter.NewJSONLines(w)),
		WithBatch(processor.BatchConfig{ExportTimeout: time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	log := p.Logger("t")
	pad := strings.Repeat("x", 200)
	for i := range 2000 {
		log.Info("m", "seq", i, "pad", pad)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_ = p.Shutdown(ctx)
	checkPipelineBalance(t, p)
	s := p.Stats()
	checkLeftBlockedInWrite(t, before, "delivery.(*Fallback).run")
	go func() { _, _ = io.Copy(io.Discard, r) }() // read the pipe again: the write returns
	checkNothingLeft(t, before)
	if after := p.Stats(); after.Emitted != s.Emitted || after.Fallback != s.Fallback || after.DroppedTotal != s.DroppedTotal {
		t.Errorf("the write abandoned at Shutdown counted again when it returned: %+v, then %+v", s, after)
	}
}

// checkLeftBlockedInWrite waits up to 3s for the library's goroutines started since
// before to end, and checks that exactly one is left, parked in a write, whose stack
// names where.
func checkLeftBlockedInWrite(t *testing.T, before goroutineSnapshot, where string) {
	t.Helper()
	left := before.since(1)
	if len(left) == 0 {
		t.Fatalf("no goroutine of the library's left after Shutdown: the write was not blocked, the test proves nothing")
	}
	if len(left) > 1 {
		logGoroutines(t, left)
		t.Fatalf("%d of the library's goroutines left after Shutdown: more than the one writer blocked", len(left))
	}
	if !strings.Contains(left[0], where) || !strings.Contains(left[0], "os.(*File).Write") {
		logGoroutines(t, left)
		t.Fatalf("the goroutine left is not %s blocked in a write", where)
	}
}

// checkNothingLeft waits up to 3s for the library's goroutines started since before to end.
func checkNothingLeft(t *testing.T, before goroutineSnapshot) {
	t.Helper()
	if left := before.since(0); len(left) > 0 {
		logGoroutines(t, left)
		t.Errorf("%d of the library's goroutines left 3s after the write was released", len(left))
	}
}

func checkPipelineBalance(t *testing.T, p *Pipeline) {
	t.Helper()
	s := p.Stats()
	if s.Emitted == 0 || s.Emitted != s.Exported+s.Fallback+s.DroppedTotal {
		t.Errorf("stats do not balance: %+v", s)
	}
}

// logStacks logs the goroutines whose stack mentions substr.
func logStacks(t *testing.T, substr string) {
	t.Helper()
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, substr) {
			t.Logf("goroutine:\n%s", g)
		}
	}
}

// TestFileExporterLeavesNoGoroutine: a pipeline whose primary is the File exporter
// returns the goroutine count to what it was before New (lumberjack v2.2.1 started a
// cleanup goroutine at the first write that nothing ever stopped).
func TestFileExporterLeavesNoGoroutine(t *testing.T) {
	before := takeGoroutines()
	file, err := exporter.NewFile(exporter.FileConfig{Path: filepath.Join(t.TempDir(), "app.log")})
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(context.Background(), envOf(nil), WithSDKExporter(file))
	if err != nil {
		t.Fatal(err)
	}
	p.Logger("t").Info("one record")
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkPipelineBalance(t, p)
	if left := before.since(0); len(left) > 0 {
		logGoroutines(t, left)
		t.Errorf("%d of the library's goroutines left 3s after Shutdown", len(left))
	}
}

// TestShutdownLeavesOnlyTheReportWriterBlockedOnStderr: with stderr a pipe nobody reads
// (full), Shutdown keeps its deadline, and what is left above the goroutine count before
// New is the process's one stderr report writer, parked in its write (a write blocked on
// a pipe cannot be abandoned): not one goroutine per drop or per report. Once stderr is
// read again the writer ends and the count is back to what it was before New.
func TestShutdownLeavesOnlyTheReportWriterBlockedOnStderr(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if _, err := w.Write(make([]byte, 64<<10)); err != nil { // fill the pipe: the next write blocks
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = w
	defer func() { os.Stderr = old }()
	before := takeGoroutines()
	p, err := New(context.Background(), envOf(nil), WithSDKExporter(hung{}), WithFallback(exporter.NewJSONLines(io.Discard)),
		WithBatch(processor.BatchConfig{MaxBatch: 2, MaxQueueRecords: 2, Exporters: 1, ExportTimeout: time.Second,
			Overflow: processor.OverflowDropNewest}))
	if err != nil {
		t.Fatal(err)
	}
	log := p.Logger("t")
	for i := range 100 {
		log.Info("m", "seq", i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_ = p.Shutdown(ctx)
	t.Logf("Shutdown took %v with stderr blocked", time.Since(start).Round(time.Millisecond))
	checkPipelineBalance(t, p)
	checkLeftBlockedInWrite(t, before, "accounting.(*Report).run")
	go func() { _, _ = io.Copy(io.Discard, r) }()
	checkNothingLeft(t, before)
	// The report's writer reads os.Stderr: restore it once the writer has written (a
	// happens-before edge for the race detector).
	if !accounting.Stderr().Wait(3 * time.Second) {
		t.Error("the stderr report was not written once stderr was read again")
	}
	os.Stderr = old
}
