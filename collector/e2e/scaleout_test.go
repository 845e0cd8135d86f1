package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/otelcol"

	"github.com/resilog/resilog"
	"github.com/resilog/resilog/collector/collectortest"
	"github.com/resilog/resilog/collector/distribution"
	"github.com/resilog/resilog/exporter"
)

// TestAgentGatewayChain runs the shipped config/agent.yaml and config/gateway.yaml as
// separate resilog-collector processes on loopback (this test binary, see TestMain): one
// agent and two gateways, each gateway's "Loki" an in-process collector that records what it
// forwarded. Sixteen services send 50,000 records through the agent. Mid-run one gateway is
// SIGKILLed and restarted 5 s later, and while it is down (its services' records waiting in
// the agent's persistent queue) the agent is SIGKILLed and restarted on the same queue
// directory. Every record the agent accepted must leave a gateway; the ones it did not accept
// are in resilog's fallback; each service's records go through one gateway.
func TestAgentGatewayChain(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the collector as three processes for about 20 s")
	}
	const (
		// Sixteen, so that consistent hashing leaves one gateway without a service only
		// once in 2^15 runs (the ring depends on the gateways' random ports).
		services = 16
		records  = 50_000
		emitFor  = 14 * time.Second
	)
	dir := t.TempDir()
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}

	// The gateways' backends, and then the tier itself.
	var sinks [2]*collectortest.Collector
	var gateways [2]*process
	var gatewayAddrs []string
	for i := range gateways {
		sinks[i] = collectortest.Start(t)
		addr := freeAddr(t)
		gatewayAddrs = append(gatewayAddrs, addr)
		gateways[i] = startProcess(t, dir, fmt.Sprintf("gateway-%d", i+1), bin, "../config/gateway.yaml", []string{addr},
			"OTLP_GRPC_LISTEN="+addr,
			"LOKI_OTLP_ENDPOINT="+sinks[i].HTTPEndpoint(),
			"TEMPO_OTLP_ENDPOINT="+sinks[i].GRPCAddr())
	}
	agentHTTP, agentGRPC := freeAddr(t), freeAddr(t)
	agent := startProcess(t, dir, "agent", bin, "../config/agent.yaml", []string{agentHTTP, agentGRPC},
		"OTLP_HTTP_LISTEN="+agentHTTP,
		"OTLP_GRPC_LISTEN="+agentGRPC,
		"RESILOG_GATEWAYS=["+strings.Join(gatewayAddrs, ", ")+"]",
		"RESILOG_AGENT_QUEUE_DIR="+filepath.Join(dir, "agent-queue"))

	// One resilog pipeline per service, as separate processes would have.
	type service struct {
		name     string
		p        *resilog.Pipeline
		fallback *lockedBuffer
		log      interface {
			InfoContext(ctx context.Context, msg string, args ...any)
		}
	}
	svcs := make([]*service, services)
	for i := range svcs {
		s := &service{name: fmt.Sprintf("svc-%d", i), fallback: new(lockedBuffer)}
		p := newPipeline(t,
			resilog.WithServiceName(s.name),
			resilog.WithEndpoint("http://"+agentHTTP),
			resilog.WithFallback(exporter.NewJSONLines(s.fallback)))
		s.p, s.log = p, p.Logger("github.com/resilog/resilog/collector/e2e")
		svcs[i] = s
	}

	// The faults, on their own clock while the records flow.
	start := time.Now()
	var faults sync.WaitGroup
	faults.Add(1)
	go func() {
		defer faults.Done()
		sleepUntil(start.Add(3 * time.Second))
		// Kill the busier gateway, so the outage holds records back.
		victim := 0
		if len(sinks[1].Logs()) > len(sinks[0].Logs()) {
			victim = 1
		}
		gateways[victim].kill()
		killedAt := time.Now()
		t.Logf("%v: SIGKILLed gateway-%d", time.Since(start).Round(time.Millisecond), victim+1)

		sleepUntil(killedAt.Add(time.Second))
		agent.kill()
		t.Logf("%v: SIGKILLed the agent", time.Since(start).Round(time.Millisecond))
		agent.start()
		t.Logf("%v: agent restarted on its queue", time.Since(start).Round(time.Millisecond))

		sleepUntil(killedAt.Add(5 * time.Second))
		gateways[victim].start()
		t.Logf("%v: gateway-%d restarted", time.Since(start).Round(time.Millisecond), victim+1)
	}()

	ctx := context.Background()
	for seq := range records {
		sleepUntil(start.Add(time.Duration(seq) * emitFor / records))
		svcs[seq%services].log.InfoContext(ctx, "order created", "seq", seq, "order_id", 1000+seq)
	}
	faults.Wait()
	t.Logf("%v: %d records emitted", time.Since(start).Round(time.Millisecond), records)
	for _, s := range svcs {
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		if err := s.p.Shutdown(sctx); err != nil {
			t.Errorf("%s: Shutdown: %v", s.name, err)
		}
		cancel()
	}

	// What resilog says it did, and where each record it did not keep is.
	var c chainAccount
	c.emitted = records
	inFallback := map[int64]bool{}
	for _, s := range svcs {
		st := s.p.Stats() // each pipeline's own balance is the harness's check (newPipeline)
		c.atAgent += int(st.Exported)
		c.dropped += int(st.DroppedTotal)
		lines := s.fallback.lines()
		if uint64(len(lines)) != st.Fallback {
			t.Errorf("%s: fallback wrote %d lines, Stats says %d", s.name, len(lines), st.Fallback)
		}
		for _, line := range lines {
			var m struct {
				Seq *int64 `json:"seq"`
			}
			if err := json.Unmarshal(line, &m); err != nil || m.Seq == nil {
				t.Fatalf("fallback line without seq: %s", line)
			}
			inFallback[*m.Seq] = true
			c.fallback++
		}
	}
	if c.emitted != c.atAgent+c.fallback+c.dropped {
		t.Errorf("emitted %d != at agent %d + fallback %d + dropped %d", c.emitted, c.atAgent, c.fallback, c.dropped)
	}

	// Wait for the agent's queue to drain into the gateways: every record not in a fallback
	// (and not dropped, which resilog counted) must arrive.
	deadline := time.Now().Add(45 * time.Second)
	var perGateway [2]map[int64]int
	var routes map[string][]int
	for {
		perGateway[0], perGateway[1] = map[int64]int{}, map[int64]int{}
		routes = map[string][]int{}
		for g, sink := range sinks {
			for _, r := range sink.Logs() {
				seq, ok := r.Attributes["seq"].(int64)
				if !ok {
					t.Fatalf("gateway-%d forwarded a record without seq: %+v", g+1, r)
				}
				perGateway[g][seq]++
				svc, _ := r.Resource["service.name"].(string)
				if !slices.Contains(routes[svc], g+1) {
					routes[svc] = append(routes[svc], g+1)
				}
			}
		}
		missing := 0
		for seq := range int64(records) {
			if !inFallback[seq] && perGateway[0][seq] == 0 && perGateway[1][seq] == 0 {
				missing++
			}
		}
		c.lost = missing - c.dropped
		if c.lost <= 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("%v: gateways forwarded everything the agent accepted", time.Since(start).Round(time.Millisecond))
	distinct := map[int64]bool{}
	for g, seen := range perGateway {
		for seq, n := range seen {
			c.gateway[g] += n
			distinct[seq] = true
		}
	}
	c.atGateways = len(distinct)
	for seq := range distinct {
		if inFallback[seq] {
			c.alsoFallback++
		}
	}
	c.duplicates = c.gateway[0] + c.gateway[1] - c.atGateways + c.alsoFallback
	t.Log(c)

	if c.lost != 0 {
		t.Errorf("%d records accepted by the agent never reached a gateway", c.lost)
	}
	if c.gateway[0] == 0 || c.gateway[1] == 0 {
		t.Errorf("one gateway received nothing (%v): routing by service put all %d services on one", routes, services)
	}
	for _, svc := range slices.Sorted(maps.Keys(routes)) {
		if len(routes[svc]) != 1 {
			t.Errorf("%s's records landed on gateways %v, want one", svc, routes[svc])
		}
	}
	if len(routes) != services {
		t.Errorf("records of %d services reached the gateways, want %d", len(routes), services)
	}
	agent.stop()
	for _, g := range gateways {
		g.stop()
	}
}

// chainAccount is where every record of an agent → gateway run ended. emitted = atAgent +
// fallback + dropped is resilog's side (Stats); atGateways counts distinct records that left
// a gateway, lost those the agent accepted that no gateway forwarded.
type chainAccount struct {
	emitted, atAgent, fallback, dropped int
	gateway                             [2]int // records each gateway forwarded, duplicates included
	atGateways                          int    // distinct records forwarded by either
	alsoFallback                        int    // forwarded and also in resilog's fallback (an acknowledgement lost in a kill)
	lost, duplicates                    int
}

func (c chainAccount) String() string {
	return fmt.Sprintf("chain emitted=%d = at_agent=%d + fallback=%d + dropped=%d; at_gateways=%d (gateway-1=%d gateway-2=%d) lost=%d duplicates=%d (of which also in fallback=%d)",
		c.emitted, c.atAgent, c.fallback, c.dropped, c.atGateways, c.gateway[0], c.gateway[1], c.lost, c.duplicates, c.alsoFallback)
}

// runCollectorEnv makes the test binary run as resilog-collector (see TestMain): the chain's
// collectors are separate processes of the very distribution the test links, without a
// second build.
const runCollectorEnv = "RESILOG_E2E_RUN_COLLECTOR"

func TestMain(m *testing.M) {
	if os.Getenv(runCollectorEnv) == "1" {
		cmd := otelcol.NewCommand(distribution.Settings(nil))
		cmd.SetArgs(os.Args[1:])
		if err := cmd.Execute(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// process is a resilog-collector (this test binary, see TestMain) running as a child process, its output appended to a log
// file that the test prints when it fails.
type process struct {
	t                 *testing.T
	name, bin, config string
	env, listen       []string
	logPath           string
	mu                sync.Mutex
	cmd               *exec.Cmd
}

func startProcess(t *testing.T, dir, name, bin, config string, listen []string, env ...string) *process {
	t.Helper()
	p := &process{t: t, name: name, bin: bin, config: config, env: env, listen: listen,
		logPath: filepath.Join(dir, name+".log")}
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			if out, err := os.ReadFile(p.logPath); err == nil && len(out) > 0 {
				t.Logf("%s output:\n%s", p.name, out)
			}
		}
	})
	p.start()
	return p
}

// start runs the process and waits until it listens on every address. It may be called
// from a goroutine other than the test's: it reports failures with Errorf.
func (p *process) start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		p.t.Errorf("%s: %v", p.name, err)
		return
	}
	defer logf.Close()
	cmd := exec.Command(p.bin, "--config", p.config)
	cmd.Env = append(append(os.Environ(), runCollectorEnv+"=1"), p.env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		p.t.Errorf("%s: %v", p.name, err)
		return
	}
	p.cmd = cmd
	for _, addr := range p.listen {
		if err := collectortest.WaitListening(context.Background(), addr, 30*time.Second); err != nil {
			p.t.Errorf("%s: %v", p.name, err)
			return
		}
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *process) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	p.cmd = nil
}

// stop asks the process to exit (SIGTERM) and waits.
func (p *process) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	if err := collectortest.StopProcess(p.cmd, 30*time.Second); err != nil {
		p.t.Errorf("%s: %v", p.name, err)
	}
	p.cmd = nil
}

func freeAddr(t *testing.T) string {
	t.Helper()
	addr, err := collectortest.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

func sleepUntil(at time.Time) {
	if d := time.Until(at); d > 0 {
		time.Sleep(d)
	}
}
