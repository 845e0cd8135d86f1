package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resilog/resilog"
	"github.com/resilog/resilog/collector/collectortest"
	"github.com/resilog/resilog/exporter"
)

// lockedBuffer is the stdout stand-in the fallback writes JSON lines to.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines() [][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(l.b.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, append([]byte(nil), sc.Bytes()...))
	}
	return out
}

// blockedWriter is a stdout nobody reads: Write blocks until it is released.
type blockedWriter struct {
	release chan struct{}
	once    *sync.Once
}

func (b blockedWriter) Write(p []byte) (int, error) {
	<-b.release
	return len(p), nil
}

// free releases the writes, now and from then on.
func (b blockedWriter) free() { b.once.Do(func() { close(b.release) }) }

// newBlockedWriter returns a stdout nobody reads, that stays blocked until after the
// harness has checked the goroutines the test's pipelines left: a write blocked on a
// general io.Writer cannot be abandoned, so the harness allows, per blocked writer, one
// goroutine left blocked in its Write after Shutdown (README's one exception), then frees
// the writer and checks that every goroutine ends.
func newBlockedWriter(t *testing.T) blockedWriter {
	b := blockedWriter{release: make(chan struct{}), once: new(sync.Once)}
	v, _ := blockedWriters.LoadOrStore(t, new(testWriters))
	tw := v.(*testWriters)
	tw.mu.Lock()
	tw.list = append(tw.list, b)
	tw.mu.Unlock()
	t.Cleanup(func() { b.free(); blockedWriters.Delete(t) }) // runs after the harness's checks
	return b
}

type testWriters struct {
	mu   sync.Mutex
	list []blockedWriter
}

// blockedWriters are the blocked writers of each test (*testing.T).
var blockedWriters sync.Map

func blockedWritersOf(t *testing.T) []blockedWriter {
	v, ok := blockedWriters.Load(t)
	if !ok {
		return nil
	}
	tw := v.(*testWriters)
	tw.mu.Lock()
	defer tw.mu.Unlock()
	return slices.Clone(tw.list)
}

// loggedCounts are the log calls the load of each pipeline made, for the balance check.
var loggedCounts sync.Map // *resilog.Pipeline → func() int

// load is one run of the fault tests: records with a unique seq attribute go through a
// resilog pipeline, and the test counts where each one ended.
type load struct {
	t        *testing.T
	p        *resilog.Pipeline
	fallback *lockedBuffer
	log      interface {
		InfoContext(ctx context.Context, msg string, args ...any)
	}
	emitted   int
	durations []time.Duration
	emitTimes []time.Time // by seq
}

func endpointFor(c *collectortest.Collector, proto string) string {
	if proto == exporter.ProtocolGRPC {
		return c.GRPCEndpoint()
	}
	return c.HTTPEndpoint()
}

// newLoad builds the default pipeline against endpoint, with the fallback captured.
func newLoad(t *testing.T, proto, endpoint string, opts ...resilog.Option) *load {
	t.Helper()
	l := &load{t: t, fallback: new(lockedBuffer)}
	base := []resilog.Option{
		resilog.WithServiceName("faults"),
		resilog.WithProtocol(proto),
		resilog.WithEndpoint(endpoint),
		resilog.WithFallback(exporter.NewJSONLines(l.fallback)),
	}
	l.p = newPipeline(t, append(base, opts...)...)
	loggedCounts.Store(l.p, func() int { return l.emitted })
	l.log = l.p.Logger("github.com/resilog/resilog/collector/e2e")
	return l
}

// newPipeline builds a pipeline for an e2e or fault test. Every test builds its pipelines
// here, so that what must hold after any test is checked once, not remembered by each:
// after the test (shutting the pipeline down if it did not, with a 10s deadline; a
// Shutdown that has not returned 15s later fails the test with every goroutine's stack
// instead of hanging the suite),
//
//   - Stats balance: emitted == exported + fallback + dropped, and emitted is the number of
//     log calls a load made (newLoad), or at least one (a test that logs nothing proves
//     nothing about the balance);
//   - the goroutines the pipeline started have ended: none is left that carries its
//     label, and no goroutine running resilog's code outside this module has appeared
//     since New (by goroutine ID: leftovers of earlier tests do not hide a leak). A writer from newBlockedWriter is the one exception: one
//     goroutine per blocked writer may be left blocked in its Write; the harness then
//     frees the writers and checks that it ends too.
func newPipeline(t *testing.T, opts ...resilog.Option) *resilog.Pipeline {
	t.Helper()
	label := fmt.Sprintf("%s#%d", t.Name(), pipelineSeq.Add(1))
	before := goroutineIDs(libraryGoroutines())
	var p *resilog.Pipeline
	var err error
	// Goroutines inherit the labels of the goroutine that starts them: every goroutine
	// New starts, and every one those start (exports, connections, probes), carries it.
	pprof.Do(context.Background(), pprof.Labels(pipelineLabel, label), func(ctx context.Context) {
		p, err = resilog.New(ctx, opts...)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done := make(chan struct{})
		go func() { _ = p.Shutdown(ctx); close(done) }() // a no-op returning the first result if the test shut it down
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			buf := make([]byte, 1<<22)
			t.Errorf("harness: Shutdown with a 10s deadline had not returned after 15s; goroutines:\n%s", buf[:runtime.Stack(buf, true)])
			return
		}
		s := p.Stats()
		if s.Emitted != s.Exported+s.Fallback+s.DroppedTotal {
			t.Errorf("harness: after Shutdown, emitted %d != exported %d + fallback %d + dropped %d (%v)",
				s.Emitted, s.Exported, s.Fallback, s.DroppedTotal, s.Dropped)
		}
		if logged, ok := loggedCounts.LoadAndDelete(p); ok {
			if n := logged.(func() int)(); s.Emitted != uint64(n) {
				t.Errorf("harness: emitted %d, but the test made %d log calls", s.Emitted, n)
			}
		} else if s.Emitted == 0 {
			t.Errorf("harness: the pipeline emitted nothing: its balance proves nothing")
		}
		blocked := blockedWritersOf(t)
		left := waitGoroutines(label, before, len(blocked))
		var inWrite, others []string
		for _, g := range left {
			if strings.Contains(g, "blockedWriter.Write") {
				inWrite = append(inWrite, g)
			} else {
				others = append(others, g)
			}
		}
		if len(others) > 0 || len(inWrite) > len(blocked) {
			t.Errorf("harness: %d pipeline goroutines left 5s after Shutdown (%d blocked writers allowed one each):\n%s",
				len(left), len(blocked), strings.Join(left, "\n"))
			return
		}
		if len(blocked) == 0 {
			return
		}
		for _, b := range blocked {
			b.free()
		}
		if left := waitGoroutines(label, before, 0); len(left) > 0 {
			t.Errorf("harness: %d pipeline goroutines left 5s after the blocked writers were freed:\n%s",
				len(left), strings.Join(left, "\n"))
		}
	})
	return p
}

// waitGoroutines waits up to 5s until at most allowed goroutines belong to the pipeline
// labelled label, or run the library's code and were not running before (by goroutine
// ID), and returns them. Goroutines end a little after Shutdown returns (a connection's
// reader sees the close).
func waitGoroutines(label string, before map[string]bool, allowed int) []string {
	var left []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		left = labelledGoroutines(label)
		for _, g := range libraryGoroutines() {
			id, _, _ := strings.Cut(g, " [")
			if !before[id] && !strings.Contains(g, "collector/e2e.newPipeline") {
				left = append(left, g)
			}
		}
		if len(left) <= allowed || time.Now().After(deadline) {
			return left
		}
	}
}

// libraryGoroutines returns the stacks (runtime.Stack's format, which has goroutine IDs
// but no labels) of the goroutines with a frame in github.com/resilog/resilog outside
// this module.
func libraryGoroutines() []string {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, line := range strings.Split(g, "\n") {
			if strings.HasPrefix(line, "github.com/resilog/resilog/") && !strings.HasPrefix(line, "github.com/resilog/resilog/collector/") {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

func goroutineIDs(stacks []string) map[string]bool {
	ids := map[string]bool{}
	for _, g := range stacks {
		id, _, _ := strings.Cut(g, " [")
		ids[id] = true
	}
	return ids
}

// pipelineLabel is the pprof label newPipeline puts on a pipeline's goroutines.
const pipelineLabel = "resilog-e2e-pipeline"

var pipelineSeq atomic.Int64

// labelledGoroutines returns the stacks, one entry per goroutine, of the goroutines that
// carry the label of the pipeline labelled label and run none of the library's code
// (those libraryGoroutines finds by ID): the exporters' connections, the HTTP client's.
func labelledGoroutines(label string) []string {
	var buf bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
	var out []string
	// debug=1: groups separated by blank lines, each "N @ pc...", an optional
	// "# labels: {...}", then "#\tpc\tfunction+off\tfile:line" lines.
	for _, group := range strings.Split(buf.String(), "\n\n") {
		header, _, _ := strings.Cut(group, "\n")
		n, _, ok := strings.Cut(header, " @ ")
		count, err := strconv.Atoi(n)
		if !ok || err != nil || !strings.Contains(group, fmt.Sprintf("%q:%q", pipelineLabel, label)) {
			continue
		}
		library := false
		for _, line := range strings.Split(group, "\n") {
			fields := strings.Split(line, "\t")
			if len(fields) >= 3 && strings.HasPrefix(fields[2], "github.com/resilog/resilog/") &&
				!strings.HasPrefix(fields[2], "github.com/resilog/resilog/collector/") {
				library = true
			}
		}
		for range count {
			if !library {
				out = append(out, group)
			}
		}
	}
	return out
}

// emit logs n records, one every pace (0: as fast as possible), calling during(i) before
// record i.
func (l *load) emit(n int, pace time.Duration, during func(i int)) {
	ctx := context.Background()
	start := time.Now()
	for i := range n {
		if during != nil {
			during(i)
		}
		if pace > 0 {
			if d := time.Until(start.Add(time.Duration(i) * pace)); d > 0 {
				time.Sleep(d)
			}
		}
		t0 := time.Now()
		l.log.InfoContext(ctx, "load", "seq", l.emitted)
		l.durations = append(l.durations, time.Since(t0))
		l.emitTimes = append(l.emitTimes, t0)
		l.emitted++
	}
}

// shutdown shuts the pipeline down with the given deadline and returns how long it took.
func (l *load) shutdown(within time.Duration) time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	start := time.Now()
	_ = l.p.Shutdown(ctx)
	return time.Since(start)
}

type outcome struct {
	emitted, collector, fallback, dropped, lost, duplicates int
	stats                                                   resilog.Stats
}

func (o outcome) String() string {
	return fmt.Sprintf("emitted=%d collector=%d fallback=%d dropped=%d lost=%d duplicates=%d retries=%d breaker=%s dropped_by=%v",
		o.emitted, o.collector, o.fallback, o.dropped, o.lost, o.duplicates, o.stats.Retries, o.stats.Breaker, o.stats.Dropped)
}

// account finds every seq in the collector and the fallback and checks the invariant
// emitted == exported + fallback + dropped and that no record is lost.
func (l *load) account(c *collectortest.Collector) outcome {
	l.t.Helper()
	o := outcome{emitted: l.emitted, stats: l.p.Stats()}
	seen := make(map[int64]int, l.emitted)
	if c != nil {
		waitCollector(l.t, c, int(o.stats.Exported))
		for _, r := range c.Logs() {
			seq, ok := r.Attributes["seq"].(int64)
			if !ok {
				l.t.Fatalf("collector record without seq: %+v", r)
			}
			seen[seq]++
			o.collector++
		}
	}
	for _, line := range l.fallback.lines() {
		var m struct {
			Seq *int64 `json:"seq"`
		}
		if err := json.Unmarshal(line, &m); err != nil || m.Seq == nil {
			l.t.Fatalf("fallback line without seq: %s", line)
		}
		seen[*m.Seq]++
		o.fallback++
	}
	o.dropped = int(o.stats.DroppedTotal)
	o.lost = o.emitted - o.dropped - len(seen)
	o.duplicates = o.collector + o.fallback - len(seen)

	s := o.stats
	if s.Emitted != uint64(l.emitted) {
		l.t.Errorf("Stats.Emitted = %d, logged %d", s.Emitted, l.emitted)
	}
	if s.Emitted != s.Exported+s.Fallback+s.DroppedTotal {
		l.t.Errorf("emitted %d != exported %d + fallback %d + dropped %d", s.Emitted, s.Exported, s.Fallback, s.DroppedTotal)
	}
	if uint64(o.fallback) != s.Fallback {
		l.t.Errorf("fallback wrote %d lines, Stats says %d", o.fallback, s.Fallback)
	}
	if o.lost != 0 {
		l.t.Errorf("%d records lost: %s", o.lost, o)
	}
	l.t.Log(o)
	return o
}

// waitCollector waits until the collector holds at least n records (its batch processor
// may still hold the last ones when the pipeline has shut down).
func waitCollector(t *testing.T, c *collectortest.Collector, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(c.Logs()) < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
}

func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, int(float64(len(s))*q))]
}

var protocols = []string{exporter.ProtocolHTTP, exporter.ProtocolGRPC}
