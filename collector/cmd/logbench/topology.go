package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/resilog/resilog"
	"github.com/resilog/resilog/collector/collectortest"
	"github.com/resilog/resilog/exporter"
)

// topologyServices is how many services (resilog pipelines, one service.name each) send
// through the agent in -topology agent-gateway.
const topologyServices = 4

// runTopology measures -topology agent-gateway: resilog → the shipped config/agent.yaml →
// two config/gateway.yaml, each forwarding to an in-process collector that stands for the
// backend. It first runs the same load straight to one collector for the direct rate, then
// prints
//
//	logbench topology=agent-gateway emitted=N at_agent=N fallback=N dropped=N at_gateways=N gateway1=N gateway2=N lost=N duplicates=N rate=N direct_rate=N
//
// where emitted = at_agent + fallback + dropped (resilog's Stats), at_gateways counts the
// distinct records the gateways forwarded, lost = emitted − dropped − |forwarded ∪ fallback|,
// and rate is records forwarded per second of wall time (first record until the last one
// left a gateway).
func runTopology(c config, dir string) error {
	if c.pipeline != "resilog" || c.fault != "none" || c.protocol != "http" || c.timeline != "" {
		return errors.New("-topology agent-gateway runs the resilog pipeline over http, without a fault or a timeline")
	}
	configs, err := findConfigs(c.configs)
	if err != nil {
		return err
	}
	direct, err := directRate(c, dir)
	if err != nil {
		return fmt.Errorf("direct run: %w", err)
	}

	var sinks [2]*collectortest.Collector
	var gatewayAddrs [2]string
	var children []*child
	defer func() {
		for _, ch := range children {
			ch.stop()
		}
		for _, s := range sinks {
			if s != nil {
				s.Stop()
			}
		}
	}()
	for i := range sinks {
		backendDir := filepath.Join(dir, fmt.Sprintf("backend-%d", i+1))
		if err := os.MkdirAll(backendDir, 0o700); err != nil {
			return err
		}
		if sinks[i], err = collectortest.New(backendDir); err != nil {
			return err
		}
		if err := sinks[i].Start(); err != nil {
			return err
		}
		if gatewayAddrs[i], err = collectortest.FreeAddr(); err != nil {
			return err
		}
		gw := &child{bin: c.collectorBin, config: filepath.Join(configs, "gateway.yaml"), listen: []string{gatewayAddrs[i]}, env: []string{
			"OTLP_GRPC_LISTEN=" + gatewayAddrs[i],
			"LOKI_OTLP_ENDPOINT=" + sinks[i].HTTPEndpoint(),
			"TEMPO_OTLP_ENDPOINT=" + sinks[i].GRPCAddr(),
		}}
		children = append(children, gw)
		if err := gw.start(); err != nil {
			return fmt.Errorf("gateway-%d: %w", i+1, err)
		}
	}
	agentHTTP, err := collectortest.FreeAddr()
	if err != nil {
		return err
	}
	agentGRPC, err := collectortest.FreeAddr()
	if err != nil {
		return err
	}
	agent := &child{bin: c.collectorBin, config: filepath.Join(configs, "agent.yaml"), listen: []string{agentHTTP, agentGRPC}, env: []string{
		"OTLP_HTTP_LISTEN=" + agentHTTP,
		"OTLP_GRPC_LISTEN=" + agentGRPC,
		fmt.Sprintf("RESILOG_GATEWAYS=[%s, %s]", gatewayAddrs[0], gatewayAddrs[1]),
		"RESILOG_AGENT_QUEUE_DIR=" + filepath.Join(dir, "agent-queue"),
	}}
	children = append(children, agent)
	if err := agent.start(); err != nil {
		return fmt.Errorf("agent: %w", err)
	}

	type service struct {
		p            *resilog.Pipeline
		f            *os.File
		w            *bufio.Writer
		fallbackPath string
	}
	svcs := make([]*service, topologyServices)
	for i := range svcs {
		s := &service{fallbackPath: filepath.Join(dir, fmt.Sprintf("fallback-%d.jsonl", i))}
		if s.f, err = os.Create(s.fallbackPath); err != nil {
			return err
		}
		s.w = bufio.NewWriterSize(s.f, 1<<20)
		if s.p, err = resilog.New(context.Background(),
			resilog.WithServiceName(fmt.Sprintf("logbench-%d", i)),
			resilog.WithEndpoint("http://"+agentHTTP),
			resilog.WithFallback(exporter.NewJSONLines(s.w))); err != nil {
			return err
		}
		svcs[i] = s
	}
	loggers := make([]func(seq int), len(svcs))
	for i, s := range svcs {
		l := s.p.Logger("logbench")
		loggers[i] = func(seq int) {
			l.InfoContext(context.Background(), "order created", "seq", seq,
				"order_id", 1000+seq, "user_id", 88, "total", "149.99", "currency", "EUR")
		}
	}

	start := time.Now()
	emitPaced(c, func(seq int) { loggers[seq%len(loggers)](seq) })
	emitted := time.Since(start)
	var a topologyAccount
	a.emitted = c.n
	for _, s := range svcs {
		ctx, cancel := context.WithTimeout(context.Background(), c.shutdown)
		if err := s.p.Shutdown(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "logbench: shutdown:", err)
		}
		cancel()
		if err := errors.Join(s.w.Flush(), s.f.Close()); err != nil {
			return err
		}
		st := s.p.Stats()
		a.atAgent += int(st.Exported)
		a.dropped += int(st.DroppedTotal)
	}

	accepted := time.Since(start)

	// The agent forwards from its disk queue after the services are gone: wait until every
	// record it accepted left a gateway, or the shutdown deadline passes.
	inFallback := map[int64]int{}
	for _, s := range svcs {
		n, err := countFallback(s.fallbackPath, inFallback)
		if err != nil {
			return err
		}
		a.fallback += n
	}
	var forwarded map[int64]int
	deadline := time.Now().Add(c.shutdown)
	for {
		forwarded = map[int64]int{}
		for i, s := range sinks {
			a.gateway[i] = 0
			for _, r := range s.Logs() {
				if seq, ok := r.Attributes["seq"].(int64); ok {
					forwarded[seq]++
					a.gateway[i]++
				}
			}
		}
		if len(forwarded) >= a.atAgent || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	wall := time.Since(start)
	seen := map[int64]int{}
	for seq, n := range forwarded {
		seen[seq] += n
	}
	for seq, n := range inFallback {
		seen[seq] += n
	}
	a.atGateways = len(forwarded)
	a.lost = a.emitted - a.dropped - len(seen)
	a.duplicates = a.gateway[0] + a.gateway[1] + a.fallback - len(seen)
	fmt.Fprintf(os.Stderr, "logbench: agent-gateway: %d services, emitting took %v, shut down at %v, all forwarded at %v\n",
		len(svcs), emitted.Round(time.Millisecond), accepted.Round(time.Millisecond), wall.Round(time.Millisecond))
	fmt.Printf("logbench topology=agent-gateway emitted=%d at_agent=%d fallback=%d dropped=%d at_gateways=%d gateway1=%d gateway2=%d lost=%d duplicates=%d rate=%d direct_rate=%d\n",
		a.emitted, a.atAgent, a.fallback, a.dropped, a.atGateways, a.gateway[0], a.gateway[1], a.lost, a.duplicates,
		int(float64(a.atGateways)/wall.Seconds()), direct)
	return nil
}

type topologyAccount struct {
	emitted, atAgent, fallback, dropped, atGateways, lost, duplicates int
	gateway                                                           [2]int
}

// directRate runs the same load from one resilog pipeline straight to one collector process
// and returns the records it received per second of wall time, as -topology direct does.
func directRate(c config, dir string) (int, error) {
	dir = filepath.Join(dir, "direct")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, err
	}
	col, err := newCollector(c.collectorBin, dir)
	if err != nil {
		return 0, err
	}
	defer col.kill()
	if err := col.start(); err != nil {
		return 0, err
	}
	pl, err := newPipeline(c, "http://"+col.httpAddr, filepath.Join(dir, "fallback.jsonl"), nil)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	emitPaced(c, func(seq int) {
		pl.log.InfoContext(context.Background(), "order created", "seq", seq,
			"order_id", 1000+seq, "user_id", 88, "total", "149.99", "currency", "EUR")
	})
	ctx, cancel := context.WithTimeout(context.Background(), c.shutdown)
	defer cancel()
	if err := pl.shutdown(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "logbench: direct shutdown:", err)
	}
	wall := time.Since(start)
	col.stop()
	received, err := col.count(map[int64]int{}, func(string, int64, int) {})
	if err != nil {
		return 0, err
	}
	fmt.Fprintf(os.Stderr, "logbench: direct: %d received, wall %v\n", received, wall.Round(time.Millisecond))
	return int(float64(received) / wall.Seconds()), nil
}

// emitPaced calls emit(seq) for seq in [0, c.n), at c.rate records per second (0: flat out).
func emitPaced(c config, emit func(seq int)) {
	start := time.Now()
	for i := range c.n {
		if c.rate > 0 {
			if d := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(c.rate))); d > 0 {
				time.Sleep(d)
			}
		}
		emit(i)
	}
}

// findConfigs returns the directory holding agent.yaml and gateway.yaml: dir if given, else
// config/ (run from collector/) or collector/config/ (run from the repository root).
func findConfigs(dir string) (string, error) {
	candidates := []string{dir}
	if dir == "" {
		candidates = []string{"config", filepath.Join("collector", "config")}
	}
	for _, d := range candidates {
		if _, err := os.Stat(filepath.Join(d, "agent.yaml")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("agent.yaml not found in %v: pass -configs", candidates)
}

// child is a resilog-collector process of the topology.
type child struct {
	bin, config string
	env, listen []string
	cmd         *exec.Cmd
}

func (ch *child) start() error {
	cmd := exec.Command(ch.bin, "--config", ch.config)
	cmd.Env = append(os.Environ(), ch.env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	ch.cmd = cmd
	for _, addr := range ch.listen {
		if err := collectortest.WaitListening(context.Background(), addr, 30*time.Second); err != nil {
			return err
		}
	}
	return nil
}

func (ch *child) stop() {
	if ch.cmd != nil {
		_ = collectortest.StopProcess(ch.cmd, 30*time.Second)
		ch.cmd = nil
	}
}
