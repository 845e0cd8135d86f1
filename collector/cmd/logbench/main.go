// Command logbench measures what a logging pipeline delivers under load and faults. It
// starts the real collector (resilog-collector) as a separate process, optionally puts a
// fault proxy in front of it, emits records with a unique seq attribute through the
// pipeline, shuts down, and counts what arrived where. Its last line is
//
//	logbench pipeline=P fault=F emitted=N collector=N fallback=N dropped=N lost=N duplicates=N rate=N peak_rss_mb=N emit_p99_us=N
//
// where lost = emitted − dropped − |distinct seqs found in collector ∪ fallback|, rate is
// records received by the collector per second of wall time (first record to the end of
// shutdown), peak_rss_mb is this process's peak RSS (the collector runs in its own), and
// emit_p99_us is the 99th percentile of the log call's duration. -pipeline stock,resilog runs
// both pipelines, one after the other, over the same fault schedule, one such line each.
//
// -spool DIR runs the resilog pipeline with RESILOG_SPOOL_DIR=DIR. -fault kill runs the
// pipeline in child processes instead: each is SIGKILLed at a random instant within a
// second of its first returned log call (-kills times), the next starts on the same spool
// from the first seq whose log call had not returned, and the last one logs to the end and
// shuts down. There emitted is the records whose log call returned, lost those of them
// found neither in the collector nor in a fallback (less the ones the last process
// counted dropped), dropped and the replayed= the line ends with (with the Stats'
// Replayed) the last process's, peak_rss_mb the largest child's; kills= says how many
// processes were killed.
//
// -timeline FILE.svg draws where the records went over time, per 100 ms bucket (emitted,
// written by the collector, written to the fallback, dropped, never arrived), with the
// fault windows shaded and each run's accounting line as its caption, the pipelines side
// by side; the numbers behind it go to FILE.csv, the fault windows to FILE.faults.csv.
// See recording for each series' time axis.
//
//	cd collector && go run ./cmd/logbench -pipeline resilog -fault none -n 200000
//	cd collector && go run ./cmd/logbench -pipeline stock,resilog -fault flap -n 20000 -rate 2000 -timeline flap.svg
//	cd collector && go run ./cmd/logbench -pipeline resilog -fault kill -spool $(mktemp -d) -n 200000
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"google.golang.org/grpc/codes"

	"github.com/resilog/resilog"
	"github.com/resilog/resilog/collector/collectortest"
	"github.com/resilog/resilog/collector/faultproxy"
	"github.com/resilog/resilog/exporter"
)

// faultWindow is how long -fault 503 answers every request with 503 / Unavailable and a
// retry delay of 1s, from the start of the run.
const faultWindow = 3 * time.Second

type config struct {
	pipeline, fault, protocol, collectorBin string
	topology, configs                       string
	n, rate, queue                          int
	shutdown                                time.Duration
	keep                                    bool
	cpuprofile                              string
	timeline                                string
	spool                                   string // RESILOG_SPOOL_DIR of the resilog pipeline
	kills                                   int    // -fault kill: processes killed
}

func main() {
	if spec := os.Getenv(killChildEnv); spec != "" {
		if err := runKillChild(spec); err != nil {
			fmt.Fprintln(os.Stderr, "logbench: -fault kill child:", err)
			os.Exit(1)
		}
		return
	}
	var c config
	flag.StringVar(&c.pipeline, "pipeline", "resilog", "resilog or stock (otelslog + SDK BatchProcessor + OTLP exporter), or both, comma-separated, run one after the other")
	flag.StringVar(&c.fault, "fault", "none", "none; down (no collector); flap (stopped 1s at 1/4, 1/2, 3/4 of the run); hang (TCP accepted, never answered); 503 (503/Unavailable with a 1s retry delay for the first 3s); kill (the pipeline runs in a child process, SIGKILLed -kills times at random instants and restarted on the same -spool)")
	flag.StringVar(&c.protocol, "protocol", "http", "http or grpc")
	flag.IntVar(&c.n, "n", 100000, "records to emit")
	flag.IntVar(&c.rate, "rate", 0, "records per second; 0 = as fast as possible")
	flag.IntVar(&c.queue, "queue", 2048, "stock pipeline: BatchProcessor queue size")
	flag.DurationVar(&c.shutdown, "shutdown", 30*time.Second, "shutdown deadline")
	flag.StringVar(&c.collectorBin, "collector", "", "resilog-collector binary (default: build it)")
	flag.BoolVar(&c.keep, "keep", false, "keep the work directory")
	flag.StringVar(&c.topology, "topology", "direct", "direct (to one collector) or agent-gateway (resilog to config/agent.yaml forwarding to two config/gateway.yaml, beside the direct rate)")
	flag.StringVar(&c.configs, "configs", "", "-topology agent-gateway: directory of agent.yaml and gateway.yaml (default: config or collector/config)")
	flag.StringVar(&c.cpuprofile, "cpuprofile", "", "write this process's CPU profile of the run to a file")
	flag.StringVar(&c.spool, "spool", "", "resilog pipeline: spool directory (RESILOG_SPOOL_DIR); it should be empty, as records an earlier run left there are delivered too")
	flag.IntVar(&c.kills, "kills", 10, "-fault kill: how many times a process is killed, each within 1s of its first returned log call, before the last one runs to the end")
	flag.StringVar(&c.timeline, "timeline", "", "draw where the records went over time into this SVG file, its numbers into the .csv and its fault windows into the .faults.csv beside it")
	flag.Parse()
	var recs []*recording
	for _, pipeline := range strings.Split(c.pipeline, ",") {
		c := c
		c.pipeline = pipeline
		rec := newRecording(c)
		if err := run(c, rec); err != nil {
			fmt.Fprintln(os.Stderr, "logbench:", err)
			os.Exit(1)
		}
		recs = append(recs, rec)
	}
	if c.timeline != "" {
		if err := writeTimeline(c.timeline, recs); err != nil {
			fmt.Fprintln(os.Stderr, "logbench:", err)
			os.Exit(1)
		}
	}
}

// run runs one pipeline, recording its timeline in rec if not nil.
func run(c config, rec *recording) error {
	switch {
	case c.pipeline != "resilog" && c.pipeline != "stock":
		return fmt.Errorf("-pipeline %q: want resilog or stock", c.pipeline)
	case !slices.Contains([]string{"none", "down", "flap", "hang", "503", "kill"}, c.fault):
		return fmt.Errorf("-fault %q: want none, down, flap, hang, 503 or kill", c.fault)
	case c.fault == "kill" && (c.topology == "agent-gateway" || c.timeline != "" || c.kills < 0):
		return errors.New("-fault kill: not with -topology agent-gateway or -timeline; -kills not negative")
	case c.protocol != "http" && c.protocol != "grpc":
		return fmt.Errorf("-protocol %q: want http or grpc", c.protocol)
	case c.n <= 0 || c.rate < 0 || c.queue <= 0:
		return errors.New("-n and -queue must be positive, -rate not negative")
	case !slices.Contains([]string{"", "direct", "agent-gateway"}, c.topology): // "": direct
		return fmt.Errorf("-topology %q: want direct or agent-gateway", c.topology)
	}
	dir, err := os.MkdirTemp("", "logbench-")
	if err != nil {
		return err
	}
	if !c.keep {
		defer os.RemoveAll(dir)
	}
	if c.collectorBin == "" {
		c.collectorBin = filepath.Join(dir, "resilog-collector")
		fmt.Fprintln(os.Stderr, "logbench: building resilog-collector")
		build := exec.Command("go", "build", "-o", c.collectorBin, "github.com/resilog/resilog/collector/cmd/resilog-collector")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building the collector: %w", err)
		}
	}
	if c.topology == "agent-gateway" {
		return runTopology(c, dir)
	}

	col, err := newCollector(c.collectorBin, dir)
	if err != nil {
		return err
	}
	defer col.kill()
	if c.fault != "down" {
		if err := col.start(); err != nil {
			return err
		}
	}

	rec.startClock() // the timeline starts with the fault schedule
	// Where the pipeline sends: the collector, or a proxy in front of it.
	target := col.httpAddr
	if c.protocol == "grpc" {
		target = col.grpcAddr
	}
	endpoint := "http://" + target
	switch c.fault {
	case "hang":
		p, err := faultproxy.NewTCP(target)
		if err != nil {
			return err
		}
		defer p.Close()
		p.SetHang(true)
		endpoint = "http://" + p.Addr()
	case "503":
		if c.protocol == "grpc" {
			p, err := faultproxy.NewGRPC(target)
			if err != nil {
				return err
			}
			defer p.Close()
			p.Fail(codes.Unavailable, time.Second, -1)
			time.AfterFunc(faultWindow, func() { p.Fail(codes.OK, 0, 0) })
			rec.fault(time.Now(), time.Now().Add(faultWindow), "Unavailable + RetryInfo 1s")
			endpoint = p.URL()
		} else {
			p, err := faultproxy.NewHTTP(endpoint)
			if err != nil {
				return err
			}
			defer p.Close()
			p.Fail(http.StatusServiceUnavailable, "1", -1)
			time.AfterFunc(faultWindow, func() { p.Fail(0, "", 0) })
			rec.fault(time.Now(), time.Now().Add(faultWindow), "503 + Retry-After: 1")
			endpoint = p.URL()
		}
	}

	if c.fault == "kill" {
		return reportKill(c, dir, endpoint, col)
	}
	fallbackPath := filepath.Join(dir, "fallback.jsonl")
	pl, err := newPipeline(c, endpoint, fallbackPath, rec)
	if err != nil {
		return err
	}
	rec.begin(col, pl)

	// Flaps: the collector process is stopped, left stopped for 1s and started again, at a
	// quarter, half and three quarters of the run, one after the other: a flap asked for
	// while the previous restart has not finished waits for it. The fault window is the
	// outage as it was: from the moment the collector had exited (stop returned) to the
	// moment it was serving again (start returned, both ports listening), so slow stops
	// and starts do not stretch it and show in it.
	flaps := make(chan struct{}, 3)
	var flapping sync.WaitGroup
	if c.fault == "flap" {
		flapping.Add(1)
		go func() {
			defer flapping.Done()
			for range flaps {
				col.stop()
				down := time.Now()
				time.Sleep(time.Second)
				if err := col.start(); err != nil {
					fmt.Fprintln(os.Stderr, "logbench: restarting the collector:", err)
				}
				rec.fault(down, time.Now(), "collector down")
			}
		}()
	}

	if c.cpuprofile != "" {
		f, err := os.Create(c.cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer f.Close()
	}
	durations := make([]time.Duration, c.n)
	ctx := context.Background()
	start := time.Now()
	for i := range c.n {
		if c.fault == "flap" && (i == c.n/4 || i == c.n/2 || i == 3*c.n/4) {
			flaps <- struct{}{}
		}
		if c.rate > 0 {
			if d := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(c.rate))); d > 0 {
				time.Sleep(d)
			}
		}
		t0 := time.Now()
		pl.log.InfoContext(ctx, "order created", "seq", i,
			"order_id", 1000+i, "user_id", 88, "total", "149.99", "currency", "EUR")
		durations[i] = time.Since(t0)
		rec.emitted(i, t0)
	}
	emitted := time.Since(start)
	close(flaps)
	flapping.Wait()
	sctx, cancel := context.WithTimeout(ctx, c.shutdown)
	if err := pl.shutdown(sctx); err != nil {
		fmt.Fprintln(os.Stderr, "logbench: shutdown:", err)
	}
	cancel()
	wall := time.Since(start)
	if c.cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	dropped := pl.dropped()
	peak := peakRSSMB()
	var self syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	cpu := time.Duration(self.Utime.Nano() + self.Stime.Nano())

	col.stop()
	rec.end()
	seen := map[int64]int{}
	inCollector, err := col.count(seen, rec.collectorMessage)
	if err != nil {
		return err
	}
	inFallback, err := countFallback(fallbackPath, seen)
	if err != nil {
		return err
	}
	lost := c.n - dropped - len(seen)
	dups := inCollector + inFallback - len(seen)
	slices.Sort(durations)
	p99 := durations[min(len(durations)-1, len(durations)*99/100)]
	var children syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	fmt.Fprintf(os.Stderr, "logbench: %s %s over %s: emitting took %v, wall %v, cpu %v (collector %v), stats %s\n",
		c.pipeline, c.fault, c.protocol, emitted.Round(time.Millisecond), wall.Round(time.Millisecond),
		cpu.Round(time.Millisecond), time.Duration(children.Utime.Nano()+children.Stime.Nano()).Round(time.Millisecond), pl.describe())
	line := fmt.Sprintf("logbench pipeline=%s fault=%s emitted=%d collector=%d fallback=%d dropped=%d lost=%d duplicates=%d rate=%d peak_rss_mb=%d emit_p99_us=%d",
		c.pipeline, c.fault, c.n, inCollector, inFallback, dropped, lost, dups,
		int(float64(inCollector)/wall.Seconds()), peak, int((p99+time.Microsecond/2)/time.Microsecond))
	fmt.Println(line)
	rec.finish(c.fault, seen, line)
	return nil
}

// pipeline is the system under test.
type pipeline struct {
	log      *slog.Logger
	shutdown func(context.Context) error
	dropped  func() int
	describe func() string
}

func newPipeline(c config, endpoint, fallbackPath string, rec *recording) (*pipeline, error) {
	ctx := context.Background()
	if c.pipeline == "stock" {
		var exp sdklog.Exporter
		var err error
		if c.protocol == "grpc" {
			exp, err = otlploggrpc.New(ctx, otlploggrpc.WithEndpointURL(endpoint))
		} else {
			exp, err = otlploghttp.New(ctx, otlploghttp.WithEndpointURL(endpoint+"/v1/logs"))
		}
		if err != nil {
			return nil, err
		}
		lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(exp, sdklog.WithMaxQueueSize(c.queue))))
		return &pipeline{
			log:      slog.New(otelslog.NewHandler("logbench", otelslog.WithLoggerProvider(lp))),
			shutdown: lp.Shutdown,
			dropped:  func() int { return 0 }, // the stock stack does not say
			describe: func() string { return fmt.Sprintf("queue=%d", c.queue) },
		}, nil
	}
	f, err := os.Create(fallbackPath)
	if err != nil {
		return nil, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if c.spool != "" {
		if err := os.Setenv("RESILOG_SPOOL_DIR", c.spool); err != nil {
			return nil, err
		}
	}
	proto := exporter.ProtocolHTTP
	if c.protocol == "grpc" {
		proto = exporter.ProtocolGRPC
	}
	p, err := resilog.New(ctx,
		resilog.WithServiceName("logbench"),
		resilog.WithProtocol(proto),
		resilog.WithEndpoint(endpoint),
		resilog.WithFallback(exporter.NewJSONLines(rec.fallback(w))))
	if err != nil {
		return nil, err
	}
	return &pipeline{
		log: p.Logger("logbench"),
		shutdown: func(ctx context.Context) error {
			err := p.Shutdown(ctx)
			return errors.Join(err, w.Flush(), f.Close())
		},
		dropped: func() int { return int(p.Stats().DroppedTotal) },
		describe: func() string {
			s, _ := json.Marshal(p.Stats())
			return string(s)
		},
	}, nil
}

// collector runs resilog-collector as a child process writing what it receives, as
// length-prefixed OTLP protobuf, to one file per start.
type collector struct {
	bin, dir, httpAddr, grpcAddr, config string
	mu                                   sync.Mutex
	cmd                                  *exec.Cmd
	outputs                              []string
}

func newCollector(bin, dir string) (*collector, error) {
	httpAddr, err := collectortest.FreeAddr()
	if err != nil {
		return nil, err
	}
	grpcAddr, err := collectortest.FreeAddr()
	if err != nil {
		return nil, err
	}
	c := &collector{bin: bin, dir: dir, httpAddr: httpAddr, grpcAddr: grpcAddr, config: filepath.Join(dir, "collector.yaml")}
	cfg := fmt.Sprintf(`receivers:
  otlp:
    protocols:
      http:
        endpoint: %s
      grpc:
        endpoint: %s
processors:
  batch:
    timeout: 200ms
exporters:
  file:
    path: ${env:LOGBENCH_OUT}
    format: proto
    flush_interval: 100ms
service:
  telemetry:
    logs:
      level: warn
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [file]
`, c.httpAddr, c.grpcAddr)
	return c, os.WriteFile(c.config, []byte(cfg), 0o600)
}

func (c *collector) start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := filepath.Join(c.dir, fmt.Sprintf("collector-%d.pb", len(c.outputs)))
	cmd := exec.Command(c.bin, "--config", c.config)
	cmd.Env = append(os.Environ(), "LOGBENCH_OUT="+out)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	c.cmd = cmd
	c.outputs = append(c.outputs, out)
	for _, addr := range []string{c.httpAddr, c.grpcAddr} {
		if err := collectortest.WaitListening(context.Background(), addr, 30*time.Second); err != nil {
			return fmt.Errorf("collector: %w", err)
		}
	}
	return nil
}

// stop asks the collector to exit (it flushes its file) and waits.
func (c *collector) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil {
		return
	}
	_ = collectortest.StopProcess(c.cmd, 30*time.Second)
	c.cmd = nil
}

func (c *collector) kill() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd != nil {
		_ = c.cmd.Process.Kill()
		_ = c.cmd.Wait()
		c.cmd = nil
	}
}

// count adds every seq the collector wrote to seen and returns how many records it wrote.
// It tells each message's records to onMessage with where the message ends in its file.
func (c *collector) count(seen map[int64]int, onMessage func(path string, end int64, records int)) (int, error) {
	total := 0
	var u plog.ProtoUnmarshaler
	for _, path := range c.outputs {
		data, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		size := len(data)
		for len(data) >= 4 {
			n := int(binary.BigEndian.Uint32(data))
			if len(data) < 4+n {
				return 0, fmt.Errorf("%s: truncated message", path)
			}
			ld, err := u.UnmarshalLogs(data[4 : 4+n])
			if err != nil {
				return 0, fmt.Errorf("%s: %w", path, err)
			}
			data = data[4+n:]
			end := int64(size - len(data))
			before := total
			rls := ld.ResourceLogs()
			for i := 0; i < rls.Len(); i++ {
				sls := rls.At(i).ScopeLogs()
				for j := 0; j < sls.Len(); j++ {
					lrs := sls.At(j).LogRecords()
					for k := 0; k < lrs.Len(); k++ {
						if v, ok := lrs.At(k).Attributes().Get("seq"); ok {
							seen[v.Int()]++
							total++
						}
					}
				}
			}
			onMessage(path, end, total-before)
		}
	}
	return total, nil
}

func countFallback(path string, seen map[int64]int) (int, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	total := 0
	r := bufio.NewReaderSize(f, 1<<20)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			i := bytes.Index(line, []byte(`"seq":`))
			if i < 0 {
				return 0, fmt.Errorf("fallback line without seq: %s", line)
			}
			rest := line[i+6:]
			end := bytes.IndexAny(rest, ",}")
			seq, perr := strconv.ParseInt(string(rest[:end]), 10, 64)
			if perr != nil {
				return 0, fmt.Errorf("fallback seq: %w", perr)
			}
			seen[seq]++
			total++
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// peakRSSMB reads this process's peak resident set (VmHWM) from /proc.
func peakRSSMB() int {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.Atoi(f[1])
				return (kb + 1023) / 1024
			}
		}
	}
	return -1
}
