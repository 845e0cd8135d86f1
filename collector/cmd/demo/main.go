// Command demo tells resilog's story against a real collector. make demo builds the
// binaries and runs it:
//
//	demo -collector bin/resilog-collector -orders bin/orders -config collector/config/local.yaml
//
// It starts the collector (receivers moved to free loopback ports) and the orders example,
// sends orders with request IDs — one with a card number and a password in it, a failing
// one, a panicking route, each with a background job — stops the collector for a few
// seconds mid-traffic and starts it again, then stops everything and prints where every
// record went: the accounting, one request's records grouped under its trace as the
// collector received them, and the redacted fields as they arrived. The last line is
//
//	demo: emitted=N collector=N fallback=N dropped=N lost=N
//
// It exits 0 only if nothing was lost. With -timeline FILE.svg (make demo writes
// demo-timeline.svg) it also draws where the records went over time, the outage shaded,
// and writes the numbers behind the picture to FILE.csv. Child processes are stopped on
// every exit path, Ctrl-C included.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/resilog/resilog/collector/collectortest"
)

func main() {
	collectorBin := flag.String("collector", "bin/resilog-collector", "resilog-collector binary")
	ordersBin := flag.String("orders", "bin/orders", "orders example binary")
	config := flag.String("config", "collector/config/local.yaml", "collector configuration")
	outage := flag.Duration("outage", 3*time.Second, "how long the collector is stopped mid-traffic")
	timeline := flag.String("timeline", "", "draw where the records went over time into this SVG file, and its numbers into the .csv beside it")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d := &demo{collectorBin: *collectorBin, ordersBin: *ordersBin, config: *config, outage: *outage, timeline: *timeline}
	err := d.run(ctx)
	d.cleanup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

type demo struct {
	collectorBin, ordersBin, config string
	outage                          time.Duration
	timeline                        string
	rec                             *recording
	dir                             string
	httpAddr, grpcAddr              string
	collector                       *exec.Cmd
	outputs                         []string
	procs                           []*exec.Cmd
}

// record is a log record as the collector or the fallback has it.
type record struct {
	ts                          time.Time
	level, traceID, body, reqID string
	attrs                       map[string]any
}

func (r record) key() string { return fmt.Sprintf("%d|%s", r.ts.UnixNano(), r.body) }

func (d *demo) run(ctx context.Context) error {
	var err error
	if d.dir, err = os.MkdirTemp("", "resilog-demo-"); err != nil {
		return err
	}
	if d.httpAddr, err = collectortest.FreeAddr(); err != nil {
		return err
	}
	if d.grpcAddr, err = collectortest.FreeAddr(); err != nil {
		return err
	}
	ordersAddr, err := collectortest.FreeAddr()
	if err != nil {
		return err
	}

	step("starting resilog-collector with %s (OTLP/HTTP on %s)", d.config, d.httpAddr)
	if err := d.startCollector(ctx); err != nil {
		return err
	}
	_, port, _ := net.SplitHostPort(ordersAddr)
	stats := filepath.Join(d.dir, "stats.json")
	var fallback bytes.Buffer
	var stdout io.Writer = &fallback
	if d.timeline != "" {
		d.rec = newRecording(d.outputs...)
		defer d.rec.stopped()
		stdout = d.rec.fallback(&fallback)
	}
	step("starting the orders example on %s (its fallback is its stdout)", ordersAddr)
	orders, err := d.start(d.ordersBin, stdout, []string{
		"PORT=" + port,
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://" + d.httpAddr,
		"OTEL_SERVICE_NAME=orders",
		"ORDERS_STATS_FILE=" + stats,
	})
	if err != nil {
		return err
	}
	if err := collectortest.WaitListening(ctx, ordersAddr, 30*time.Second); err != nil {
		return fmt.Errorf("orders: %w", err)
	}

	base := "http://" + ordersAddr
	step("sending traffic")
	send := func(method, path, id, body string) (int, error) {
		req, _ := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		req.Header.Set("X-Request-ID", id)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Printf("  %-4s %-8s X-Request-ID: %-13s %-72s -> %d\n", method, path, id, body, resp.StatusCode)
		return resp.StatusCode, nil
	}
	type call struct{ method, path, id, body string }
	first := []call{
		{"POST", "/orders", "demo-card", `{"user_id":88,"total":"149.99","card":"4111 1111 1111 1111","password":"hunter2"}`},
		{"POST", "/orders", "demo-2", `{"user_id":17,"total":"12.50"}`},
		{"POST", "/orders", "demo-bad", `{"user_id":0,"total":"oops"}`},
		{"GET", "/panic", "demo-panic", ""},
	}
	for _, c := range first {
		if _, err := send(c.method, c.path, c.id, c.body); err != nil {
			return err
		}
	}

	step("stopping the collector for %v while orders keep coming", d.outage)
	down := time.Now()
	d.stopCollector()
	for i := 0; i < 6; i++ {
		if _, err := send("POST", "/orders", fmt.Sprintf("demo-out-%d", i), fmt.Sprintf(`{"user_id":%d,"total":"%d.00"}`, 20+i, 5+i)); err != nil {
			return err
		}
		time.Sleep(d.outage / 6)
	}
	step("starting the collector again")
	if err := d.startCollector(ctx); err != nil {
		return err
	}
	if d.rec != nil {
		d.rec.run.Fault(down, time.Now(), "collector stopped")
	}
	for i := 0; i < 4; i++ {
		time.Sleep(700 * time.Millisecond)
		if _, err := send("POST", "/orders", fmt.Sprintf("demo-back-%d", i), fmt.Sprintf(`{"user_id":%d,"total":"%d.00"}`, 40+i, 30+i)); err != nil {
			return err
		}
	}

	step("stopping the orders service (it finishes its jobs and flushes) and the collector")
	if err := d.stop(orders, 15*time.Second); err != nil {
		return fmt.Errorf("orders: %w", err)
	}
	time.Sleep(500 * time.Millisecond) // the collector batches for 200ms
	d.stopCollector()
	if d.rec != nil {
		d.rec.stopped() // a last sample, now that the collector has written everything
	}

	// Where did every record go?
	var st struct {
		Emitted, Exported, Fallback, DroppedTotal uint64
		Dropped                                   map[string]uint64
	}
	b, err := os.ReadFile(stats)
	if err != nil {
		return fmt.Errorf("the orders service wrote no stats: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return err
	}
	atCollector, err := d.readCollector()
	if err != nil {
		return err
	}
	inFallback, err := readFallback(fallback.Bytes())
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, r := range append(append([]record(nil), atCollector...), inFallback...) {
		seen[r.key()] = true
	}
	lost := int(st.Emitted) - int(st.DroppedTotal) - len(seen)

	fmt.Printf("\nWhere every record went\n\n")
	fmt.Printf("  %-34s %6d\n", "emitted by the orders service", st.Emitted)
	fmt.Printf("  %-34s %6d   (%d by the service's own count)\n", "delivered to the collector", len(atCollector), st.Exported)
	fmt.Printf("  %-34s %6d   (stdout JSON lines while the collector was away)\n", "written to the fallback", len(inFallback))
	fmt.Printf("  %-34s %6d   %v\n", "dropped, counted", st.DroppedTotal, st.Dropped)
	fmt.Printf("  %-34s %6d\n", "lost", lost)

	fmt.Printf("\nOne request (X-Request-ID: demo-card) as the collector received it, under its trace\n\n")
	var traceID string
	for _, r := range atCollector {
		if r.reqID == "demo-card" {
			traceID = r.traceID
			break
		}
	}
	fmt.Printf("  trace %s\n", orDash(traceID))
	for _, r := range atCollector {
		if traceID != "" && r.traceID == traceID {
			fmt.Printf("    %s %-5s %-20s %s\n", r.ts.Format("15:04:05.000"), r.level, r.body, compact(r.attrs))
		}
	}

	fmt.Printf("\nRedacted before they left the process (as the collector received them)\n\n")
	for _, r := range atCollector {
		for k, v := range r.attrs {
			if s, ok := v.(string); ok && (strings.HasPrefix(s, "[REDACTED") || strings.HasPrefix(s, "****")) {
				fmt.Printf("    %-18s %-10s %s=%s\n", r.body, r.reqID, k, s)
			}
		}
	}
	if st.Emitted == 0 || len(atCollector) == 0 || len(inFallback) == 0 {
		return fmt.Errorf("the story is incomplete: emitted=%d collector=%d fallback=%d", st.Emitted, len(atCollector), len(inFallback))
	}
	line := fmt.Sprintf("demo: emitted=%d collector=%d fallback=%d dropped=%d lost=%d", st.Emitted, len(atCollector), len(inFallback), st.DroppedTotal, lost)
	if d.rec != nil {
		var delivered []record // each record once, wherever it arrived
		once := map[string]bool{}
		for _, r := range append(append([]record(nil), atCollector...), inFallback...) {
			if !once[r.key()] {
				once[r.key()] = true
				delivered = append(delivered, r)
			}
		}
		if err := d.rec.write(d.timeline, delivered, int(st.DroppedTotal), line); err != nil {
			return err
		}
	}
	fmt.Printf("\n%s\n", line)
	if lost != 0 {
		return fmt.Errorf("%d records lost", lost)
	}
	return nil
}

func step(format string, args ...any) { fmt.Printf("==> "+format+"\n", args...) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func compact(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != "exception.stacktrace" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%v ", k, m[k])
	}
	return strings.TrimSpace(b.String())
}

func (d *demo) startCollector(ctx context.Context) error {
	out := filepath.Join(d.dir, fmt.Sprintf("collector-%d.jsonl", len(d.outputs)))
	traces := filepath.Join(d.dir, fmt.Sprintf("collector-traces-%d.jsonl", len(d.outputs)))
	cmd, err := d.start(d.collectorBin, os.Stderr, []string{"RESILOG_COLLECTOR_OUT=" + out, "RESILOG_COLLECTOR_TRACES_OUT=" + traces},
		"--config", d.config,
		"--set=receivers.otlp.protocols.http.endpoint="+d.httpAddr,
		"--set=receivers.otlp.protocols.grpc.endpoint="+d.grpcAddr,
		"--set=service.pipelines.logs.exporters=[file/logs]",
		"--set=service.pipelines.traces.exporters=[file/traces]",
		"--set=exporters.file/logs.flush_interval=100ms") // what the timeline sees, 100 ms late at most
	if err != nil {
		return err
	}
	d.collector = cmd
	d.outputs = append(d.outputs, out)
	if d.rec != nil {
		d.rec.watch(out)
	}
	return collectortest.WaitListening(ctx, d.httpAddr, 30*time.Second)
}

func (d *demo) stopCollector() {
	if d.collector != nil {
		_ = d.stop(d.collector, 15*time.Second)
		d.collector = nil
	}
}

func (d *demo) start(bin string, stdout io.Writer, env []string, args ...string) (*exec.Cmd, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = stdout
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	d.procs = append(d.procs, cmd)
	return cmd, nil
}

// stop asks cmd to exit with SIGTERM and kills it if it has not within grace.
func (d *demo) stop(cmd *exec.Cmd, grace time.Duration) error {
	if cmd.Process == nil {
		return nil
	}
	err := collectortest.StopProcess(cmd, grace)
	cmd.Process = nil // cleanup skips it
	return err
}

// cleanup kills whatever is still running and removes the temporary directory.
func (d *demo) cleanup() {
	for _, cmd := range d.procs {
		if cmd.Process != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			_ = cmd.Wait()
		}
	}
	if d.dir != "" {
		os.RemoveAll(d.dir)
	}
}

// readCollector reads the logs file exporter's output of every incarnation: one OTLP/JSON
// request per line. The timeline, if any, learns when each line was written.
func (d *demo) readCollector() ([]record, error) {
	var recs []record
	var u plog.JSONUnmarshaler
	for _, path := range d.outputs {
		data, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
		var end int64
		for sc.Scan() {
			end = min(end+int64(len(sc.Bytes()))+1, int64(len(data)))
			if !bytes.Contains(sc.Bytes(), []byte(`"resourceLogs"`)) {
				continue
			}
			before := len(recs)
			ld, err := u.UnmarshalLogs(sc.Bytes())
			if err != nil {
				return nil, fmt.Errorf("collector output: %w", err)
			}
			for i := 0; i < ld.ResourceLogs().Len(); i++ {
				sls := ld.ResourceLogs().At(i).ScopeLogs()
				for j := 0; j < sls.Len(); j++ {
					lrs := sls.At(j).LogRecords()
					for k := 0; k < lrs.Len(); k++ {
						lr := lrs.At(k)
						r := record{ts: lr.Timestamp().AsTime(), level: lr.SeverityText(), body: lr.Body().AsString(), attrs: lr.Attributes().AsRaw()}
						if !lr.TraceID().IsEmpty() {
							r.traceID = lr.TraceID().String()
						}
						r.reqID, _ = r.attrs["request.id"].(string)
						recs = append(recs, r)
					}
				}
			}
			if d.rec != nil {
				d.rec.collectorLine(path, end, len(recs)-before)
			}
		}
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].ts.Before(recs[j].ts) })
	return recs, nil
}

// readFallback reads the orders service's stdout: resilog's JSON lines.
func readFallback(data []byte) ([]record, error) {
	var recs []record
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, fmt.Errorf("fallback line is not JSON: %s", sc.Text())
		}
		ts, err := time.Parse(time.RFC3339Nano, fmt.Sprint(m["time"]))
		if err != nil {
			return nil, fmt.Errorf("fallback line without a time: %s", sc.Text())
		}
		r := record{ts: ts, level: fmt.Sprint(m["level"]), body: fmt.Sprint(m["msg"])}
		r.traceID, _ = m["trace_id"].(string)
		r.reqID, _ = m["request_id"].(string)
		recs = append(recs, r)
	}
	return recs, sc.Err()
}
