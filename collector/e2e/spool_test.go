package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/resilog/resilog"
	"github.com/resilog/resilog/collector/collectortest"
	"github.com/resilog/resilog/internal/accounting"
	"github.com/resilog/resilog/internal/spool"
)

// spoolCapture hands the records a provider emits to a spool, as the pipeline will.
type spoolCapture struct {
	s    *spool.Spool
	uids []string
}

func (c *spoolCapture) OnEmit(_ context.Context, r *sdklog.Record) error {
	seq, res := c.s.Append(r)
	if res != spool.Spooled {
		return fmt.Errorf("Append = %v", res)
	}
	uid, ok := c.s.UID(seq) // the uid its copy on disk carries
	if !ok {
		return fmt.Errorf("no uid for seq %d", seq)
	}
	c.uids = append(c.uids, uid.Value.AsString())
	return nil
}
func (*spoolCapture) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }
func (*spoolCapture) Shutdown(context.Context) error                         { return nil }
func (*spoolCapture) ForceFlush(context.Context) error                       { return nil }

// A process that will not start again left records in its spool: resilog spool replay
// exports them to the collector the OTEL_* variables name, each with its own resource,
// scope, time and log.record.uid, and empties the spool.
func TestSpoolReplayExportsWhatAProcessLeft(t *testing.T) {
	dir := t.TempDir()
	s, err := spool.Open(spool.Config{Dir: dir, Report: accounting.NewReport(&bytes.Buffer{})})
	if err != nil {
		t.Fatal(err)
	}
	capture := &spoolCapture{s: s}
	res := resource.NewWithAttributes("https://opentelemetry.io/schemas/1.26.0",
		attribute.String("service.name", "orders"), attribute.String("host.name", "node-1"))
	lp := sdklog.NewLoggerProvider(sdklog.WithResource(res), sdklog.WithProcessor(capture))
	base := time.Date(2026, 11, 30, 1, 2, 3, 0, time.UTC)
	const n = 300
	for i := range n {
		var r log.Record
		r.SetTimestamp(base.Add(time.Duration(i) * time.Millisecond))
		r.SetSeverity(log.SeverityWarn)
		r.SetSeverityText("WARN")
		r.SetBody(attribute.StringValue(fmt.Sprintf("order created %d", i)))
		r.AddAttributes(attribute.Int("order_id", i))
		lp.Logger("github.com/acme/shop/orders", log.WithInstrumentationVersion("v1.2.3")).Emit(context.Background(), r)
	}
	if err := s.Close(); err != nil { // nothing released: all of it stays
		t.Fatal(err)
	}

	c := collectortest.Start(t)
	bin := buildResilogCommand(t)
	replay := func() string {
		cmd := exec.Command(bin, "spool", "replay", dir)
		cmd.Env = append(os.Environ(), "OTEL_EXPORTER_OTLP_ENDPOINT="+c.HTTPEndpoint(),
			"OTEL_SERVICE_NAME=the-replaying-host", "OTEL_RESOURCE_ATTRIBUTES=host.name=replayer")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("resilog spool replay: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
		}
		if stdout.Len() != 0 {
			t.Errorf("stdout (the fallback) got %q", stdout.String())
		}
		return stderr.String()
	}
	if got, want := replay(), fmt.Sprintf("resilog spool replay: records=%d corrupt=0 emitted=%d exported=%d fallback=0 dropped=0 kept=0\n", n, n, n); got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
	got := c.WaitForLogs(t, n, 10*time.Second)
	if len(got) != n {
		t.Fatalf("collector received %d records, want %d", len(got), n)
	}
	byBody := map[string]collectortest.LogRecord{}
	for _, r := range got {
		byBody[fmt.Sprint(r.Body)] = r
	}
	for i := range n {
		r, ok := byBody[fmt.Sprintf("order created %d", i)]
		switch {
		case !ok:
			t.Errorf("record %d did not reach the collector", i)
		case !r.Timestamp.Equal(base.Add(time.Duration(i)*time.Millisecond)) || r.SeverityText != "WARN" || r.Attributes["order_id"] != int64(i):
			t.Errorf("record %d: %+v", i, r)
		case r.Attributes[spool.UIDKey] != capture.uids[i]:
			t.Errorf("record %d: uid %v, want %s", i, r.Attributes[spool.UIDKey], capture.uids[i])
		case r.Resource["service.name"] != "orders" || r.Resource["host.name"] != "node-1" || r.Scope != "github.com/acme/shop/orders" || r.ScopeVersion != "v1.2.3":
			t.Errorf("record %d: resource %v scope %s %s, want the logging process's", i, r.Resource, r.Scope, r.ScopeVersion)
		}
	}
	if segs, _ := filepath.Glob(filepath.Join(dir, "*.seg")); len(segs) != 0 {
		t.Errorf("%d segments left after every record was exported", len(segs))
	}
	// A second replay finds nothing.
	if got, want := replay(), "resilog spool replay: records=0 corrupt=0 emitted=0 exported=0 fallback=0 dropped=0 kept=0\n"; got != want {
		t.Errorf("second replay: stderr %q, want %q", got, want)
	}
}

// With the spool on, every record resilog's OTLP exporter sends from memory carries its
// spooled copy's log.record.uid, written by the encoder, over each protocol the real
// collector decodes: once, 32 hex digits, a different one per record, in place of one
// the record was logged with.
func TestSpoolUIDOnTheWire(t *testing.T) {
	for _, proto := range []string{"http/protobuf", "http/json", "grpc"} {
		t.Run(proto, func(t *testing.T) {
			c := collectortest.Start(t)
			endpoint := c.HTTPEndpoint()
			if proto == "grpc" {
				endpoint = c.GRPCEndpoint()
			}
			p := newPipeline(t, resilog.WithSpool(t.TempDir()), resilog.WithProtocol(proto), resilog.WithEndpoint(endpoint),
				resilog.WithServiceName("uid-wire"))
			l := p.Logger("uid")
			for i := range 100 {
				if i == 50 {
					l.Info("forwarded", "i", i, spool.UIDKey, "upstream-uid")
					continue
				}
				l.Info("record", "i", i)
			}
			if err := p.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			recs := c.WaitForLogs(t, 100, 10*time.Second)
			uids := map[string]bool{}
			for _, r := range recs {
				uid, _ := r.Attributes[spool.UIDKey].(string)
				if len(uid) != 32 || uids[uid] {
					t.Errorf("record %v: %s %q, want 32 hex digits of its own", r.Attributes["i"], spool.UIDKey, uid)
				}
				uids[uid] = true
			}
			if len(recs) != 100 || len(uids) != 100 {
				t.Errorf("%d records, %d distinct uids; want 100 of each", len(recs), len(uids))
			}
		})
	}
}
