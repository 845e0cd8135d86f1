package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/resilog/resilog/collector/internal/timeline"
)

// recording is the demo's timeline (-timeline). Each record is put on the time axis of
// its series (see package timeline): emitted at its own timestamp (the orders service's
// log call; a record that arrived nowhere has none the demo can see, so emitted counts
// the records that arrived somewhere and the caption has the service's own count);
// collector when the collector's file exporter wrote its line (polled every 10 ms; up to
// the collector's 200 ms batching and 100 ms flush after it accepted the record); fallback
// when the service's stdout line reached the demo; dropped when the demo read the
// service's final count.
type recording struct {
	run     *timeline.Run
	growth  timeline.Growth
	stopped func()

	mu    sync.Mutex
	paths []string // the collector's output files so far
}

// newRecording starts the timeline now, watching the collector's output files: paths and
// those given to watch later.
func newRecording(paths ...string) *recording {
	r := &recording{run: timeline.NewRun("orders service (resilog)", time.Now()), paths: paths}
	r.stopped = timeline.Every(10*time.Millisecond, func() {
		r.mu.Lock()
		paths := append([]string(nil), r.paths...)
		r.mu.Unlock()
		r.growth.Sample(paths...)
	})
	return r
}

// watch adds the output file of a new collector incarnation.
func (r *recording) watch(path string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.paths = append(r.paths, path)
}

// fallback counts the service's stdout lines as they arrive.
func (r *recording) fallback(w io.Writer) io.Writer {
	return &timeline.Lines{W: w, Run: r.run, Series: timeline.Fallback}
}

// collectorLine puts the records of the collector's output line ending at byte end of
// path on the time that byte was written.
func (r *recording) collectorLine(path string, end int64, records int) {
	at, ok := r.growth.Visible(path, end)
	if !ok {
		at = time.Now()
	}
	r.run.Add(timeline.Collector, at, records)
}

// write adds the emitted records and the dropped count, and renders file and its CSV.
func (r *recording) write(file string, delivered []record, dropped int, caption string) error {
	for _, rec := range delivered {
		r.run.Add(timeline.Emitted, rec.ts, 1)
	}
	r.run.Add(timeline.Dropped, time.Now(), dropped)
	r.run.Caption = caption
	if err := timeline.Write(file, r.run); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "demo: wrote %s and %s\n", file, timeline.CSVPath(file))
	return nil
}
