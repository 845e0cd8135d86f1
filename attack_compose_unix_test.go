//go:build linux

package resilog

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/resilog/resilog/internal/recordtest"
)

// TestStdoutWritersTakeTurnsWholeLines: with OTEL_LOGS_EXPORTER=otlp,console (here: console
// plus an additional exporter that refuses every batch, so that its fallback writes, without
// needing a network), two independent JSONLines exporters write the process's stdout: the
// console exporter, and the shared fallback (a separate exporter.NewJSONLines(os.Stdout)
// built by buildExporters). Each serialises only its own Export calls, each through its
// own duplicate of descriptor 1, so their writes run at once; a write larger than the pipe
// buffer (PIPE_BUF atomicity ends at 4 KiB) is split by the kernel, and the other writer's
// bytes land in the middle of a line. The log reader (docker, kubectl, a shipper parsing
// JSON lines) gets torn, unparseable lines — and the README promises only that such a
// record is written to stdout twice. Correct: every line on stdout is one whole JSON
// record, whatever exporters of the list write there (one writer per descriptor, or one
// lock shared by every writer of stdout).
//
// The child's stdout is a pipe shrunk to one page (F_SETPIPE_SZ), so that every record
// (a 64 KiB body) spans many kernel writes; the parent checks every line it reads.
func TestStdoutWritersTakeTurnsWholeLines(t *testing.T) {
	if os.Getenv(childEnv) == "twowriters" {
		p, err := New(context.Background(), WithExporter("console"),
			WithAdditionalExporter("refused", new(failingExporter)))
		if err != nil {
			os.Exit(2)
		}
		l := p.Logger("child")
		body := strings.Repeat("x", 64<<10)
		for i := range 40 {
			l.Error(body, "i", i) // ERROR: each is sent at once
		}
		err = p.Shutdown(context.Background())
		writeResult(sigpipeResult{Stats: p.Stats(), ShutdownErr: errString(err)})
		os.Exit(0)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	const fSetPipeSz = 1031 // F_SETPIPE_SZ
	if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, w.Fd(), fSetPipeSz, 4096); e != 0 {
		t.Skipf("F_SETPIPE_SZ: %v", e)
	}
	stderr, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	cmd, result := startChild(t, t.Name(), "twowriters", closedEndpoint(t), w, stderr)
	w.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	lines, torn := 0, 0
	var first string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		lines++
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			torn++
			if first == "" {
				b := sc.Bytes()
				first = string(b[:min(len(b), 120)]) + " … " + string(b[max(0, len(b)-120):])
			}
		}
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("child: %v", err)
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("child did not exit")
	}
	var res sigpipeResult
	readResult(t, result, &res)
	t.Logf("child stats: emitted %d exported %d fallback %d dropped %d; %d lines on stdout",
		res.Stats.Emitted, res.Stats.Exported, res.Stats.Fallback, res.Stats.DroppedTotal, lines)
	if torn > 0 {
		t.Errorf("%d of %d lines on stdout are not one JSON record (two exporters' writes interleaved); first: %s", torn, lines, first)
	}
	if lines < 80 && torn == 0 {
		t.Errorf("%d lines on stdout, want 80 (40 from console, 40 from the fallback)", lines)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// panicky is a second sink with a bug: its Export panics.
type panicky struct{ recordtest.Exporter }

func (*panicky) Export(context.Context, []sdklog.Record) error { panic("vendor exporter bug") }

// TestPanickingAdditionalExporterIsRecovered: the README says a slow or failing
// exporter of the list "never holds up the others", and the design promises that logging
// never hurts the application. An exporter given to WithAdditionalExporter that panics in
// Export (a vendor's exporter with a bug) is called from resilog's export goroutine with
// no recover: the panic kills the whole application, the healthy primary's records with
// it. Correct: a panicking exporter is treated as a failing one (its batch goes to the
// fallback, counted; the error reported), and the process lives.
func TestPanickingAdditionalExporterIsRecovered(t *testing.T) {
	if os.Getenv(childEnv) == "panicky" {
		p, err := New(context.Background(), WithSDKExporter(new(recordtest.Exporter)),
			WithAdditionalExporter("vendor", new(panicky)))
		if err != nil {
			os.Exit(2)
		}
		p.Logger("child").Error("one record")
		err = p.Shutdown(context.Background())
		writeResult(sigpipeResult{Stats: p.Stats(), ShutdownErr: errString(err)})
		os.Exit(0)
	}
	out, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	cmd, _ := startChild(t, t.Name(), "panicky", closedEndpoint(t), out, out)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("child did not exit")
	}
	if err != nil {
		b, _ := os.ReadFile(out.Name())
		first, _, _ := strings.Cut(string(b), "\n\n")
		t.Errorf("the application died (%v) because a second sink's Export panicked: %s", err, first)
	}
}
