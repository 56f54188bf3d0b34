package report

import (
	"bytes"
	"cmp"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/tiles"
)

// Indices says which k the internal validity indices recommend, for the
// report's "Which k?" part; each Run's Scores holds its own indices.
type Indices struct {
	// Rec is the recommendation (kmeans.Recommend): the k (0: none), the
	// index that chose it, each index's best k, the inertia's knee.
	Rec  kmeans.Recommendation
	Line string // the line that names it, its rule and the other opinions
	// How says how the silhouette was computed ("exact over all 5610
	// tiles", a sample); "" when it was not (-silhouette off).
	How string
	// Cautions say when not to trust the recommendation as it stands, one
	// clause each.
	Cautions []string
}

// Plot sizes in pixels (at 96 dpi).
const (
	indicesW, indicesH       = 480, 520
	silhouetteW, silhouetteH = 480, 400
	mapW, mapH               = 480, 400
	plotDPI                  = 96
)

// The map and silhouette plots' limits: the dots a map draws, and the
// vertices a cluster's silhouette outline keeps (the fit's are in pca.go).
const (
	MapDots     = 4000
	outlinePts  = 600
	thumbPixels = 28
)

var (
	red  = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	gray = color.Gray{Y: 225}
)

// palette is Tableau's 20 categorical colours (matplotlib's tab20), dark
// shades first; cluster c gets palette[c%20].
var palette = func() []color.RGBA {
	hex := []uint32{0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf,
		0xaec7e8, 0xffbb78, 0x98df8a, 0xff9896, 0xc5b0d5, 0xc49c94, 0xf7b6d2, 0xc7c7c7, 0xdbdb8d, 0x9edae5}
	p := make([]color.RGBA, len(hex))
	for i, h := range hex {
		p[i] = color.RGBA{R: uint8(h >> 16), G: uint8(h >> 8), B: uint8(h), A: 0xff}
	}
	return p
}()

// newPlot returns a plot in the report's style: sans-serif text, a title
// and axis labels.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, x, y
	for _, f := range []*font.Font{
		&p.Title.TextStyle.Font, &p.X.Label.TextStyle.Font, &p.Y.Label.TextStyle.Font,
		&p.X.Tick.Label.Font, &p.Y.Tick.Label.Font, &p.Legend.TextStyle.Font,
	} {
		f.Variant = "Sans"
	}
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Title.Padding = vg.Points(8)
	return p
}

// canvas returns an image canvas of w x h pixels at plotDPI.
func canvas(w, h int) *vgimg.Canvas {
	return vgimg.NewWith(vgimg.UseWH(vg.Length(w)*vg.Inch/plotDPI, vg.Length(h)*vg.Inch/plotDPI), vgimg.UseDPI(plotDPI))
}

// encodeCanvas returns c as PNG bytes, compressed for speed (the page
// holds a dozen such plots).
func encodeCanvas(c *vgimg.Canvas) ([]byte, error) {
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&b, c.Image()); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// renderPlot draws p on a w x h canvas and returns the PNG.
func renderPlot(p *plot.Plot, w, h int) ([]byte, error) {
	c := canvas(w, h)
	p.Draw(draw.New(c))
	return encodeCanvas(c)
}

// kTicks are integer ticks at the ks.
func kTicks(ks []int) plot.ConstantTicks {
	t := make(plot.ConstantTicks, len(ks))
	for i, k := range ks {
		t[i] = plot.Tick{Value: float64(k), Label: strconv.Itoa(k)}
	}
	return t
}

// markK draws a dashed vertical line at k across p, labelled in the
// legend.
func markK(p *plot.Plot, k int, label string) error {
	if k == 0 {
		return nil
	}
	l, err := plotter.NewLine(plotter.XYs{{X: float64(k), Y: p.Y.Min}, {X: float64(k), Y: p.Y.Max}})
	if err != nil {
		return err
	}
	l.Color, l.Width, l.Dashes = red, vg.Points(1.5), []vg.Length{vg.Points(5), vg.Points(3)}
	p.Add(l)
	if label != "" {
		p.Legend.Add(label, l)
	}
	return nil
}

// IndicesChart draws silhouette, Davies-Bouldin and Calinski-Harabasz
// against k, one panel each sharing the k axis (none for an index no k
// has, such as the silhouette under -silhouette off), each index's best k
// ringed and the recommended k marked with a dashed line, and returns the
// PNG. It returns nil when no run has indices.
func IndicesChart(runs []Run, ind *Indices) ([]byte, error) {
	if ind == nil {
		return nil, nil
	}
	type panel struct {
		title, label string
		value        func(kmeans.Scores) (float64, bool)
		best         int
	}
	panels := []panel{
		{"Silhouette (higher is better)", "mean silhouette", func(s kmeans.Scores) (float64, bool) {
			return s.Silhouette, s.Omitted == "" && s.SilhouetteOmitted == ""
		}, ind.Rec.BestSilhouette},
		{"Davies-Bouldin (lower is better)", "Davies-Bouldin", func(s kmeans.Scores) (float64, bool) { return s.DaviesBouldin, s.Omitted == "" }, ind.Rec.BestDaviesBouldin},
		{"Calinski-Harabasz (higher is better)", "Calinski-Harabasz", func(s kmeans.Scores) (float64, bool) {
			return s.CalinskiHarabasz, s.Omitted == "" && s.CalinskiHarabaszOmitted == ""
		}, ind.Rec.BestCalinskiHarabasz},
	}
	var ks []int
	for _, r := range runs {
		ks = append(ks, r.Result.K)
	}
	plots := make([][]*plot.Plot, 0, len(panels))
	for i, pn := range panels {
		var xys, best plotter.XYs
		for _, r := range runs {
			if r.Scores == nil {
				continue
			}
			if v, ok := pn.value(*r.Scores); ok {
				xys = append(xys, plotter.XY{X: float64(r.Result.K), Y: v})
				if r.Result.K == pn.best {
					best = append(best, xys[len(xys)-1])
				}
			}
		}
		if len(xys) == 0 {
			continue // an index no k has (the silhouette under -silhouette off): no empty panel
		}
		xl := ""
		if i == len(panels)-1 {
			xl = "k (clusters)"
		}
		p := newPlot(pn.title, xl, pn.label)
		p.Title.TextStyle.Font.Size = vg.Points(11)
		p.Title.Padding = vg.Points(4)
		p.X.Tick.Marker = kTicks(ks)
		p.X.Min, p.X.Max = float64(ks[0])-0.5, float64(ks[len(ks)-1])+0.5
		grid := plotter.NewGrid()
		grid.Vertical.Color, grid.Horizontal.Color = gray, gray
		p.Add(grid)
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, fmt.Errorf("indices chart: %w", err)
		}
		line.Color, line.Width = palette[i], vg.Points(2)
		points.Color, points.Shape, points.Radius = palette[i], draw.CircleGlyph{}, vg.Points(3.5)
		p.Add(line, points)
		if len(best) > 0 {
			ring, err := plotter.NewScatter(best)
			if err != nil {
				return nil, fmt.Errorf("indices chart: %w", err)
			}
			ring.Color, ring.Shape, ring.Radius = red, draw.RingGlyph{}, vg.Points(7)
			p.Add(ring)
		}
		lo, hi := xys[0].Y, xys[0].Y
		for _, v := range xys {
			lo, hi = min(lo, v.Y), max(hi, v.Y)
		}
		pad := (hi - lo) * 0.15
		if pad == 0 {
			pad = max(math.Abs(hi)*0.1, 0.05)
		}
		p.Y.Min, p.Y.Max = lo-pad, hi+pad
		label := ""
		if len(plots) == 0 && ind.Rec.K > 0 {
			label = fmt.Sprintf("recommended k = %d", ind.Rec.K)
		}
		if err := markK(p, ind.Rec.K, label); err != nil {
			return nil, fmt.Errorf("indices chart: %w", err)
		}
		p.Legend.Top = true
		plots = append(plots, []*plot.Plot{p})
	}
	if len(plots) == 0 {
		return nil, nil
	}
	c := canvas(indicesW, indicesH)
	dc := draw.New(c)
	t := draw.Tiles{Rows: len(plots), Cols: 1, PadY: vg.Points(4), PadTop: vg.Points(2), PadBottom: vg.Points(2), PadLeft: vg.Points(2), PadRight: vg.Points(6)}
	for i, row := range plot.Align(plots, t, dc) {
		plots[i][0].Draw(row[0])
	}
	b, err := encodeCanvas(c)
	if err != nil {
		return nil, fmt.Errorf("indices chart: %w", err)
	}
	return b, nil
}

// SilhouettePlot draws a k's silhouette plot as scikit-learn's example
// "Selecting the number of clusters with silhouette analysis on KMeans
// clustering" does: per cluster, its tiles' silhouettes sorted, largest at
// the top, as a filled band from 0, the clusters stacked with gaps and
// numbered, and the mean silhouette as a dashed red line. It returns nil
// when the k has no silhouette.
func SilhouettePlot(s *kmeans.Scores, labels []int32) ([]byte, error) {
	if s == nil || s.RowSilhouette == nil {
		return nil, nil
	}
	k := s.K
	per := make([][]float64, k)
	for i, v := range s.RowSilhouette {
		r := i
		if s.SilhouetteRows != nil {
			r = int(s.SilhouetteRows[i])
		}
		per[labels[r]] = append(per[labels[r]], v)
	}
	n := len(s.RowSilhouette)
	gap := max(1, n/(4*k+20))
	title := fmt.Sprintf("Silhouette of the %d clusters", k)
	if s.SilhouetteRows != nil {
		title = fmt.Sprintf("Silhouette of the %d clusters (a sample of %d tiles)", k, n)
	}
	p := newPlot(title, "silhouette coefficient", "tiles, by cluster")
	p.Y.Tick.Marker = plot.ConstantTicks{}
	lo := 0.0
	y := gap
	var labelsXY plotter.XYs
	var names []string
	for c := k - 1; c >= 0; c-- { // cluster 1 at the top, as in the montage's order
		v := per[c]
		if len(v) == 0 {
			continue
		}
		slices.SortFunc(v, func(a, b float64) int { return cmp.Compare(a, b) })
		step := max(1, len(v)/outlinePts)
		pts := plotter.XYs{{X: 0, Y: float64(y)}}
		for i := 0; i < len(v); i += step {
			pts = append(pts, plotter.XY{X: v[i], Y: float64(y + i)})
			lo = min(lo, v[i])
		}
		pts = append(pts, plotter.XY{X: v[len(v)-1], Y: float64(y + len(v))}, plotter.XY{X: 0, Y: float64(y + len(v))})
		poly, err := plotter.NewPolygon(pts)
		if err != nil {
			return nil, fmt.Errorf("silhouette plot: %w", err)
		}
		col := palette[c%len(palette)]
		poly.Color, poly.LineStyle.Color = col, col
		poly.LineStyle.Width = vg.Points(0.5)
		p.Add(poly)
		labelsXY = append(labelsXY, plotter.XY{Y: float64(y + len(v)/2)})
		names = append(names, strconv.Itoa(c+1))
		y += len(v) + gap
	}
	p.X.Min, p.X.Max = math.Min(-0.1, lo-0.05), 1
	p.Y.Min, p.Y.Max = 0, float64(y)
	for i := range labelsXY {
		labelsXY[i].X = p.X.Min + 0.02
	}
	if k <= 40 {
		lbl, err := plotter.NewLabels(plotter.XYLabels{XYs: labelsXY, Labels: names})
		if err != nil {
			return nil, fmt.Errorf("silhouette plot: %w", err)
		}
		for i := range lbl.TextStyle {
			lbl.TextStyle[i].Font.Variant = "Sans"
			lbl.TextStyle[i].Font.Size = vg.Points(8)
			lbl.TextStyle[i].YAlign = draw.YCenter
		}
		p.Add(lbl)
	}
	mean, err := plotter.NewLine(plotter.XYs{{X: s.Silhouette, Y: 0}, {X: s.Silhouette, Y: float64(y)}})
	if err != nil {
		return nil, fmt.Errorf("silhouette plot: %w", err)
	}
	mean.Color, mean.Width, mean.Dashes = red, vg.Points(1.5), []vg.Length{vg.Points(5), vg.Points(3)}
	p.Add(mean)
	p.Legend.Add(fmt.Sprintf("mean %.4f", s.Silhouette), mean)
	p.Legend.Top = true
	b, err := renderPlot(p, silhouetteW, silhouetteH)
	if err != nil {
		return nil, fmt.Errorf("silhouette plot: %w", err)
	}
	return b, nil
}

// pcaMap is the tiles' projection onto their first two principal
// components (fitPCA), fitted once for every k.
type pcaMap struct {
	*pcaFit
	fitted int          // tiles the fit used
	dots   []int        // the tiles drawn
	xy     [][2]float64 // their projections
	n      int
}

// newPCAMap fits the first two principal components on all tiles, or on a
// seeded sample when there are many (fitRows), and projects the tiles
// drawn: all, or a seeded sample of MapDots.
func newPCAMap(t *tiles.Set) (*pcaMap, error) {
	n, d := t.N(), t.D
	if n < 2 {
		return nil, nil
	}
	rng := rand.New(rand.NewPCG(0x706361, uint64(n)))
	fitted := sampleRows(n, fitRows(n, d), rng)
	fit, err := fitPCA(t, fitted, rng)
	if err != nil {
		return nil, err
	}
	pm := &pcaMap{pcaFit: fit, fitted: len(fitted), n: n}
	pm.dots = sampleRows(n, MapDots, rng)
	pm.xy = make([][2]float64, len(pm.dots))
	x := make([]float64, d)
	for r, i := range pm.dots {
		for j, v := range t.Tile(i) {
			x[j] = float64(v)
		}
		pm.xy[r] = pm.project(x)
	}
	return pm, nil
}

// project returns x's coordinates on the two components.
func (pm *pcaMap) project(x []float64) [2]float64 {
	var p [2]float64
	for ax := range 2 {
		for j, v := range x {
			p[ax] += (v - pm.mean[j]) * pm.axes[ax][j]
		}
	}
	return p
}

// note says how the map was made: the share of the variance its two
// components explain, and the samples.
func (pm *pcaMap) note() string {
	s := fmt.Sprintf("The two principal components explain %.1f%% of the tiles' variance (%.1f%% and %.1f%%)",
		100*(pm.share[0]+pm.share[1]), 100*pm.share[0], 100*pm.share[1])
	if pm.fitted < pm.n {
		s += fmt.Sprintf(", fitted on a seeded sample of %d of the %d tiles", pm.fitted, pm.n)
	}
	s += ". "
	if len(pm.dots) < pm.n {
		s += fmt.Sprintf("The map draws a seeded sample of %d of the %d tiles, so that the page stays small.", len(pm.dots), pm.n)
	}
	return s
}

// plot draws the map of one k: the tiles drawn as dots coloured by
// cluster, each centroid as its thumbnail (scaled up by a whole factor)
// in a frame of its colour at its projected place. gonum/plot draws the
// axes; the dots and thumbnails are set into its pixels directly, without
// anti-aliasing, which keeps the PNG small and the thumbnails sharp.
func (pm *pcaMap) plot(res *kmeans.Result, centroids []image.Image) ([]byte, error) {
	p := newPlot(fmt.Sprintf("The tiles on their first two principal components, k = %d", res.K), "component 1", "component 2")
	p.Title.TextStyle.Font.Size = vg.Points(11)
	lo, hi := [2]float64{math.Inf(1), math.Inf(1)}, [2]float64{math.Inf(-1), math.Inf(-1)}
	for _, xy := range pm.xy {
		for ax := range 2 {
			lo[ax], hi[ax] = min(lo[ax], xy[ax]), max(hi[ax], xy[ax])
		}
	}
	for ax := range 2 {
		if !(hi[ax] > lo[ax]) {
			lo[ax], hi[ax] = lo[ax]-1, hi[ax]+1
		}
	}
	pad := [2]float64{(hi[0] - lo[0]) * 0.06, (hi[1] - lo[1]) * 0.06}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = lo[0]-pad[0], hi[0]+pad[0], lo[1]-pad[1], hi[1]+pad[1]
	c := canvas(mapW, mapH)
	dc := draw.New(c)
	p.Draw(dc)
	da := p.DataCanvas(dc)
	trX, trY := p.Transforms(&da)
	img := c.Image()
	// at returns the pixel of a point in data units.
	at := func(x, y float64) image.Point {
		return image.Pt(int(trX(x).Dots(plotDPI)), mapH-int(trY(y).Dots(plotDPI)))
	}
	fill := func(r image.Rectangle, col color.Color) {
		r = r.Intersect(img.Bounds())
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				img.Set(x, y, col)
			}
		}
	}
	for r, i := range pm.dots {
		q := at(pm.xy[r][0], pm.xy[r][1])
		fill(image.Rect(q.X-1, q.Y-1, q.X+2, q.Y+2), palette[int(res.Labels[i])%len(palette)])
	}
	for cl := range res.K {
		if res.Sizes[cl] == 0 {
			continue
		}
		xy := pm.project(res.Means[cl*res.D : (cl+1)*res.D])
		src := centroids[cl]
		b := src.Bounds()
		scale := max(1, thumbPixels/max(b.Dx(), b.Dy()))
		q := at(xy[0], xy[1])
		dst := image.Rect(0, 0, b.Dx()*scale, b.Dy()*scale).Add(q.Sub(image.Pt(b.Dx()*scale/2, b.Dy()*scale/2)))
		fill(dst.Inset(-2), palette[cl%len(palette)])
		for y := range dst.Dy() {
			for x := range dst.Dx() {
				if pt := dst.Min.Add(image.Pt(x, y)); pt.In(img.Bounds()) {
					img.Set(pt.X, pt.Y, src.At(b.Min.X+x/scale, b.Min.Y+y/scale))
				}
			}
		}
	}
	png, err := encodeCanvas(c)
	if err != nil {
		return nil, fmt.Errorf("map: %w", err)
	}
	return png, nil
}

// addIndices fills in the view's indices chart and recommendation, fits
// the map every k shares, and renders every k's silhouette plot and map
// (on as many goroutines as there are cores: the plots are independent).
func (v *view) addIndices(in *Input) error {
	if in.Indices == nil {
		return nil
	}
	chart, err := IndicesChart(in.Runs, in.Indices)
	if err != nil {
		return err
	}
	v.HasIndices, v.Which = true, in.Indices
	if chart != nil {
		v.IndicesChart = pngURI(chart)
	}
	for _, r := range in.Runs {
		if s := r.Scores; s != nil && s.Omitted == "" {
			v.HasOtherIndices = true
			v.HasSilhouette = v.HasSilhouette || s.SilhouetteOmitted == ""
		}
	}
	pca, err := newPCAMap(in.Tiles)
	if err != nil {
		return err
	}
	if pca != nil {
		v.MapNote, v.MapAll = pca.note(), len(pca.dots) == pca.n
	}
	v.plots = make([]kPlots, len(in.Runs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(in.Runs)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(in.Runs); i = int(next.Add(1) - 1) {
				r, kp := in.Runs[i], &v.plots[i]
				if r.Scores == nil {
					continue
				}
				if kp.silhouette, kp.err = SilhouettePlot(r.Scores, r.Result.Labels); kp.err != nil {
					continue
				}
				if pca != nil && len(r.Centroids) == r.Result.K {
					kp.mp, kp.err = pca.plot(r.Result, r.Centroids)
				}
			}
		})
	}
	wg.Wait()
	return nil
}

// kPlots are a k's silhouette plot and map (PNG; nil: none).
type kPlots struct {
	silhouette, mp []byte
	err            error
}

// addKIndices fills in the i-th k's indices, silhouette plot and map.
func (v *view) addKIndices(kv *kView, in *Input, i int) error {
	s := in.Runs[i].Scores
	if !v.HasIndices || s == nil {
		return nil
	}
	kv.Recommended = in.Indices.Rec.K == s.K
	if s.Omitted != "" {
		kv.IndicesNote = "No indices: " + s.Omitted + "."
	} else {
		kv.DaviesBouldin, kv.CalinskiHarabasz = fmt.Sprintf("%.4f", s.DaviesBouldin), fmt.Sprintf("%.1f", s.CalinskiHarabasz)
		if s.CalinskiHarabaszOmitted != "" {
			kv.CalinskiHarabasz = "unbounded"
		}
		if s.SilhouetteOmitted != "" {
			kv.IndicesNote = "No silhouette: " + s.SilhouetteOmitted + "."
		} else {
			kv.Silhouette = fmt.Sprintf("%.4f", s.Silhouette)
		}
	}
	kp := v.plots[i]
	if kp.err != nil {
		return kp.err
	}
	if kp.silhouette != nil {
		kv.SilhouettePlot, kv.SilhouetteSample = pngURI(kp.silhouette), s.SilhouetteRows != nil
	}
	if kp.mp != nil {
		kv.Map = pngURI(kp.mp)
	}
	return nil
}
