package timeline

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sampleRun is a run of 2 s: 10 records per bucket emitted, the collector away from 0.5 s
// to 1.5 s, records going to the fallback meanwhile and 3 never arriving.
func sampleRun(start time.Time) *Run {
	r := NewRun("resilog", start)
	at := func(d time.Duration) time.Time { return start.Add(d) }
	for b := range 20 {
		t := at(time.Duration(b) * Bucket)
		r.Add(Emitted, t, 10)
		if b >= 5 && b < 15 {
			r.Add(Fallback, t.Add(Bucket/2), 10)
		} else {
			r.Add(Collector, t.Add(3*Bucket), 10)
		}
	}
	r.Add(NeverArrived, at(700*time.Millisecond), 3)
	r.Add(Dropped, at(-time.Second), 1) // before the start: bucket 0
	r.Fault(at(500*time.Millisecond), at(1500*time.Millisecond), "collector stopped")
	r.Caption = "logbench pipeline=resilog emitted=200"
	return r
}

func TestWriteCSVSumsEachSeries(t *testing.T) {
	start := time.Now()
	r := sampleRun(start)
	var buf bytes.Buffer
	if err := WriteCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[0], ","); got != "pipeline,t_s,emitted,collector,fallback,dropped,never_arrived" {
		t.Fatalf("header %q", got)
	}
	// 20 buckets emitted; the last records reach the collector 0.3 s later.
	if len(rows) != 1+23 {
		t.Fatalf("%d rows, want 23 buckets", len(rows)-1)
	}
	sums := make([]int, len(rows[0]))
	for i, row := range rows[1:] {
		if row[0] != "resilog" || row[1] != strconv.FormatFloat(float64(i)/10, 'f', 1, 64) {
			t.Fatalf("row %d: %v", i, row)
		}
		for c := 2; c < len(row); c++ {
			n, _ := strconv.Atoi(row[c])
			sums[c] += n
		}
	}
	for s := range numSeries {
		if sums[2+int(s)] != r.Total(s) {
			t.Errorf("%s: CSV sums to %d, Total says %d", s, sums[2+int(s)], r.Total(s))
		}
	}
	if r.Total(Emitted) != 200 || r.Total(Collector) != 100 || r.Total(Fallback) != 100 || r.Total(NeverArrived) != 3 || r.Total(Dropped) != 1 {
		t.Errorf("totals %d %d %d %d %d", r.Total(Emitted), r.Total(Collector), r.Total(Fallback), r.Total(Dropped), r.Total(NeverArrived))
	}
	if rows[1][5] != "1" {
		t.Errorf("a drop before the start is in bucket 0: %v", rows[1])
	}
}

// TestRenderIsSVG renders two runs side by side and reads the result back as XML.
func TestRenderIsSVG(t *testing.T) {
	start := time.Now()
	stock := sampleRun(start)
	stock.Name, stock.Caption = "stock", "logbench pipeline=stock emitted=200 lost=3"
	path := filepath.Join(t.TempDir(), "run.svg")
	if err := Write(path, stock, sampleRun(start)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	dec := xml.NewDecoder(bytes.NewReader(data))
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Local
			}
		case xml.CharData:
			if s := strings.TrimSpace(string(tok)); s != "" {
				texts = append(texts, s)
			}
		}
	}
	all := strings.Join(texts, "\n")
	if root != "svg" {
		t.Errorf("root %q, want svg", root)
	}
	for _, want := range []string{"stock", "resilog", "collector stopped", "logbench pipeline=stock emitted=200 lost=3",
		"written to the fallback", "never arrived (at the log call)", "fault window"} {
		if !strings.Contains(all, want) {
			t.Errorf("the SVG does not say %q; it says:\n%s", want, all)
		}
	}
	if _, err := os.Stat(CSVPath(path)); err != nil {
		t.Errorf("no CSV beside the SVG: %v", err)
	}
	if CSVPath(path) != strings.TrimSuffix(path, ".svg")+".csv" {
		t.Errorf("CSVPath(%q) = %q", path, CSVPath(path))
	}
}

func TestGrowthVisible(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out")
	var g Growth
	g.Sample(path) // not there yet: skipped
	if _, ok := g.Visible(path, 1); ok {
		t.Fatal("visible before the file exists")
	}
	if err := os.WriteFile(path, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	g.Sample(path)
	first, ok := g.Visible(path, 10)
	if !ok {
		t.Fatal("10 bytes written, not visible")
	}
	time.Sleep(2 * time.Millisecond)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("abc")
	f.Close()
	g.Sample(path)
	g.Sample(path) // no growth: no new sample
	at, ok := g.Visible(path, 11)
	if !ok || !at.After(first) {
		t.Errorf("byte 11: %v %v, want after %v", at, ok, first)
	}
	if at5, _ := g.Visible(path, 5); !at5.Equal(first) {
		t.Errorf("byte 5 seen at %v, want the first sample %v", at5, first)
	}
	if _, ok := g.Visible(path, 14); ok {
		t.Error("byte 14 was never written")
	}
}

func TestLinesCountsNewlines(t *testing.T) {
	r := NewRun("x", time.Now())
	var out bytes.Buffer
	w := &Lines{W: &out, Run: r, Series: Fallback}
	io.WriteString(w, "{\"a\":1}\n{\"a\":2}\n{\"a\"")
	io.WriteString(w, ":3}\n")
	if r.Total(Fallback) != 3 || out.String() != "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n" {
		t.Errorf("counted %d lines, passed on %q", r.Total(Fallback), out.String())
	}
}

func TestEveryStopsAndSamplesLast(t *testing.T) {
	calls := 0
	stop := Every(time.Hour, func() { calls++ })
	stop()
	stop()
	if calls != 1 {
		t.Errorf("%d calls after stop, want the one last sample", calls)
	}
}

// TestStepsEndAtTheTotal checks the running total's line: a point where the value
// changes, and the closing point at the end of the last bucket holding the total.
func TestStepsEndAtTheTotal(t *testing.T) {
	xy := steps(floats([]int{1, 1, 2, 0}, true))
	want := []struct{ x, y float64 }{{0, 1}, {0.1, 2}, {0.2, 4}, {0.4, 4}}
	if len(xy) != len(want) {
		t.Fatalf("points %v, want %v", xy, want)
	}
	for i, w := range want {
		if math.Abs(xy[i].X-w.x) > 1e-9 || xy[i].Y != w.y {
			t.Errorf("point %d: %v, want %v", i, xy[i], w)
		}
	}
	if xy := steps(floats([]int{3, 0}, false)); len(xy) != 3 || xy[2].Y != 0 {
		t.Errorf("per-bucket line %v, want (0,3) (0.1,0) (0.2,0)", xy)
	}
}

// TestAddMissingLeavesDroppedOut: of the records found nowhere, those the pipeline
// counted dropped stay in the Dropped series only, so never arrived is the lost ones and
// each record is in one stacked layer; each drop stands for the latest missing record
// emitted in its bucket or before.
func TestAddMissingLeavesDroppedOut(t *testing.T) {
	start := time.Now()
	at := func(b int) time.Time { return start.Add(time.Duration(b)*Bucket + Bucket/2) }
	r := NewRun("resilog", start)
	r.Add(Dropped, at(2), 2)
	r.AddMissing([]time.Time{at(1), at(2), at(2), at(5)})
	if got := r.Total(NeverArrived); got != 2 {
		t.Fatalf("never arrived %d, want 4 missing − 2 dropped = 2", got)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for b, want := range []int{0, 1, 0, 0, 0, 1} {
		if got := r.at(NeverArrived, b); got != want {
			t.Errorf("bucket %d: never arrived %d, want %d", b, got, want)
		}
	}
}

// TestWriteFaultsBesideThePicture: the fault windows are written as CSV beside the SVG,
// in seconds since the run started, so a reader can check the shading.
func TestWriteFaultsBesideThePicture(t *testing.T) {
	start := time.Now()
	r := sampleRun(start)
	r.Fault(start.Add(1700*time.Millisecond), start.Add(2900*time.Millisecond), "collector down")
	path := filepath.Join(t.TempDir(), "run.svg")
	if err := Write(path, r); err != nil {
		t.Fatal(err)
	}
	if FaultsPath(path) != strings.TrimSuffix(path, ".svg")+".faults.csv" {
		t.Errorf("FaultsPath(%q) = %q", path, FaultsPath(path))
	}
	got, err := os.ReadFile(FaultsPath(path))
	if err != nil {
		t.Fatal(err)
	}
	want := "pipeline,fault,from_s,to_s\nresilog,collector stopped,0.500,1.500\nresilog,collector down,1.700,2.900\n"
	if string(got) != want {
		t.Errorf("faults CSV:\n%s\nwant:\n%s", got, want)
	}
}

// TestRenderFontsAndTicks: the text is laid out with DejaVu Sans, which the SVG names
// with generic fallbacks (every text style, none bare), and the tick labels are plain
// numbers: whole numbers of records on the y axes, no "2500.00".
func TestRenderFontsAndTicks(t *testing.T) {
	var svg bytes.Buffer
	if err := Render(&svg, sampleRun(time.Now())); err != nil {
		t.Fatal(err)
	}
	out := svg.String()
	if n := strings.Count(out, svgFamilyChain); n == 0 {
		t.Errorf("the SVG never names %q", svgFamilyChain)
	}
	if strings.Contains(out, svgFamily) {
		t.Errorf("the SVG names %q without a fallback", svgFamily)
	}
	if strings.Contains(out, "Liberation") {
		t.Error("the SVG names Liberation, which the layout was not measured with")
	}
	for _, tk := range (plainTicks{integers: true}).Ticks(0, 7.5) {
		if tk.Label != "" && strings.ContainsAny(tk.Label, ".") {
			t.Errorf("y tick label %q, want whole numbers", tk.Label)
		}
	}
	for _, tk := range (plainTicks{}).Ticks(0, 2500) {
		if strings.HasSuffix(tk.Label, ".0") || strings.HasSuffix(tk.Label, ".00") {
			t.Errorf("x tick label %q has trailing zeros", tk.Label)
		}
	}
}
