// Package report renders a tilekmeans run as one self-contained HTML page
// (report.html): every image inlined as a PNG data: URI, the CSS inline, no
// script and no external resource, so it reads offline and can be mailed.
// It holds the run's facts, an elbow plot (inertia against k, drawn with
// gonum/plot) beside the internal validity indices against k with the
// recommended k and why, and per k the centroid montage, the silhouette
// plot and a map of the tiles on their first two principal components,
// the cluster sizes, the 20 tiles nearest each centroid and the 20
// farthest (fewer for large k, see GalleryTiles; at most GalleryClusters
// clusters, the largest, each cap said on the page), the sheet x cluster
// confusion matrix as a heat map (up to MaxHeatClasses rows and
// MaxHeatClusters columns), and purity, NMI and ARI.
//
// Every timing in the page sits on a line of its own marked
// class="seconds", so two runs with the same flags give the same page apart
// from those lines.
package report

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"fmt"
	"html/template"
	"image"
	"image/png"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/tiles"
)

// Input is what a report shows.
type Input struct {
	Title    string // the page title
	Subtitle string // one line under it
	Facts    []Fact // the run's facts, in order
	Tiles    *tiles.Set
	Runs     []Run // ascending k
	// Classes names the true classes the runs' Quality compares with
	// (Quality.Confusion's rows); nil when there is no comparison.
	// ClassesBy is what one is called in the heat map ("sheet", "class"),
	// ClassesFrom where they come from ("one per sheet", "grid row / 5").
	Classes     []string
	ClassesBy   string
	ClassesFrom string
	// QualityNote says why there is no comparison, when there is none.
	QualityNote string
	// Indices says which k the indices recommend; nil when there are no
	// indices (each Run's Scores holds its own).
	Indices *Indices
	// Name, when set, names tile i for its caption (short) and tooltip
	// (long) instead of its sheet, row and column: for samples, each its
	// own file or an array's image. Inputs, when set, replaces the table
	// of sheets (one row per sheet) with these facts.
	Name   func(i int) (short, long string)
	Inputs []Fact
}

// Fact is one row of the run's facts.
type Fact struct {
	Name, Value string
	// Timing marks a value that differs between otherwise identical runs.
	Timing bool
}

// Run is one k's result.
type Run struct {
	Result  *kmeans.Result
	Seconds float64
	Notes   []string // extra lines shown under the k's numbers (e.g. -verify)
	// Quality is the clusters' agreement with the sheets (kmeans.Compare
	// with each tile's sheet as its class), shown when there are several
	// sheets; the caller computes it once for the report and summary.json.
	Quality *kmeans.Quality
	// Centroids are the k centroid images and Montage all of them in one,
	// as the caller wrote them to centroid{i}.png and montage.png; nil
	// when the montage is in several files (too large for the page: a
	// Note should say where).
	Centroids []image.Image
	Montage   image.Image
	// Scores are the k's internal validity indices; nil when there are
	// none.
	Scores *kmeans.Scores
}

// Display settings.
const (
	// Extremes is how many nearest and farthest tiles a cluster shows, at
	// most: for large k, GalleryTiles caps the tiles shown per k, so that
	// the page stays a sensible size for k in the hundreds.
	Extremes     = 20
	GalleryTiles = 2400
	// GalleryClusters is the most clusters a k shows with their centroid
	// and tiles: beyond it, the largest (ties: the lower number first),
	// in their order, and the page says so; MaxHeatClusters the most
	// clusters the heat map has columns for.
	GalleryClusters = 256
	MaxHeatClusters = 256
)

// Write renders the report of in to w; elbowPNG is the elbow plot (see
// Elbow) to inline.
func Write(w io.Writer, in *Input, elbowPNG []byte) error {
	v, err := build(in, elbowPNG)
	if err != nil {
		return err
	}
	return page.Execute(w, v)
}

// view is the template's data.
type view struct {
	Title, Subtitle string
	Facts           []Fact
	Sheets          []sheetView
	Inputs          []Fact
	Elbow           template.HTMLAttr
	Ks              []kView
	Compared        bool // classes given: quality and heat maps shown
	ClassesFrom     string
	QualityNote     string
	// The indices: the chart beside the elbow, the recommendation and how
	// the silhouette and the maps were made.
	HasIndices   bool
	IndicesChart template.HTMLAttr
	Which        *Indices
	MapNote      string
	MapAll       bool // the map draws every tile
	// Which indices some k has: the silhouette, Davies-Bouldin and
	// Calinski-Harabasz.
	HasSilhouette, HasOtherIndices bool
	plots                          []kPlots // per run
}

type sheetView struct {
	N                 int
	Name, Path        string
	Width, Height     int
	Rows, Cols, Blank int
	Tiles             int
}

type kView struct {
	K, Iterations      int
	Converged          bool
	Inertia, Seconds   string
	Purity, NMI, ARI   string
	Notes              []string
	Montage            template.HTMLAttr
	MontageW, MontageH int
	Heat               *heatView
	Clusters           []clusterView
	// The k's indices ("" when left out, with IndicesNote saying why),
	// its silhouette plot and map.
	Silhouette, DaviesBouldin, CalinskiHarabasz string
	IndicesNote                                 string
	Recommended                                 bool
	SilhouettePlot, Map                         template.HTMLAttr
	SilhouetteSample                            bool // the silhouette of a sample of the tiles
}

type heatView struct {
	By, ByTitle string // what a row is: "sheet", "class"
	Clusters    []int  // 1..k
	Rows        []heatRow
	Totals      []int // per cluster
	N           int
}

type heatRow struct {
	Sheet string
	Cells []heatCell
	Total int
}

type heatCell struct {
	Count int
	Style template.CSS
	Title string
}

type clusterView struct {
	N                 int // 1-based, as centroid{N}.png
	Centroid          template.HTMLAttr
	Size              int
	Share             string
	Majority          string // "usps_3.jpg (92.1 %)", with several sheets
	Nearest, Farthest []tileView
}

type tileView struct {
	Src   template.HTMLAttr
	Index int
	Sheet string // short sheet name, or the sample's short name
	Cell  string // "r12 c4": row and column in the sheet's grid ("" for samples)
	Title string
}

// encoder encodes small PNGs, reusing its compression buffers.
type encoder struct {
	enc png.Encoder
	buf bytes.Buffer
}

type pool struct{ b *png.EncoderBuffer }

func (p *pool) Get() *png.EncoderBuffer  { return p.b }
func (p *pool) Put(b *png.EncoderBuffer) { p.b = b }

func newEncoder() *encoder {
	return &encoder{enc: png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &pool{}}}
}

// dataURI encodes img as a PNG and returns it as an img src attribute.
func (e *encoder) dataURI(img image.Image) (template.HTMLAttr, error) {
	e.buf.Reset()
	if err := e.enc.Encode(&e.buf, img); err != nil {
		return "", fmt.Errorf("report: encode PNG: %w", err)
	}
	return pngURI(e.buf.Bytes()), nil
}

// pngURI is the src attribute of an img: a data: URI of PNG bytes this
// package made. Base64 needs no escaping, and as a whole attribute it is not
// entity-escaped ('+' as &#43;) the way a URL value would be.
func pngURI(b []byte) template.HTMLAttr {
	return template.HTMLAttr(`src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(b) + `"`)
}

func build(in *Input, elbowPNG []byte) (*view, error) {
	t := in.Tiles
	if t == nil || len(in.Runs) == 0 {
		return nil, fmt.Errorf("report: no tiles or no runs")
	}
	v := &view{
		Title: in.Title, Subtitle: in.Subtitle, Facts: in.Facts,
		Elbow: pngURI(elbowPNG), Compared: in.Classes != nil,
		ClassesFrom: in.ClassesFrom, QualityNote: in.QualityNote, Inputs: in.Inputs,
	}
	if err := v.addIndices(in); err != nil {
		return nil, err
	}
	perSheet := make([]int, len(t.Sheets))
	for _, o := range t.Origins {
		perSheet[o.Sheet]++
	}
	short := make([]string, len(t.Sheets))
	for i, s := range t.Sheets {
		base := filepath.Base(s.Path)
		page := strings.TrimPrefix(filepath.Base(s.Name()), base) // "#2" for page 2 of a file of several images
		short[i] = strings.TrimSuffix(base, filepath.Ext(base)) + page
		if in.Inputs != nil {
			continue
		}
		v.Sheets = append(v.Sheets, sheetView{
			N: i + 1, Name: base + page, Path: s.Name(), Width: s.Width, Height: s.Height,
			Rows: s.Rows, Cols: s.Cols, Blank: s.Blank, Tiles: perSheet[i],
		})
	}

	enc := newEncoder()
	tileURI := map[int]template.HTMLAttr{} // tiles shown under several ks are encoded once
	tileView := func(i int, dist float32) (tileView, error) {
		uri, ok := tileURI[i]
		if !ok {
			var err error
			if uri, err = enc.dataURI(TileImage(t, i)); err != nil {
				return tileView{}, err
			}
			tileURI[i] = uri
		}
		o := t.Origins[i]
		sh := t.Sheets[o.Sheet]
		d := strconv.FormatFloat(float64(dist), 'f', 1, 32)
		if in.Name != nil {
			name, long := in.Name(i)
			return tileView{Src: uri, Index: i, Sheet: name,
				Title: fmt.Sprintf("sample %d: %s; squared distance %s", i, long, d)}, nil
		}
		return tileView{
			Src: uri, Index: i, Sheet: short[o.Sheet], Cell: fmt.Sprintf("r%d c%d", o.Row, o.Col),
			Title: fmt.Sprintf("tile %d: %s row %d, col %d; squared distance %s", i, sh.Name(), o.Row, o.Col, d),
		}, nil
	}

	for ri, r := range in.Runs {
		res := r.Result
		k := res.K
		kv := kView{
			K: k, Iterations: res.Iterations, Converged: res.Converged,
			Inertia: formatInt(res.Inertia), Seconds: strconv.FormatFloat(r.Seconds, 'f', 3, 64),
			Notes: r.Notes,
		}
		imgs, m := r.Centroids, r.Montage
		if len(imgs) != k {
			return nil, fmt.Errorf("report: k=%d: %d centroid images", k, len(imgs))
		}
		if err := v.addKIndices(&kv, in, ri); err != nil {
			return nil, err
		}
		var err error
		if m != nil {
			if kv.Montage, err = enc.dataURI(m); err != nil {
				return nil, err
			}
			kv.MontageW, kv.MontageH = m.Bounds().Dx(), m.Bounds().Dy()
		}

		var conf [][]int
		if q := r.Quality; v.Compared && q != nil {
			conf = q.Confusion
			kv.Purity, kv.NMI, kv.ARI = fmt.Sprintf("%.3f", q.Purity), fmt.Sprintf("%.3f", q.NMI), fmt.Sprintf("%.3f", q.ARI)
			switch {
			case len(in.Classes) > MaxHeatClasses:
				kv.Notes = append(kv.Notes, fmt.Sprintf("The %s x cluster table has %d rows: it is left out of the page (summary.json has it as confusion).", in.ClassesBy, len(in.Classes)))
			case k > MaxHeatClusters:
				kv.Notes = append(kv.Notes, fmt.Sprintf("The %s x cluster table has %d columns, more than %d: it is left out of the page (summary.json has it as confusion).", in.ClassesBy, k, MaxHeatClusters))
			default:
				kv.Heat = heat(conf, in.Classes, in.ClassesBy, res.Sizes)
			}
		}

		shown := galleryClusters(res.Sizes)
		if len(shown) < k {
			kv.Notes = append(kv.Notes, fmt.Sprintf("The %d largest of the %d clusters are shown below, so that the page stays small (summary.json has every cluster's size, the centroid files and the montage every centroid).",
				len(shown), k))
		}
		extremes := galleryExtremes(len(shown))
		if extremes < Extremes {
			kv.Notes = append(kv.Notes, fmt.Sprintf("Each cluster shows its %d nearest and %d farthest tiles (%d for k up to %d), so that the page stays small.",
				extremes, extremes, Extremes, GalleryTiles/(2*Extremes)))
		}
		members := make([][]int, k)
		for i, l := range res.Labels {
			members[l] = append(members[l], i)
		}
		for _, c := range shown {
			cv := clusterView{N: c + 1, Size: res.Sizes[c]}
			cv.Share = fmt.Sprintf("%.1f", 100*float64(res.Sizes[c])/float64(t.N()))
			if cv.Centroid, err = enc.dataURI(imgs[c]); err != nil {
				return nil, err
			}
			if conf != nil && res.Sizes[c] > 0 {
				best := 0
				for s := range conf {
					if conf[s][c] > conf[best][c] {
						best = s
					}
				}
				share := float64(conf[best][c]) / float64(res.Sizes[c])
				cv.Majority = fmt.Sprintf("mostly %s (%.1f %%)", in.Classes[best], 100*share)
				if share <= 0.5 {
					cv.Majority = fmt.Sprintf("largest share: %s (%.1f %%)", in.Classes[best], 100*share)
				}
			}
			idx := members[c]
			slices.SortFunc(idx, func(a, b int) int {
				return cmp.Or(cmp.Compare(res.Dists[a], res.Dists[b]), cmp.Compare(a, b))
			})
			n := min(extremes, len(idx))
			for _, i := range idx[:n] {
				tv, err := tileView(i, res.Dists[i])
				if err != nil {
					return nil, err
				}
				cv.Nearest = append(cv.Nearest, tv)
			}
			for j := range n {
				i := idx[len(idx)-1-j]
				tv, err := tileView(i, res.Dists[i])
				if err != nil {
					return nil, err
				}
				cv.Farthest = append(cv.Farthest, tv)
			}
			kv.Clusters = append(kv.Clusters, cv)
		}
		v.Ks = append(v.Ks, kv)
	}
	return v, nil
}

// galleryClusters returns the clusters (0-based) a k's gallery shows: all,
// or the GalleryClusters largest, ties to the lower number, in ascending
// order.
func galleryClusters(sizes []int) []int {
	all := make([]int, len(sizes))
	for c := range all {
		all[c] = c
	}
	if len(all) <= GalleryClusters {
		return all
	}
	slices.SortStableFunc(all, func(a, b int) int { return cmp.Compare(sizes[b], sizes[a]) })
	shown := all[:GalleryClusters]
	slices.Sort(shown)
	return shown
}

// galleryExtremes is how many nearest and farthest tiles each of k
// clusters shows: Extremes, or fewer so that a k shows at most GalleryTiles.
func galleryExtremes(k int) int {
	return max(1, min(Extremes, GalleryTiles/(2*k)))
}

// TileImage is tile i of t as an image, rendered as a centroid is (its
// features are whole numbers, so they render as they are).
func TileImage(t *tiles.Set, i int) image.Image {
	px := t.Tile(i)
	features := make([]float64, len(px))
	for j, v := range px {
		features[j] = float64(v)
	}
	return tiles.CentroidImage(features, t.Width, t.Height, t.Color)
}

// MaxHeatClasses is the most classes the class x cluster heat map shows.
const MaxHeatClasses = 64

// heat builds the class x cluster heat map: each cell coloured by the share
// of its class's tiles that went to the cluster.
func heat(conf [][]int, classes []string, by string, sizes []int) *heatView {
	h := &heatView{Totals: sizes, By: by, ByTitle: strings.ToUpper(by[:1]) + by[1:]}
	for c := range sizes {
		h.Clusters = append(h.Clusters, c+1)
		h.N += sizes[c]
	}
	for s, row := range conf {
		hr := heatRow{Sheet: classes[s]}
		for _, n := range row {
			hr.Total += n
		}
		for c, n := range row {
			f := 0.0
			if hr.Total > 0 {
				f = float64(n) / float64(hr.Total)
			}
			hr.Cells = append(hr.Cells, heatCell{
				Count: n,
				Style: heatStyle(f),
				Title: fmt.Sprintf("%s: %d tiles (%.1f %% of the %s) in cluster %d", classes[s], n, 100*f, by, c+1),
			})
		}
		h.Rows = append(h.Rows, hr)
	}
	return h
}

// heatStyle colours a share 0..1 from white to deep blue, with white text on
// the dark end. Only numbers go into the CSS.
func heatStyle(f float64) template.CSS {
	f = max(0, min(1, f))
	lerp := func(a, b float64) int { return int(a + (b-a)*f + 0.5) }
	fg := "#1d2330"
	if f > 0.45 {
		fg = "#ffffff"
	}
	return template.CSS(fmt.Sprintf("background:#%02x%02x%02x;color:%s", lerp(255, 8), lerp(255, 48), lerp(255, 107), fg))
}

// formatInt formats v rounded to an integer with thin groups: 1 234 567.
func formatInt(v float64) string {
	s := strconv.FormatFloat(v, 'f', 0, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString("\u202f")
		}
		b.WriteRune(ch)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

var page = template.Must(template.New("report").Parse(pageHTML))

const pageHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
:root { color-scheme: light; }
body { margin: 0; background: #f3f4f7; color: #1d2330; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", "Liberation Sans", sans-serif; }
header { background: #1d2330; color: #fff; padding: 18px 32px; }
header h1 { margin: 0; font-size: 24px; font-weight: 600; }
header p { margin: 4px 0 0; color: #c4cad6; }
nav { background: #fff; border-bottom: 1px solid #dde1e8; padding: 8px 32px; position: sticky; top: 0; z-index: 1; }
nav a { color: #1f5fa8; text-decoration: none; margin-right: 16px; font-weight: 600; }
main { max-width: 1240px; margin: 0 auto; padding: 8px 32px 48px; }
section, .cluster { scroll-margin-top: 44px; }
section { background: #fff; border: 1px solid #dde1e8; border-radius: 8px; padding: 16px 20px; margin: 16px 0; }
h2 { margin: 0 0 12px; font-size: 20px; }
h3 { margin: 18px 0 8px; font-size: 15px; }
table { border-collapse: collapse; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e6e9ef; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.facts th { color: #5a6272; font-weight: 500; }
.cols { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
img.px { image-rendering: pixelated; }
img.plot { max-width: 100%; height: auto; border: 1px solid #e6e9ef; }
.metrics { display: flex; flex-wrap: wrap; gap: 10px; margin-bottom: 6px; }
.metric { background: #eef2f8; border-radius: 6px; padding: 6px 12px; min-width: 80px; }
.metric span { display: block; color: #5a6272; font-size: 12px; }
.metric b { font-size: 17px; font-variant-numeric: tabular-nums; }
.note { color: #5a6272; margin: 4px 0; }
.which { font-size: 16px; margin: 0 0 10px; }
.pair { display: grid; grid-template-columns: 720fr 480fr; gap: 16px; align-items: start; width: 100%; }
.pair img.plot { width: 100%; height: auto; }
tr.recommended td { background: #fff4d6; }
.montage { max-width: 100%; height: auto; background: #808080; }
table.heat td { border: 1px solid #fff; min-width: 3.4em; text-align: right; font-variant-numeric: tabular-nums; }
table.heat th { border: none; }
table.heat .total { color: #5a6272; }
.cluster { display: grid; grid-template-columns: 128px 1fr; gap: 4px 16px; border-top: 1px solid #e6e9ef; padding: 12px 0; }
.cluster .centroid { width: 96px; height: 96px; border: 1px solid #c8cdd8; }
.cluster .who { font-size: 13px; }
.cluster .who b { font-size: 15px; }
.strip h4 { margin: 0 0 4px; font-size: 12px; font-weight: 600; color: #5a6272; text-transform: uppercase; letter-spacing: .04em; }
.strip + .strip { margin-top: 8px; }
.tiles { display: flex; flex-wrap: wrap; gap: 4px; }
figure { margin: 0; width: 44px; text-align: center; }
figure img { display: block; width: 40px; height: 40px; margin: 0 auto; border: 1px solid #c8cdd8; }
figcaption { font-size: 9px; line-height: 1.25; color: #5a6272; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
figcaption b { color: #1d2330; font-weight: 600; }
.far figure img { border-color: #d9822b; }
footer { color: #8a91a0; font-size: 12px; text-align: center; margin: 24px 0; }
</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
<p>{{.Subtitle}}</p>
</header>
<nav><a href="#run">Run</a><a href="#elbow">{{if .HasIndices}}Which k?{{else}}Elbow{{end}}</a>{{range .Ks}}<a href="#k{{.K}}">k = {{.K}}</a>{{end}}</nav>
<main>
<section id="run">
<h2>Run</h2>
<div class="cols">
<table class="facts">
{{- range .Facts}}
{{if .Timing}}<tr class="seconds"><th>{{.Name}}</th><td>{{.Value}}</td></tr>{{else}}<tr><th>{{.Name}}</th><td>{{.Value}}</td></tr>{{end}}
{{- end}}
</table>
{{- if .Inputs}}
<table class="facts inputs">
{{- range .Inputs}}
<tr><th>{{.Name}}</th><td>{{.Value}}</td></tr>
{{- end}}
</table>
{{- else}}
<table class="sheets">
<tr><th class="num">#</th><th>sheet</th><th class="num">pixels</th><th class="num">columns&times;rows</th><th class="num">tiles</th><th class="num">blank</th></tr>
{{- range .Sheets}}
<tr><td class="num">{{.N}}</td><td title="{{.Path}}">{{.Name}}</td><td class="num">{{.Width}}&times;{{.Height}}</td><td class="num">{{.Cols}}&times;{{.Rows}}</td><td class="num">{{.Tiles}}</td><td class="num">{{.Blank}}</td></tr>
{{- end}}
</table>
{{- end}}
</div>
</section>
<section id="elbow">
<h2>Elbow{{if .HasIndices}} and indices: which k?{{end}}</h2>
{{- with .Which}}
<p class="which"><b>{{.Line}}.</b></p>
{{- if .Cautions}}
<p class="note">Before taking it:</p>
<ul class="cautions">
{{- range .Cautions}}
<li>{{.}}.</li>
{{- end}}
</ul>
{{- end}}
{{- end}}
<div class="cols">
{{- if .IndicesChart}}
<div class="pair">
<img class="plot" {{.Elbow}} width="720" height="400" alt="Elbow plot: inertia against k">
<img class="plot" {{.IndicesChart}} width="480" height="520" alt="{{if .HasSilhouette}}Silhouette, {{end}}Davies-Bouldin and Calinski-Harabasz against k">
</div>
{{- else}}
<img class="plot" {{.Elbow}} width="720" height="400" alt="Elbow plot: inertia against k">
{{- end}}
<table class="overview">
<tr><th class="num">k</th><th class="num">inertia</th><th class="num">iterations</th>{{if .HasIndices}}<th class="num">silhouette</th><th class="num">Davies-Bouldin</th><th class="num">Calinski-Harabasz</th>{{end}}{{if .Compared}}<th class="num">purity</th><th class="num">NMI</th><th class="num">ARI</th>{{end}}<th class="num">seconds</th></tr>
{{- range .Ks}}
<tr{{if .Recommended}} class="recommended"{{end}}><td class="num"><a href="#k{{.K}}">{{.K}}</a>{{if .Recommended}} &#9733;{{end}}</td><td class="num">{{.Inertia}}</td><td class="num">{{.Iterations}}{{if not .Converged}} (not converged){{end}}</td>{{if $.HasIndices}}<td class="num" title="{{.IndicesNote}}">{{or .Silhouette "–"}}</td><td class="num" title="{{.IndicesNote}}">{{or .DaviesBouldin "–"}}</td><td class="num" title="{{.IndicesNote}}">{{or .CalinskiHarabasz "–"}}</td>{{end}}{{if $.Compared}}<td class="num">{{.Purity}}</td><td class="num">{{.NMI}}</td><td class="num">{{.ARI}}</td>{{end}}
<td class="num seconds">{{.Seconds}}</td></tr>
{{- end}}
</table>
</div>
{{- with .Which}}
<p class="note">How to read them:
{{- if $.HasSilhouette}} the <b>silhouette</b> of a tile compares its mean distance to the other tiles of its cluster (a) with that to the nearest other cluster (b), (b - a) / max(a, b): near 1 it sits well inside its cluster, near 0 on a border, below 0 closer to another cluster; the mean over the tiles ({{.How}}) is higher for better separated clusters, and Kaufman and Rousseeuw read a mean above 0.70 as a strong structure, above 0.50 a reasonable one, above 0.25 a weak one that could be artificial, and 0.25 or below as no substantial structure.
{{- else if .How}} no k has a silhouette ({{.How}}; each k says why).
{{- else}} the silhouette was not computed (-silhouette off), so nothing here says whether the tiles form clusters at all.
{{- end}}
{{- if $.HasOtherIndices}} <b>Davies-Bouldin</b> compares each cluster's spread with its distance to the most similar cluster (lower is better), <b>Calinski-Harabasz</b> the spread between clusters with the spread within them (higher is better; it tends to favour small k).{{end}} The <b>elbow</b> is where more clusters stop lowering the inertia much{{if .Rec.Knee}} (its Kneedle knee, marked in orange on the elbow plot: k = {{.Rec.Knee}}){{end}}.
{{- if eq .Rec.Index "silhouette"}} The recommended k is the one with the highest mean silhouette, as scikit-learn's silhouette analysis and clustimage choose it; the other indices are second opinions. Before taking it, look at its silhouette plot below: clusters that stay below the mean or have many negative values are poorly separated.
{{- else if eq .Rec.Index "davies_bouldin"}} The recommended k is the one with the lowest Davies-Bouldin index, since no k has a silhouette; Calinski-Harabasz and the elbow are second opinions.
{{- else}} No k is recommended: {{.Rec.Why}}.
{{- end}}</p>
{{- end}}
{{- if .Compared}}
<p class="note">Purity, NMI and ARI compare the clusters with the true classes: {{.ClassesFrom}}.</p>
{{- else}}{{with .QualityNote}}
<p class="note">No purity, NMI or ARI: {{.}}.</p>
{{- end}}{{end}}
</section>
{{- range .Ks}}
<section id="k{{.K}}" class="k">{{$k := .K}}
<h2>k = {{.K}}{{if .Recommended}} (recommended){{end}}</h2>
<div class="metrics">
<div class="metric"><span>inertia</span><b>{{.Inertia}}</b></div>
<div class="metric"><span>iterations</span><b>{{.Iterations}}</b>{{if not .Converged}} not converged{{end}}</div>
{{- if .Silhouette}}
<div class="metric"><span>silhouette</span><b>{{.Silhouette}}</b></div>
{{- end}}
{{- if .DaviesBouldin}}
<div class="metric"><span>Davies-Bouldin</span><b>{{.DaviesBouldin}}</b></div>
<div class="metric"><span>Calinski-Harabasz</span><b>{{.CalinskiHarabasz}}</b></div>
{{- end}}
{{- if $.Compared}}
<div class="metric"><span>purity</span><b>{{.Purity}}</b></div>
<div class="metric"><span>NMI</span><b>{{.NMI}}</b></div>
<div class="metric"><span>ARI</span><b>{{.ARI}}</b></div>
{{- end}}
<div class="metric seconds"><span>seconds</span><b>{{.Seconds}}</b></div>
</div>
{{- range .Notes}}
<p class="note">{{.}}</p>
{{- end}}
{{- with .IndicesNote}}
<p class="note">{{.}}</p>
{{- end}}
{{- if or .SilhouettePlot .Map}}
<h3>Silhouette and map</h3>
<div class="cols">
{{- if .SilhouettePlot}}
<img class="plot" {{.SilhouettePlot}} width="480" height="400" alt="silhouette plot of the {{.K}} clusters">
{{- end}}
{{- if .Map}}
<img class="plot" {{.Map}} width="480" height="400" alt="the tiles on their first two principal components, coloured by cluster, with the centroids">
{{- end}}
</div>
<p class="note">
{{- if .SilhouettePlot}}{{if .Map}}Left: {{else}}The silhouette plot: {{end}}each cluster's tiles' silhouettes, sorted, the dashed line their mean{{if .SilhouetteSample}} (of the tiles in the sample){{end}}.{{end}}
{{- if .Map}}{{if .SilhouettePlot}} Right: {{else}}The map: {{end}}{{if $.MapAll}}every tile{{else}}each tile drawn{{end}} as a dot coloured by cluster, each centroid framed in its colour at its place.{{with $.MapNote}} {{.}}{{end}}{{end}}</p>
{{- end}}
<h3>Centroids</h3>
{{- if .Montage}}
<img class="px montage" {{.Montage}} width="{{.MontageW}}" height="{{.MontageH}}" alt="the {{.K}} centroids, 1 to {{.K}} from the top left, row by row">
{{- end}}
{{- with .Heat}}
<h3>{{.ByTitle}} &times; cluster</h3>
<table class="heat confusion">
<tr><th>{{.By}} \ cluster</th>{{range .Clusters}}<th class="num">{{.}}</th>{{end}}<th class="num">tiles</th></tr>
{{- range .Rows}}
<tr><th>{{.Sheet}}</th>{{range .Cells}}<td style="{{.Style}}" title="{{.Title}}">{{.Count}}</td>{{end}}<td class="num total">{{.Total}}</td></tr>
{{- end}}
<tr><th>tiles</th>{{range .Totals}}<td class="num total">{{.}}</td>{{end}}<td class="num total">{{.N}}</td></tr>
</table>
<p class="note">Colour: the share of each {{.By}}'s tiles that went to the cluster.</p>
{{- end}}
<h3>Clusters</h3>
{{- range .Clusters}}
<div class="cluster" id="k{{$k}}c{{.N}}">
<div class="who"><img class="px centroid" {{.Centroid}} alt="centroid {{.N}}"><br><b>cluster {{.N}}</b><br>{{.Size}} tiles ({{.Share}} %){{with .Majority}}<br>{{.}}{{end}}</div>
<div>
<div class="strip near"><h4>nearest {{len .Nearest}}</h4><div class="tiles">
{{- range .Nearest}}<figure title="{{.Title}}"><img class="px" {{.Src}} alt="tile {{.Index}}"><figcaption><b>#{{.Index}}</b><br>{{.Sheet}}{{with .Cell}}<br>{{.}}{{end}}</figcaption></figure>{{end -}}
</div></div>
<div class="strip far"><h4>farthest {{len .Farthest}} (outliers)</h4><div class="tiles">
{{- range .Farthest}}<figure title="{{.Title}}"><img class="px" {{.Src}} alt="tile {{.Index}}"><figcaption><b>#{{.Index}}</b><br>{{.Sheet}}{{with .Cell}}<br>{{.}}{{end}}</figcaption></figure>{{end -}}
</div></div>
</div>
</div>
{{- end}}
</section>
{{- end}}
<footer>Made by tilekmeans. Tiles are numbered from 0 as in labels.csv (r = row, c = column in the sheet's grid); clusters from 1 as the centroid files.</footer>
</main>
</body>
</html>
`
