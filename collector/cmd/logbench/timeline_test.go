package main

import (
	"encoding/csv"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/resilog/resilog/collector/internal/timeline"
)

// TestTimeline runs both pipelines for 4 s against the real collector, stopped at 1 s, 2 s
// and 3 s (both have exported by then: stock's batches of 512 fill every 0.26 s,
// resilog's of 1024 every 0.51 s), and checks that the picture is well-formed SVG and that each pipeline's CSV
// columns add up to the numbers of its accounting line.
func TestTimeline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the collector and runs it")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "resilog-collector")
	build := exec.Command("go", "build", "-o", bin, "github.com/resilog/resilog/collector/cmd/resilog-collector")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the collector: %v\n%s", err, out)
	}
	c := config{fault: "flap", protocol: "http", n: 8000, rate: 2000, queue: 2048,
		shutdown: 10 * time.Second, collectorBin: bin, timeline: filepath.Join(dir, "flap.svg")}
	var recs []*recording
	for _, p := range []string{"stock", "resilog"} {
		c.pipeline = p
		rec := newRecording(c)
		if err := run(c, rec); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	if err := writeTimeline(c.timeline, recs); err != nil {
		t.Fatal(err)
	}

	f, err := os.Open(c.timeline)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var root string
	texts := ""
	for dec := xml.NewDecoder(f); ; {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the SVG does not parse: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Local
			}
		case xml.CharData:
			texts += string(tok)
		}
	}
	if root != "svg" {
		t.Fatalf("root element %q, want svg", root)
	}
	for _, rec := range recs {
		// The caption is drawn wrapped: every word of the accounting line must be there.
		for _, word := range strings.Fields(rec.run.Caption) {
			if !strings.Contains(texts, word) {
				t.Errorf("the SVG lacks %q of the caption %q", word, rec.run.Caption)
			}
		}
	}

	sums := readSums(t, timeline.CSVPath(c.timeline))
	for _, rec := range recs {
		line := accounting(t, rec.run.Caption)
		got := sums[rec.name]
		t.Logf("%s: %s; csv sums %v", rec.name, rec.run.Caption, got)
		for _, col := range []string{"emitted", "collector", "fallback", "dropped"} {
			if got[col] != line[col] {
				t.Errorf("%s: the CSV's %s adds up to %d, the accounting line says %d", rec.name, col, got[col], line[col])
			}
		}
		// Each record is in one stacked layer: never arrived is the lost ones only.
		if got["never_arrived"] != line["lost"] {
			t.Errorf("%s: never_arrived adds up to %d, want lost = %d", rec.name, got["never_arrived"], line["lost"])
		}
		if stacked := got["collector"] + got["fallback"] + got["dropped"] + got["never_arrived"]; stacked != line["emitted"]+line["duplicates"] {
			t.Errorf("%s: the stacked columns add up to %d, want emitted+duplicates = %d", rec.name, stacked, line["emitted"]+line["duplicates"])
		}
		if line["collector"] == 0 {
			t.Errorf("%s: nothing reached the collector: %s", rec.name, rec.run.Caption)
		}
	}
	// The fault windows are written beside the picture: per pipeline, the three outages in
	// order, each at least the 1 s the collector was left stopped, none starting before the
	// previous one ended (a flap waits for the previous restart).
	windows := readFaults(t, timeline.FaultsPath(c.timeline))
	for _, rec := range recs {
		w := windows[rec.name]
		if len(w) != 3 {
			t.Errorf("%s: %d fault windows %v, want 3", rec.name, len(w), w)
			continue
		}
		for i, span := range w {
			if span[1]-span[0] < 1 {
				t.Errorf("%s: outage %d lasted %.3fs, the collector was stopped for 1s", rec.name, i, span[1]-span[0])
			}
			if i > 0 && span[0] < w[i-1][1] {
				t.Errorf("%s: outage %d starts at %.3fs, before outage %d ended at %.3fs", rec.name, i, span[0], i-1, w[i-1][1])
			}
		}
		t.Logf("%s: outages %v", rec.name, w)
	}

	// Each way a record can go is drawn: stock loses some, resilog writes some to the fallback.
	if l := accounting(t, recs[0].run.Caption); l["lost"] == 0 {
		t.Errorf("stock: want records lost: %s", recs[0].run.Caption)
	}
	if l := accounting(t, recs[1].run.Caption); l["fallback"] == 0 || l["lost"] != 0 {
		t.Errorf("resilog: want records in the fallback and none lost: %s", recs[1].run.Caption)
	}
}

// readSums adds up each numeric column of the timeline's CSV, per pipeline.
func readSums(t *testing.T, path string) map[string]map[string]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 2 {
		t.Fatalf("%s: %d rows", path, len(rows))
	}
	header := rows[0]
	sums := map[string]map[string]int{}
	for _, row := range rows[1:] {
		if sums[row[0]] == nil {
			sums[row[0]] = map[string]int{}
		}
		for i := 2; i < len(row); i++ {
			n, err := strconv.Atoi(row[i])
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			sums[row[0]][header[i]] += n
		}
	}
	return sums
}

// readFaults reads the fault windows of a timeline, per pipeline: [from, to] in seconds.
func readFaults(t *testing.T, path string) map[string][][2]float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != "pipeline,fault,from_s,to_s" {
		t.Fatalf("%s: header %v", path, rows)
	}
	windows := map[string][][2]float64{}
	for _, row := range rows[1:] {
		from, err1 := strconv.ParseFloat(row[2], 64)
		to, err2 := strconv.ParseFloat(row[3], 64)
		if err := errors.Join(err1, err2); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		windows[row[0]] = append(windows[row[0]], [2]float64{from, to})
	}
	return windows
}

// accounting reads the numbers of a "logbench k=v ..." line.
func accounting(t *testing.T, line string) map[string]int {
	t.Helper()
	m := map[string]int{}
	for _, f := range strings.Fields(line) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(v); err == nil {
			m[k] = n
		}
	}
	if len(m) < 5 {
		t.Fatalf("not an accounting line: %q", line)
	}
	return m
}
