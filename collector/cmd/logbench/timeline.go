package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/resilog/resilog/collector/internal/timeline"
)

// sampleEvery is how often a timeline run notes the size of the collector's output files
// and the pipeline's dropped count: the resolution of those two series.
const sampleEvery = 10 * time.Millisecond

// recording is the timeline of one logbench run (-timeline). A nil *recording records
// nothing, so the run reads the same with and without it.
//
// Each record is put on the time axis of its series (see package timeline): emitted when
// the driver made the log call; collector when the collector's file exporter wrote it
// (polled every sampleEvery; it follows the receiver's acceptance by up to the
// collector's 200 ms batching and 100 ms file flush); fallback when resilog's JSON line
// reached the fallback's writer; dropped when the pipeline's counter grew; never arrived
// (found nowhere and not counted dropped: lost) at the log call's time.
type recording struct {
	name    string
	run     *timeline.Run // from startClock on
	start   time.Time
	growth  timeline.Growth
	emitAt  []time.Time
	stopped func()
}

func newRecording(c config) *recording {
	if c.timeline == "" {
		return nil
	}
	return &recording{name: c.pipeline, emitAt: make([]time.Time, c.n)}
}

// startClock makes now the start of the timeline's first bucket.
func (r *recording) startClock() {
	if r != nil {
		r.start = time.Now()
		r.run = timeline.NewRun(r.name, r.start)
	}
}

// fallback wraps the fallback's writer so each line is counted when it is written.
func (r *recording) fallback(w io.Writer) io.Writer {
	if r == nil {
		return w
	}
	return &timeline.Lines{W: w, Run: r.run, Series: timeline.Fallback}
}

// begin starts sampling the collector's output files and the pipeline's dropped count.
func (r *recording) begin(col *collector, pl *pipeline) {
	if r == nil {
		return
	}
	last := 0
	r.stopped = timeline.Every(sampleEvery, func() {
		r.growth.Sample(col.paths()...)
		d := pl.dropped()
		r.run.Add(timeline.Dropped, time.Now(), d-last)
		last = d
	})
}

func (r *recording) emitted(seq int, at time.Time) {
	if r != nil {
		r.emitAt[seq] = at
		r.run.Add(timeline.Emitted, at, 1)
	}
}

func (r *recording) fault(from, to time.Time, label string) {
	if r != nil {
		r.run.Fault(from, to, label)
	}
}

// end stops sampling; call it once the collector has written everything.
func (r *recording) end() {
	if r != nil {
		r.stopped()
	}
}

// collectorMessage puts the n records of the message that ends at byte end of path on the
// time the collector wrote that byte.
func (r *recording) collectorMessage(path string, end int64, n int) {
	if r == nil {
		return
	}
	at, ok := r.growth.Visible(path, end)
	if !ok { // written after the last sample: it can only be later still
		at = time.Now()
	}
	r.run.Add(timeline.Collector, at, n)
}

// finish adds the records lost (found nowhere, not counted dropped), the faults that held for the whole run, and the
// caption.
func (r *recording) finish(fault string, seen map[int64]int, caption string) {
	if r == nil {
		return
	}
	now := time.Now()
	var missing []time.Time // in seq order, which is the order of the log calls
	for seq, at := range r.emitAt {
		if seen[int64(seq)] == 0 {
			missing = append(missing, at)
		}
	}
	r.run.AddMissing(missing) // less the dropped ones: never arrived is the lost records
	switch fault {
	case "down":
		r.run.Fault(r.start, now, "no collector")
	case "hang":
		r.run.Fault(r.start, now, "collector hung: TCP accepted, never answered")
	}
	r.run.Caption = caption
}

// paths is every output file the collector has had so far.
func (c *collector) paths() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.outputs...)
}

// writeTimeline renders the runs side by side into file and its CSV.
func writeTimeline(file string, recs []*recording) error {
	runs := make([]*timeline.Run, len(recs))
	for i, r := range recs {
		runs[i] = r.run
	}
	if err := timeline.Write(file, runs...); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "logbench: wrote %s, %s and %s\n", file, timeline.CSVPath(file), timeline.FaultsPath(file))
	return nil
}
