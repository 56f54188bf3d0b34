package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/tilekmeans/tilekmeans/gpu"
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
	Verified   bool   `json:"verified"`
	Tiles      int    `json:"tiles"`
	Features   int    `json:"features"`
	TileSize   int    `json:"tile_size"`
	BlankTiles int    `json:"blank_tiles"`
	// DistinctTiles counts the distinct tiles clustered; below a k, that
	// k's run ends with empty clusters (Warnings says so).
	DistinctTiles int          `json:"distinct_tiles"`
	Warnings      []string     `json:"warnings,omitempty"`
	SkippedBlank  int          `json:"skipped_blank"`
	Seed          uint64       `json:"seed"`
	Init          string       `json:"init"`
	NInit         int          `json:"n_init"`
	MaxIters      int          `json:"max_iters"`
	FixedIters    bool         `json:"fixed_iters"`
	Sheets        []sheetEntry `json:"sheets"`
	Runs          []runEntry   `json:"runs"`

	// With a GPU: the EGL device it ran on, its parity canary, and whether
	// -allow-mismatch let it run after a failed canary (its results then
	// carry no bit-for-bit guarantee).
	EGLDevice     *gpu.EGLDevice `json:"egl_device,omitempty"`
	Canary        *gpu.Canary    `json:"canary,omitempty"`
	AllowMismatch bool           `json:"allow_mismatch,omitempty"`
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
	EmptyClusters []int               `json:"empty_clusters,omitempty"`
	Purity        *float64            `json:"purity,omitempty"`
	NMI           *float64            `json:"nmi,omitempty"`
	ARI           *float64            `json:"ari,omitempty"`
	Confusion     [][]int             `json:"confusion,omitempty"`
	Verify        *kmeans.VerifyStats `json:"verify,omitempty"`
}

func buildSummary(ro *runOutput) summary {
	o, t, be, runs := ro.o, ro.t, ro.be, ro.runs
	s := summary{
		Backend: be.name(), Verified: o.verify, Tiles: t.N(), Features: t.D, TileSize: t.Size,
		BlankTiles: t.Blank, SkippedBlank: t.Skipped, DistinctTiles: ro.distinct, Warnings: ro.warnings,
		Seed: o.seed, Init: o.init.String(), NInit: o.nInit, MaxIters: o.iters, FixedIters: o.fixedIters,
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
	for _, sh := range t.Sheets {
		s.Sheets = append(s.Sheets, sheetEntry{Path: sh.Path, Width: sh.Width, Height: sh.Height, Rows: sh.Rows, Cols: sh.Cols, Blank: sh.Blank})
	}
	for _, r := range runs {
		e := runEntry{
			K: r.res.K, Inertia: r.res.Inertia, Iterations: r.res.Iterations, Converged: r.res.Converged,
			Sizes: r.res.Sizes, Seconds: r.seconds, InitRows: r.res.InitRows, Relocated: r.res.Relocated,
			Verify: r.verify,
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
	return s
}

// runOutput is what a finished run writes.
type runOutput struct {
	o        *runOptions
	t        *tiles.Tiles
	be       *backend
	runs     []kRun
	distinct int      // distinct tiles (kmeans.CountDistinct)
	warnings []string // printed when found, and kept in summary.json
}

// writeOutputs writes every output file into root, the staging folder of
// -out (see package outdir): the centroid PNGs and montage per k,
// labels.csv, the -export files, elbow.png, report.html and summary.json.
// It stops at the first error or when ctx is cancelled.
func writeOutputs(ctx context.Context, root string, ro *runOutput) error {
	steps := []func() error{}
	for _, r := range ro.runs {
		dir := filepath.Join(root, strconv.Itoa(r.res.K))
		steps = append(steps, func() error {
			if err := os.Mkdir(dir, 0o755); err != nil {
				return err
			}
			for c, img := range r.centroids {
				if err := tiles.WritePNG(filepath.Join(dir, fmt.Sprintf("centroid%d.png", c+1)), img); err != nil {
					return err
				}
			}
			return tiles.WritePNG(filepath.Join(dir, "montage.png"), r.montage)
		})
	}
	s := buildSummary(ro)
	steps = append(steps,
		func() error {
			return tiles.WriteAtomic(filepath.Join(root, "labels.csv"), func(w io.Writer) error {
				return writeLabels(w, ro.t, ro.runs)
			})
		},
		func() error { return writeExports(root, ro) },
		func() error { return writeReport(root, ro, s) },
		func() error {
			return tiles.WriteAtomic(filepath.Join(root, "summary.json"), func(w io.Writer) error {
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

// centroidImages renders a result's centroids (its exact means, rounded)
// once, for the PNG files and the report, and lays them out in a montage.
func centroidImages(t *tiles.Tiles, res *kmeans.Result) (imgs []image.Image, montage image.Image) {
	imgs = make([]image.Image, res.K)
	for c := range res.K {
		imgs[c] = t.Image(res.Means[c*t.D : (c+1)*t.D])
	}
	return imgs, tiles.Montage(imgs, montageLayout(t))
}

// montageLayout is montage.png's layout: tiles scaled up for a person to
// look at (8x for 16x16), 8 gray pixels apart, wrapped into rows past
// tiles.DefaultMontageWidth.
func montageLayout(t *tiles.Tiles) tiles.MontageLayout {
	return tiles.MontageLayout{Scale: tiles.MontageScale(t.Width, t.Height), Gap: 8}
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
