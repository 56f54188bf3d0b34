package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/gpudiag"
	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/labels"
	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/outdir"
	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/outfiles"
	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/sheetpaths"
	"github.com/tilekmeans/tilekmeans/cpu"
	"github.com/tilekmeans/tilekmeans/internal/glenv"
	"github.com/tilekmeans/tilekmeans/internal/verify"
	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/tiles"
)

// runOptions are the flags of the run command.
type runOptions struct {
	sheets     sheetFlags
	labels     labels.Spec
	ks         []int
	kText      string // -k as given
	iters      int
	fixedIters bool
	init       initFlag
	nInit      int
	seed       uint64
	out        string
	workers    int
	prune      pruneMode
	backend    string
	context    string
	gpu        gpuFlags // -device, -allow-mismatch
	verify     bool
	profile    string
	verbose    bool
	quiet      bool
	export     exportFlag     // -export formats (export.go)
	silhouette silhouetteFlag // -silhouette (indices.go)
}

func parseRunFlags(args []string, stderr io.Writer) (*runOptions, error) {
	o := &runOptions{}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	o.sheets.register(fs, 16)
	fs.TextVar(&o.labels, "labels", labels.Spec{}, "true classes for purity, NMI, ARI: sheets (one per sheet) | rows:N | cols:N (grid row or column / N) | folders (the class folder below the -images folder) | a FILE (one label per tile: TensorBoard .tsv or CSV, IDX idx1-ubyte optionally .gz, or an integer .npy)")
	kFlag := fs.String("k", "3,4,5,6,7", "cluster `counts`: list and/or ranges, e.g. 3,4,5 or 3-7")
	fs.IntVar(&o.iters, "iters", 100, "maximum Lloyd `iterations`")
	fs.BoolVar(&o.fixedIters, "fixed-iters", false, "run all -iters iterations even after convergence (the notebook's loop)")
	fs.TextVar(&o.init, "init", initFlag{}, "initial centroids: random | kmeans++ | rows:i,j,... (0-based tile indices, single k)")
	fs.IntVar(&o.nInit, "n-init", 1, "runs per k from different starts (scikit-learn's n_init); the lowest inertia is kept. With -init rows: one run, and a note")
	fs.Uint64Var(&o.seed, "seed", 0, "`seed` of the random and kmeans++ init: a whole number 0..2^64-1; the same seed gives the same output files")
	fs.StringVar(&o.out, "out", "centroids", "output `directory`")
	fs.IntVar(&o.workers, "workers", 0, "CPU worker goroutines (0: all cores)")
	addPruneFlag(fs, &o.prune)
	fs.StringVar(&o.backend, "backend", backendAuto, "where the assignment step runs: auto (a hardware GPU, else the CPU) | gpu | cpu")
	fs.StringVar(&o.context, "context", glenv.ContextAuto, "OpenGL context: auto (GLFW with a display, else EGL) | glfw | egl")
	o.gpu.addDevice(fs)
	o.gpu.addAllowMismatch(fs, "summary.json records it")
	fs.StringVar(&o.profile, "cpuprofile", "", "write a CPU profile to `file`")
	fs.BoolVar(&o.verify, "verify", false, "recompute every assignment with the CPU reference and fail on any difference")
	fs.BoolVar(&o.verbose, "v", false, "log one line per iteration")
	fs.BoolVar(&o.quiet, "q", false, "print nothing but errors")
	fs.TextVar(&o.silhouette, "silhouette", silhouetteFlag{}, "the silhouette over pairs of tiles: `mode` auto (exact unless that costs more than a bound, then a seeded sample) | exact | sample:N (N tiles) | off")
	fs.Var(&o.export, "export", "also write the data in `FORMAT`s for other tools, comma-separated or repeated: npy (tiles.npy, labels_k{K}.npy, centroids_k{K}.npy) | folders (clusters/{k}/{cluster}/, nearest the centroid first: separate images linked where possible, else copied, tiles as PNGs) | folders:copy (copies, never links)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: tilekmeans run [flags] [-images PATH...]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, &o.sheets.images, stderr); err != nil {
		return nil, err
	}
	if err := o.sheets.check(fs); err != nil {
		return nil, err
	}
	var err error
	if o.ks, err = parseKs(*kFlag); err != nil {
		return nil, err
	}
	o.kText = *kFlag
	switch {
	case o.backend != backendAuto && o.backend != backendGPU && o.backend != backendCPU:
		return nil, usagef("-backend %q: want auto, gpu or cpu", o.backend)
	case !validContext(o.context):
		return nil, usagef("-context %q: want auto, glfw or egl", o.context)
	case o.iters < 1:
		return nil, usagef("-iters %d: want >= 1", o.iters)
	case o.nInit < 1:
		return nil, usagef("-n-init %d: want >= 1", o.nInit)
	case o.workers < 0:
		return nil, usagef("-workers %d: want >= 0", o.workers)
	case o.out == "":
		return nil, usagef("-out: want a folder name")
	case o.verbose && o.quiet:
		return nil, usagef("-v and -q exclude each other")
	case o.init.rows != nil && len(o.ks) != 1:
		return nil, usagef("-init %s: explicit rows need a single k, not -k %s", o.init, kList(o.ks))
	}
	if o.backend != backendCPU {
		if err := o.gpu.check(fs, o.context); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// validContext reports whether name is a value of -context.
func validContext(name string) bool {
	return name == glenv.ContextAuto || name == glenv.ContextGLFW || name == glenv.ContextEGL
}

// kRun is one k's result with its timing.
type kRun struct {
	res     *kmeans.Result
	seconds float64
	verify  *verify.Stats // with -verify
	// centroids and montage are the images of centroid{i}.png and
	// montage.png, rendered once for the files and the report; a montage
	// in montageParts > 1 files is rendered as they are written (montage
	// nil).
	centroids    []image.Image
	montage      image.Image
	montageParts int
	quality      *kmeans.Quality // agreement with the sheets; nil for one sheet
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
	defer func() {
		if perr := stopProfile(); perr != nil && err == nil {
			err = perr
		}
	}()
	logw := stderr
	if o.quiet {
		logw = io.Discard
	}
	if err := a.checkMemory(append(o.sheets.needs(), workersNeed(o.workers))...); err != nil {
		return err
	}
	// Take -out first: a folder that may not be replaced, or another run
	// writing it, fails before any sheet is read. The run is built in a
	// staging folder beside it and switched into place at the end.
	out, err := outdir.Begin(o.out, outfiles.Owns)
	if err != nil {
		return fmt.Errorf("-out %s: %w", o.out, err)
	}
	defer out.Abort() // after Commit it does nothing
	o.sheets.progress = logw
	o.sheets.budget = a.loadBudget(&o.sheets, true)
	t, err := o.sheets.load(ctx, o.workers, o.out)
	if err != nil {
		return err
	}
	sheetWarnings := noteSheets(logw, t, &o.sheets)
	if o.init.rows != nil && o.nInit > 1 {
		// Every start would be from the same rows: one run, as
		// scikit-learn does for an explicit init (with a RuntimeWarning).
		w := fmt.Sprintf("-init %s gives the initial centroids: one run instead of -n-init %d (each would start from the same rows)", o.init, o.nInit)
		fmt.Fprintf(logw, "tilekmeans: note: %s\n", w)
		sheetWarnings = append(sheetWarnings, w)
		o.nInit = 1
	}
	// Decoding left about the tile matrix's size again in garbage, in
	// pages the backend's own copy of the tiles could not reuse (what
	// handing it back saves: BENCHMARKS.md, design measurements).
	releaseGarbage(len(t.Pix))
	classes, err := o.classes(t)
	if err != nil {
		return fmt.Errorf("-labels %w", err)
	}
	scoring := newClassScoring(o.labels, classes)
	if scoring.classes == nil && o.sheets.set["labels"] {
		fmt.Fprintf(logw, "tilekmeans: -labels %s: no purity, NMI or ARI: %s\n", o.labels, scoring.note)
	}
	n := t.N()
	data := kmeans.Data{N: n, D: t.D, X: t.Pix}
	for _, k := range o.ks {
		if err := o.config(k, nil).Validate(data); err != nil {
			return o.configUsage(err)
		}
	}
	if err := a.checkMemory(runNeed(o.kText, o.ks, t)); err != nil {
		return err
	}
	ro := &runOutput{o: o, t: t, scoring: scoring, distinct: kmeans.CountDistinct(data), warnings: sheetWarnings}
	if w := distinctWarning(ro.distinct, o.ks); w != "" {
		fmt.Fprintf(logw, "tilekmeans: warning: %s\n", w)
		ro.warnings = append(ro.warnings, w)
	}
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
		where = fmt.Sprintf("gpu (%s: %s, OpenGL %s)", gpudiag.ContextName(be.gpu.info.Context, be.gpu.info.Device), be.gpu.info.Renderer, be.gpu.info.Version)
	}
	fmt.Fprintf(logw, "tilekmeans: %s, %d %s of %s (%d blank%s), k=%s, backend %s\n",
		o.sheets.source(t), n, tileNoun(t), tileDesc(t), t.Blank, skippedNote(t), kList(o.ks), where)

	var verifier *verify.Verifier
	if o.verify {
		verifier = &verify.Verifier{Data: data}
	}
	runs := make([]kRun, 0, len(o.ks))
	for _, k := range o.ks {
		start := time.Now()
		res, err := runK(ctx, o, k, data, be.assigner, verifier, logw)
		if err != nil && be.fallBack(err) {
			if verifier != nil {
				verifier.StatsAndReset()
			}
			res, err = runK(ctx, o, k, data, be.assigner, verifier, logw)
		}
		if err != nil {
			return err
		}
		secs := time.Since(start).Seconds()
		run := kRun{res: res, seconds: secs, quality: scoring.quality(res)}
		run.centroids, run.montage, run.montageParts = centroidImages(t, res)
		if note := montageNote(t, k, run.montageParts); note != "" {
			fmt.Fprintf(logw, "tilekmeans: k=%d: %s\n", k, note)
		}
		if verifier != nil {
			st := verifier.StatsAndReset()
			run.verify = &st
			fmt.Fprintf(logw, "verify k=%d: %d assignments, %d tile labels, %d mismatches, %d exact ties\n",
				k, st.Assignments, st.Rows, st.Mismatches, st.Ties)
		}
		runs = append(runs, run)
	}
	ro.be, ro.runs = be, runs
	be.dropLayout(data)
	releaseGarbage(len(t.Pix)) // the CPU's copy of the tiles, before the indices make theirs
	if ro.indices, err = computeIndices(ctx, o, data, be, runs, logw); err != nil {
		return err
	}
	ro.indices.print(logw, o.verbose)
	releaseGarbage(len(t.Pix)) // the clustering's, before the outputs are built
	defer collectEarly(len(t.Pix))()
	if err := writeOutputs(ctx, out.Path(), ro); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("-out %s: %w", o.out, err)
	}
	if err := out.Commit(); err != nil {
		return fmt.Errorf("-out %s: %w", o.out, err)
	}
	fmt.Fprintf(logw, "tilekmeans: wrote %s\n", o.out)
	return nil
}

// distinctWarning says, when there are fewer distinct tiles than some of
// the ks, what the runs for those ks end with; "" otherwise.
func distinctWarning(distinct int, ks []int) string {
	var over []int
	for _, k := range ks {
		if k > distinct {
			over = append(over, k)
		}
	}
	if len(over) == 0 {
		return ""
	}
	return fmt.Sprintf("only %s, fewer than k=%s: each distinct tile ends in a cluster of its own (inertia 0) and the other clusters end empty, keeping their last centroid (scikit-learn: Number of distinct clusters (%d) found smaller than n_clusters)",
		plural(distinct, "distinct tile"), kList(over), distinct)
}

// config is the k-means configuration for one k, with its own random
// stream (seeded by -seed and k), so that a rerun (after a GPU failure) or k
// alone gives the same result as k in a sweep.
func (o *runOptions) config(k int, progress func(kmeans.Progress)) kmeans.Config {
	cfg := kmeans.Config{
		K:          k,
		MaxIter:    o.iters,
		FixedIters: o.fixedIters,
		NInit:      o.nInit,
		Rand:       rand.New(rand.NewPCG(o.seed, uint64(k))),
		// -verify checks every assignment, so they all come to the host.
		HostLoop: o.verify,
		Workers:  o.workers,
		Progress: progress,
	}
	o.init.config(&cfg)
	return cfg
}

// configFlags names the flag behind each kmeans.Config field.
var configFlags = map[string]string{"K": "-k", "MaxIter": "-iters", "NInit": "-n-init", "Init": "-init", "InitRows": "-init"}

// configUsage turns a *kmeans.ConfigError about a flag's value into a usage
// error that names the flag and the value as it was given.
func (o *runOptions) configUsage(err error) error {
	var ce *kmeans.ConfigError
	if errors.As(err, &ce) {
		if f, ok := configFlags[ce.Field]; ok {
			v := ce.Value
			if f == "-init" {
				v = o.init.String()
			}
			return usagef("%s %s: %s", f, v, ce.Msg)
		}
	}
	return err
}

// runK runs k-means for one k.
func runK(ctx context.Context, o *runOptions, k int, data kmeans.Data, a kmeans.Assigner, verifier *verify.Verifier, logw io.Writer) (*kmeans.Result, error) {
	if verifier != nil {
		verifier.Assigner = a
		a = verifier
	}
	prog := newProgress(logw, o.verbose, o.iters)
	res, err := kmeans.Run(ctx, data, a, o.config(k, prog.step))
	if err != nil {
		prog.abort()
		return nil, err
	}
	prog.done(res)
	return res, nil
}

// classes are the true classes -labels gives the tiles.
func (o *runOptions) classes(t *tiles.Set) (*labels.Classes, error) {
	if o.labels.Kind == labels.Folders {
		return labels.FolderClasses(t, o.sheets.folderOf, sheetpaths.NaturalCompare)
	}
	return o.labels.ClassesWithout(t, o.sheets.leftOut(t))
}

// tileNoun is what the run's first line calls the rows of the matrix.
func tileNoun(t *tiles.Set) string {
	if namesOf(t).byFile {
		return "samples"
	}
	return "tiles"
}

func skippedNote(t *tiles.Set) string {
	if t.Skipped > 0 {
		return ", skipped"
	}
	return ", kept"
}

// largeTiles is the tile matrix size (bytes) from which a run hands its
// garbage back to the OS and collects early: see releaseGarbage and
// collectEarly.
const largeTiles = 32 << 20

// releaseGarbage collects the garbage of a stage of the run; for a tile
// matrix of tileBytes >= largeTiles it also hands the freed memory back to
// the OS, which keeps the peak RSS down. For a smaller one that saves next
// to nothing and costs faulting the pages in again when the next stage
// allocates (BENCHMARKS.md, "Design measurements of the command"), so the
// pages stay for it to reuse.
func releaseGarbage(tileBytes int) {
	if tileBytes >= largeTiles {
		debug.FreeOSMemory()
	} else {
		runtime.GC()
	}
}

// collectEarly lowers the garbage collector's heap growth (GOGC) to 2% for
// a run whose tile matrix has tileBytes >= largeTiles, and returns what
// restores the previous setting; run calls it once the clustering is done.
// What a large run keeps (the tiles, the backend's copy) holds no pointers,
// so a collection costs little, while the default growth (100%) lets the
// garbage of building the outputs reach the size of all that. Not during
// the clustering: there it saves little memory and costs time (the
// figures: BENCHMARKS.md, design measurements).
func collectEarly(tileBytes int) (restore func()) {
	if tileBytes < largeTiles {
		return func() {}
	}
	old := debug.SetGCPercent(2)
	return func() { debug.SetGCPercent(old) }
}

// pruneMode is -prune's value: auto (the CPU backend skips the distances
// its bounds exclude, where that pays) or off (cpu.Options.BruteForce).
type pruneMode bool

const (
	pruneAuto pruneMode = false
	pruneOff  pruneMode = true
)

// String returns "auto" or "off", as -prune takes them and summary.json
// and bench record them.
func (p pruneMode) String() string {
	if p == pruneOff {
		return "off"
	}
	return "auto"
}

// MarshalText implements encoding.TextMarshaler (flag.TextVar's default).
func (p pruneMode) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText parses "auto" or "off".
func (p *pruneMode) UnmarshalText(b []byte) error {
	switch string(b) {
	case "auto":
		*p = pruneAuto
	case "off":
		*p = pruneOff
	default:
		return fmt.Errorf("prune %q: want auto or off", b)
	}
	return nil
}

// cpuOptions returns the CPU backend's options for -workers and -prune.
func cpuOptions(workers int, p pruneMode) cpu.Options {
	return cpu.Options{Workers: workers, BruteForce: p == pruneOff}
}

// addPruneFlag registers -prune (run and bench).
func addPruneFlag(fs *flag.FlagSet, p *pruneMode) {
	fs.TextVar(p, "prune", pruneAuto, "CPU assignment: auto (skip the distances bounds exclude; same results) | off (compute all)")
}
