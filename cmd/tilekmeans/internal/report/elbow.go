package report

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Elbow size in pixels (at plotDPI), and the colour of its line.
const elbowW, elbowH = 720, 400

var (
	elbowBlue  = color.RGBA{R: 0x1f, G: 0x5f, B: 0xa8, A: 0xff}
	kneeOrange = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
)

// Elbow draws inertia against k for the runs (in their order, which is
// ascending k) with gonum/plot, the recommended k (0: none) as a dashed
// line and the Kneedle knee of the curve (0: none) as an orange disc
// behind its point, both in the legend, and returns the PNG.
func Elbow(runs []Run, recommended, knee int) ([]byte, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("elbow plot: no runs")
	}
	p := newPlot("Elbow: inertia against k", "k (clusters)", "inertia (sum of squared distances)")
	xys := make(plotter.XYs, len(runs))
	ks := make([]int, len(runs))
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, r := range runs {
		xys[i].X, xys[i].Y = float64(r.Result.K), r.Result.Inertia
		ks[i] = r.Result.K
		lo, hi = min(lo, r.Result.Inertia), max(hi, r.Result.Inertia)
	}
	line, points, err := plotter.NewLinePoints(xys)
	if err != nil {
		return nil, fmt.Errorf("elbow plot: %w", err)
	}
	line.Color, line.Width = elbowBlue, vg.Points(2)
	points.Color, points.Shape, points.Radius = elbowBlue, draw.CircleGlyph{}, vg.Points(4)
	grid := plotter.NewGrid()
	grid.Vertical.Color = gray
	grid.Horizontal.Color = gray
	p.Add(grid)
	for _, xy := range xys {
		if int(xy.X) != knee {
			continue
		}
		// A disc behind the knee's point.
		halo, err := plotter.NewScatter(plotter.XYs{xy})
		if err != nil {
			return nil, fmt.Errorf("elbow plot: %w", err)
		}
		halo.Color, halo.Shape, halo.Radius = kneeOrange, draw.CircleGlyph{}, vg.Points(9)
		p.Add(halo)
		p.Legend.Add(fmt.Sprintf("Kneedle knee k = %d", knee), halo)
		p.Legend.Top = true
	}
	p.Add(line, points)

	// Integer ticks at the ks; a little room around the points, and a
	// visible range when there is one k or the inertias are all equal.
	p.X.Tick.Marker = kTicks(ks)
	p.X.Min, p.X.Max = xys[0].X-0.5, xys[len(xys)-1].X+0.5
	pad := (hi - lo) * 0.08
	if pad == 0 {
		pad = max(math.Abs(hi)*0.1, 1)
	}
	p.Y.Min, p.Y.Max = max(0, lo-pad), hi+pad
	p.Y.Tick.Marker = siTicks{}
	if recommended > 0 {
		if err := markK(p, recommended, fmt.Sprintf("recommended k = %d", recommended)); err != nil {
			return nil, fmt.Errorf("elbow plot: %w", err)
		}
		p.Legend.Top = true
	}
	b, err := renderPlot(p, elbowW, elbowH)
	if err != nil {
		return nil, fmt.Errorf("elbow plot: %w", err)
	}
	return b, nil
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
