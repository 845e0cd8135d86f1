//go:build unix

package resilog

import (
	"context"
	"testing"

	"github.com/resilog/resilog/internal/recordtest"
	"github.com/resilog/resilog/internal/spool"
)

// runService starts the library with the spool in dir and a collector that takes
// everything, logs the lines from..to-1 (the same line, the same sizes, each start; from
// audit on with a second logger), shuts down cleanly, and returns what the collector
// received and the stats.
func runService(t *testing.T, dir string, from, to, audit int) ([]map[string]any, Stats) {
	t.Helper()
	exp := &recordtest.Exporter{}
	p, err := New(context.Background(), envOf(nil), WithSpool(dir), WithSDKExporter(exp), WithServiceName("job"))
	if err != nil {
		t.Fatal(err)
	}
	l, a := p.Logger("job"), p.Logger("audit")
	for i := from; i < to; i++ {
		if i >= audit {
			a.Info("order created", "i", i)
		} else {
			l.Info("order created", "i", i)
		}
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	for _, r := range exp.Records() {
		got = append(got, recordtest.AsMap(r))
	}
	return got, p.Stats()
}

// TestRingReplaysNoRecordDeliveredRunsAgo (issue 13; the spool-level cause is
// internal/spool's TestRingNeverResurrectsAnEarlierRunsDeliveredRecords): a job with
// the spool on runs once logging 90 lines (from the 13th on with a second logger), then
// again and again logging 10 lines of the same sizes; every run's collector takes every
// record and every run shuts down cleanly, so the spool is empty after each. Yet every
// other later run's New takes the first run's frames still in the ring for its
// predecessor's: those whose resource-and-scope frame is in the ring are replayed (the
// collector receives them again, with the first run's log.record.uid), those whose
// resource-and-scope frame was in the deleted segment are counted dropped{corrupt}:
// drops reported for records that were delivered. Correct: after a clean shutdown that
// delivered everything, the next run replays nothing and drops nothing, whatever the
// ring file still holds.
func TestRingReplaysNoRecordDeliveredRunsAgo(t *testing.T) {
	dir := t.TempDir()
	first, _ := runService(t, dir, 10, 100, 22)
	firstUIDs := map[any]bool{}
	for _, m := range first {
		firstUIDs[m[spool.UIDKey]] = true
	}
	var again []any
	replayed, dropped := uint64(0), map[string]uint64{}
	for run := 2; run <= 7; run++ {
		got, st := runService(t, dir, 10, 20, 100)
		replayed += st.Replayed
		for r, n := range st.Dropped {
			dropped[r] += n
		}
		for _, m := range got {
			if firstUIDs[m[spool.UIDKey]] {
				again = append(again, m["i"])
			}
		}
	}
	if replayed != 0 || len(again) != 0 || len(dropped) != 0 {
		t.Errorf("after clean shutdowns that delivered everything, later runs replayed %d records and counted drops %v; the collector received again, from the first run, i = %v",
			replayed, dropped, again)
	}
}
