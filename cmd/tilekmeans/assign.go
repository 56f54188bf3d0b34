package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"

	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/outdir"
	"github.com/tilekmeans/tilekmeans/cpu"
	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/tiles"
)

// assignOptions are the flags of the assign command.
type assignOptions struct {
	centroids string
	images    listFlag
	tile      int // 0: the centroids' size
	crop      bool
	skipBlank bool
	output    string // file, or "-" for stdout
	workers   int
	quiet     bool
}

func parseAssignFlags(args []string, stderr io.Writer) (*assignOptions, error) {
	o := &assignOptions{}
	fs := flag.NewFlagSet("assign", flag.ContinueOnError)
	fs.StringVar(&o.centroids, "centroids", "", "`DIR` holding centroid1.png..centroidK.png: one k of a run's -out, e.g. centroids/5")
	fs.Var(&o.images, "images", "sheet `PATH`s to assign: files, directories or globs (repeatable; bare paths after it count too)")
	fs.IntVar(&o.tile, "tile", 0, "tile edge in `pixels`; must equal the centroids' size (default: their size)")
	fs.BoolVar(&o.crop, "crop", false, "trim a right/bottom remainder that is not a whole tile instead of failing")
	fs.BoolVar(&o.skipBlank, "skip-blank", false, "leave blank tiles (all pixels equal) out")
	fs.StringVar(&o.output, "o", "labels.csv", "output CSV `FILE` (- for stdout)")
	fs.IntVar(&o.workers, "workers", 0, "CPU worker goroutines (0: all cores)")
	fs.BoolVar(&o.quiet, "q", false, "print nothing but errors")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: tilekmeans assign -centroids DIR -images PATH... [flags]")
		fmt.Fprintln(fs.Output(), "Assigns every tile of the sheets to the nearest saved centroid and writes tile,sheet,row,col,cluster,distance.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, &o.images, stderr); err != nil {
		return nil, err
	}
	switch {
	case o.centroids == "":
		return nil, usagef("assign: -centroids DIR is required (a k folder of a run's output, e.g. centroids/5)")
	case len(o.images) == 0:
		return nil, usagef("assign: -images is required (the sheets whose tiles to assign)")
	case o.tile < 0:
		return nil, usagef("-tile %d: want >= 1", o.tile)
	case o.workers < 0:
		return nil, usagef("-workers %d: want >= 0", o.workers)
	case o.output == "":
		return nil, usagef("-o: want a file name or -")
	}
	return o, nil
}

func (a *app) assignCommand(ctx context.Context, args []string) error {
	o, err := parseAssignFlags(args, a.stderr)
	if err != nil {
		return err
	}
	logw := a.stderr
	if o.quiet {
		logw = io.Discard
	}
	cents, err := loadCentroids(o.centroids)
	if err != nil {
		return err
	}
	if o.tile != 0 && o.tile != cents.size {
		return usagef("-tile %d: the centroids in %s are %dx%d (leave -tile out to use their size)", o.tile, o.centroids, cents.size, cents.size)
	}
	files, err := tiles.Expand(o.images)
	if err != nil {
		return fmt.Errorf("-images %w", err)
	}
	t, err := tiles.Load(files, tiles.Options{Size: cents.size, Crop: o.crop, SkipBlank: o.skipBlank})
	if ge := (*tiles.GridError)(nil); errors.As(err, &ge) {
		return fmt.Errorf("%w; the tile size is that of the %dx%d centroids in %s", cropHint(err), cents.size, cents.size, o.centroids)
	}
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	n := t.N()
	data := kmeans.Data{N: n, D: t.D, X: t.Pix}
	labels, dists, err := kmeans.Predict(data, cpu.New(data, o.workers), cents.values, cents.k)
	if err != nil {
		return err
	}
	write := func(w io.Writer) error { return writeAssignment(w, t, labels, dists) }
	if o.output == "-" {
		if err := write(a.stdout); err != nil {
			return fmt.Errorf("write stdout: %w", err)
		}
	} else if err := outdir.WriteFile(o.output, write); err != nil {
		return fmt.Errorf("-o %s: %w", o.output, err)
	}
	sizes := make([]int, cents.k)
	for _, l := range labels {
		sizes[l]++
	}
	where := o.output
	if where == "-" {
		where = "stdout"
	}
	fmt.Fprintf(logw, "tilekmeans: %d tiles of %dx%d from %d sheets assigned to the %d centroids in %s, sizes %v; wrote %s\n",
		n, t.Size, t.Size, len(t.Sheets), cents.k, o.centroids, sizes, where)
	return nil
}

// centroidSet is a k's centroid PNGs read back: k*D float32 values, row-major.
type centroidSet struct {
	k, size int
	values  []float32
}

var centroidName = regexp.MustCompile(`^centroid([0-9]+)\.png$`)

// loadCentroids reads dir/centroid1.png..centroidK.png: contiguous from 1,
// square, all the same size; any image becomes 8-bit gray.
func loadCentroids(dir string) (*centroidSet, error) {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("-centroids %s: no such directory", dir)
	case err != nil:
		if st, serr := os.Stat(dir); serr == nil && !st.IsDir() {
			return nil, fmt.Errorf("-centroids %s: not a directory", dir)
		}
		return nil, fmt.Errorf("-centroids %s: %w", dir, unwrapPath(err))
	}
	var nums []int
	var runs []string // subfolders holding centroid1.png: dir is a run's -out
	for _, e := range entries {
		m := centroidName.FindStringSubmatch(e.Name())
		if m == nil {
			if _, err := os.Stat(filepath.Join(dir, e.Name(), "centroid1.png")); e.IsDir() && err == nil {
				runs = append(runs, e.Name())
			}
			continue
		}
		i, err := strconv.Atoi(m[1])
		if err != nil || i < 1 || m[1][0] == '0' {
			return nil, fmt.Errorf("-centroids %s: %s: want centroid1.png, centroid2.png, ... (numbered from 1, no leading zeros)", dir, e.Name())
		}
		nums = append(nums, i)
	}
	if len(nums) == 0 {
		if len(runs) > 0 {
			slices.SortFunc(runs, tiles.NaturalCompare)
			return nil, fmt.Errorf("-centroids %s: no centroid1.png here, but in its folders %v: name one k, e.g. -centroids %s",
				dir, runs, filepath.Join(dir, runs[0]))
		}
		return nil, fmt.Errorf("-centroids %s: no centroid1.png..centroidK.png files", dir)
	}
	slices.Sort(nums)
	for i, n := range nums {
		if n != i+1 {
			return nil, fmt.Errorf("-centroids %s: centroid%d.png is missing but centroid%d.png exists (want centroid1.png..centroidK.png with no gap)", dir, i+1, n)
		}
	}
	set := &centroidSet{k: len(nums)}
	for i := 1; i <= set.k; i++ {
		p := filepath.Join(dir, fmt.Sprintf("centroid%d.png", i))
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("load %w", err)
		}
		img, err := tiles.Decode(p, data)
		if err != nil {
			return nil, err
		}
		w, h := img.Rect.Dx(), img.Rect.Dy()
		switch {
		case w != h:
			return nil, fmt.Errorf("%s: %dx%d is not square", p, w, h)
		case i == 1:
			set.size = w
		case w != set.size:
			return nil, fmt.Errorf("%s: %dx%d, but centroid1.png is %dx%d (all centroids must be the same size)", p, w, h, set.size, set.size)
		}
		for _, v := range img.Pix {
			set.values = append(set.values, float32(v))
		}
	}
	return set, nil
}

// writeAssignment writes one row per tile: index, origin, cluster (1..k,
// as the centroid file names) and the float32 squared distance to it.
func writeAssignment(w io.Writer, t *tiles.Tiles, labels []int32, dists []float32) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"tile", "sheet", "row", "col", "cluster", "distance"}); err != nil {
		return err
	}
	for i, org := range t.Origins {
		if err := cw.Write([]string{
			strconv.Itoa(i), t.Sheets[org.Sheet].Path, strconv.Itoa(org.Row), strconv.Itoa(org.Col),
			strconv.Itoa(int(labels[i]) + 1), strconv.FormatFloat(float64(dists[i]), 'g', -1, 32),
		}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
