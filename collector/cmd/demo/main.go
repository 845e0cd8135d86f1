// Command demo runs the orders example against a real resilog-collector and shows what the
// collector received. make demo builds both binaries and runs it:
//
//	demo -collector bin/resilog-collector -orders bin/orders -config collector/config/local.yaml
//
// It starts the collector with the given config (receivers moved to free loopback ports),
// starts the orders service pointed at it, sends a handful of requests, stops both, and
// prints the log records from the collector's file output with their trace IDs. It exits 0
// only if the collector received records; child processes are stopped on every exit path,
// Ctrl-C included.
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
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d := &demo{collectorBin: *collectorBin, ordersBin: *ordersBin, config: *config}
	err := d.run(ctx)
	d.cleanup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

type demo struct {
	collectorBin, ordersBin, config string
	dir                             string
	procs                           []*exec.Cmd
}

func (d *demo) run(ctx context.Context) error {
	var err error
	if d.dir, err = os.MkdirTemp("", "resilog-demo-"); err != nil {
		return err
	}
	httpAddr, grpcAddr, ordersAddr, err := freeAddrs()
	if err != nil {
		return err
	}
	out := filepath.Join(d.dir, "collector-out.jsonl")

	step("starting resilog-collector with %s (OTLP/HTTP %s, gRPC %s)", d.config, httpAddr, grpcAddr)
	col, err := d.start(d.collectorBin, []string{"RESILOG_COLLECTOR_OUT=" + out},
		"--config", d.config,
		"--set=receivers.otlp.protocols.http.endpoint="+httpAddr,
		"--set=receivers.otlp.protocols.grpc.endpoint="+grpcAddr,
		"--set=service.pipelines.logs.exporters=[file]",
		"--set=service.pipelines.traces.exporters=[file]")
	if err != nil {
		return err
	}
	if err := collectortest.WaitListening(ctx, httpAddr, 30*time.Second); err != nil {
		return fmt.Errorf("collector: %w", err)
	}

	_, port, _ := net.SplitHostPort(ordersAddr)
	step("starting the orders example on %s", ordersAddr)
	orders, err := d.start(d.ordersBin, []string{
		"PORT=" + port,
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://" + httpAddr,
		"OTEL_SERVICE_NAME=orders",
	})
	if err != nil {
		return err
	}
	if err := collectortest.WaitListening(ctx, ordersAddr, 30*time.Second); err != nil {
		return fmt.Errorf("orders: %w", err)
	}

	step("sending requests")
	bodies := []string{
		`{"user_id":88,"total":"149.99"}`,
		`{"user_id":17,"total":"12.50"}`,
		`{"user_id":42,"total":"980.00"}`,
		`{"user_id":0,"total":"oops"}`, // rejected: logged at ERROR with its exception
		`{"user_id":88,"total":"7.25"}`,
	}
	for _, b := range bodies {
		resp, err := http.Post("http://"+ordersAddr+"/orders", "application/json", strings.NewReader(b))
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Printf("  POST /orders %-34s -> %d\n", b, resp.StatusCode)
	}

	step("stopping the orders service (it flushes its logs and spans on the way out)")
	if err := d.stop(orders, 15*time.Second); err != nil {
		return fmt.Errorf("orders: %w", err)
	}
	// The collector batches for 200ms and its file exporter flushes on shutdown.
	time.Sleep(500 * time.Millisecond)
	step("stopping the collector")
	if err := d.stop(col, 15*time.Second); err != nil {
		return fmt.Errorf("collector: %w", err)
	}

	recs, err := readLogs(out)
	if err != nil {
		return err
	}
	fmt.Printf("\nThe collector received %d log records:\n\n", len(recs))
	fmt.Printf("%-8s %-32s %-16s %-18s %s\n", "LEVEL", "TRACE ID", "SPAN ID", "MESSAGE", "ATTRIBUTES")
	for _, r := range recs {
		fmt.Printf("%-8s %-32s %-16s %-18s %s\n", r.level, orDash(r.traceID), orDash(r.spanID), r.body, r.attrs)
	}
	if len(recs) == 0 {
		return errors.New("the collector received no log records")
	}
	fmt.Printf("\ndemo: %d records received by the collector\n", len(recs))
	return nil
}

func freeAddrs() (a, b, c string, err error) {
	if a, err = collectortest.FreeAddr(); err != nil {
		return
	}
	if b, err = collectortest.FreeAddr(); err != nil {
		return
	}
	c, err = collectortest.FreeAddr()
	return
}

func step(format string, args ...any) { fmt.Printf("==> "+format+"\n", args...) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (d *demo) start(bin string, env []string, args ...string) (*exec.Cmd, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = os.Stderr
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
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		cmd.Process = nil
		return err
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-done
		cmd.Process = nil
		return fmt.Errorf("did not exit within %v of SIGTERM", grace)
	}
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

type record struct {
	ts                           time.Time
	level, traceID, spanID, body string
	attrs                        string
}

// readLogs reads the file exporter's output: one OTLP/JSON request per line, logs and
// traces mixed.
func readLogs(path string) ([]record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading collector output: %w", err)
	}
	defer f.Close()
	var recs []record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	var u plog.JSONUnmarshaler
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.Contains(line, []byte(`"resourceLogs"`)) {
			continue
		}
		ld, err := u.UnmarshalLogs(line)
		if err != nil {
			return nil, fmt.Errorf("collector output: %w", err)
		}
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			sls := ld.ResourceLogs().At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				lrs := sls.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					lr := lrs.At(k)
					attrs, _ := json.Marshal(lr.Attributes().AsRaw())
					r := record{
						ts:    lr.Timestamp().AsTime(),
						level: lr.SeverityText(),
						body:  lr.Body().AsString(),
						attrs: string(attrs),
					}
					if !lr.TraceID().IsEmpty() {
						r.traceID = lr.TraceID().String()
						r.spanID = lr.SpanID().String()
					}
					recs = append(recs, r)
				}
			}
		}
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].ts.Before(recs[j].ts) })
	return recs, sc.Err()
}
