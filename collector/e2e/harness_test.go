package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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

// blockedWriter is a stdout nobody reads: Write blocks until release is closed.
type blockedWriter struct{ release chan struct{} }

func (b blockedWriter) Write(p []byte) (int, error) {
	<-b.release
	return len(p), nil
}

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
	l.log = l.p.Logger("github.com/resilog/resilog/collector/e2e")
	return l
}

// newPipeline builds a pipeline for an e2e or fault test. Every test builds its pipelines
// here, so that what must hold after any test is checked once, not remembered by each:
// after the test (shutting the pipeline down if it did not, with a 10s deadline),
//
//   - Stats balance: emitted == exported + fallback + dropped;
//   - the goroutines the pipeline started have ended: none is left that carries its
//     label or runs resilog's code outside this module (see pipelineGoroutines).
func newPipeline(t *testing.T, opts ...resilog.Option) *resilog.Pipeline {
	t.Helper()
	label := fmt.Sprintf("%s#%d", t.Name(), pipelineSeq.Add(1))
	before := pipelineGoroutines(label)
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
		_ = p.Shutdown(ctx) // a no-op returning the first result if the test shut it down
		s := p.Stats()
		if s.Emitted != s.Exported+s.Fallback+s.DroppedTotal {
			t.Errorf("harness: after Shutdown, emitted %d != exported %d + fallback %d + dropped %d (%v)",
				s.Emitted, s.Exported, s.Fallback, s.DroppedTotal, s.Dropped)
		}
		// Goroutines end a little after Shutdown returns (a connection's reader sees the
		// close); wait for them, up to a bound.
		var left []string
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if left = pipelineGoroutines(label); len(left) <= len(before) || time.Now().After(deadline) {
				break
			}
		}
		if len(left) > len(before) {
			t.Errorf("harness: %d pipeline goroutines 5s after Shutdown, %d before New:\n%s",
				len(left), len(before), strings.Join(left, "\n"))
		}
	})
	return p
}

// pipelineLabel is the pprof label newPipeline puts on a pipeline's goroutines.
const pipelineLabel = "resilog-e2e-pipeline"

var pipelineSeq atomic.Int64

// pipelineGoroutines returns the stacks, one entry per goroutine, of the goroutines that
// belong to the pipeline labelled label or run the library's code: labelled so, or with a
// frame in github.com/resilog/resilog outside this module (the collector, the fault
// proxies and the tests themselves are not the pipeline's). Goroutines that timers start
// carry no label; the frame finds those of the library.
func pipelineGoroutines(label string) []string {
	var buf bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
	var out []string
	// debug=1: groups separated by blank lines, each "N @ pc...", an optional
	// "# labels: {...}", then "#\tpc\tfunction+off\tfile:line" lines.
	for _, group := range strings.Split(buf.String(), "\n\n") {
		header, _, _ := strings.Cut(group, "\n")
		n, _, ok := strings.Cut(header, " @ ")
		count, err := strconv.Atoi(n)
		if !ok || err != nil {
			continue
		}
		mine := strings.Contains(group, fmt.Sprintf("%q:%q", pipelineLabel, label))
		for _, line := range strings.Split(group, "\n") {
			fields := strings.Split(line, "\t")
			if len(fields) >= 3 && strings.HasPrefix(fields[2], "github.com/resilog/resilog/") &&
				!strings.HasPrefix(fields[2], "github.com/resilog/resilog/collector/") {
				mine = true
			}
		}
		for range count {
			if mine {
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
