package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/tiles"
)

// montageScale and montageGap shape montage.png: tiles scaled up 8x for a
// person to look at, 8 gray pixels apart.
const (
	montageScale = 8
	montageGap   = 8
)

// summary is summary.json.
type summary struct {
	Backend      string       `json:"backend"`
	Context      string       `json:"context,omitempty"`    // glfw or egl, when a GPU was opened
	Renderer     string       `json:"renderer,omitempty"`   // GL_RENDERER
	GLVersion    string       `json:"gl_version,omitempty"` // GL_VERSION
	GPUError     string       `json:"gpu_error,omitempty"`  // why auto ran (or finished) on the CPU
	Verified     bool         `json:"verified"`
	Tiles        int          `json:"tiles"`
	Features     int          `json:"features"`
	TileSize     int          `json:"tile_size"`
	BlankTiles   int          `json:"blank_tiles"`
	SkippedBlank int          `json:"skipped_blank"`
	Seed         uint64       `json:"seed"`
	Init         string       `json:"init"`
	NInit        int          `json:"n_init"`
	MaxIters     int          `json:"max_iters"`
	FixedIters   bool         `json:"fixed_iters"`
	Sheets       []sheetEntry `json:"sheets"`
	Runs         []runEntry   `json:"runs"`
}

type sheetEntry struct {
	Path   string `json:"path"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Rows   int    `json:"rows"`
	Cols   int    `json:"cols"`
	Blank  int    `json:"blank"`
}

type runEntry struct {
	K          int          `json:"k"`
	Inertia    float64      `json:"inertia"`
	Iterations int          `json:"iterations"`
	Converged  bool         `json:"converged"`
	Sizes      []int        `json:"sizes"`
	Seconds    float64      `json:"seconds"`
	InitRows   []int        `json:"init_rows"`
	Relocated  int          `json:"relocated_empty_clusters"`
	Purity     *float64     `json:"purity,omitempty"`
	NMI        *float64     `json:"nmi,omitempty"`
	ARI        *float64     `json:"ari,omitempty"`
	Confusion  [][]int      `json:"confusion,omitempty"`
	Verify     *verifyStats `json:"verify,omitempty"`
}

func buildSummary(o *runOptions, t *tiles.Tiles, be *backend, runs []kRun) summary {
	s := summary{
		Backend: be.name(), Verified: o.verify, Tiles: t.N(), Features: t.D, TileSize: t.Size,
		BlankTiles: t.Blank, SkippedBlank: t.Skipped,
		Seed: o.seed, Init: o.init.String(), NInit: o.nInit, MaxIters: o.iters, FixedIters: o.fixedIters,
	}
	if be.gpu != nil {
		s.Context, s.Renderer, s.GLVersion = be.gpu.info.Context, be.gpu.info.Renderer, be.gpu.info.Version
	}
	if be.gpuErr != nil {
		s.GPUError = be.gpuErr.Error()
	}
	for _, sh := range t.Sheets {
		s.Sheets = append(s.Sheets, sheetEntry{Path: sh.Path, Width: sh.Width, Height: sh.Height, Rows: sh.Rows, Cols: sh.Cols, Blank: sh.Blank})
	}
	for _, r := range runs {
		e := runEntry{
			K: r.res.K, Inertia: r.res.Inertia, Iterations: r.res.Iterations, Converged: r.res.Converged,
			Sizes: r.res.Sizes, Seconds: r.seconds, InitRows: r.res.InitRows, Relocated: r.res.Relocated,
			Verify: r.verify,
		}
		if q := r.quality; q != nil {
			e.Purity, e.NMI, e.ARI, e.Confusion = &q.Purity, &q.NMI, &q.ARI, q.Confusion
		}
		s.Runs = append(s.Runs, e)
	}
	return s
}

// writeOutputs writes every output file, each atomically: the centroid PNGs
// and montage per k, labels.csv, the -export files, elbow.png and
// report.html, and summary.json last.
func writeOutputs(o *runOptions, t *tiles.Tiles, be *backend, runs []kRun) error {
	for _, r := range runs {
		dir := filepath.Join(o.out, strconv.Itoa(r.res.K))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("-out: %w", err)
		}
		imgs := make([]*image.Gray, r.res.K)
		for c := range r.res.K {
			imgs[c] = tiles.CentroidImage(r.res.Means[c*t.D:(c+1)*t.D], t.Size)
			if err := tiles.WritePNG(filepath.Join(dir, fmt.Sprintf("centroid%d.png", c+1)), imgs[c]); err != nil {
				return err
			}
		}
		if err := tiles.WritePNG(filepath.Join(dir, "montage.png"), tiles.MontageGrays(imgs, montageScale, montageGap)); err != nil {
			return err
		}
	}
	if err := tiles.WriteAtomic(filepath.Join(o.out, "labels.csv"), func(w io.Writer) error {
		return writeLabels(w, t, runs)
	}); err != nil {
		return err
	}
	if err := writeExports(o, t, runs); err != nil {
		return err
	}
	s := buildSummary(o, t, be, runs)
	if err := writeReport(o, t, s, runs); err != nil {
		return err
	}
	return tiles.WriteAtomic(filepath.Join(o.out, "summary.json"), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	})
}

// sheetQuality scores res against the sheets the tiles came from, or
// returns nil when there is only one sheet (nothing to compare with).
func sheetQuality(t *tiles.Tiles, res *kmeans.Result) *kmeans.Quality {
	if len(t.Sheets) < 2 {
		return nil
	}
	classes := make([]int, t.N())
	for i, org := range t.Origins {
		classes[i] = org.Sheet
	}
	q := kmeans.Compare(classes, len(t.Sheets), res.Labels, res.K)
	return &q
}

// writeLabels writes one row per tile: index, origin, and its cluster
// (1..k, like the centroid file names) for every k.
func writeLabels(w io.Writer, t *tiles.Tiles, runs []kRun) error {
	cw := csv.NewWriter(w)
	head := []string{"tile", "sheet", "row", "col"}
	for _, r := range runs {
		head = append(head, "k"+strconv.Itoa(r.res.K))
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	rec := make([]string, len(head))
	for i, org := range t.Origins {
		rec[0] = strconv.Itoa(i)
		rec[1] = t.Sheets[org.Sheet].Path
		rec[2] = strconv.Itoa(org.Row)
		rec[3] = strconv.Itoa(org.Col)
		for j, r := range runs {
			rec[4+j] = strconv.Itoa(int(r.res.Labels[i]) + 1)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
