package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"

	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/outdir"
	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/sheetpaths"
	"github.com/tilekmeans/tilekmeans/cpu"
	"github.com/tilekmeans/tilekmeans/internal/filename"
	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/tiles"
)

// assignOptions are the flags of the assign command.
type assignOptions struct {
	centroids string
	sheets    sheetFlags // -tile defaults to the centroids' size, -color to their colour, the rest to the run's (runmeta.go)
	output    string     // file, or "-" for stdout
	workers   int
	quiet     bool
}

func parseAssignFlags(args []string, stderr io.Writer) (*assignOptions, error) {
	o := &assignOptions{}
	fs := flag.NewFlagSet("assign", flag.ContinueOnError)
	fs.StringVar(&o.centroids, "centroids", "", "`DIR` holding centroid1.png..centroidK.png: one k of a run's -out, e.g. centroids/5")
	o.sheets.register(fs, 0)
	fs.StringVar(&o.output, "o", "labels.csv", "output CSV `FILE` (- for stdout)")
	fs.IntVar(&o.workers, "workers", 0, "CPU worker goroutines (0: all cores)")
	fs.BoolVar(&o.quiet, "q", false, "print nothing but errors")
	// The defaults are the centroids' and the run's, not run's own.
	fromRun := "; default: as the run that wrote -centroids did (its summary.json), else "
	for _, f := range []struct{ name, dflt string }{
		{"tile", "; default: the centroids' size"},
		{"color", "; default: the centroids' colour"},
		{"background", fromRun + "white"},
		{"margin", fromRun + "0"},
		{"spacing", fromRun + "0"},
		{"crop", fromRun + "off"},
		{"skip-blank", fromRun + "off"},
		{"resize", fromRun + "off"},
		{"fit", fromRun + "stretch"},
	} {
		fl := fs.Lookup(f.name)
		fl.Usage += f.dflt
		fl.DefValue = zeroString(fl.Value) // PrintDefaults then adds no "(default ...)"
	}
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: tilekmeans assign -centroids DIR -images PATH... [flags]")
		fmt.Fprintln(fs.Output(), "Assigns every tile of the sheets to the nearest saved centroid and writes tile,sheet,row,col,cluster,distance.")
		fmt.Fprintln(fs.Output(), "-tile and -color default to the centroids' size and colour; when DIR is one k of a run's output, the")
		fmt.Fprintln(fs.Output(), "sheets are cut as the run cut its own (summary.json beside DIR), and a flag that says otherwise is refused.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, &o.sheets.images, stderr); err != nil {
		return nil, err
	}
	if err := o.sheets.check(fs); err != nil {
		return nil, err
	}
	switch {
	case o.centroids == "":
		return nil, usagef("assign: -centroids DIR is required (a k folder of a run's output, e.g. centroids/5)")
	case len(o.sheets.images) == 0 && o.sheets.tileset == "":
		return nil, usagef("assign: -images is required (the sheets whose tiles to assign)")
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
	if err := a.checkMemory(append(o.sheets.needs(), workersNeed(o.workers))...); err != nil {
		return err
	}
	cents, err := tiles.ReadCentroids(o.centroids)
	if errors.Is(err, tiles.ErrNoCentroids) {
		if ks := centroidFolders(o.centroids); len(ks) > 0 {
			return fmt.Errorf("-centroids %w, but its folders %v hold some: name one k, e.g. -centroids %s", err, ks, filepath.Join(o.centroids, ks[0]))
		}
	}
	if ce := (*tiles.CentroidsError)(nil); errors.As(err, &ce) {
		return fmt.Errorf("-centroids %w", err)
	}
	if err != nil {
		return err // names the centroid file
	}
	// A k folder of a run's output: the run's summary.json beside it says
	// how many centroids it holds and how the run cut its sheets.
	meta, err := readRunMeta(o.centroids)
	if err != nil {
		return err
	}
	if meta != nil {
		if err := meta.checkCentroids(o.centroids, cents); err != nil {
			return err
		}
	}
	size := tileSize{cents.Width, cents.Height}
	switch {
	case !o.sheets.set["tile"]:
		o.sheets.tile = size
	case o.sheets.tile != size:
		return usagef("-tile %s: the centroids in %s are %s (leave -tile out to use their size)", &o.sheets.tile, o.centroids, size.dims())
	}
	switch {
	case !o.sheets.set["color"]:
		o.sheets.color = cents.Color
	case o.sheets.color != cents.Color:
		return usagef("-color %s: the centroids in %s are %s (leave -color out to use theirs)", o.sheets.color, o.centroids, cents.Color)
	}
	took := ""
	if meta != nil {
		if took, err = meta.apply(&o.sheets, o.centroids); err != nil {
			return err
		}
	}
	o.sheets.budget = a.loadBudget(&o.sheets, true)
	t, err := o.sheets.load(ctx, o.workers, "")
	if ge := (*tiles.GridError)(nil); errors.As(err, &ge) {
		if meta != nil && len(ge.Fits) > 0 && o.sheets.tileset == "" {
			// Not the run's grid, and -margin or -spacing would contradict
			// the run: say so instead of advising them.
			return fmt.Errorf("load %v; the grid is that of the run that wrote %s (%s), which these sheets are not laid out in",
				ge, o.centroids, meta.path)
		}
		return fmt.Errorf("%w; the tile size is that of the %s centroids in %s", err, size.dims(), o.centroids)
	}
	if err != nil {
		return err
	}
	if t.Width != cents.Width || t.Height != cents.Height {
		return usagef("-tileset %s: its tiles are %dx%d, the centroids in %s are %s", o.sheets.tileset, t.Width, t.Height, o.centroids, size.dims())
	}
	if meta != nil {
		if err := meta.checkGrid(&o.sheets, o.centroids, t); err != nil {
			return err
		}
		fmt.Fprintf(logw, "tilekmeans: cutting the sheets as the run did (%s): %s %s tiles, %s\n", meta.path, size.dims(), cents.Color, took)
	}
	noteSheets(logw, t, &o.sheets)
	if err := ctx.Err(); err != nil {
		return err
	}
	n := t.N()
	data := kmeans.Data{N: n, D: t.D, X: t.Pix}
	labels, dists, err := kmeans.Predict(data, cpu.New(data, cpu.Options{Workers: o.workers}), cents.Values, cents.K)
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
	sizes := make([]int, cents.K)
	for _, l := range labels {
		sizes[l]++
	}
	where := o.output
	if where == "-" {
		where = "stdout"
	}
	from := plural(len(t.Sheets), "sheet")
	if d := sampleSource(t); d != "" {
		from = d
	}
	fmt.Fprintf(logw, "tilekmeans: %d %s of %s from %s assigned to the %d centroids in %s, sizes %s; wrote %s\n",
		n, tileNoun(t), tileDesc(t), from, cents.K, o.centroids, sizesText(sizes, "the CSV's cluster column"), where)
	return nil
}

// centroidFolders lists, in natural order, the folders in dir that hold
// centroids (their first centroid file): the k folders of a run's output
// folder, one of which -centroids should name.
func centroidFolders(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var ks []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(dir, e.Name(), filename.Centroid.Expand(1))); e.IsDir() && err == nil {
			ks = append(ks, e.Name())
		}
	}
	slices.SortFunc(ks, sheetpaths.NaturalCompare)
	return ks
}

// writeAssignment writes one row per tile: index, origin, cluster (1..k,
// as the centroid file names) and the float32 squared distance to it.
// Samples are named as in run's labels.csv: sample, file (and index).
func writeAssignment(w io.Writer, t *tiles.Set, labels []int32, dists []float32) error {
	cw := csv.NewWriter(w)
	head := []string{"tile", "sheet", "row", "col"}
	names := namesOf(t)
	if names.byFile {
		head = names.header()
	}
	if err := cw.Write(append(head, "cluster", "distance")); err != nil {
		return err
	}
	rec := make([]string, len(head)+2)
	for i, org := range t.Origins {
		rec[0], rec[1] = strconv.Itoa(i), t.Sheets[org.Sheet].Name()
		if names.byFile {
			names.fill(rec, org)
		} else {
			rec[2], rec[3] = strconv.Itoa(int(org.Row)), strconv.Itoa(int(org.Col))
		}
		rec[len(head)], rec[len(head)+1] = strconv.Itoa(int(labels[i])+1), strconv.FormatFloat(float64(dists[i]), 'f', -1, 32)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// zeroString is what the zero value of v's type prints, which package flag
// takes for "no default" (as its isZeroValue does).
func zeroString(v flag.Value) string {
	typ := reflect.TypeOf(v)
	if typ.Kind() == reflect.Pointer {
		return reflect.New(typ.Elem()).Interface().(flag.Value).String()
	}
	return reflect.Zero(typ).Interface().(flag.Value).String()
}
