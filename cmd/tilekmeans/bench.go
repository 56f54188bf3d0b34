package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/gpudiag"
	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/outdir"
	"github.com/tilekmeans/tilekmeans/cpu"
	"github.com/tilekmeans/tilekmeans/gpu"
	"github.com/tilekmeans/tilekmeans/internal/glenv"
	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/tiles"
)

// benchOptions are the flags of the bench command.
type benchOptions struct {
	sheets   sheetFlags
	sizes    []int  // multiples of the loaded tiles
	sizeText string // -sizes as given
	ks       []int
	iters    int
	reps     int
	backends []string
	context  string
	gpu      gpuFlags // -device, -allow-mismatch
	budget   time.Duration
	seed     uint64
	workers  int
	prune    pruneMode
	asJSON   bool
	plotPath string
	profile  string
}

// benchCell is the measurement of one backend on one data size and k.
type benchCell struct {
	Backend string
	Device  string // the GPU's renderer and context, or the CPU's core count
	Tiles   int
	K       int
	// Setup is making the context and compiling the shaders (once per
	// backend), Upload copying the tiles to where the backend reads them
	// (once per size), Assign one assignment call with its results back on
	// the host, Iter one Lloyd iteration (assignment and update) in the
	// backend's own loop (the GPU's stays on the device when it can), all
	// medians over the repetitions.
	Setup, Upload time.Duration
	Assign, Iter  stat
	// Update is the host's update step per iteration (iter - assign), for
	// the CPU when it computes every distance (0 when it prunes); on the
	// GPU the update runs on the device, fused with the assignment, and has
	// no time of its own.
	Update            time.Duration
	Total             time.Duration // setup + upload + iters * iter
	NsPerTileCentroid float64       // iter / (tiles * k): flat when time is linear in tiles x k
	Reps, Iters       int           // what was measured (fewer when over the budget)
	// Computed is, for the CPU, the share of tile x centroid distances its
	// iterations computed (1 with -prune off; pruning skips the others).
	Computed float64
	Note     string
	SpeedUp  float64 // cpu iter / this iter, for the GPU
}

// MarshalJSON writes snake_case keys and durations in seconds.
func (c benchCell) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Backend           string  `json:"backend"`
		Device            string  `json:"device"`
		Tiles             int     `json:"tiles"`
		K                 int     `json:"k"`
		Setup             float64 `json:"setup_s"`
		Upload            float64 `json:"upload_s"`
		Assign            stat    `json:"assign"`
		Iter              stat    `json:"iteration"`
		Update            float64 `json:"update_s,omitempty"`
		Total             float64 `json:"total_s"`
		NsPerTileCentroid float64 `json:"ns_per_tile_centroid"`
		Reps              int     `json:"reps"`
		Iters             int     `json:"iters"`
		Computed          float64 `json:"computed_share,omitempty"`
		Note              string  `json:"note,omitempty"`
		SpeedUp           float64 `json:"speed_up,omitempty"`
	}{c.Backend, c.Device, c.Tiles, c.K, c.Setup.Seconds(), c.Upload.Seconds(), c.Assign, c.Iter,
		c.Update.Seconds(), c.Total.Seconds(), c.NsPerTileCentroid, c.Reps, c.Iters, c.Computed, c.Note, c.SpeedUp})
}

// stat is a median with its spread over repetitions.
type stat struct {
	Median, Min, Max time.Duration
}

func newStat(ds []time.Duration) stat {
	if len(ds) == 0 {
		return stat{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return stat{Median: m, Min: s[0], Max: s[len(s)-1]}
}

func (s stat) String() string {
	if s.Median == 0 {
		return "-"
	}
	return fmt.Sprintf("%s [%s..%s]", fmtDur(s.Median), fmtDur(s.Min), fmtDur(s.Max))
}

func (s stat) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]float64{"median_s": s.Median.Seconds(), "min_s": s.Min.Seconds(), "max_s": s.Max.Seconds()})
}

// fmtDur prints a duration with three significant digits.
func fmtDur(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", d.Nanoseconds())
	case d < time.Millisecond:
		return fmt.Sprintf("%.3gus", float64(d.Nanoseconds())/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.3gms", float64(d.Nanoseconds())/1e6)
	}
	return fmt.Sprintf("%.3gs", d.Seconds())
}

func parseIntList(flagName, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(strings.TrimSpace(f), "-") {
			return nil, usagef("-%s %q: %q is out of range (want 1..%d)", flagName, s, f, math.MaxInt)
		}
		if err != nil || v < 1 {
			return nil, usagef("-%s %q: %q is not a positive integer", flagName, s, f)
		}
		out = append(out, v)
	}
	return out, nil
}

func parseBenchFlags(args []string, stderr io.Writer) (*benchOptions, error) {
	o := &benchOptions{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	o.sheets.register(fs, 16)
	sizes := fs.String("sizes", "1,10,100", "data sizes as `multiples` of the loaded tiles; copies past the first get seeded +-1 noise")
	kFlag := fs.String("k", "5,64,256", "cluster `counts`")
	fs.IntVar(&o.iters, "iters", 20, "fixed Lloyd `iterations` per repetition")
	fs.IntVar(&o.reps, "reps", 5, "`repetitions`; figures are medians with [min..max]")
	backends := fs.String("backends", "cpu,gpu", "backends to compare: cpu, gpu or cpu,gpu (by default a GPU that cannot be opened is left out with a note)")
	fs.StringVar(&o.context, "context", glenv.ContextAuto, "OpenGL context for the GPU: auto | glfw | egl")
	o.gpu.addDevice(fs)
	o.gpu.addAllowMismatch(fs, "bench marks the device 'parity canary failed'")
	fs.DurationVar(&o.budget, "budget", 30*time.Second, "time allowed per backend, size and k; fewer repetitions and iterations are measured beyond it")
	fs.Uint64Var(&o.seed, "seed", 0, "`seed` of the initial centroids and the noise: a whole number 0..2^64-1")
	fs.IntVar(&o.workers, "workers", 0, "CPU worker goroutines (0: all cores)")
	addPruneFlag(fs, &o.prune)
	fs.BoolVar(&o.asJSON, "json", false, "print JSON instead of a table")
	fs.StringVar(&o.plotPath, "plot", "", "write a PNG `file` of time per iteration against tiles")
	fs.StringVar(&o.profile, "cpuprofile", "", "write a CPU profile to `file`")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: tilekmeans bench [flags] [-images PATH...]\n\nTimes the CPU and GPU backends side by side on the same data: setup, upload,\none assignment, one Lloyd iteration, for each data size and k.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, &o.sheets.images, stderr); err != nil {
		return nil, err
	}
	if err := o.sheets.check(fs); err != nil {
		return nil, err
	}
	var err error
	if o.sizes, err = parseIntList("sizes", *sizes); err != nil {
		return nil, err
	}
	o.sizeText = *sizes
	if o.ks, err = parseIntList("k", *kFlag); err != nil {
		return nil, err
	}
	for _, b := range strings.Split(*backends, ",") {
		if b != backendCPU && b != backendGPU {
			return nil, usagef("-backends %q: %q is not cpu or gpu", *backends, b)
		}
		o.backends = append(o.backends, b)
	}
	switch {
	case !validContext(o.context):
		return nil, usagef("-context %q: want auto, glfw or egl", o.context)
	case o.iters < 1:
		return nil, usagef("-iters %d: want >= 1", o.iters)
	case o.reps < 1:
		return nil, usagef("-reps %d: want >= 1", o.reps)
	case o.budget <= 0:
		return nil, usagef("-budget %s: want > 0", o.budget)
	}
	if slices.Contains(o.backends, backendGPU) {
		if err := o.gpu.check(fs, o.context); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// replicate returns copies times the data: the first copy exact, the others
// with each value moved by -1, 0 or +1 (seeded, clamped to 0..255), so the
// larger sets cluster like the real one without repeating rows exactly.
func replicate(data kmeans.Data, copies int, seed uint64) kmeans.Data {
	rng := rand.New(rand.NewPCG(seed, 0x6e6f697365))
	x := make([]uint8, 0, copies*len(data.X))
	x = append(x, data.X...)
	for range copies - 1 {
		for _, v := range data.X {
			x = append(x, uint8(max(0, min(255, int(v)+rng.IntN(3)-1))))
		}
	}
	return kmeans.Data{N: copies * data.N, D: data.D, X: x}
}

func (a *app) benchCommand(ctx context.Context, args []string) (err error) {
	o, err := parseBenchFlags(args, a.stderr)
	if err != nil {
		return err
	}
	stop, err := startProfile(o.profile)
	if err != nil {
		return err
	}
	defer func() {
		if perr := stop(); perr != nil && err == nil {
			err = perr
		}
	}()
	if err := a.checkMemory(append(o.sheets.needs(), workersNeed(o.workers))...); err != nil {
		return err
	}
	o.sheets.budget = a.loadBudget(&o.sheets, false)
	t, err := o.sheets.load(ctx, o.workers, "")
	if err != nil {
		return err
	}
	if err := a.checkMemory(benchNeed(o.sizeText, slices.Max(o.sizes), t, slices.Contains(o.backends, backendCPU))); err != nil {
		return err
	}
	base := kmeans.Data{N: t.N(), D: t.D, X: t.Pix}
	largest := base.N * slices.Max(o.sizes)
	for _, k := range o.ks {
		switch {
		case k > largest:
			return usagef("-k %d: more clusters than the %d tiles of the largest size", k, largest)
		case k > base.N*slices.Min(o.sizes):
			fmt.Fprintf(a.stderr, "tilekmeans: bench: k=%d is measured only at the sizes with at least %d tiles\n", k, k)
		}
	}
	var cells []benchCell
	for _, be := range o.backends {
		cs, err := a.benchBackend(ctx, be, o, base)
		if err != nil {
			return err
		}
		cells = append(cells, cs...)
	}
	// Speed-up of each GPU cell over the CPU cell of the same size and k.
	for i := range cells {
		if cells[i].Backend != backendGPU || cells[i].Iter.Median == 0 {
			continue
		}
		for _, c := range cells {
			if c.Backend == backendCPU && c.Tiles == cells[i].Tiles && c.K == cells[i].K {
				cells[i].SpeedUp = float64(c.Iter.Median) / float64(cells[i].Iter.Median)
			}
		}
	}
	if o.plotPath != "" {
		if err := writeBenchPlot(o.plotPath, cells); err != nil {
			return err
		}
	}
	if o.asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(cells)
	}
	printBenchTable(a.stdout, cells, o, t)
	return nil
}

// benchBackend measures one backend on every size and k.
func (a *app) benchBackend(ctx context.Context, name string, o *benchOptions, base kmeans.Data) ([]benchCell, error) {
	var setup time.Duration
	var dev *gpu.Device
	device := fmt.Sprintf("%d cores", runtime.GOMAXPROCS(0))
	if o.workers > 0 {
		device = fmt.Sprintf("%d workers", o.workers)
	}
	device += ", prune " + o.prune.String()
	if name == backendGPU {
		if !glenv.BuiltWithGPU && !gpuAsked(o.sheets.set) {
			return nil, nil // a CPU-only build: the default -backends mean the CPU
		}
		start := time.Now()
		var err error
		if dev, err = gpu.Open(o.gpu.options(o.context)); err != nil {
			if !o.sheets.set["backends"] {
				// The default -backends: leave the GPU out with a note;
				// naming it makes this an error.
				fmt.Fprintf(a.stderr, "tilekmeans: bench: GPU unavailable, timing the CPU only (-backends gpu insists): %v\n", openHint(err))
				return nil, nil
			}
			return nil, fmt.Errorf("bench: %w", openHint(err))
		}
		defer dev.Close()
		setup = time.Since(start)
		info := dev.Info()
		device = fmt.Sprintf("%s, OpenGL %s via %s", info.Renderer, info.Version, gpudiag.ContextName(info.Context, info.Device))
		if !info.Canary.Passed {
			// -allow-mismatch: the timings stand, the parity does not.
			device += ", parity canary failed"
		}
	}
	var cells []benchCell
	for _, mult := range o.sizes {
		data := replicate(base, mult, o.seed)
		start := time.Now()
		var assigner kmeans.Assigner
		closeFn := func() error { return nil }
		if dev != nil {
			ga, err := dev.NewAssigner(data)
			if err != nil {
				return nil, fmt.Errorf("bench: gpu: %d tiles: %w", data.N, err)
			}
			assigner, closeFn = ga, ga.Close
		} else {
			assigner = cpu.New(data, cpuOptions(o.workers, o.prune))
		}
		upload := time.Since(start)
		for _, k := range o.ks {
			if k > data.N {
				continue
			}
			cell, err := benchCellRun(ctx, name, assigner, data, k, o)
			if err != nil {
				closeFn()
				return nil, err
			}
			cell.Setup, cell.Upload, cell.Device = setup, upload, device
			cell.Total = cell.Setup + cell.Upload + time.Duration(cell.Iters)*cell.Iter.Median
			cells = append(cells, cell)
		}
		if err := closeFn(); err != nil {
			return nil, fmt.Errorf("bench: %s: %w", name, err)
		}
	}
	return cells, nil
}

// benchCellRun times assignments and fixed-iteration Lloyd runs for one k.
func benchCellRun(ctx context.Context, name string, a kmeans.Assigner, data kmeans.Data, k int, o *benchOptions) (benchCell, error) {
	cell := benchCell{Backend: name, Tiles: data.N, K: k}
	rng := rand.New(rand.NewPCG(o.seed, uint64(k)))
	cent := make([]float32, 0, k*data.D)
	for _, r := range rng.Perm(data.N)[:k] {
		for _, v := range data.Row(r) {
			cent = append(cent, float32(v))
		}
	}
	labels, dists := make([]int32, data.N), make([]float32, data.N)
	// The CPU's pruning keeps bounds from call to call: start every timed
	// call and run afresh, as the first of a run.
	cpuA, _ := a.(*cpu.Assigner)
	reset := func() {
		if cpuA != nil {
			cpuA.Reset()
		}
	}
	var computed, pairs int64 // the timed iterations' distances: computed, asked for
	// A first call warms caches and shader pipelines and sizes the work.
	start := time.Now()
	if err := a.Assign(cent, k, labels, dists); err != nil {
		return cell, fmt.Errorf("bench: %s n=%d k=%d: %w", name, data.N, k, err)
	}
	first := time.Since(start)
	reps, iters := o.reps, o.iters
	// An iteration costs about one assignment; fit everything in the budget.
	for reps > 1 && time.Duration(reps*(iters+1))*first > o.budget {
		reps--
	}
	for iters > 1 && time.Duration(iters+1)*first > o.budget {
		iters /= 2
	}
	if reps != o.reps || iters != o.iters {
		cell.Note = fmt.Sprintf("budget: %d reps x %d iters", reps, iters)
	}
	cell.Reps, cell.Iters = reps, iters
	var assignT, iterT []time.Duration
	for r := range reps {
		reset()
		start := time.Now()
		if err := a.Assign(cent, k, labels, dists); err != nil {
			return cell, fmt.Errorf("bench: %s n=%d k=%d: %w", name, data.N, k, err)
		}
		assignT = append(assignT, time.Since(start))
		// A run of one iteration measures what every run pays once (the
		// initial centroids, the final labels and inertia); the rest of a
		// longer run from the same start is iterations alone.
		var runT [2]time.Duration
		var runComputed, runPairs [2]int64
		for i, n := range []int{1, iters + 1} {
			reset()
			var computed0, pairs0 int64
			if cpuA != nil {
				computed0, pairs0 = cpuA.Computed()
			}
			start = time.Now()
			_, err := kmeans.Run(ctx, data, a, kmeans.Config{
				K: k, MaxIter: n, FixedIters: true, NInit: 1, Workers: o.workers,
				Rand: rand.New(rand.NewPCG(o.seed, uint64(k*1000+r))),
			})
			if err != nil {
				return cell, fmt.Errorf("bench: %s n=%d k=%d: %w", name, data.N, k, err)
			}
			runT[i] = time.Since(start)
			if cpuA != nil {
				c, p := cpuA.Computed()
				runComputed[i], runPairs[i] = c-computed0, p-pairs0
			}
		}
		// The iterations' share: the longer run's distances less the
		// shorter's.
		computed += runComputed[1] - runComputed[0]
		pairs += runPairs[1] - runPairs[0]
		per := (runT[1] - runT[0]) / time.Duration(iters)
		if per <= 0 {
			// Timer noise beats the work on tiny data: charge the whole run.
			per = runT[1] / time.Duration(iters+1)
		}
		iterT = append(iterT, per)
	}
	cell.Assign, cell.Iter = newStat(assignT), newStat(iterT)
	if pairs != 0 {
		cell.Computed = float64(computed) / float64(pairs)
	}
	if name == backendCPU && cell.Computed >= 1 {
		// With pruning an iteration's assignment is not a fresh call's
		// (which computes every distance and sets up the bounds): the
		// difference would not be the update's time.
		cell.Update = max(cell.Iter.Median-cell.Assign.Median, 0)
	}
	cell.NsPerTileCentroid = float64(cell.Iter.Median.Nanoseconds()) / float64(data.N*k)
	return cell, nil
}

func printBenchTable(w io.Writer, cells []benchCell, o *benchOptions, t *tiles.Set) {
	fmt.Fprintf(w, "tilekmeans bench: %d sheets, base %d tiles of %d features; %d reps x %d fixed iterations (medians [min..max])\n",
		len(t.Sheets), t.N(), t.D, o.reps, o.iters)
	seen := map[string]bool{}
	for _, c := range cells {
		if !seen[c.Backend] {
			seen[c.Backend] = true
			fmt.Fprintf(w, "%s: %s\n", c.Backend, c.Device)
		}
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "backend\ttiles\tk\tsetup\tupload\tassign (call)\tupdate\titeration\tcomputed\tns/(tile*k)\ttotal\tspeed-up\tnote")
	for _, c := range cells {
		sp := "-"
		if c.SpeedUp > 0 {
			sp = fmt.Sprintf("%.2fx", c.SpeedUp)
		}
		comp := "-"
		if c.Computed > 0 {
			comp = fmt.Sprintf("%.1f%%", 100*c.Computed)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%.3g\t%s\t%s\t%s\n", c.Backend, c.Tiles, c.K, fmtDur(c.Setup), fmtDur(c.Upload),
			c.Assign, fmtDur(c.Update), c.Iter, comp, c.NsPerTileCentroid, fmtDur(c.Total), sp, c.Note)
	}
	tw.Flush()
}

// writeBenchPlot draws time per iteration against tiles, one line per
// backend and k, on log-log axes.
func writeBenchPlot(path string, cells []benchCell) error {
	p := plot.New()
	p.Title.Text = "tilekmeans: time per Lloyd iteration"
	p.X.Label.Text = "tiles"
	p.Y.Label.Text = "seconds per iteration"
	// Log axes need a range to span: with one size (or one time) an axis
	// stays linear (gonum's log scale panics on an empty range).
	xs, ys := map[float64]bool{}, map[float64]bool{}
	for _, c := range cells {
		if c.Iter.Median > 0 {
			xs[float64(c.Tiles)], ys[c.Iter.Median.Seconds()] = true, true
		}
	}
	if len(xs) > 1 {
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	}
	if len(ys) > 1 {
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	}
	p.Legend.Top, p.Legend.Left = true, true
	type key struct {
		backend string
		k       int
	}
	series := map[key]plotter.XYs{}
	var keys []key
	for _, c := range cells {
		kk := key{c.Backend, c.K}
		if _, ok := series[kk]; !ok {
			keys = append(keys, kk)
		}
		if c.Iter.Median <= 0 {
			continue // a log axis has no place for it
		}
		series[kk] = append(series[kk], plotter.XY{X: float64(c.Tiles), Y: c.Iter.Median.Seconds()})
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].backend != keys[j].backend {
			return keys[i].backend < keys[j].backend
		}
		return keys[i].k < keys[j].k
	})
	var vs []any
	for _, kk := range keys {
		vs = append(vs, fmt.Sprintf("%s k=%d", kk.backend, kk.k), series[kk])
	}
	if err := plotutil.AddLinePoints(p, vs...); err != nil {
		return fmt.Errorf("-plot %s: %w", path, err)
	}
	wt, err := p.WriterTo(7*vg.Inch, 5*vg.Inch, "png")
	if err != nil {
		return fmt.Errorf("-plot %s: %w", path, err)
	}
	if err := outdir.WriteFile(path, func(w io.Writer) error {
		_, err := wt.WriteTo(w)
		return err
	}); err != nil {
		return fmt.Errorf("-plot %s: %w", path, err)
	}
	return nil
}
