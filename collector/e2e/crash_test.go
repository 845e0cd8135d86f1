//go:build unix

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/resilog/resilog/collector/collectortest"
	"github.com/resilog/resilog/collector/faultproxy"
)

// The crash tests run testdata/crashchild, a service configured by the environment alone,
// with RESILOG_SPOOL_DIR set, kill it (or let it die) and start it again on the same
// directory: every record whose log call had returned must reach the collector or the
// fallback (the child's stdout), whatever instant the process died at.

const (
	crashWorkers = 8    // crashchild's goroutines: records in a log call at any instant
	crashBatch   = 1024 // the pipeline's default batch
	crashExports = 4    // exports the pipeline runs at once: in flight at a death, crashBatch each
	// crashRunSeqs separates the seqs of successive runs: run k logs from k×crashRunSeqs.
	crashRunSeqs = 1_000_000
)

// crashRig is one spool directory and the runs of crashchild on it.
type crashRig struct {
	t        *testing.T
	bin      string
	dir      string // the runs' stdout (their fallback) files
	spoolDir string
	c        *collectortest.Collector
	runs     []*crashRun
}

// crashRun is one run of crashchild: what it was told and what it reported.
type crashRun struct {
	mode     string
	from, n  int
	pad      int
	endpoint string
	// killAfter (after the start, or after its first returned log call with
	// afterFirst), or killAt records reported, is when the parent SIGKILLs it; none:
	// the child ends by itself.
	killAfter  time.Duration
	afterFirst bool
	killAt     int
	first      time.Duration // from the start to the first returned log call

	returned []int64 // seqs whose log call returned, as the child reported them
	stdout   string  // the file its fallback wrote
	stderr   string
	err      error // from Wait
	stats    map[string]any
}

func newCrashRig(t *testing.T) *crashRig {
	bin := filepath.Join(t.TempDir(), "crashchild")
	out, err := exec.Command("go", "build", "-o", bin, "./testdata/crashchild").CombinedOutput()
	if err != nil {
		t.Fatalf("building crashchild: %v\n%s", err, out)
	}
	return &crashRig{t: t, bin: bin, dir: t.TempDir(), spoolDir: t.TempDir(), c: collectortest.Start(t)}
}

// run starts r on the rig's spool and returns once the child is dead.
func (g *crashRig) run(r *crashRun) *crashRun {
	t := g.t
	t.Helper()
	if r.endpoint == "" {
		r.endpoint = g.c.HTTPEndpoint()
	}
	g.runs = append(g.runs, r)
	r.stdout = filepath.Join(g.dir, fmt.Sprintf("run-%d.jsonl", len(g.runs)))
	stdout, err := os.Create(r.stdout)
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, g.bin)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RESILOG_") && !strings.HasPrefix(kv, "OTEL_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "RESILOG_SPOOL_DIR="+g.spoolDir, "OTEL_EXPORTER_OTLP_ENDPOINT="+r.endpoint,
		"CRASH_MODE="+r.mode, fmt.Sprint("CRASH_FROM=", r.from), fmt.Sprint("CRASH_N=", r.n),
		fmt.Sprint("CRASH_PAD=", r.pad), fmt.Sprint("CRASH_WORKERS=", crashWorkers))
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.ExtraFiles = stdout, &stderr, []*os.File{pw}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()

	started := time.Now()
	reached, first := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			seq, err := strconv.ParseInt(sc.Text(), 10, 64)
			if err != nil {
				continue // a torn line cannot be: each is one write below PIPE_BUF
			}
			mu.Lock()
			r.returned = append(r.returned, seq)
			if len(r.returned) == 1 {
				r.first = time.Since(started)
				close(first)
			}
			if len(r.returned) == r.killAt {
				close(reached)
			}
			mu.Unlock()
		}
	}()
	switch {
	case r.killAt > 0:
		select {
		case <-reached:
		case <-time.After(20 * time.Second):
			t.Errorf("run %d reported fewer than %d records in 20s", len(g.runs), r.killAt)
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
	case r.killAfter > 0:
		if r.afterFirst {
			select {
			case <-first:
			case <-time.After(20 * time.Second):
				t.Errorf("run %d made no log call in 20s", len(g.runs))
			}
		}
		time.Sleep(r.killAfter)
		_ = cmd.Process.Signal(syscall.SIGKILL)
	}
	r.err = cmd.Wait()
	<-read
	pr.Close()
	r.stderr = stderr.String()
	if i := strings.LastIndex(r.stderr, "stats {"); i >= 0 {
		line, _, _ := strings.Cut(r.stderr[i+len("stats "):], "\n")
		if err := json.Unmarshal([]byte(line), &r.stats); err != nil {
			t.Errorf("run %d: stats line %q: %v", len(g.runs), line, err)
		}
	}
	return r
}

// delivered counts every seq that reached the collector or one of the runs' fallbacks,
// once every returned seq is there, or nothing more arrived for a second (15s at most).
func (g *crashRig) delivered() (seen map[int64]int, records int, missing []int64) {
	deadline := time.Now().Add(15 * time.Second)
	last, stable := -1, time.Now()
	for {
		seen, records = map[int64]int{}, 0
		for _, rec := range g.c.Logs() {
			if seq, ok := rec.Attributes["seq"].(int64); ok {
				seen[seq]++
				records++
			}
		}
		for _, r := range g.runs {
			n, err := countFallbackFile(r.stdout, seen)
			if err != nil {
				g.t.Fatal(err)
			}
			records += n
		}
		missing = missing[:0]
		for _, r := range g.runs {
			for _, seq := range r.returned {
				if seen[seq] == 0 {
					missing = append(missing, seq)
				}
			}
		}
		if records != last {
			last, stable = records, time.Now()
		}
		if len(missing) == 0 || time.Since(stable) > time.Second || time.Now().After(deadline) {
			slices.Sort(missing)
			return seen, records, missing
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// check asserts what every crash test needs: no returned record missing, no record the
// runs did not log, duplicates only from in-flight batches (at most crashExports
// batches per death), and the last run's Stats balanced with what it replayed.
// With damaged, a record damaged on disk may be missing if counted in dropped{corrupt};
// otherwise a frame torn by a death can only be a record whose log call had not returned.
func (g *crashRig) check(deaths int, damaged bool) (seen map[int64]int) {
	t := g.t
	t.Helper()
	seen, records, missing := g.delivered()
	returned := 0
	for _, r := range g.runs {
		returned += len(r.returned)
	}
	last := g.runs[len(g.runs)-1]
	if last.err != nil || last.stats == nil {
		t.Fatalf("the last run, which shuts down, failed: %v\n%s", last.err, last.stderr)
	}
	s := last.stats
	num := func(k string) uint64 { f, _ := s[k].(float64); return uint64(f) }
	corrupt := statsCorrupt(s)
	if len(missing) > 0 && (!damaged || uint64(len(missing)) > corrupt) {
		t.Errorf("%d of %d records whose log call returned reached neither the collector nor the fallback, %d counted corrupt (first: %v)",
			len(missing), returned, corrupt, missing[:min(10, len(missing))])
	}
	for seq := range seen {
		k := int(seq / crashRunSeqs)
		if k >= len(g.runs) || int(seq%crashRunSeqs) >= len(g.runs[k].returned)+crashWorkers {
			t.Errorf("seq %d was delivered, but run %d logged no such record", seq, k)
			break
		}
	}
	g.checkUIDs()
	if dups := records - len(seen); dups > crashBatch*crashExports*deaths {
		t.Errorf("%d duplicates after %d deaths: more than the %d exports of %d records in flight at each", dups, deaths, crashExports, crashBatch)
	}
	if _, ok := s["Replayed"]; !ok {
		t.Errorf("the last run's Stats have no Replayed: %v", s)
	}
	// Emitted counts the records the run logged, those it replayed and those it found
	// damaged (dropped{corrupt}); each ends exported, in the fallback or dropped.
	if got, want := num("Emitted"), uint64(last.n)+num("Replayed")+corrupt; got != want {
		t.Errorf("the last run emitted %d, want %d logged + %d replayed + %d corrupt", got, last.n, num("Replayed"), corrupt)
	}
	if in, out := num("Emitted"), num("Exported")+num("Fallback")+num("DroppedTotal"); in != out {
		t.Errorf("the last run: emitted %d != exported %d + fallback %d + dropped %d",
			in, num("Exported"), num("Fallback"), num("DroppedTotal"))
	}
	if deaths > 0 && num("Replayed") == 0 {
		t.Errorf("the last run replayed nothing after %d deaths", deaths)
	}
	if d := num("DroppedTotal"); d != corrupt {
		t.Errorf("the last run dropped %d records, %d of them corrupt: %v", d, corrupt, s["Dropped"])
	}
	t.Logf("%d runs, %d deaths: %d log calls returned, %d distinct records delivered (%d duplicates), %d missing, %d corrupt; last run's stats: emitted=%d replayed=%d exported=%d fallback=%d dropped=%v",
		len(g.runs), deaths, returned, len(seen), records-len(seen), len(missing), corrupt,
		num("Emitted"), num("Replayed"), num("Exported"), num("Fallback"), s["Dropped"])
	return seen
}

// checkUIDs asserts that every record delivered, to the collector (OTLP, exported from
// memory or replayed from the spool) or to a run's fallback (JSON lines), carries a
// log.record.uid, and that every copy of a record carries the same: the one exported
// from memory before a death and the one replayed from disk after it.
func (g *crashRig) checkUIDs() {
	t := g.t
	t.Helper()
	uids := map[int64]string{}
	bad := 0
	see := func(seq int64, uid any, where string) {
		u, _ := uid.(string)
		switch prev, ok := uids[seq]; {
		case len(u) != 32:
			if bad++; bad <= 5 {
				t.Errorf("record %d in %s: log.record.uid %v, want 32 hex digits", seq, where, uid)
			}
		case ok && prev != u:
			if bad++; bad <= 5 {
				t.Errorf("record %d delivered with two uids, %s and %s (%s)", seq, prev, u, where)
			}
		default:
			uids[seq] = u
		}
	}
	for _, rec := range g.c.Logs() {
		if seq, ok := rec.Attributes["seq"].(int64); ok {
			see(seq, rec.Attributes["log.record.uid"], "the collector")
		}
	}
	for _, r := range g.runs {
		data, err := os.ReadFile(r.stdout)
		if err != nil {
			t.Fatal(err)
		}
		for line := range bytes.Lines(data) {
			var m map[string]any
			if json.Unmarshal(line, &m) != nil {
				continue // torn by a death (countFallbackFile says which may be)
			}
			if seq, ok := fallbackSeq(line); ok {
				see(seq, m["log.record.uid"], r.stdout)
			}
		}
	}
	if bad > 5 {
		t.Errorf("%d records in all with a missing or changed uid", bad)
	}
}

// statsCorrupt is what a run's Stats count as damaged on disk: dropped{corrupt}.
func statsCorrupt(s map[string]any) uint64 {
	d, _ := s["Dropped"].(map[string]any)
	f, _ := d["corrupt"].(float64)
	return uint64(f)
}

// countFallbackFile adds the seqs of the JSON lines a run's fallback wrote to seen.
func countFallbackFile(path string, seen map[int64]int) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	n := 0
	for line := range bytes.Lines(data) {
		if !bytes.HasSuffix(line, []byte("\n")) && !json.Valid(line) {
			// The last line of a run SIGKILLed while its fallback wrote it: torn, not
			// released from the spool (that happens after the write returns), so the
			// next run delivers the record again.
			continue
		}
		if !json.Valid(line) {
			return 0, fmt.Errorf("%s: not a JSON line: %q", path, line)
		}
		seq, ok := fallbackSeq(line)
		if !ok {
			continue // not a record of the load (the fatal line)
		}
		seen[seq]++
		n++
	}
	return n, nil
}

// fallbackSeq finds the seq attribute in one fallback JSON line, wherever the format
// puts it.
func fallbackSeq(line []byte) (int64, bool) {
	i := bytes.Index(line, []byte(`"seq":`))
	if i < 0 {
		return 0, false
	}
	rest := bytes.TrimLeft(line[i+len(`"seq":`):], ` "`)
	end := bytes.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(rest)
	}
	seq, err := strconv.ParseInt(string(rest[:end]), 10, 64)
	return seq, err == nil
}

// TestCrashSIGKILLLosesNoReturnedRecord: crashchild, logging from 8 goroutines as fast as
// it can, is SIGKILLed 24 times at random instants and restarted on the same spool each
// time: while it starts and replays, mid-burst with exports in flight, with every export
// hanging (a proxy that accepts and never answers), and after enough big records that a
// spool segment filled and the next one began. A last run logs 2,000 records and shuts
// down. Every record whose log call returned is delivered.
func TestCrashSIGKILLLosesNoReturnedRecord(t *testing.T) {
	g := newCrashRig(t)
	hang, err := faultproxy.NewTCP(g.c.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer hang.Close()
	hang.SetHang(true)

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	const kills = 24
	rotations := 0
	for k := range kills {
		r := &crashRun{mode: "burst", from: k * crashRunSeqs}
		switch k % 4 {
		case 0: // anywhere from start-up (replaying the last run's records) to mid-burst
			r.killAfter = time.Duration(1+rng.IntN(300)) * time.Millisecond
		case 1: // mid-burst: exports in flight
			r.killAfter, r.afterFirst = time.Duration(1+rng.IntN(200))*time.Millisecond, true
		case 2: // every export hangs: all of it in flight or queued
			r.endpoint = "http://" + hang.Addr()
			r.killAfter, r.afterFirst = time.Duration(1+rng.IntN(200))*time.Millisecond, true
		case 3: // 4 KiB records: a 16 MiB segment holds about 3,900; kill past the first
			r.pad = 4096
			r.killAt = 4000 + rng.IntN(2000)
			rotations++
		}
		g.run(r)
		if r.err == nil || !strings.Contains(r.err.Error(), "killed") {
			t.Fatalf("run %d was to be killed: %v\n%s", k, r.err, r.stderr)
		}
	}
	g.run(&crashRun{mode: "burst", from: kills * crashRunSeqs, n: 2000})
	g.check(kills, false)
	var per []string
	for _, r := range g.runs {
		per = append(per, fmt.Sprintf("%d (first after %v)", len(r.returned), r.first.Round(time.Millisecond)))
	}
	t.Logf("log calls returned per run: %s", strings.Join(per, ", "))
	t.Logf("%d runs killed past a segment's worth of records", rotations)
}

// TestCrashLogFatalLosesNoReturnedRecord: log.Fatal (slog the default logger) while 8
// goroutines log; the process exits with status 1, the fatal line logged, and a restart
// on the same spool delivers every record whose log call returned, the fatal line too.
func TestCrashLogFatalLosesNoReturnedRecord(t *testing.T) {
	testCrashEnds(t, "fatal", 1, "fatal after 3000 records")
}

// TestCrashUnrecoveredPanicLosesNoReturnedRecord: an unrecovered panic in a goroutine
// while 8 goroutines log (exit status 2): a restart delivers every returned record.
func TestCrashUnrecoveredPanicLosesNoReturnedRecord(t *testing.T) {
	testCrashEnds(t, "panic", 2, "")
}

func testCrashEnds(t *testing.T, mode string, status int, line string) {
	g := newCrashRig(t)
	r := g.run(&crashRun{mode: mode, n: 3000})
	var exit *exec.ExitError
	if !errors.As(r.err, &exit) || exit.ExitCode() != status {
		t.Fatalf("%s run: %v, want exit status %d\n%s", mode, r.err, status, r.stderr)
	}
	if len(r.returned) < 3000 {
		t.Fatalf("%s run reported %d records, want at least 3000", mode, len(r.returned))
	}
	g.run(&crashRun{mode: "burst", from: crashRunSeqs, n: 100})
	g.check(1, false)
	if line == "" {
		return
	}
	for _, rec := range g.c.Logs() {
		if fmt.Sprint(rec.Body) == line {
			return
		}
	}
	for _, r := range g.runs {
		if data, _ := os.ReadFile(r.stdout); bytes.Contains(data, []byte(line)) {
			return
		}
	}
	t.Errorf("neither the collector nor the fallback has the %q record", line)
}

// TestCrashCorruptSpoolIsCountedAndTheRestDelivered: crashchild, its exports hanging (so
// its records stay in the spool), is SIGKILLed after 6,000 records of 4 KiB, which take
// a full segment and part of a second. The first segment is truncated at two thirds of
// what was written, and 64 bytes are flipped in the middle of the last one: the restart
// succeeds, counts the damage in dropped{corrupt}, and delivers every other record.
// (The records cut off the end of the newest segment leave no trace to count them by:
// the damage is done where a later record's seq shows the gap.)
func TestCrashCorruptSpoolIsCountedAndTheRestDelivered(t *testing.T) {
	g := newCrashRig(t)
	hang, err := faultproxy.NewTCP(g.c.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer hang.Close()
	hang.SetHang(true)
	g.run(&crashRun{mode: "burst", pad: 4096, killAt: 6000, endpoint: "http://" + hang.Addr()})

	type written struct {
		path string
		end  int // past the last non-zero byte
	}
	var segs []written
	paths, _ := filepath.Glob(filepath.Join(g.spoolDir, "*.seg"))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		end := len(bytes.TrimRight(data, "\x00"))
		if end > 64<<10 { // more than a header and a few records
			segs = append(segs, written{p, end})
		}
	}
	if len(segs) < 2 {
		t.Fatalf("the killed run left %d segments with records in %s (%d files), want two", len(segs), g.spoolDir, len(paths))
	}
	cut, flip := segs[0], segs[len(segs)-1] // by name: the order they were created in
	f, err := os.OpenFile(flip.path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	at := int64(flip.end / 2)
	buf := make([]byte, 64)
	if _, err := f.ReadAt(buf, at); err != nil {
		t.Fatal(err)
	}
	for i := range buf {
		buf[i] ^= 0x5a
	}
	if _, err := f.WriteAt(buf, at); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cutAt := int64(cut.end * 2 / 3)
	if err := os.Truncate(cut.path, cutAt); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d segments with records; %s: 64 bytes flipped at %d of %d written; %s: truncated to %d of %d",
		len(segs), filepath.Base(flip.path), at, flip.end, filepath.Base(cut.path), cutAt, cut.end)

	g.run(&crashRun{mode: "burst", from: crashRunSeqs, n: 100})
	g.check(1, true)
	if statsCorrupt(g.runs[1].stats) == 0 {
		t.Errorf("the restart counted no corrupt record: %v", g.runs[1].stats["Dropped"])
	}
}
