package main

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/resilog/resilog/collector/internal/timeline"
)

// TestTimelineStackCountsEachRecordOnce records four log calls the way a logbench run
// does: one written by the collector, one to the fallback, one the pipeline dropped (its
// counter grew) and one lost. The lower plot stacks collector, fallback, dropped and never
// arrived "under the running total of emitted records", and the README says the stack
// reaches the emitted count when nothing is missing: each record must be in exactly one
// stacked layer, so the stacked columns of the CSV sum to emitted.
func TestTimelineStackCountsEachRecordOnce(t *testing.T) {
	dir := t.TempDir()
	c := config{pipeline: "resilog", n: 4, timeline: filepath.Join(dir, "t.svg")}
	rec := newRecording(c)
	rec.startClock()
	now := time.Now()
	for seq := range c.n {
		rec.emitted(seq, now)
	}
	rec.run.Add(timeline.Collector, now, 1) // seq 0
	rec.run.Add(timeline.Fallback, now, 1)  // seq 1
	rec.run.Add(timeline.Dropped, now, 1)   // seq 2, as begin's sampler adds it
	// seq 3: lost
	seen := map[int64]int{0: 1, 1: 1}
	rec.finish("none", seen, "logbench pipeline=resilog fault=none emitted=4 collector=1 fallback=1 dropped=1 lost=1 duplicates=0")
	if err := writeTimeline(c.timeline, []*recording{rec}); err != nil {
		t.Fatal(err)
	}
	got := readSums(t, timeline.CSVPath(c.timeline))["resilog"]
	stacked := got["collector"] + got["fallback"] + got["dropped"] + got["never_arrived"]
	if stacked != got["emitted"] {
		t.Errorf("stacked layers hold %d records, emitted %d: %v (the dropped record is in both dropped and never_arrived)", stacked, got["emitted"], got)
	}
	if got["never_arrived"] != 1 {
		t.Errorf("never_arrived adds up to %d, want the one lost record", got["never_arrived"])
	}
}
