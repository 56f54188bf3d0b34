package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/tilekmeans/tilekmeans/gpu"
	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/tiles"
	"github.com/tilekmeans/tilekmeans/tiles/embedded"
)

// runOptions are the flags of the run command.
type runOptions struct {
	images     listFlag
	tile       int
	crop       bool
	skipBlank  bool
	ks         []int
	iters      int
	fixedIters bool
	init       kmeans.Init
	nInit      int
	seed       uint64
	out        string
	workers    int
	backend    string
	context    string
	verify     bool
	profile    string
	verbose    bool
	quiet      bool
	export     exportFlag // -export formats (export.go)
}

func parseRunFlags(args []string, stderr io.Writer) (*runOptions, error) {
	o := &runOptions{}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.Var(&o.images, "images", "sheet `PATH`s: files, directories or globs (repeatable; bare paths after it count too)")
	fs.IntVar(&o.tile, "tile", 16, "tile edge in `pixels`")
	fs.BoolVar(&o.crop, "crop", false, "trim a right/bottom remainder that is not a whole tile instead of failing")
	fs.BoolVar(&o.skipBlank, "skip-blank", false, "leave blank tiles (all pixels equal) out")
	kFlag := fs.String("k", "3,4,5,6,7", "cluster `counts`: list and/or ranges, e.g. 3,4,5 or 3-7")
	fs.IntVar(&o.iters, "iters", 100, "maximum Lloyd `iterations`")
	fs.BoolVar(&o.fixedIters, "fixed-iters", false, "run all -iters iterations even after convergence (the notebook's loop)")
	initFlag := fs.String("init", "random", "initial centroids: random | kmeans++ | rows:i,j,... (0-based tile indices, single k)")
	fs.IntVar(&o.nInit, "n-init", 1, "restarts per k; the lowest inertia is kept")
	fs.Uint64Var(&o.seed, "seed", 0, "random `seed` for random and kmeans++ init")
	fs.StringVar(&o.out, "out", "centroids", "output `directory`")
	fs.IntVar(&o.workers, "workers", 0, "CPU worker goroutines (0: all cores)")
	fs.StringVar(&o.backend, "backend", backendAuto, "where the assignment step runs: auto (GPU, else CPU) | gpu | cpu")
	fs.StringVar(&o.context, "context", gpu.ContextAuto, "OpenGL context: auto (GLFW with a display, else EGL) | glfw | egl")
	fs.StringVar(&o.profile, "cpuprofile", "", "write a CPU profile to `file`")
	fs.BoolVar(&o.verify, "verify", false, "recompute every assignment with the CPU reference and fail on any difference")
	fs.BoolVar(&o.verbose, "v", false, "log one line per iteration")
	fs.BoolVar(&o.quiet, "q", false, "print nothing but errors")
	fs.Var(&o.export, "export", "also write the data in `FORMAT`s for other tools: npy (tiles.npy, labels_k{K}.npy, centroids_k{K}.npy)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: tilekmeans run [flags] [-images PATH...]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, &o.images, stderr); err != nil {
		return nil, err
	}
	var err error
	if o.ks, err = parseKs(*kFlag); err != nil {
		return nil, err
	}
	if o.init, err = kmeans.ParseInit(*initFlag); err != nil {
		return nil, usagef("-init: %v", err)
	}
	switch {
	case o.backend != backendAuto && o.backend != backendGPU && o.backend != backendCPU:
		return nil, usagef("-backend %q: want auto, gpu or cpu", o.backend)
	case o.context != gpu.ContextAuto && o.context != gpu.ContextGLFW && o.context != gpu.ContextEGL:
		return nil, usagef("-context %q: want auto, glfw or egl", o.context)
	case o.tile < 1:
		return nil, usagef("-tile %d: want >= 1", o.tile)
	case o.iters < 1:
		return nil, usagef("-iters %d: want >= 1", o.iters)
	case o.nInit < 1:
		return nil, usagef("-n-init %d: want >= 1", o.nInit)
	case o.workers < 0:
		return nil, usagef("-workers %d: want >= 0", o.workers)
	case o.verbose && o.quiet:
		return nil, usagef("-v and -q exclude each other")
	case o.init.Method == kmeans.InitRows && len(o.ks) != 1:
		return nil, usagef("-init %s: explicit rows need a single k, not -k %s", o.init, kList(o.ks))
	case o.init.Method == kmeans.InitRows && len(o.init.Rows) != o.ks[0]:
		return nil, usagef("-init %s: %d rows for k=%d", o.init, len(o.init.Rows), o.ks[0])
	}
	return o, nil
}

// loadInput resolves the sheets: -images, else ./images/usps_*.jpg, else the
// embedded default set.
func loadInput(o *runOptions) (*tiles.Tiles, error) {
	opts := tiles.Options{Size: o.tile, Crop: o.crop, SkipBlank: o.skipBlank}
	paths := []string(o.images)
	if len(paths) == 0 {
		if m, _ := filepath.Glob(filepath.Join("images", "usps_*.jpg")); len(m) > 0 {
			paths = []string{filepath.Join("images", "usps_*.jpg")}
		}
	}
	if len(paths) == 0 {
		var srcs []tiles.Source
		for _, s := range embedded.Sheets() {
			srcs = append(srcs, tiles.Source{Name: "embedded/" + s.Name, Data: s.Data})
		}
		return tiles.LoadSources(srcs, opts)
	}
	files, err := tiles.Expand(paths)
	if err != nil {
		return nil, fmt.Errorf("-images %w", err)
	}
	t, err := tiles.Load(files, opts)
	return t, cropHint(err)
}

// cropHint adds the -crop hint to a sheet that a whole grid of tiles fits
// but for a right/bottom remainder.
func cropHint(err error) error {
	if ge := (*tiles.GridError)(nil); errors.As(err, &ge) && ge.CropFits() {
		return fmt.Errorf("%w (use -crop to trim %dx%d)", err, ge.Right, ge.Bottom)
	}
	return err
}

// kRun is one k's result with its timing.
type kRun struct {
	res     *kmeans.Result
	seconds float64
	verify  *verifyStats    // with -verify
	quality *kmeans.Quality // agreement with the sheets; nil for one sheet
}

func (a *app) runCommand(ctx context.Context, args []string) (err error) {
	stderr := a.stderr
	o, err := parseRunFlags(args, stderr)
	if err != nil {
		return err
	}
	stopProfile, err := startProfile(o.profile)
	if err != nil {
		return err
	}
	defer stopProfile()
	logw := stderr
	if o.quiet {
		logw = io.Discard
	}
	t, err := loadInput(o)
	if err != nil {
		return err
	}
	n := t.N()
	if last := o.ks[len(o.ks)-1]; last > n {
		return usagef("-k %d: more clusters than the %d tiles", last, n)
	}
	for _, r := range o.init.Rows {
		if r >= n {
			return usagef("-init %s: row %d is out of range (%d tiles: 0..%d)", o.init, r, n, n-1)
		}
	}
	created, err := checkWritable(o.out)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil && created {
			// Leave no trace of a failed run: only removes it while empty.
			os.Remove(o.out)
		}
	}()
	data := kmeans.Data{N: n, D: t.D, X: t.Pix}
	be, err := a.openBackend(o, data, logw)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := be.close(); cerr != nil && err == nil {
			err = fmt.Errorf("close GPU: %w", cerr)
		}
	}()
	where := "cpu"
	if be.gpu != nil {
		where = fmt.Sprintf("gpu (%s: %s, OpenGL %s)", be.gpu.info.Context, be.gpu.info.Renderer, be.gpu.info.Version)
	}
	fmt.Fprintf(logw, "tilekmeans: %d sheets, %d tiles of %dx%d (%d blank%s), k=%s, backend %s\n",
		len(t.Sheets), n, t.Size, t.Size, t.Blank, skippedNote(t), kList(o.ks), where)

	var verifier *verifyAssigner
	if o.verify {
		verifier = &verifyAssigner{data: data}
	}
	runs := make([]kRun, 0, len(o.ks))
	for _, k := range o.ks {
		start := time.Now()
		res, err := runK(ctx, o, k, data, be.assigner, verifier, logw)
		if err != nil && be.fallBack(err) {
			if verifier != nil {
				verifier.takeStats()
			}
			res, err = runK(ctx, o, k, data, be.assigner, verifier, logw)
		}
		if err != nil {
			if errors.Is(err, kmeans.ErrConfig) || errors.Is(err, kmeans.ErrInit) {
				return usagef("%v", err)
			}
			return err
		}
		secs := time.Since(start).Seconds()
		run := kRun{res: res, seconds: secs, quality: sheetQuality(t, res)}
		if verifier != nil {
			st := verifier.takeStats()
			run.verify = &st
			fmt.Fprintf(logw, "verify k=%d: %d assignments, %d rows, %d mismatches, %d exact ties\n",
				k, st.Assignments, st.Rows, st.Mismatches, st.Ties)
		}
		runs = append(runs, run)
	}
	if err := writeOutputs(o, t, be, runs); err != nil {
		return err
	}
	fmt.Fprintf(logw, "tilekmeans: wrote %s\n", o.out)
	return nil
}

// runK runs k-means for one k with its own random stream, so that a rerun
// (after a GPU failure) or k alone gives the same result as k in a sweep.
func runK(ctx context.Context, o *runOptions, k int, data kmeans.Data, a kmeans.Assigner, verifier *verifyAssigner, logw io.Writer) (*kmeans.Result, error) {
	if verifier != nil {
		verifier.Assigner = a
		a = verifier
	}
	prog := newProgress(logw, o.verbose, o.iters)
	res, err := kmeans.Run(ctx, data, a, kmeans.Config{
		K:          k,
		MaxIter:    o.iters,
		FixedIters: o.fixedIters,
		Init:       o.init,
		NInit:      o.nInit,
		Rand:       rand.New(rand.NewPCG(o.seed, uint64(k))),
		Progress:   prog.step,
		// The GPU keeps its integer sums in 32 bits: past that many rows
		// it assigns and the host updates.
		HostLoop: data.N > gpu.MaxStepRows,
	})
	if err != nil {
		prog.abort()
		return nil, err
	}
	prog.done(res)
	return res, nil
}

func skippedNote(t *tiles.Tiles) string {
	if t.Skipped > 0 {
		return ", skipped"
	}
	return ", kept"
}

// checkWritable fails early, before any clustering, when dir cannot take
// files. It creates dir if needed and says whether it did.
func checkWritable(dir string) (created bool, err error) {
	if _, err := os.Stat(dir); err != nil {
		created = true
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, fmt.Errorf("-out %s: %w", dir, unwrapPath(err))
	}
	f, err := os.CreateTemp(dir, ".tilekmeans-probe-*")
	if err != nil {
		if created {
			os.Remove(dir)
		}
		return false, fmt.Errorf("-out %s: not writable: %w", dir, unwrapPath(err))
	}
	f.Close()
	os.Remove(f.Name())
	return created, nil
}

// unwrapPath drops the path an *os.PathError repeats, for one short line.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
