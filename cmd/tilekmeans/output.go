package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"

	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/labels"
	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/outdir"
	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/outfiles"
	htmlreport "github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/report"
	"github.com/tilekmeans/tilekmeans/gpu"
	"github.com/tilekmeans/tilekmeans/internal/verify"
	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/tiles"
)

// summary is summary.json.
type summary struct {
	Backend    string `json:"backend"`
	Context    string `json:"context,omitempty"`    // glfw or egl, when a GPU was opened
	Renderer   string `json:"renderer,omitempty"`   // GL_RENDERER
	GLVersion  string `json:"gl_version,omitempty"` // GL_VERSION
	GPUError   string `json:"gpu_error,omitempty"`  // why auto ran (or finished) on the CPU
	Prune      string `json:"prune"`                // -prune: the CPU's assignment, auto or off
	Verified   bool   `json:"verified"`
	Tiles      int    `json:"tiles"`
	Features   int    `json:"features"`
	TileSize   int    `json:"tile_size,omitempty"` // the edge of square tiles
	TileWidth  int    `json:"tile_width"`
	TileHeight int    `json:"tile_height"`
	Margin     int    `json:"margin"`
	Spacing    int    `json:"spacing"`
	Tileset    string `json:"tileset,omitempty"`
	ColorKey   string `json:"color_key,omitempty"` // the tileset's colour key, #rrggbb
	Crop       bool   `json:"crop,omitempty"`      // -crop: what assign cuts as the run did
	Color      string `json:"color"`               // gray or rgb
	Background string `json:"background"`          // what transparent pixels were composited over
	BlankTiles int    `json:"blank_tiles"`
	// DistinctTiles counts the distinct tiles clustered; below a k, that
	// k's run ends with empty clusters (Warnings says so).
	DistinctTiles int      `json:"distinct_tiles"`
	Warnings      []string `json:"warnings,omitempty"`
	SkippedBlank  int      `json:"skipped_blank"`
	SkipBlank     bool     `json:"skip_blank,omitempty"` // -skip-blank, even when no tile was blank
	Seed          uint64   `json:"seed"`
	Init          string   `json:"init"`
	NInit         int      `json:"n_init"`
	MaxIters      int      `json:"max_iters"`
	FixedIters    bool     `json:"fixed_iters"`
	// Labels is -labels; Classes the number of true classes it gave, and
	// QualityNote why no run has purity, NMI and ARI, when none has.
	Labels      string       `json:"labels"`
	Classes     int          `json:"classes"`
	QualityNote string       `json:"quality_note,omitempty"`
	Sheets      []sheetEntry `json:"sheets"`
	// With -resize (samples.go): the size, fit and filter, and the image
	// files summed up (they are not listed in sheets; labels.csv names
	// each); with -skip-bad, the files left out.
	Resize     string       `json:"resize,omitempty"`
	Fit        string       `json:"fit,omitempty"`
	Filter     string       `json:"filter,omitempty"`
	Images     *imagesEntry `json:"images,omitempty"`
	SkippedBad int          `json:"skipped_bad,omitempty"`
	BadFiles   []badEntry   `json:"bad_files,omitempty"`
	// RecommendedK is the k the indices recommend (null: none) and
	// RecommendedRule the line that says why (indices.go).
	RecommendedK    *int            `json:"recommended_k"`
	RecommendedRule string          `json:"recommended_rule"`
	Indices         *indicesSummary `json:"indices,omitempty"`
	Runs            []runEntry      `json:"runs"`

	// With a GPU: the EGL device it ran on, its parity canary, and whether
	// -allow-mismatch let it run after a failed canary (its results then
	// carry no bit-for-bit guarantee).
	EGLDevice     *gpu.EGLDevice `json:"egl_device,omitempty"`
	Canary        *gpu.Canary    `json:"canary,omitempty"`
	AllowMismatch bool           `json:"allow_mismatch,omitempty"`
}

type sheetEntry struct {
	Path string `json:"path"`
	// Page is the sheet's page (TIFF) or frame (GIF) in a file that holds
	// several images, counted from 1; labels.csv and the report name it
	// path#page.
	Page   int    `json:"page,omitempty"`
	Format string `json:"format"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Rows   int    `json:"rows"`
	Cols   int    `json:"cols"`
	Blank  int    `json:"blank"`
	// Orientation is the EXIF orientation applied to cut the sheet as
	// viewers show it, when the file declares one.
	Orientation string `json:"orientation,omitempty"`
	// Transparent counts the pixels composited over the background.
	Transparent int `json:"transparent_pixels,omitempty"`
	// Cropped is the right x bottom remainder left out, in pixels: what
	// -crop trimmed, or what Tiled ignores (a tileset, or a grid whose
	// gutters the pixels bear out).
	Cropped string `json:"cropped,omitempty"`
}

type runEntry struct {
	K          int     `json:"k"`
	Inertia    float64 `json:"inertia"`
	Iterations int     `json:"iterations"`
	Converged  bool    `json:"converged"`
	Sizes      []int   `json:"sizes"`
	Seconds    float64 `json:"seconds"`
	InitRows   []int   `json:"init_rows"`
	Relocated  int     `json:"relocated_empty_clusters"`
	// EmptyClusters are the clusters (1..k) that ended with no tile: only
	// with fewer distinct tiles than k, each keeping its last centroid.
	EmptyClusters []int `json:"empty_clusters,omitempty"`
	// MontageFiles is how many files the montage is split into, when more
	// than one (montage.png, montage2.png, ...).
	MontageFiles int           `json:"montage_files,omitempty"`
	Purity       *float64      `json:"purity,omitempty"`
	NMI          *float64      `json:"nmi,omitempty"`
	ARI          *float64      `json:"ari,omitempty"`
	Confusion    [][]int       `json:"confusion,omitempty"`
	indexEntry                 // silhouette, Davies-Bouldin, Calinski-Harabasz (indices.go)
	Verify       *verify.Stats `json:"verify,omitempty"`
}

// name is the sheet as labels.csv names it (tiles.Sheet.Name).
func (e sheetEntry) name() string { return tiles.Sheet{Path: e.Path, Page: e.Page}.Name() }

func buildSummary(ro *runOutput) summary {
	o, t, be, runs := ro.o, ro.t, ro.be, ro.runs
	s := summary{
		Backend: be.name(), Prune: o.prune.String(), Verified: o.verify, Tiles: t.N(), Features: t.D,
		TileWidth: t.Width, TileHeight: t.Height, Margin: t.Grid.Margin, Spacing: t.Grid.Spacing,
		Tileset: o.sheets.tileset, ColorKey: colorKey(t), Crop: o.sheets.crop, SkipBlank: o.sheets.skipBlank, Color: t.Color.String(), Background: o.sheets.background.String(),
		Labels: o.labels.String(), Classes: ro.scoring.count, QualityNote: ro.scoring.note,
		BlankTiles: t.Blank, SkippedBlank: t.Skipped, DistinctTiles: ro.distinct, Warnings: ro.warnings,
		Seed: o.seed, Init: o.init.String(), NInit: o.nInit, MaxIters: o.iters, FixedIters: o.fixedIters,
	}
	if t.Width == t.Height {
		s.TileSize = t.Width
	}
	if be.gpu != nil {
		s.Context, s.Renderer, s.GLVersion = be.gpu.info.Context, be.gpu.info.Renderer, be.gpu.info.Version
		s.EGLDevice, s.AllowMismatch = be.gpu.info.Device, o.gpu.allowMismatch
		if len(be.gpu.info.Canary.Probes) > 0 {
			s.Canary = &be.gpu.info.Canary
		}
	}
	if be.gpuErr != nil {
		s.GPUError = be.gpuErr.Error()
	}
	summarizeSamples(&s, t)
	for _, sh := range t.Sheets {
		if t.Resize != (image.Point{}) && !isArraySheet(sh) {
			continue // summed up in images
		}
		e := sheetEntry{Path: sh.Path, Page: sh.Page, Format: sh.Format, Width: sh.Width, Height: sh.Height, Rows: sh.Rows, Cols: sh.Cols,
			Blank: sh.Blank, Orientation: sh.Orientation, Transparent: sh.Transparent}
		if sh.Cropped != (image.Point{}) {
			e.Cropped = fmt.Sprintf("%dx%d", sh.Cropped.X, sh.Cropped.Y)
		}
		s.Sheets = append(s.Sheets, e)
	}
	for _, r := range runs {
		e := runEntry{
			K: r.res.K, Inertia: r.res.Inertia, Iterations: r.res.Iterations, Converged: r.res.Converged,
			Sizes: r.res.Sizes, Seconds: r.seconds, InitRows: r.res.InitRows, Relocated: r.res.Relocated,
			Verify: r.verify,
		}
		if r.montageParts > 1 {
			e.MontageFiles = r.montageParts
		}
		for c, n := range r.res.Sizes {
			if n == 0 {
				e.EmptyClusters = append(e.EmptyClusters, c+1)
			}
		}
		if q := r.quality; q != nil {
			e.Purity, e.NMI, e.ARI, e.Confusion = &q.Purity, &q.NMI, &q.ARI, q.Confusion
		}
		s.Runs = append(s.Runs, e)
	}
	ro.indices.addTo(&s)
	return s
}

// runOutput is what a finished run writes.
type runOutput struct {
	o        *runOptions
	t        *tiles.Set
	be       *backend
	runs     []kRun
	scoring  classScoring
	distinct int      // distinct tiles (kmeans.CountDistinct)
	warnings []string // printed when found, and kept in summary.json
	indices  *runIndices
}

// writeOutputs writes every output file (package outfiles names them)
// into root, the staging folder of -out (see package outdir): the centroid
// PNGs and montage per k, labels.csv, the -export files, elbow.png,
// report.html and summary.json. It stops at the first error or when ctx is
// cancelled.
func writeOutputs(ctx context.Context, root string, ro *runOutput) error {
	steps := []func() error{}
	for _, r := range ro.runs {
		k := r.res.K
		steps = append(steps, func() error {
			kDir := filepath.Dir(outfiles.Path(root, outfiles.Montage, k))
			if err := os.Mkdir(kDir, 0o755); err != nil {
				return err
			}
			for c, img := range r.centroids {
				if err := writePNG(outfiles.Path(root, outfiles.Centroid, k, c+1), img); err != nil {
					return err
				}
			}
			if r.montage != nil {
				return writePNG(outfiles.Path(root, outfiles.Montage, k), r.montage)
			}
			// A montage in parts, each rendered, written and dropped.
			layout := montageLayout(ro.t)
			per := layout.PerPart(ro.t.Width, ro.t.Height)
			for p := range r.montageParts {
				part := htmlreport.Montage(r.centroids[p*per:min(len(r.centroids), (p+1)*per)], layout)
				if err := writePNG(montagePath(root, k, p+1), part); err != nil {
					return err
				}
			}
			return nil
		})
	}
	s := buildSummary(ro)
	steps = append(steps,
		func() error {
			return outdir.WriteStaged(outfiles.Path(root, outfiles.Labels), func(w io.Writer) error {
				return writeLabels(w, ro.t, ro.runs)
			})
		},
		func() error { return writeExports(root, ro) },
		func() error { return writeReport(root, ro, s) },
		func() error {
			return outdir.WriteStaged(outfiles.Path(root, outfiles.Summary), func(w io.Writer) error {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(s)
			})
		})
	for _, step := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := step(); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// writePNG writes img into the staging folder as a PNG file.
func writePNG(path string, img image.Image) error {
	return outdir.WriteStaged(path, func(w io.Writer) error { return png.Encode(w, img) })
}

// centroidImages renders a result's centroids (its exact means, rounded)
// once, for the PNG files and the report, and lays them out in a montage;
// when they are more than one montage file holds (htmlreport.MontageMaxEdge
// pixels a side), montage is nil and parts says how many files the
// writing renders them into.
func centroidImages(t *tiles.Set, res *kmeans.Result) (imgs []image.Image, montage image.Image, parts int) {
	imgs = make([]image.Image, res.K)
	for c := range res.K {
		imgs[c] = tiles.CentroidImage(res.Means[c*t.D:(c+1)*t.D], t.Width, t.Height, t.Color)
	}
	layout := montageLayout(t)
	if per := layout.PerPart(t.Width, t.Height); res.K > per {
		return imgs, nil, (res.K + per - 1) / per
	}
	return imgs, htmlreport.Montage(imgs, layout), 1
}

// montageLayout is montage.png's layout: tiles scaled up for a person to
// look at (8x for 16x16), 8 gray pixels apart, wrapped into rows past
// htmlreport.DefaultMontageWidth, near square beyond, in files of at most
// htmlreport.MontageMaxEdge pixels a side.
func montageLayout(t *tiles.Set) htmlreport.MontageLayout {
	return htmlreport.MontageLayout{Scale: htmlreport.MontageScale(t.Width, t.Height), Gap: 8}
}

// montagePath is part p (1, 2, ...) of k's montage: montage.png, then
// montage2.png, montage3.png, ...
func montagePath(root string, k, p int) string {
	if p == 1 {
		return outfiles.Path(root, outfiles.Montage, k)
	}
	return outfiles.Path(root, outfiles.MontagePart, k, p)
}

// montageNote says, for a montage split into parts files, which files
// hold which centroids; "" for one file.
func montageNote(t *tiles.Set, k, parts int) string {
	if parts <= 1 {
		return ""
	}
	per := montageLayout(t).PerPart(t.Width, t.Height)
	file := func(p int) string {
		name := outfiles.Montage.Expand(k)
		if p > 1 {
			name = path.Base(outfiles.MontagePart.Expand(k, p))
		}
		return fmt.Sprintf("%s (centroids %d-%d)", name, (p-1)*per+1, min(k, p*per))
	}
	files := file(1) + ", " + file(2)
	switch {
	case parts == 3:
		files += ", " + file(3)
	case parts > 3:
		files += ", ... " + file(parts)
	}
	return fmt.Sprintf("the montage of the %d centroids is split into %d files of at most %d x %d pixels, at most %d centroids each (row by row): %s",
		k, parts, htmlreport.MontageMaxEdge, htmlreport.MontageMaxEdge, per, files)
}

// classScoring is what the runs are scored against: the true classes
// (-labels), or why there is no scoring.
type classScoring struct {
	classes *labels.Classes // nil when the scores would mean nothing
	count   int             // classes -labels gave
	note    string          // why not, when classes is nil
	by      string          // what one class is called in the report: "sheet", "class"
	from    string          // where the classes come from, for the report
}

// newClassScoring scores against c unless that means nothing.
func newClassScoring(spec labels.Spec, c *labels.Classes) classScoring {
	cs := classScoring{by: "class", count: len(c.Names)}
	switch spec.Kind {
	case labels.Sheets:
		cs.by, cs.from = "sheet", "one per sheet"
	case labels.Rows:
		cs.from = fmt.Sprintf("grid row / %d (-labels %s)", spec.N, spec)
	case labels.Cols:
		cs.from = fmt.Sprintf("grid column / %d (-labels %s)", spec.N, spec)
	case labels.Folders:
		cs.from = "the class folder each image lies in, below the -images folder (-labels folders)"
	default:
		cs.from = "from " + spec.File
	}
	if cs.note = c.QualityNote(); cs.note == "" {
		cs.classes = c
	}
	return cs
}

// quality scores res against the classes, or returns nil.
func (cs classScoring) quality(res *kmeans.Result) *kmeans.Quality {
	if cs.classes == nil {
		return nil
	}
	q := kmeans.CompareClasses(cs.classes.Of, len(cs.classes.Names), res.Labels, res.K)
	return &q
}

// writeLabels writes one row per tile: index, origin, and its cluster
// (1..k, like the centroid file names) for every k.
func writeLabels(w io.Writer, t *tiles.Set, runs []kRun) error {
	cw := csv.NewWriter(w)
	head := []string{"tile", "sheet", "row", "col"}
	names := namesOf(t)
	if names.byFile {
		head = names.header()
	}
	for _, r := range runs {
		head = append(head, "k"+strconv.Itoa(r.res.K))
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	rec := make([]string, len(head))
	at := len(head) - len(runs)
	for i, org := range t.Origins {
		rec[0] = strconv.Itoa(i)
		rec[1] = t.Sheets[org.Sheet].Name()
		if names.byFile {
			names.fill(rec, org)
		} else {
			rec[2] = strconv.Itoa(int(org.Row))
			rec[3] = strconv.Itoa(int(org.Col))
		}
		for j, r := range runs {
			rec[at+j] = strconv.Itoa(int(r.res.Labels[i]) + 1)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// colorKey is a tileset's colour key as summary.json writes it, #rrggbb
// ("" for none).
func colorKey(t *tiles.Set) string {
	if t.ColorKey == nil {
		return ""
	}
	return fmt.Sprintf("#%02x%02x%02x", t.ColorKey.R, t.ColorKey.G, t.ColorKey.B)
}
