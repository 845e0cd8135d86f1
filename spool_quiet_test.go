//go:build unix

package resilog

import (
	"context"
	"testing"

	"github.com/resilog/resilog/internal/recordtest"
)

// TestQuietServiceSpoolNeverFillsWithReleasedSegments: a service that logs a record now and then, each
// exported (and released) before the next, with the spool in batch sync mode (synced,
// hence copied from the ring, before each export). Each segment it fills is sealed with
// every record released, and never deleted (spool.rotateLocked seals it; no Release or
// copy of it comes after), so the spool fills with dead segments and from then on every
// record is counted spool_full and takes the memory path: the crash protection WithSpool
// promises is gone, with nothing in the spool. Correct: SpoolFull stays 0 (the spool
// never holds more than a couple of records) and the disk it takes stays small.
func TestQuietServiceSpoolNeverFillsWithReleasedSegments(t *testing.T) {
	exp := &recordtest.Exporter{}
	p, err := New(context.Background(), envOf(nil), WithSpool(t.TempDir()), WithSpoolSync("batch"),
		WithSpoolMaxBytes(256<<10), WithSDKExporter(exp))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(context.Background())
	l := p.Logger("quiet")
	for i := range 3000 {
		l.Info("heartbeat", "i", i, "pad", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
		if err := p.ForceFlush(context.Background()); err != nil { // exported before the next
			t.Fatal(err)
		}
	}
	st := p.Stats()
	t.Logf("emitted %d exported %d spool_full %d spool records %d spool bytes %d", st.Emitted, st.Exported, st.SpoolFull, st.SpoolRecords, st.SpoolBytes)
	if st.SpoolFull != 0 {
		t.Errorf("%d of %d records counted spool_full (not spooled: no crash protection) with %d records in the spool taking %d bytes: released segments are never deleted",
			st.SpoolFull, st.Emitted, st.SpoolRecords, st.SpoolBytes)
	}
}
