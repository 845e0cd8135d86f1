package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// killChildEnv carries a -fault kill child's part of the run (killChild, as JSON): its
// presence makes logbench that child.
const killChildEnv = "LOGBENCH_KILL_CHILD"

// killChild is one process of a -fault kill run: it logs seqs from From to N-1 through the
// pipeline, on the run's spool, and tells the parent on file descriptor 3, line by line,
// each seq and the duration of its log call once the call has returned; then, if it was
// not killed, it shuts down and writes "end DROPPED STATS-JSON".
type killChild struct {
	Pipeline, Protocol, Endpoint, Fallback, Spool string
	From, N, Rate, Queue                          int
	Shutdown                                      time.Duration
}

// runKillChild is main in a -fault kill child.
func runKillChild(spec string) error {
	var k killChild
	if err := json.Unmarshal([]byte(spec), &k); err != nil {
		return err
	}
	c := config{pipeline: k.Pipeline, protocol: k.Protocol, queue: k.Queue, spool: k.Spool}
	pl, err := newPipeline(c, k.Endpoint, k.Fallback, nil)
	if err != nil {
		return err
	}
	report := os.NewFile(3, "returned")
	ctx := context.Background()
	start := time.Now()
	buf := make([]byte, 0, 48)
	for i := k.From; i < k.N; i++ {
		if k.Rate > 0 {
			if d := time.Until(start.Add(time.Duration(i-k.From) * time.Second / time.Duration(k.Rate))); d > 0 {
				time.Sleep(d)
			}
		}
		t0 := time.Now()
		pl.log.InfoContext(ctx, "order created", "seq", i,
			"order_id", 1000+i, "user_id", 88, "total", "149.99", "currency", "EUR")
		d := time.Since(t0)
		buf = strconv.AppendInt(buf[:0], int64(i), 10)
		buf = append(buf, ' ')
		buf = strconv.AppendInt(buf, int64(d), 10)
		buf = append(buf, '\n')
		if _, err := report.Write(buf); err != nil { // unbuffered: the parent knows every return
			return err
		}
	}
	sctx, cancel := context.WithTimeout(ctx, k.Shutdown)
	defer cancel()
	if err := pl.shutdown(sctx); err != nil {
		fmt.Fprintln(os.Stderr, "logbench: shutdown:", err)
	}
	_, err = fmt.Fprintf(report, "end %d %s\n", pl.dropped(), pl.describe())
	return err
}

// killRun is what the processes of a -fault kill run reported.
type killRun struct {
	returned  []bool // by seq: the log call returned
	durations []time.Duration
	dropped   int    // counted by the last process, the one that shut down
	stats     string // its Stats (or queue size), as describe gives them
	kills     int
	peakRSSMB int // the largest of the processes'
}

// runKill runs c.n records through the pipeline in child processes, SIGKILLing each
// process at a random instant within a second of its first returned log call (c.kills
// times) and starting the next one on
// the same spool from the first seq whose log call had not returned; the last one logs
// to the end and shuts down.
func runKill(c config, dir, endpoint string) (*killRun, error) {
	run := &killRun{returned: make([]bool, c.n)}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0))
	next := 0
	for proc := 0; ; proc++ {
		spec, _ := json.Marshal(killChild{Pipeline: c.pipeline, Protocol: c.protocol, Endpoint: endpoint,
			Fallback: filepath.Join(dir, fmt.Sprintf("fallback-%d.jsonl", proc)), Spool: c.spool,
			From: next, N: c.n, Rate: c.rate, Queue: c.queue, Shutdown: c.shutdown})
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), killChildEnv+"="+string(spec))
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		pr, pw, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		cmd.ExtraFiles = []*os.File{pw}
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		pw.Close()
		read := make(chan error, 1)
		first := make(chan struct{})
		ended, returned := false, 0
		go func() {
			defer pr.Close()
			sc := bufio.NewScanner(pr)
			for sc.Scan() {
				line := sc.Text()
				if rest, ok := strings.CutPrefix(line, "end "); ok {
					d, stats, _ := strings.Cut(rest, " ")
					run.dropped, _ = strconv.Atoi(d)
					run.stats, ended = stats, true
					continue
				}
				s, d, _ := strings.Cut(line, " ")
				seq, err1 := strconv.Atoi(s)
				ns, err2 := strconv.ParseInt(d, 10, 64)
				if err1 != nil || err2 != nil || seq < 0 || seq >= c.n {
					read <- fmt.Errorf("-fault kill child: %q", line)
					return
				}
				if returned++; returned == 1 {
					close(first)
				}
				run.returned[seq] = true
				run.durations = append(run.durations, time.Duration(ns))
				next = max(next, seq+1)
			}
			read <- sc.Err()
		}()
		waited := make(chan error, 1)
		go func() { waited <- cmd.Wait() }()
		var werr error
		killed := false
		exited := false
		if proc < c.kills {
			select { // the instant is in the logging, not in New (which replays the spool)
			case werr = <-waited:
				exited = true
			case <-first:
			}
		}
		switch {
		case exited:
		case proc < c.kills:
			select {
			case werr = <-waited:
			case <-time.After(time.Duration(rng.IntN(1000)) * time.Millisecond):
				_ = cmd.Process.Signal(syscall.SIGKILL)
				killed = true
				werr = <-waited
			}
		default:
			werr = <-waited
		}
		if err := <-read; err != nil {
			return nil, err
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			run.peakRSSMB = max(run.peakRSSMB, int((ru.Maxrss+1023)/1024))
		}
		if killed {
			run.kills++
			continue
		}
		if werr != nil || !ended {
			return nil, fmt.Errorf("-fault kill child %d: %v", proc, werr)
		}
		return run, nil
	}
}

// emitted is the number of records whose log call returned.
func (r *killRun) emitted() int {
	n := 0
	for _, ok := range r.returned {
		if ok {
			n++
		}
	}
	return n
}

// lost is the records whose log call returned, found neither in the collector nor in a
// fallback, less those the last process counted dropped.
func (r *killRun) lost(seen map[int64]int) int {
	n := 0
	for seq, ok := range r.returned {
		if ok && seen[int64(seq)] == 0 {
			n++
		}
	}
	return max(0, n-r.dropped)
}

// replayed is the Replayed count of the last process's Stats, -1 if they have none.
func (r *killRun) replayed() int {
	var s struct{ Replayed *int64 }
	if json.Unmarshal([]byte(r.stats), &s) != nil || s.Replayed == nil {
		return -1
	}
	return int(*s.Replayed)
}

func (r *killRun) p99() time.Duration {
	if len(r.durations) == 0 {
		return 0
	}
	slices.Sort(r.durations)
	return r.durations[min(len(r.durations)-1, len(r.durations)*99/100)]
}

// reportKill is run for -fault kill: the processes, then the accounting line.
func reportKill(c config, dir, endpoint string, col *collector) error {
	start := time.Now()
	run, err := runKill(c, dir, endpoint)
	if err != nil {
		return err
	}
	wall := time.Since(start)
	col.stop()
	seen := map[int64]int{}
	inCollector, err := col.count(seen, func(string, int64, int) {})
	if err != nil {
		return err
	}
	inFallback := 0
	fallbacks, _ := filepath.Glob(filepath.Join(dir, "fallback-*.jsonl"))
	for _, path := range fallbacks {
		n, err := countFallback(path, seen)
		if err != nil {
			return err
		}
		inFallback += n
	}
	fmt.Fprintf(os.Stderr, "logbench: %s kill over %s: %d processes killed, wall %v, last process's stats %s\n",
		c.pipeline, c.protocol, run.kills, wall.Round(time.Millisecond), run.stats)
	line := fmt.Sprintf("logbench pipeline=%s fault=kill emitted=%d collector=%d fallback=%d dropped=%d lost=%d duplicates=%d rate=%d peak_rss_mb=%d emit_p99_us=%d kills=%d",
		c.pipeline, run.emitted(), inCollector, inFallback, run.dropped, run.lost(seen), inCollector+inFallback-len(seen),
		int(float64(inCollector)/wall.Seconds()), run.peakRSSMB, int((run.p99()+time.Microsecond/2)/time.Microsecond), run.kills)
	if r := run.replayed(); r >= 0 {
		line += fmt.Sprintf(" replayed=%d", r)
	}
	fmt.Println(line)
	return nil
}
