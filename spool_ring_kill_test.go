//go:build unix

package resilog

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/resilog/resilog/internal/recordtest"
)

// ringKillChild logs for ever with the spool in dir and a collector that takes
// everything at once, printing a line every 100 records, until killed.
func ringKillChild(dir string) {
	p, err := New(context.Background(), WithSpool(dir), WithSpoolMaxBytes(1<<20),
		WithSDKExporter(&recordtest.Exporter{}), WithServiceName("healthy"))
	if err != nil {
		fmt.Println("new:", err)
		os.Exit(2)
	}
	l, a := p.Logger("orders"), p.Logger("audit")
	for i := 0; ; i++ {
		switch {
		case i%50 == 0: // an error now and then: its batch leaves at once
			l.Error("payment declined", "i", i)
		case i%7 == 0:
			a.Info("audited", "i", i)
		default:
			l.Info("order created", "i", i)
		}
		if i%100 == 0 {
			fmt.Println(i)
			time.Sleep(time.Millisecond) // a busy service, not a flood
		}
	}
}

// TestRingKillOfAHealthyServiceReportsNoDrops (issue 13; the spool-level cause is
// internal/spool's TestRescueCountsNoDeliveredRecordAsCorrupt): a service whose
// collector takes every record at once (and which logs an error now and then, whose
// batch leaves at once) is SIGKILLed, ten times in a row, at arbitrary instants.
// Nothing is lost: what was not exported is in the spool. Yet the restarts count
// hundreds of records dropped{corrupt}: the frames of a segment whose records were all
// delivered (so deleted) still sat in the ring, not yet copied, and the rescue cannot
// read them without the deleted segment's resource-and-scope frame. The ledger reports
// drops (and the balance books them as emitted and dropped) for records that reached
// the collector. Correct: a restart after SIGKILL with a healthy collector reports no
// drop.
func TestRingKillOfAHealthyServiceReportsNoDrops(t *testing.T) {
	if os.Getenv(childEnv) == "ring-kill" {
		ringKillChild(os.Getenv("RING_KILL_DIR"))
		return
	}
	dir := t.TempDir()
	const kills = 10
	dropped := map[string]uint64{}
	for k := 0; k < kills; k++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRingKillOfAHealthyServiceReportsNoDrops$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"=ring-kill", "RING_KILL_DIR="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		for n := 0; n < 50+37*k && sc.Scan(); n++ {
			if strings.HasPrefix(sc.Text(), "new:") {
				t.Fatal(sc.Text())
			}
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()

		p, err := New(context.Background(), envOf(nil), WithSpool(dir), WithSpoolMaxBytes(1<<20), WithSDKExporter(&recordtest.Exporter{}))
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		for r, n := range p.Stats().Dropped {
			dropped[r] += n
		}
	}
	// A frame torn by the kill while being copied is counted (the spool's own kill test
	// allows one per kill): more than that is records counted that were not lost.
	others := 0
	for r := range dropped {
		if r != "corrupt" {
			others++
		}
	}
	if dropped["corrupt"] > kills || others > 0 {
		t.Errorf("%d SIGKILLs of a service whose collector took every record, and the restarts count drops %v", kills, dropped)
	}
}
