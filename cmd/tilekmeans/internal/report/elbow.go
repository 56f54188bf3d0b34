package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Elbow size in pixels (at 96 dpi), and the colour of its line.
const (
	elbowW, elbowH = 720, 400
	elbowDPI       = 96
)

var elbowBlue = color.RGBA{R: 0x1f, G: 0x5f, B: 0xa8, A: 0xff}

// Elbow draws inertia against k for the runs (in their order, which is
// ascending k) with gonum/plot and returns the PNG.
func Elbow(runs []Run) ([]byte, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("elbow plot: no runs")
	}
	p := plot.New()
	p.Title.Text = "Elbow: inertia against k"
	p.X.Label.Text = "k (clusters)"
	p.Y.Label.Text = "inertia (sum of squared distances)"
	// Liberation Sans, like the page around it, rather than the default serif.
	for _, f := range []*font.Font{
		&p.Title.TextStyle.Font, &p.X.Label.TextStyle.Font, &p.Y.Label.TextStyle.Font,
		&p.X.Tick.Label.Font, &p.Y.Tick.Label.Font,
	} {
		f.Variant = "Sans"
	}
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Title.Padding = vg.Points(8)

	xys := make(plotter.XYs, len(runs))
	var ticks []plot.Tick
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, r := range runs {
		xys[i].X, xys[i].Y = float64(r.Result.K), r.Result.Inertia
		ticks = append(ticks, plot.Tick{Value: float64(r.Result.K), Label: strconv.Itoa(r.Result.K)})
		lo, hi = min(lo, r.Result.Inertia), max(hi, r.Result.Inertia)
	}
	line, points, err := plotter.NewLinePoints(xys)
	if err != nil {
		return nil, fmt.Errorf("elbow plot: %w", err)
	}
	line.Color, line.Width = elbowBlue, vg.Points(2)
	points.Color, points.Shape, points.Radius = elbowBlue, draw.CircleGlyph{}, vg.Points(4)
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 225}
	grid.Horizontal.Color = color.Gray{Y: 225}
	p.Add(grid, line, points)

	// Integer ticks at the ks; a little room around the points, and a
	// visible range when there is one k or the inertias are all equal.
	kmin, kmax := xys[0].X, xys[len(xys)-1].X
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Min, p.X.Max = kmin-0.5, kmax+0.5
	pad := (hi - lo) * 0.08
	if pad == 0 {
		pad = max(math.Abs(hi)*0.1, 1)
	}
	p.Y.Min, p.Y.Max = max(0, lo-pad), hi+pad
	p.Y.Tick.Marker = siTicks{}

	c := vgimg.NewWith(
		vgimg.UseWH(vg.Length(elbowW)*vg.Inch/elbowDPI, vg.Length(elbowH)*vg.Inch/elbowDPI),
		vgimg.UseDPI(elbowDPI),
	)
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return nil, fmt.Errorf("elbow plot: %w", err)
	}
	return b.Bytes(), nil
}

// siTicks are gonum's default ticks labelled 1.2M, 950k instead of 1.2e+06.
type siTicks struct{}

func (siTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = si(ts[i].Value)
		}
	}
	return ts
}

// si formats v with a k, M or G suffix and at most 3 significant digits.
func si(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e9:
		return strconv.FormatFloat(v/1e9, 'g', 3, 64) + "G"
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', 3, 64) + "M"
	case a >= 1e3:
		return strconv.FormatFloat(v/1e3, 'g', 3, 64) + "k"
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}
