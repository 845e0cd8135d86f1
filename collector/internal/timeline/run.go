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
	r.mu.Lock()
	defer r.mu.Unlock()
	r.add(s, r.bucket(at), n)
}

func (r *Run) add(s Series, b, n int) {
	for len(r.counts[s]) <= b {
		r.counts[s] = append(r.counts[s], 0)
	}
	r.counts[s][b] += n
}

// bucket is the bucket time at falls in; times before the start land in bucket 0.
func (r *Run) bucket(at time.Time) int { return max(0, int(at.Sub(r.start)/Bucket)) }

// AddMissing puts on the NeverArrived series the records, emitted at the times given in
// ascending order, that were found neither at the collector nor in the fallback, less
// those the Dropped series already holds: a record is in one series only. Call it once
// the Dropped series is complete. Which missing record a drop stands for cannot be known;
// each drop is matched with the latest record emitted in its bucket or before it that no
// other drop stands for yet (a pipeline drops a record at its log call, so the drops and
// the records they stand for stay near each other on the time axis).
func (r *Run) AddMissing(emitted []time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var open []int // buckets of the missing records no drop stands for, latest last
	debt, next := 0, 0
	last := len(r.counts[Dropped])
	if len(emitted) > 0 {
		last = max(last, r.bucket(emitted[len(emitted)-1])+1)
	}
	for b := range last {
		for next < len(emitted) && r.bucket(emitted[next]) <= b {
			open = append(open, r.bucket(emitted[next]))
			next++
		}
		debt += r.at(Dropped, b)
		for debt > 0 && len(open) > 0 {
			open, debt = open[:len(open)-1], debt-1
		}
	}
	for _, b := range open {
		r.add(NeverArrived, b, 1)
	}
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

// faultWindows is a copy of the run's fault windows, in the order they were recorded.
func (r *Run) faultWindows() []Window {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Window(nil), r.windows...)
}

// WriteFaultsCSV writes one row per pipeline and fault window: pipeline, label, and the
// window's start and end in seconds since the run started, to the millisecond.
func WriteFaultsCSV(w io.Writer, runs ...*Run) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"pipeline", "fault", "from_s", "to_s"}); err != nil {
		return err
	}
	for _, r := range runs {
		for _, win := range r.faultWindows() {
			row := []string{r.Name, win.Label,
				strconv.FormatFloat(r.seconds(win.From), 'f', 3, 64), strconv.FormatFloat(r.seconds(win.To), 'f', 3, 64)}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("timeline: %w", err)
	}
	return nil
}

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
