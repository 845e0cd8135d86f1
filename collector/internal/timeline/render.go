package timeline

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"codeberg.org/go-fonts/dejavu/dejavusans"
	"golang.org/x/image/font/opentype"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Write renders runs side by side into the SVG file svgPath and writes the numbers
// behind the picture beside it: per bucket as CSV at [CSVPath], and the fault windows
// as CSV at [FaultsPath].
func Write(svgPath string, runs ...*Run) error {
	var svg, table, faults bytes.Buffer
	if err := Render(&svg, runs...); err != nil {
		return err
	}
	if err := WriteCSV(&table, runs...); err != nil {
		return err
	}
	if err := WriteFaultsCSV(&faults, runs...); err != nil {
		return err
	}
	for path, b := range map[string][]byte{svgPath: svg.Bytes(), CSVPath(svgPath): table.Bytes(), FaultsPath(svgPath): faults.Bytes()} {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// CSVPath is where [Write] puts the per-bucket CSV of the picture at svgPath.
func CSVPath(svgPath string) string {
	return strings.TrimSuffix(svgPath, ".svg") + ".csv"
}

// FaultsPath is where [Write] puts the fault windows of the picture at svgPath.
func FaultsPath(svgPath string) string {
	return strings.TrimSuffix(svgPath, ".svg") + ".faults.csv"
}

// The picture's text is laid out with the metrics of DejaVu Sans, which is embedded in
// the program (the SVG names the font, it does not carry it: that would add 1 MB). The
// SVG asks for DejaVu Sans and falls back to the viewer's sans-serif: DejaVu Sans is one
// of the widest sans-serif faces, so a fallback draws every text narrower than laid out,
// never into its neighbour.
var sans = font.Font{Typeface: "DejaVu", Variant: "Sans"}

const (
	svgFamily      = "font-family:DejaVu Sans;"
	svgFamilyChain = "font-family:'DejaVu Sans','Bitstream Vera Sans',Verdana,sans-serif;"
)

func init() {
	face, err := opentype.Parse(dejavusans.TTF)
	if err != nil {
		panic(fmt.Sprintf("timeline: the embedded DejaVu Sans: %v", err))
	}
	font.DefaultCache.Add(font.Collection{{Font: sans, Face: face}})
}

var (
	panelWidth  = 6.5 * vg.Inch
	plotHeight  = 2.7 * vg.Inch // each of the two plots of a panel
	panelGap    = 0.35 * vg.Inch
	rightMargin = 0.2 * vg.Inch // room for the last x tick's label
	legendRow   = 0.22 * vg.Inch
	captionFont = font.From(sans, 8)
	labelFont   = font.From(sans, 7)
	shade       = color.NRGBA{R: 0xe0, G: 0x40, B: 0x30, A: 0x24}
)

// look is how each series is drawn.
var look = [numSeries]struct {
	label string
	color color.NRGBA
}{
	Emitted:      {"emitted (at the log call)", color.NRGBA{0x30, 0x30, 0x30, 0xff}},
	Collector:    {"written by the collector", color.NRGBA{0x1f, 0x77, 0xb4, 0xff}},
	Fallback:     {"written to the fallback", color.NRGBA{0xff, 0x8c, 0x00, 0xff}},
	Dropped:      {"dropped, counted", color.NRGBA{0x80, 0x30, 0xa0, 0xff}},
	NeverArrived: {"never arrived (at the log call)", color.NRGBA{0xd6, 0x27, 0x28, 0xff}},
}

// Render draws runs side by side on one SVG canvas, over the same axes. Each run has two
// plots: records per 100 ms bucket, and below it the running totals stacked (collector,
// fallback, dropped, never arrived, which add up to emitted at the end), both with the
// fault windows shaded; its accounting line is the caption underneath. One legend for
// all runs closes the picture.
func Render(w io.Writer, runs ...*Run) error {
	if len(runs) == 0 {
		return fmt.Errorf("timeline: nothing to render")
	}
	captionStyle := text.Style{Color: color.Black, Font: captionFont, Handler: plot.DefaultTextHandler}
	width := panelWidth * vg.Length(len(runs))
	columns := draw.Tiles{Rows: 1, Cols: len(runs), PadX: panelGap, PadRight: rightMargin}
	captionIndent := 0.3 * vg.Inch
	captionWidth := (width-rightMargin-panelGap*vg.Length(len(runs)-1))/vg.Length(len(runs)) - captionIndent
	lines := make([][]string, len(runs))
	captionLines := 0
	for i, r := range runs {
		lines[i] = wrap(captionStyle, r.Caption, captionWidth)
		captionLines = max(captionLines, len(lines[i]))
	}
	lineHeight := captionStyle.Height("Ag") * 1.3
	captionHeight := lineHeight*vg.Length(captionLines) + 0.15*vg.Inch

	// Every run shares the axes, so the eye compares like with like.
	views := make([]view, len(runs))
	xMax, rateMax, totalMax := 1.0, 1.0, 1.0
	for i, r := range runs {
		views[i] = r.view()
		xMax = max(xMax, float64(views[i].n)*Bucket.Seconds())
		for s := range numSeries {
			for _, v := range views[i].counts[s] {
				rateMax = max(rateMax, float64(v))
			}
			totalMax = max(totalMax, float64(views[i].total(s)))
		}
		totalMax = max(totalMax, float64(views[i].total(Collector)+views[i].total(Fallback)+views[i].total(Dropped)+views[i].total(NeverArrived)))
	}

	legendHeight := legendRow*vg.Length(len(legendLayout(width))) + 0.08*vg.Inch
	height := 2*plotHeight + captionHeight + legendHeight
	canvas := vgsvg.New(width, height)
	dc := draw.New(canvas)
	plots := [][]*plot.Plot{make([]*plot.Plot, len(runs)), make([]*plot.Plot, len(runs))}
	var thumbs [numSeries]plot.Thumbnailer
	for i, r := range runs {
		rates, err := ratePlot(r, views[i], xMax, rateMax*1.15, &thumbs)
		if err != nil {
			return err
		}
		totals, err := totalPlot(r, views[i], xMax, totalMax*1.05)
		if err != nil {
			return err
		}
		plots[0][i], plots[1][i] = rates, totals
	}
	// Aligned: every plot's data area has the same size and the same left edge in its
	// column, whatever the width of its y tick labels, so the fault windows of the top
	// and bottom plots line up.
	grid := columns
	grid.Rows, grid.PadY, grid.PadTop = 2, 0.1*vg.Inch, 0.08*vg.Inch
	area := draw.Crop(dc, 0, 0, captionHeight+legendHeight, 0)
	for row, cs := range plot.Align(plots, grid, area) {
		for col, c := range cs {
			plots[row][col].Draw(c)
		}
	}
	captions := draw.Crop(dc, 0, 0, legendHeight, -(height - legendHeight - captionHeight))
	for i := range runs {
		tile := columns.At(captions, i, 0)
		y := tile.Max.Y - 0.1*vg.Inch - lineHeight/2
		for _, l := range lines[i] {
			tile.FillText(captionStyle, vg.Point{X: tile.Min.X + captionIndent, Y: y}, l)
			y -= lineHeight
		}
	}
	drawLegend(draw.Crop(dc, 0, 0, 0, legendHeight-height), thumbs)
	var svg bytes.Buffer
	if _, err := canvas.WriteTo(&svg); err != nil {
		return err
	}
	_, err := w.Write(bytes.ReplaceAll(svg.Bytes(), []byte(svgFamily), []byte(svgFamilyChain)))
	return err
}

// view is a copy of a run's numbers, taken under its lock.
type view struct {
	n       int
	counts  [numSeries][]int
	windows []Window
}

func (r *Run) view() view {
	r.mu.Lock()
	defer r.mu.Unlock()
	v := view{n: r.buckets(), windows: append([]Window(nil), r.windows...)}
	for s := range numSeries {
		v.counts[s] = make([]int, v.n)
		for b := range v.n {
			v.counts[s][b] = r.at(s, b)
		}
	}
	return v
}

func (v view) total(s Series) int {
	t := 0
	for _, n := range v.counts[s] {
		t += n
	}
	return t
}

// steps is the points of a post-step line through ys, one per bucket: a point where the
// value changes, and one closing the last bucket.
func steps(ys []float64) plotter.XYs {
	var xy plotter.XYs
	for b, y := range ys {
		if b == 0 || y != ys[b-1] {
			xy = append(xy, plotter.XY{X: float64(b) * Bucket.Seconds(), Y: y})
		}
	}
	return append(xy, plotter.XY{X: float64(len(ys)) * Bucket.Seconds(), Y: ys[len(ys)-1]})
}

// floats is counts as float64s, added up as it goes if running.
func floats(counts []int, running bool) []float64 {
	ys := make([]float64, len(counts))
	sum := 0.0
	for b, n := range counts {
		if running {
			sum += float64(n)
			ys[b] = sum
		} else {
			ys[b] = float64(n)
		}
	}
	return ys
}

func newPlot(r *Run, v view, xMax, yMax float64) *plot.Plot {
	p := plot.New()
	p.X.Min, p.X.Max = 0, xMax
	p.Y.Min, p.Y.Max = 0, yMax
	p.X.Tick.Marker = plainTicks{}
	p.Y.Tick.Marker = plainTicks{integers: true}
	for _, f := range []*font.Font{&p.Title.TextStyle.Font, &p.X.Label.TextStyle.Font, &p.Y.Label.TextStyle.Font,
		&p.X.Tick.Label.Font, &p.Y.Tick.Label.Font} {
		*f = font.From(sans, f.Size)
	}
	p.Add(plotter.NewGrid())
	return p
}

// plainTicks are gonum's default ticks labelled without trailing zeros ("2500", not
// "2500.00"); with integers, only whole numbers are labelled (the y axes count records).
type plainTicks struct{ integers bool }

func (t plainTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i, tk := range ticks {
		switch {
		case tk.Label == "":
		case t.integers && tk.Value != math.Trunc(tk.Value):
			ticks[i].Label = ""
		default:
			ticks[i].Label = strconv.FormatFloat(tk.Value, 'f', -1, 64)
		}
	}
	return ticks
}

// ratePlot draws each series per bucket, as lines.
func ratePlot(r *Run, v view, xMax, yMax float64, thumbs *[numSeries]plot.Thumbnailer) (*plot.Plot, error) {
	p := newPlot(r, v, xMax, yMax)
	p.Title.Text = r.Name
	p.Y.Label.Text = "records per 100 ms"
	p.Add(&faults{run: r, windows: v.windows}) // under the lines
	if v.n == 0 {
		return p, nil
	}
	for _, s := range []Series{Collector, Fallback, Dropped, NeverArrived, Emitted} {
		l, err := plotter.NewLine(steps(floats(v.counts[s], false)))
		if err != nil {
			return nil, err
		}
		l.StepStyle = plotter.PostStep
		l.Color = look[s].color
		l.Width = vg.Points(1)
		if s == Emitted {
			l.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
		}
		p.Add(l)
		thumbs[s] = l
	}
	return p, nil
}

// totalPlot stacks the running totals of where records went: collector, then fallback,
// dropped and never arrived on top, under the running total of emitted records.
func totalPlot(r *Run, v view, xMax, yMax float64) (*plot.Plot, error) {
	p := newPlot(r, v, xMax, yMax)
	p.X.Label.Text = "seconds since the run started (100 ms buckets)"
	p.Y.Label.Text = "records so far, stacked"
	if v.n == 0 {
		p.Add(&faults{run: r, windows: v.windows})
		return p, nil
	}
	stack := []Series{Collector, Fallback, Dropped, NeverArrived}
	sums := make([][]float64, len(stack)) // sums[i][b]: series stack[0..i] up to bucket b
	for i, s := range stack {
		sums[i] = floats(v.counts[s], true)
		for b := range sums[i] {
			if i > 0 {
				sums[i][b] += sums[i-1][b]
			}
		}
	}
	// Tallest first, so each lower layer is drawn over the one above it.
	for i := len(stack) - 1; i >= 0; i-- {
		l, err := plotter.NewLine(steps(sums[i]))
		if err != nil {
			return nil, err
		}
		l.StepStyle = plotter.PostStep
		l.Color = look[stack[i]].color
		l.Width = vg.Points(0.5)
		l.FillColor = tint(look[stack[i]].color)
		p.Add(l)
	}
	l, err := plotter.NewLine(steps(floats(v.counts[Emitted], true)))
	if err != nil {
		return nil, err
	}
	l.StepStyle = plotter.PostStep
	l.Color = look[Emitted].color
	l.Width = vg.Points(1)
	l.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
	p.Add(l, &faults{run: r, windows: v.windows}) // over the opaque areas
	return p, nil
}

// tint is c mixed half with white: a fill that lets the grid and the lines show.
func tint(c color.NRGBA) color.NRGBA {
	mix := func(v uint8) uint8 { return uint8((int(v) + 0xff) / 2) }
	return color.NRGBA{mix(c.R), mix(c.G), mix(c.B), 0xff}
}

// legendEntry is one entry of the legend and where it starts, from the left of its row.
type legendEntry struct {
	label string
	x     vg.Length
}

var (
	legendStyle = text.Style{Color: color.Black, Font: captionFont, Handler: plot.DefaultTextHandler, YAlign: text.YCenter}
	thumbWidth  = 0.25 * vg.Inch
)

// legendLayout flows the legend's entries into rows no wider than width; thumbnails are
// filled in by drawLegend.
func legendLayout(width vg.Length) [][]legendEntry {
	labels := make([]string, 0, numSeries+1)
	for s := range numSeries {
		labels = append(labels, look[s].label)
	}
	labels = append(labels, "fault window")
	var rows [][]legendEntry
	var row []legendEntry
	x := 0.3 * vg.Inch
	for _, l := range labels {
		w := thumbWidth + 0.05*vg.Inch + legendStyle.Width(l) + 0.25*vg.Inch
		if len(row) > 0 && x+w > width {
			rows, row, x = append(rows, row), nil, 0.3*vg.Inch
		}
		row = append(row, legendEntry{label: l, x: x})
		x += w
	}
	return append(rows, row)
}

// drawLegend draws the series and the fault shading in rows across c.
func drawLegend(c draw.Canvas, thumbs [numSeries]plot.Thumbnailer) {
	y := c.Max.Y - legendRow/2
	for _, row := range legendLayout(c.Max.X - c.Min.X) {
		for _, e := range row {
			var t plot.Thumbnailer = swatch{shade}
			for s := range numSeries {
				if look[s].label == e.label {
					t = thumbs[s]
				}
			}
			if t == nil { // no data: nothing was drawn
				continue
			}
			x := c.Min.X + e.x
			box := c
			box.Min = vg.Point{X: x, Y: y - 3}
			box.Max = vg.Point{X: x + thumbWidth, Y: y + 3}
			t.Thumbnail(&box)
			c.FillText(legendStyle, vg.Point{X: x + thumbWidth + 0.05*vg.Inch, Y: y}, e.label)
		}
		y -= legendRow
	}
}

// faults shades each fault window over the whole height of the plot, labelled at the top.
type faults struct {
	run     *Run
	windows []Window
}

func (f *faults) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	label := text.Style{Color: color.NRGBA{0x90, 0x20, 0x10, 0xff}, Font: labelFont, Handler: plot.DefaultTextHandler,
		XAlign: text.XCenter, YAlign: text.YTop}
	for _, w := range f.windows {
		x0 := max(c.Min.X, trX(f.run.seconds(w.From)))
		x1 := min(c.Max.X, trX(f.run.seconds(w.To)))
		if x1 <= x0 {
			continue
		}
		c.FillPolygon(shade, []vg.Point{{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}})
		c.FillText(label, vg.Point{X: (x0 + x1) / 2, Y: c.Max.Y - 2}, w.Label)
	}
}

// swatch is the legend's thumbnail for the fault shading.
type swatch struct{ color color.Color }

func (s swatch) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(s.color, []vg.Point{{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y}})
}

// wrap breaks s at spaces into lines no wider than width.
func wrap(sty text.Style, s string, width vg.Length) []string {
	var lines []string
	cur := ""
	for _, word := range strings.Fields(s) {
		next := strings.TrimSpace(cur + " " + word)
		if cur != "" && sty.Width(next) > width {
			lines = append(lines, cur)
			next = word
		}
		cur = next
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}
