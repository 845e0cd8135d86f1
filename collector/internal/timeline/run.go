package timeline

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"
)

// Bucket is the width of one bucket of every series.
const Bucket = 100 * time.Millisecond

// Series is one of the things that can happen to a record.
type Series int

// The series, in the order of the CSV's columns.
const (
	Emitted Series = iota
	Collector
	Fallback
	Dropped
	NeverArrived
	numSeries
)

var seriesNames = [numSeries]string{"emitted", "collector", "fallback", "dropped", "never_arrived"}

// String returns the series' name, as the CSV header spells it.
func (s Series) String() string { return seriesNames[s] }

// Window is a fault that held for a span of the run, such as the collector being stopped.
type Window struct {
	From, To time.Time
	Label    string
}

// Run is what one pipeline did over time. Its methods are safe for concurrent use.
type Run struct {
	// Name names the pipeline (stock, resilog).
	Name string
	// Caption is shown under the picture: the run's accounting line.
	Caption string

	start   time.Time
	mu      sync.Mutex
	counts  [numSeries][]int
	windows []Window
}

// NewRun starts a timeline whose bucket 0 begins at start.
func NewRun(name string, start time.Time) *Run {
	return &Run{Name: name, start: start}
}

// Add counts n records of series s at time at. Times before the start land in bucket 0.
func (r *Run) Add(s Series, at time.Time, n int) {
	if n == 0 {
		return
	}
	b := max(0, int(at.Sub(r.start)/Bucket))
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.counts[s]) <= b {
		r.counts[s] = append(r.counts[s], 0)
	}
	r.counts[s][b] += n
}

// Fault records a fault window. A window still open when the run ends has To set to the
// time the run ended.
func (r *Run) Fault(from, to time.Time, label string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.windows = append(r.windows, Window{From: from, To: to, Label: label})
}

// Total is the sum of series s over the run.
func (r *Run) Total(s Series) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := 0
	for _, n := range r.counts[s] {
		t += n
	}
	return t
}

// buckets is how many buckets the longest series spans.
func (r *Run) buckets() int {
	n := 0
	for _, c := range r.counts {
		n = max(n, len(c))
	}
	for _, w := range r.windows {
		n = max(n, int((w.To.Sub(r.start)+Bucket-1)/Bucket))
	}
	return n
}

func (r *Run) at(s Series, b int) int {
	if b < len(r.counts[s]) {
		return r.counts[s][b]
	}
	return 0
}

// seconds is t as seconds since the run's start.
func (r *Run) seconds(t time.Time) float64 { return t.Sub(r.start).Seconds() }

// WriteCSV writes one row per pipeline and bucket: pipeline, the bucket's start in seconds,
// then one column per series.
func WriteCSV(w io.Writer, runs ...*Run) error {
	cw := csv.NewWriter(w)
	header := []string{"pipeline", "t_s"}
	for s := range numSeries {
		header = append(header, s.String())
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, r := range runs {
		r.mu.Lock()
		n := r.buckets()
		for b := range n {
			row := []string{r.Name, strconv.FormatFloat((time.Duration(b) * Bucket).Seconds(), 'f', 1, 64)}
			for s := range numSeries {
				row = append(row, strconv.Itoa(r.at(s, b)))
			}
			if err := cw.Write(row); err != nil {
				r.mu.Unlock()
				return err
			}
		}
		r.mu.Unlock()
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("timeline: %w", err)
	}
	return nil
}
