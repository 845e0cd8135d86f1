//go:build unix

package resilog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"

	"github.com/resilog/resilog/internal/accounting"
	"github.com/resilog/resilog/internal/recordtest"
	"github.com/resilog/resilog/internal/spool"
	"github.com/resilog/resilog/processor"
	"github.com/resilog/resilog/redact"
)

// hanging is a collector that never answers: every export waits for its context, so
// that the records a child logs are still in memory (queued or being exported) when it
// dies.
type hanging struct{}

func (hanging) Export(ctx context.Context, _ []sdklog.Record) error {
	<-ctx.Done()
	return ctx.Err()
}
func (hanging) Shutdown(context.Context) error   { return nil }
func (hanging) ForceFlush(context.Context) error { return nil }

// spoolChildRecords is how many records the crashing child logs.
const spoolChildRecords = 500

// spoolChild is the child of TestSpoolKeepsWhatTheProcessLoggedThroughItsDeath: it logs
// spoolChildRecords records with the spool in RESILOG_SPOOL_DIR (the variable, as an
// operator would set it) and a collector that never answers, says so, and dies as its
// mode says: SIGKILLed by the parent, os.Exit, log.Fatal (whose message is a record
// too: WithGlobal makes the standard logger write through the pipeline), or a panic in a
// goroutine.
func spoolChild(mode string) {
	p, err := New(context.Background(), WithSDKExporter(hanging{}), WithGlobal(), WithServiceName("child"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	l := p.Logger("child")
	for i := range spoolChildRecords {
		l.Info("record", "i", i, "password", "hunter2")
	}
	writeResult(p.Stats())
	switch mode {
	case "kill":
		time.Sleep(time.Hour) // the parent kills it
	case "exit":
		os.Exit(1)
	case "fatal":
		log.Fatal("fatal: the last words")
	case "panic":
		go func() { panic("unrecovered, in a goroutine") }()
		time.Sleep(time.Hour)
	}
}

// Issue 13, part 2: a record whose log call returned survives the death of the process
// when the spool is on. A child logs 500 records and dies (SIGKILL, os.Exit, log.Fatal, panic)
// with the collector never answering; New on the same directory exports them first, with
// their own resource and timestamps, their log.record.uid, and redacted.
func TestSpoolKeepsWhatTheProcessLoggedThroughItsDeath(t *testing.T) {
	if mode := os.Getenv(childEnv); strings.HasPrefix(mode, "spool-") {
		spoolChild(strings.TrimPrefix(mode, "spool-"))
		return
	}
	for _, mode := range []string{"kill", "exit", "fatal", "panic"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			result := filepath.Join(t.TempDir(), "result.json")
			cmd := exec.Command(os.Args[0], "-test.run=^TestSpoolKeepsWhatTheProcessLoggedThroughItsDeath$", "-test.count=1")
			cmd.Env = append(os.Environ(), childEnv+"=spool-"+mode, childResultEnv+"="+result, "RESILOG_SPOOL_DIR="+dir)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				if _, err := os.Stat(result); err == nil {
					break
				}
				if time.Now().After(deadline) {
					_ = cmd.Process.Kill()
					_ = cmd.Wait()
					t.Fatalf("the child never logged its records; stderr:\n%s", stderr.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
			var child Stats
			readResult(t, result, &child)
			if child.Emitted != spoolChildRecords || child.Exported != 0 {
				t.Fatalf("child: %d emitted, %d exported; want %d emitted and none exported", child.Emitted, child.Exported, spoolChildRecords)
			}
			want := spoolChildRecords
			if mode == "kill" {
				// While the child lives, the directory is its own: New says who holds it.
				_, err := New(context.Background(), envOf(nil), WithSpool(dir), WithSDKExporter(&recordtest.Exporter{}))
				if !errors.Is(err, spool.ErrLocked) || !strings.Contains(err.Error(), strconv.Itoa(cmd.Process.Pid)) {
					t.Errorf("New on a directory the child holds: %v; want an error naming pid %d", err, cmd.Process.Pid)
				}
				_ = cmd.Process.Signal(syscall.SIGKILL)
			}
			if mode == "fatal" {
				want++ // the fatal line
			}
			_ = cmd.Wait()

			restarted := time.Now()
			exp := &recordtest.Exporter{}
			p, err := New(context.Background(), envOf(nil), WithSpool(dir), WithSDKExporter(exp), WithServiceName("parent"))
			if err != nil {
				t.Fatal(err)
			}
			if s := p.Stats(); s.Replayed != uint64(want) || s.Emitted != uint64(want) {
				t.Errorf("after New: %d replayed, %d emitted; want %d queued before New returned", s.Replayed, s.Emitted, want)
			}
			p.Logger("parent").Info("after the restart")
			if err := p.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			s := p.Stats()
			if s.Exported != uint64(want+1) || s.Emitted != s.Exported+s.Fallback+s.DroppedTotal || s.SpoolRecords != 0 {
				t.Errorf("stats %+v; want %d exported, the balance, an empty spool", s, want+1)
			}
			seen, uids := map[int64]bool{}, map[string]bool{}
			fatal := false
			for _, r := range exp.Records() {
				m := recordtest.AsMap(r)
				if r.Body().AsString() == "after the restart" {
					if _, ok := m[spool.UIDKey]; !ok {
						t.Errorf("the new record has no %s: %v", spool.UIDKey, m)
					}
					continue
				}
				if v, _ := r.Resource().Set().Value(semconv.ServiceNameKey); v.AsString() != "child" {
					t.Errorf("replayed record with service.name %q, want the child's", v.AsString())
				}
				if r.Timestamp().IsZero() || !r.Timestamp().Before(restarted) {
					t.Errorf("replayed record timestamp %v, want the child's (before %v)", r.Timestamp(), restarted)
				}
				uid, _ := m[spool.UIDKey].(string)
				if uid == "" || uids[uid] {
					t.Errorf("replayed record with uid %q (missing or twice)", uid)
				}
				uids[uid] = true
				if m["password"] != nil && m["password"] == "hunter2" {
					t.Errorf("a secret reached the spool: %v", m)
				}
				if strings.Contains(r.Body().AsString(), "the last words") {
					fatal = true
					continue
				}
				i, ok := m["i"].(int64)
				if !ok || seen[i] {
					t.Errorf("replayed record %v: no i or seen twice", m)
				}
				seen[i] = true
			}
			if len(seen) != spoolChildRecords || mode == "fatal" && !fatal {
				t.Errorf("%d of %d records replayed (fatal line: %v)", len(seen), spoolChildRecords, fatal)
			}
		})
	}
}

// gated is a collector that takes nothing until open is closed.
type gated struct {
	open chan struct{}
	recordtest.Exporter
}

func (g *gated) Export(ctx context.Context, records []sdklog.Record) error {
	select {
	case <-g.open:
		return g.Exporter.Export(ctx, records)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// A record written to the fallback is delivered: it leaves the spool, and the next
// start replays nothing.
func TestSpoolReleasesWhatTheFallbackWrote(t *testing.T) {
	dir := t.TempDir()
	fb := &recordtest.Exporter{}
	p, err := New(context.Background(), envOf(nil), WithSpool(dir), WithSDKExporter(refusing{}), WithFallback(fb),
		WithFailover(processor.FailoverConfig{RetryMaxElapsed: time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		p.Logger("t").Info("record", "i", i)
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Fallback != 100 || s.SpoolRecords != 0 || len(fb.Records()) != 100 {
		t.Fatalf("stats %+v, %d written: want the 100 in the fallback and the spool empty", s, len(fb.Records()))
	}
	p, err = New(context.Background(), envOf(nil), WithSpool(dir), WithSDKExporter(&recordtest.Exporter{}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(context.Background())
	if s := p.Stats(); s.Replayed != 0 {
		t.Fatalf("the next start replayed %d records the fallback had written", s.Replayed)
	}
}

// A full spool is not a loss: the records it cannot take stay in memory, are counted
// in SpoolFull, and are delivered like any other.
func TestSpoolFullTakesTheMemoryPath(t *testing.T) {
	exp := &gated{open: make(chan struct{})}
	reader := sdkmetric.NewManualReader()
	p, err := New(context.Background(), envOf(nil), WithSpool(t.TempDir()), WithSpoolMaxBytes(128<<10), WithSDKExporter(exp),
		WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	if err != nil {
		t.Fatal(err)
	}
	const n = 3000 // about 600 KB of frames: the 128 KiB bound fills
	for i := range n {
		p.Logger("t").Info("record", "i", i, "padding", strings.Repeat("x", 100))
	}
	s := p.Stats()
	if s.SpoolFull == 0 || s.SpoolRecords == 0 || s.SpoolRecords+int64(s.SpoolFull) != n {
		t.Errorf("stats %+v: want the spool full, holding the records it took, the rest counted in SpoolFull", s)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				got[m.Name] = d.DataPoints[0].Value
			case metricdata.Gauge[int64]:
				got[m.Name] = d.DataPoints[0].Value
			}
		}
	}
	if got["resilog.spool.full"] != int64(s.SpoolFull) || got["resilog.spool.records"] != s.SpoolRecords ||
		got["resilog.spool.bytes"] != s.SpoolBytes || got["resilog.records.replayed"] != 0 {
		t.Errorf("metrics %v, want the spool's stats %+v", got, s)
	}
	close(exp.open)
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s = p.Stats(); s.Exported != n || s.DroppedTotal != 0 || s.SpoolRecords != 0 {
		t.Errorf("stats %+v: want all %d exported, none dropped, the spool empty", s, n)
	}
}

// Damage in an earlier run's segment is counted (dropped, corrupt) and does not keep New
// from starting or the rest from being delivered; the balance holds.
func TestSpoolDamageIsCountedAtStart(t *testing.T) {
	dir := t.TempDir()
	s, err := spool.Open(spool.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	for i := range n {
		r := recordtest.Make("t", func(r *otellog.Record) {
			r.SetTimestamp(time.Now())
			r.SetBody(attribute.StringValue(fmt.Sprintf("record %d", i)))
		})
		if _, res := s.Append(&r); res != spool.Spooled {
			t.Fatalf("Append: %v", res)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(segs) != 1 {
		t.Fatalf("segments %v, want one", segs)
	}
	data, err := os.ReadFile(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []int{len(data) / 3, len(data) / 2} {
		data[at] ^= 0xff
	}
	if err := os.WriteFile(segs[0], data[:len(data)-10], 0o600); err != nil { // and a torn tail
		t.Fatal(err)
	}

	exp := &recordtest.Exporter{}
	p, err := New(context.Background(), envOf(nil), WithSpool(dir), WithSDKExporter(exp))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := p.Stats()
	corrupt := st.Dropped["corrupt"]
	if corrupt == 0 || corrupt > 10 || st.Replayed+corrupt != n || st.Exported != st.Replayed || len(exp.Records()) != int(st.Replayed) ||
		st.Emitted != st.Exported+st.Fallback+st.DroppedTotal {
		t.Errorf("stats %+v: want the few damaged records counted as corrupt, the rest exported, the balance", st)
	}
}

// A record dropped by the overflow policy is counted and leaves the spool: the next
// start does not deliver what this run counted as dropped.
func TestSpoolReleasesWhatTheOverflowPolicyDrops(t *testing.T) {
	for _, policy := range []processor.Overflow{processor.OverflowDropOldest, processor.OverflowDropNewest, processor.OverflowBlock} {
		t.Run(policy.String(), func(t *testing.T) {
			dir := t.TempDir()
			exp := &gated{open: make(chan struct{})}
			p, err := New(context.Background(), envOf(nil), WithSpool(dir), WithSDKExporter(exp), WithOverflow(policy),
				WithBatch(processor.BatchConfig{MaxQueueRecords: 10, MaxBatch: 10, Exporters: 1, BlockTimeout: time.Millisecond}))
			if err != nil {
				t.Fatal(err)
			}
			for i := range 100 {
				p.Logger("t").Info("record", "i", i)
			}
			close(exp.open)
			if err := p.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			s := p.Stats()
			if s.DroppedTotal == 0 || s.Exported+s.DroppedTotal != 100 || s.SpoolRecords != 0 {
				t.Fatalf("stats %+v: want some dropped, the rest exported, the spool empty", s)
			}
			p, err = New(context.Background(), envOf(nil), WithSpool(dir), WithSDKExporter(&recordtest.Exporter{}))
			if err != nil {
				t.Fatal(err)
			}
			defer p.Shutdown(context.Background())
			if s := p.Stats(); s.Replayed != 0 {
				t.Fatalf("the next start replayed %d records this run counted as dropped", s.Replayed)
			}
		})
	}
}

// Every record a spooled log call hands on carries its log.record.uid, one per record:
// those the queue keeps for the exporter and those the overflow policy spills straight
// to the fallback (written where each leaves the core, from the seq the queue keeps).
func TestSpoolUIDReachesTheExporterAndTheFallback(t *testing.T) {
	exp := &gated{open: make(chan struct{})}
	fb := &recordtest.Exporter{}
	p, err := New(context.Background(), envOf(nil), WithSpool(t.TempDir()), WithSDKExporter(exp), WithFallback(fb),
		WithOverflow(processor.OverflowFallback),
		WithBatch(processor.BatchConfig{MaxQueueRecords: 10, MaxBatch: 10, Exporters: 1}))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		p.Logger("t").Info("record", "a", 1, "b", 2, "c", 3, "d", 4, "i", i)
	}
	close(exp.open)
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(exp.Records()) == 0 || len(fb.Records()) == 0 {
		t.Fatalf("%d exported, %d in the fallback: want some of each", len(exp.Records()), len(fb.Records()))
	}
	uids := map[string]bool{}
	for _, r := range append(exp.Records(), fb.Records()...) {
		m := recordtest.AsMap(r)
		uid, _ := m[spool.UIDKey].(string)
		if len(uid) != 32 || uids[uid] {
			t.Errorf("record %v: uid %q (want 32 hex digits, once)", m["i"], uid)
		}
		uids[uid] = true
	}
	if len(uids) != 100 {
		t.Errorf("%d distinct uids, want 100", len(uids))
	}
}

// Found by the adversary as TestAttackNewIgnoresItsContextDuringReplay: New replays an
// earlier run's records into the queue and, when they do not fit, waits for exports to
// make room, without looking at the context it was given. With the collector down at
// start (it never answers) and an export timeout the user chose long, New blocks for
// export timeout × (spool / queue) however short its context's deadline: a process cannot
// bound its own start. Correct: New gives up the wait when ctx is done (returning ctx's
// error, or leaving the rest of the spool for later/for the fallback), so New(ctx)
// returns soon after ctx's deadline.
//
// New returns the pipeline with what it replayed; the rest stays in the spool for the
// next run, and each record is counted once.
func TestNewStopsTheReplayWhenItsContextEnds(t *testing.T) {
	dir := t.TempDir()
	// An earlier run left 200 records in the spool (the collector never answered).
	sp, err := spool.Open(spool.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		r := recordtest.Make("t", func(r *otellog.Record) { r.SetBody(attribute.IntValue(i)) })
		if _, res := sp.Append(&r); res != spool.Spooled {
			t.Fatalf("Append = %v", res)
		}
	}
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}

	// The next start: a small queue, the collector still down, 1s to start.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	fb := &recordtest.Exporter{}
	type result struct {
		p   *Pipeline
		err error
	}
	done := make(chan result, 1)
	go func() {
		p, err := New(ctx, envOf(nil), WithSpool(dir), WithSDKExporter(hanging{}), WithFallback(fb),
			WithBatch(processor.BatchConfig{MaxQueueRecords: 16, MaxBatch: 16, ExportTimeout: time.Hour}),
			WithFailover(processor.FailoverConfig{RetryMaxElapsed: time.Hour}))
		done <- result{p, err}
	}()
	var p *Pipeline
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("New: %v", r.err)
		}
		p = r.p
	case <-time.After(20 * time.Second):
		t.Fatal("New(ctx) with a 1s deadline has not returned after 20s: the replay waits for queue room regardless of ctx")
	}
	replayed := p.Stats().Replayed
	sctx, c := context.WithTimeout(context.Background(), 100*time.Millisecond)
	_ = p.Shutdown(sctx)
	c()
	st := p.Stats()
	t.Logf("replayed %d of 200; after Shutdown %+v", replayed, st)
	if replayed == 0 || replayed >= 200 || st.Emitted != replayed {
		t.Fatalf("replayed %d of 200, emitted %d: want some records replayed, not all (the queue holds 16), and only those emitted", replayed, st.Emitted)
	}
	checkPipelineBalance(t, p)

	// The records not replayed are the next run's, none lost and none twice.
	delivered := map[string]bool{}
	for _, r := range fb.Records() {
		delivered[r.Body().String()] = true
	}
	sp, err = spool.Open(spool.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	left := map[string]bool{}
	for _, r := range sp.Earlier() {
		b := r.Body().String()
		if delivered[b] {
			t.Errorf("record %s was written to the fallback and is still in the spool", b)
		}
		left[b] = true
	}
	if uint64(len(left)) != 200-replayed || uint64(len(delivered))+st.DroppedTotal != replayed {
		t.Errorf("%d records left in the spool, %d delivered, %d dropped: want the %d not replayed left, the %d replayed delivered or dropped",
			len(left), len(delivered), st.DroppedTotal, 200-replayed, replayed)
	}
}

// Found by the adversary as TestAttackSpoolDirShownRawInErrors: every other setting's
// value is echoed in errors only through shown(), which withholds a value the redaction
// rules flag as a credential. The spool directory bypasses it: a RESILOG_SPOOL_DIR that
// carries a secret (a path built from a token, a mount named after a password) is quoted
// raw in New's error when the directory is held (and in the stderr line when the spool
// turns off). Correct: the directory is shown as the other settings are, withheld when it
// may hold a credential.
func TestSpoolDirShownAsOtherSettingsAre(t *testing.T) {
	const secret = "hunter2hunter2"
	dir := filepath.Join(t.TempDir(), "password="+secret)
	if r, _ := redact.New(redact.Config{}); r.String(dir) == dir {
		t.Fatalf("precondition: redaction does not flag %q", dir)
	}
	p, err := New(context.Background(), envOf(map[string]string{"RESILOG_SPOOL_DIR": dir}), WithSDKExporter(&recordtest.Exporter{}))
	if err != nil {
		t.Fatalf("first New: %v", err)
	}
	defer p.Shutdown(context.Background())
	_, err = New(context.Background(), envOf(map[string]string{"RESILOG_SPOOL_DIR": dir}), WithSDKExporter(&recordtest.Exporter{}))
	if err == nil {
		t.Fatal("second New on a held directory succeeded")
	}
	if strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "value not shown") {
		t.Errorf("New's error quotes the spool directory raw, credential included: %v", err)
	}

	// A directory that cannot be made: the spool turns off with one stderr line, which
	// names neither the directory nor the parent the system error is about.
	parent := filepath.Join(t.TempDir(), "password="+secret)
	if err := os.Mkdir(parent, 0o700); err != nil {
		t.Fatal(err)
	}
	notDir := filepath.Join(parent, "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	line := stderrOf(t, func() {
		p, err := New(context.Background(), envOf(map[string]string{"RESILOG_SPOOL_DIR": filepath.Join(notDir, "spool")}),
			WithSDKExporter(&recordtest.Exporter{}))
		if err != nil {
			t.Fatalf("New with an unusable spool directory: %v", err)
		}
		p.Shutdown(context.Background())
	})
	t.Logf("stderr: %q", line)
	if strings.Contains(line, secret) || !strings.Contains(line, "spool (value not shown: it may hold a credential) off") {
		t.Errorf("the spool's stderr line quotes its directory raw: %q", line)
	}
}

// stderrOf returns what the process's stderr report wrote while fn ran.
func stderrOf(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	old := os.Stderr
	os.Stderr = w
	fn()
	// The report's writer reads os.Stderr: restore it once the writer has written.
	if !accounting.Stderr().Wait(3 * time.Second) {
		t.Error("the stderr report was not written")
	}
	os.Stderr = old
	w.Close()
	out, _ := io.ReadAll(r)
	return string(out)
}
