// Package kmeanstest is the conformance suite for kmeans backends, in the
// manner of testing/fstest: a backend's tests call TestAssigner and TestRun
// with a function that makes its Assigner for some data, and the suite
// checks, bit for bit, that the backend keeps the arithmetic contract of
// package kmeans (kmeans.Nearest is the reference) and that kmeans.Run with
// it gives what the host loop over the reference gives. A backend that runs
// the loop on its device (see package kmeans/driver) has that loop checked
// too.
//
// The cases cover ties (equal distances and identical centroids), NaN and
// infinite centroids, subnormal distances (a device that flushes them to
// zero fails), sums that a fused multiply-add or a reordering would change,
// k = 1 and k = N, odd feature counts, buffers reused across k and random
// data; for an Assigner that is also a kmeans.DistanceSummer, the
// silhouette's sums of distances on the same data (all rows and a subset,
// several labellings at once, k = 1 to k = N), equal to
// kmeans.SumDistances bit for bit; for runs, empty-cluster relocation, fewer distinct rows than k (a
// cluster ends empty), the fixed point, fixed iterations, restarts and
// k-means++. The suite needs nothing outside the module: data sets of your
// own (real images, say) are extra arguments, each checked against random
// and row centroids for k = 3..7 and 64, and run at k = 5 and 64.
package kmeanstest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/randdata"
	"github.com/tilekmeans/tilekmeans/internal/verify"
	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/kmeans/driver"
)

// assignerCase is one data set and the centroid sets to assign it against,
// in order, with the same Assigner.
type assignerCase struct {
	Name string
	Data kmeans.Data
	Sets []centroidSet
}

// centroidSet is k centroids, k*D float32 values, row-major.
type centroidSet struct {
	K         int
	Centroids []float32
}

// assignerCases returns the suite's assignment cases (deterministic).
func assignerCases() []assignerCase {
	rng := rand.New(rand.NewPCG(0x6b6d, 1))
	var cases []assignerCase
	// Random shapes, including odd feature counts and k = n; each case
	// reuses one Assigner for several k, growing and shrinking.
	for _, sh := range []struct{ n, dim int }{{1, 1}, {17, 3}, {100, 256}, {257, 13}, {40, 5}, {33, 4096}, {300, 7}} {
		data := randdata.Rows(rng, sh.n, sh.dim, 256)
		var sets []centroidSet
		for _, k := range []int{1, min(7, sh.n), min(64, sh.n), 2, sh.n} {
			sets = append(sets, centroidSet{k, randdata.Centroids(rng, k, sh.dim)})
		}
		// Centroids that are rows: many exact zero distances.
		rows := rng.Perm(sh.n)[:min(5, sh.n)]
		sets = append(sets, centroidSet{len(rows), randdata.FromRows(data, rows)})
		cases = append(cases, assignerCase{fmt.Sprintf("random %dx%d", sh.n, sh.dim), data, sets})
	}

	// Ties: every row is equally far from centroids 1 and 2 (lower index
	// wins), and centroids 3 and 4 are identical copies of row 0.
	{
		data := kmeans.Data{N: 4, D: 1, X: []uint8{5, 0, 10, 200}}
		cent := []float32{100, 3, 7, 5, 5, 255}
		dup := []float32{7, 3, 5, 5}
		cases = append(cases, assignerCase{"ties", data, []centroidSet{{6, cent}, {4, dup}}})
	}
	// Few levels: many rows at equal distance from several centroids.
	{
		data := randdata.Rows(rng, 500, 9, 3)
		var sets []centroidSet
		for _, k := range []int{4, 27, 100} {
			c := make([]float32, k*9)
			for i := range c {
				c[i] = float32(rng.IntN(3)) // integer centroids: exact ties
			}
			sets = append(sets, centroidSet{k, c})
		}
		cases = append(cases, assignerCase{"ties among few levels", data, sets})
	}
	// Non-finite centroids: NaN distances never win over centroid 0, and
	// a NaN at centroid 0 keeps label 0; infinities overflow to +Inf.
	{
		data := randdata.Rows(rng, 50, 6, 256)
		nan, inf := float32(math.NaN()), float32(math.Inf(1))
		base := randdata.Centroids(rng, 4, 6)
		withNaN := slices.Clone(base)
		withNaN[6*2+3] = nan
		nanFirst := slices.Clone(base)
		nanFirst[1] = nan
		withInf := slices.Clone(base)
		withInf[6*1] = inf
		withInf[6*3+5] = -inf
		huge := slices.Clone(base)
		for j := range 6 {
			huge[6*2+j] = 1e30 // d*d overflows to +Inf
		}
		cases = append(cases, assignerCase{"non-finite centroids", data, []centroidSet{
			{4, withNaN}, {4, nanFirst}, {4, withInf}, {4, huge},
		}})
	}
	// Subnormals: a zero row is nearer to the zero centroid (index 1) than
	// to centroid 0, whose squared differences are subnormal but not zero.
	// Flushing subnormals to zero makes the two tie, and centroid 0 wins.
	{
		const dim = 8
		data := kmeans.Data{N: 2, D: dim, X: make([]uint8, 2*dim)}
		data.X[dim] = 1 // row 1 is not all zero
		cent := make([]float32, 3*dim)
		for j := range dim {
			cent[j] = 1e-20 // (1e-20)^2 = 1e-40: subnormal in float32
		}
		cent[2*dim] = 0.5
		cases = append(cases, assignerCase{"subnormal distances", data, []centroidSet{{3, cent}}})
	}
	// Order and rounding: long rows whose float32 sums a fused
	// multiply-add, a pairwise or a reordered sum would change.
	{
		data := randdata.Rows(rng, 200, 1000, 256)
		var sets []centroidSet
		for _, k := range []int{3, 16} {
			c := randdata.Centroids(rng, k, 1000)
			for i := range c {
				c[i] += float32(rng.Float64()) * 1e-3
			}
			sets = append(sets, centroidSet{k, c})
		}
		cases = append(cases, assignerCase{"rounding order", data, sets})
	}
	// Extreme rows of many features (randdata.Extreme): all 0, all 255 and
	// mixtures, whose squared distances (up to 255² x 100,003 = 6.5e9)
	// pass 2^32, so that a backend that sums them in 32 bits (or in int32
	// beyond 32,896 features) gives wrong sums; the feature count is odd
	// and no multiple of a chunk.
	{
		data := randdata.Extreme(100003)
		cases = append(cases, assignerCase{"extreme rows of 100003 features", data, []centroidSet{
			{2, randdata.FromRows(data, []int{0, 1})}, {8, randdata.FromRows(data, []int{7, 6, 5, 4, 3, 2, 1, 0})},
		}})
	}
	return cases
}

// checkAssigner assigns c.Data against each of c.Sets with a (an Assigner
// made for c.Data) and compares labels and distances with kmeans.Nearest:
// labels equal, distances equal bit for bit (any NaN matches any NaN).
func checkAssigner(a kmeans.Assigner, c assignerCase) error {
	n := c.Data.N
	var errs []error
	for si, set := range c.Sets {
		labels, dists := make([]int32, n), make([]float32, n)
		for i := range labels {
			labels[i], dists[i] = -7, -7 // an Assigner must overwrite all
		}
		if err := a.Assign(set.Centroids, set.K, labels, dists); err != nil {
			errs = append(errs, fmt.Errorf("%s, set %d (k=%d): %w", c.Name, si, set.K, err))
			continue
		}
		bad, first := 0, -1
		var want int32
		var wantD float32
		for i := range n {
			l, d := kmeans.Nearest(c.Data.Row(i), set.Centroids, set.K)
			if labels[i] != l || !sameBits(dists[i], d) {
				if first < 0 {
					first, want, wantD = i, l, d
				}
				bad++
			}
		}
		if bad > 0 {
			errs = append(errs, fmt.Errorf("%s, set %d (k=%d): %d of %d rows differ from the reference; first row %d: label %d distance %v (bits %08x), want label %d distance %v (bits %08x)",
				c.Name, si, set.K, bad, n, first, labels[first], dists[first], math.Float32bits(dists[first]), want, wantD, math.Float32bits(wantD)))
		}
	}
	return errors.Join(errs...)
}

func sameBits(a, b float32) bool {
	if a != a && b != b {
		return true // NaN payloads may differ between devices
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

// TestAssigner runs every assignment case of the suite, and each extra
// data set against random and row centroids for k = 3..7 and 64 (those of
// them not above its rows), with a fresh Assigner per case from newAssigner
// (which may skip or fail t, and should register its own cleanup): labels
// equal to kmeans.Nearest's, distances equal bit for bit. When the
// Assigner is a kmeans.DistanceSummer, its sums of distances on each data
// set (of an extra one, 700 of its rows) equal kmeans.SumDistances's bit
// for bit.
func TestAssigner(t *testing.T, newAssigner func(t *testing.T, data kmeans.Data) kmeans.Assigner, extra ...kmeans.Data) {
	t.Helper()
	for _, c := range assignerCases() {
		t.Run(c.Name, func(t *testing.T) {
			a := newAssigner(t, c.Data)
			if err := checkAssigner(a, c); err != nil {
				t.Error(err)
			}
			if err := checkSums(a, c.Data, c.Data.N); err != nil {
				t.Error(err)
			}
		})
	}
	for i, data := range extra {
		name := fmt.Sprintf("extra data %d (%dx%d)", i+1, data.N, data.D)
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(0x75737073, 2))
			c := assignerCase{Name: name, Data: data}
			for _, k := range []int{3, 4, 5, 6, 7, 64} {
				if k > data.N {
					continue
				}
				c.Sets = append(c.Sets,
					centroidSet{k, randdata.FromRows(data, rng.Perm(data.N)[:k])},
					centroidSet{k, randdata.Centroids(rng, k, data.D)})
			}
			a := newAssigner(t, data)
			if err := checkAssigner(a, c); err != nil {
				t.Error(err)
			}
			if err := checkSums(a, data, 700); err != nil {
				t.Error(err)
			}
		})
	}
}

// checkSums checks the sums of distances of a, when it is a
// kmeans.DistanceSummer, against kmeans.SumDistances on data: for all rows
// when there are at most maxRows, and for a seeded subset of at most
// maxRows/2 of them, with labellings of k = 1, 2, 7 and n at once (n the
// rows listed) and the rows' own order of clusters.
func checkSums(a kmeans.Assigner, data kmeans.Data, maxRows int) error {
	ds, ok := a.(kmeans.DistanceSummer)
	if !ok {
		return nil
	}
	rng := rand.New(rand.NewPCG(0x73756d73, uint64(data.N)))
	var errs []error
	for _, sub := range []bool{false, true} {
		var rows []int32
		n := data.N
		if sub || n > maxRows {
			n = max(1, min(n/2, maxRows/2))
			for _, r := range rng.Perm(data.N)[:n] {
				rows = append(rows, int32(r))
			}
		}
		var labels [][]int32
		var ks []int
		for _, k := range []int{1, min(2, n), min(7, n), n} {
			lab := make([]int32, n)
			for i := range lab {
				lab[i] = int32(rng.IntN(k))
			}
			if k == n {
				for i := range lab {
					lab[i] = int32(i) // each row its own cluster
				}
			}
			labels, ks = append(labels, lab), append(ks, k)
		}
		want, got := make([][]float64, len(ks)), make([][]float64, len(ks))
		for l, k := range ks {
			want[l], got[l] = make([]float64, n*k), make([]float64, n*k)
			for i := range got[l] {
				got[l][i] = -7 // must be overwritten
			}
		}
		if err := kmeans.SumDistances(context.Background(), data, rows, labels, ks, want); err != nil {
			return err
		}
		if err := ds.SumDistances(context.Background(), rows, labels, ks, got); err != nil {
			errs = append(errs, fmt.Errorf("sum distances of %d rows: %w", n, err))
			continue
		}
		for l, k := range ks {
			for i := range want[l] {
				if math.Float64bits(got[l][i]) != math.Float64bits(want[l][i]) {
					errs = append(errs, fmt.Errorf("sum distances of %d rows, k=%d: row %d cluster %d: %v, reference %v",
						n, k, i/k, i%k, got[l][i], want[l][i]))
					break
				}
			}
		}
	}
	return errors.Join(errs...)
}

// runCase is one data set and the Configs to run it with.
type runCase struct {
	Name    string
	Data    kmeans.Data
	Configs []kmeans.Config // Rand is ignored: each run gets a fresh seeded source
}

// runCases returns the suite's run cases (deterministic).
func runCases() []runCase {
	rng := rand.New(rand.NewPCG(0x73746570, 3))
	dup := randdata.Rows(rng, 60, 3, 256)
	for i := range 45 * 3 {
		dup.X[i] = 7 // 45 identical rows: ties and clusters that empty again and again
	}
	// 9 distinct rows among 17 for k=10: a cluster must end empty.
	few := randdata.Rows(rng, 9, 6, 256)
	for _, r := range []int{0, 0, 0, 2, 4, 5, 7, 8} {
		few.X = append(few.X, few.Row(r)...)
	}
	few.N = 17
	var cases []runCase
	for _, tc := range []struct {
		name string
		data kmeans.Data
		k    int
	}{
		{"random", randdata.Rows(rng, 300, 5, 256), 4},
		{"few levels", randdata.Rows(rng, 200, 4, 3), 6},
		{"duplicates", dup, 9},
		{"one cluster", randdata.Rows(rng, 50, 2, 256), 1},
		{"k equals n", randdata.Rows(rng, 12, 3, 256), 12},
		{"odd features", randdata.Rows(rng, 150, 13, 256), 5},
		{"fewer distinct rows than k", few, 10},
		{"identical rows", kmeans.Data{N: 12, D: 4, X: slices.Repeat([]uint8{9, 8, 7, 6}, 12)}, 3},
	} {
		var cfgs []kmeans.Config
		for _, fixed := range []bool{false, true} {
			for _, iters := range []int{1, 2, 3, 17, 40} {
				cfgs = append(cfgs, kmeans.Config{K: tc.k, MaxIter: iters, FixedIters: fixed, NInit: 2})
			}
		}
		cfgs = append(cfgs, kmeans.Config{K: tc.k, Init: kmeans.InitKMeansPP})
		cases = append(cases, runCase{tc.name, tc.data, cfgs})
	}
	return cases
}

// deviceAssigner is an Assigner that runs the loop on its device.
type deviceAssigner interface {
	kmeans.Assigner
	Stepper() driver.Stepper
}

// counting wraps a device Assigner and counts the Step calls of its
// Stepper, to show that Run drove the device loop.
type counting struct {
	deviceAssigner
	steps int
}

func (c *counting) Stepper() driver.Stepper {
	return &countingStepper{Stepper: c.deviceAssigner.Stepper(), steps: &c.steps}
}

type countingStepper struct {
	driver.Stepper
	steps *int
}

func (c *countingStepper) Step(stats []driver.StepStat, stop bool) (int, error) {
	*c.steps++
	return c.Stepper.Step(stats, stop)
}

// Close ends the counted session as kmeans.Run ends its own.
func (c *countingStepper) Close() error {
	closeStepper(c.Stepper)
	return nil
}

// closeStepper ends a session of a device loop, when it can be ended.
func closeStepper(s driver.Stepper) {
	if c, ok := s.(io.Closer); ok {
		c.Close()
	}
}

// checkRun runs each of c.Configs with kmeans.Run over a (an Assigner made
// for c.Data) and over the reference Assigner (the host loop), from the
// same seeded initialisation, and compares the results: labels, distance
// bits, centroids, means, sizes, inertia, iterations, convergence,
// relocations and restart equal; History equal bit for bit (every device
// loop reports each iteration's inertia exact and rounded once, the same
// bits in any order). When a runs the loop on its device, a Start that
// returns an error wrapping errors.ErrUnsupported is reported (the suite
// tests the device loop, not the fallback), and so is a run that never
// called Step.
func checkRun(a kmeans.Assigner, c runCase) error {
	var errs []error
	ref := verify.Reference{Data: c.Data}
	dev, _ := a.(deviceAssigner)
	for ci, cfg := range c.Configs {
		name := fmt.Sprintf("%s, config %d (k=%d, iters %d, fixed %v, n_init %d, init %q)", c.Name, ci, cfg.K, cfg.MaxIter, cfg.FixedIters, cfg.NInit, cfg.Init)
		subject := a
		var cnt *counting
		if dev != nil {
			probe := dev.Stepper()
			err := probe.Start(cfg.K, make([]float32, cfg.K*c.Data.D))
			closeStepper(probe)
			if errors.Is(err, errors.ErrUnsupported) {
				errs = append(errs, fmt.Errorf("%s: Start: %w", name, err))
				continue
			}
			cnt = &counting{deviceAssigner: dev}
			subject = cnt
		}
		cfg.Rand = rand.New(rand.NewPCG(uint64(ci), 9))
		want, err := kmeans.Run(context.Background(), c.Data, ref, cfg)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: reference: %w", name, err))
			continue
		}
		cfg.Rand = rand.New(rand.NewPCG(uint64(ci), 9))
		got, err := kmeans.Run(context.Background(), c.Data, subject, cfg)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		if cnt != nil && cnt.steps == 0 {
			errs = append(errs, fmt.Errorf("%s: Run did not call Step", name))
		}
		if d := diffResults(got, want); d != "" {
			errs = append(errs, fmt.Errorf("%s: differs from the host loop: %s", name, d))
		}
	}
	return errors.Join(errs...)
}

// diffResults says how two results differ, or returns "".
func diffResults(got, want *kmeans.Result) string {
	var d []string
	add := func(what string, g, w any) { d = append(d, fmt.Sprintf("%s %v, want %v", what, g, w)) }
	if got.Iterations != want.Iterations {
		add("iterations", got.Iterations, want.Iterations)
	}
	if got.Converged != want.Converged {
		add("converged", got.Converged, want.Converged)
	}
	if got.Relocated != want.Relocated {
		add("relocated", got.Relocated, want.Relocated)
	}
	if got.Empty != want.Empty {
		add("empty clusters", got.Empty, want.Empty)
	}
	if got.Restart != want.Restart {
		add("restart", got.Restart, want.Restart)
	}
	if got.Inertia != want.Inertia {
		add("inertia", got.Inertia, want.Inertia)
	}
	if !slices.Equal(got.InitRows, want.InitRows) {
		add("init rows", got.InitRows, want.InitRows)
	}
	if !slices.Equal(got.Sizes, want.Sizes) {
		add("sizes", got.Sizes, want.Sizes)
	}
	if !slices.Equal(got.Labels, want.Labels) {
		add("labels", "differ", "")
	}
	if !slices.EqualFunc(got.Dists, want.Dists, sameBits) {
		add("distances", "differ", "")
	}
	if !slices.EqualFunc(got.Centroids, want.Centroids, sameBits) {
		add("centroids", "differ", "")
	}
	if !slices.Equal(got.Means, want.Means) {
		add("means", "differ", "")
	}
	if len(got.History) != len(want.History) {
		add("history length", len(got.History), len(want.History))
	} else {
		for i, g := range got.History {
			if w := want.History[i]; math.Float64bits(g) != math.Float64bits(w) {
				add(fmt.Sprintf("history[%d]", i), g, w)
				break
			}
		}
	}
	if len(d) == 0 {
		return ""
	}
	return fmt.Sprint(d)
}

// TestRun runs kmeans.Run with a fresh Assigner from newAssigner on every
// run case of the suite, and on each extra data set (k = 5 to convergence,
// k = 64 for 4 fixed iterations, where the data has that many rows), and
// compares each result with kmeans.Run over the reference arithmetic
// (kmeans.Nearest, the loop on the host): labels, distance bits,
// centroids, means, sizes, inertia, the inertia of every iteration,
// iterations, convergence, relocations and restarts equal. It also runs
// several Runs on one Assigner at once. When the Assigner runs the loop on
// its device (see package kmeans/driver), it checks that Run used it and
// the calling protocol of its driver.Stepper: Step before any Start fails,
// and a run started after an abandoned one forgets it.
func TestRun(t *testing.T, newAssigner func(t *testing.T, data kmeans.Data) kmeans.Assigner, extra ...kmeans.Data) {
	t.Helper()
	for _, c := range runCases() {
		t.Run(c.Name, func(t *testing.T) {
			if err := checkRun(newAssigner(t, c.Data), c); err != nil {
				t.Error(err)
			}
		})
	}
	small := randdata.Rows(rand.New(rand.NewPCG(5, 5)), 10, 2, 256)
	if dev, ok := newAssigner(t, small).(deviceAssigner); ok {
		t.Run("step before start", func(t *testing.T) {
			var stats [1]driver.StepStat
			if _, err := dev.Stepper().Step(stats[:], true); err == nil {
				t.Error("Step before Start succeeded")
			}
		})
	}
	t.Run("restart forgets", func(t *testing.T) {
		data := randdata.Rows(rand.New(rand.NewPCG(6, 6)), 80, 3, 256)
		a := newAssigner(t, data)
		if dev, ok := a.(deviceAssigner); ok {
			// Leave a run half done, then check a fresh one from the start.
			s := dev.Stepper()
			if err := s.Start(5, randdata.Centroids(rand.New(rand.NewPCG(7, 7)), 5, 3)); err != nil {
				t.Fatal(err)
			}
			var stats [2]driver.StepStat
			if _, err := s.Step(stats[:], false); err != nil {
				t.Fatal(err)
			}
			closeStepper(s) // as kmeans.Run ends a run that failed
		}
		c := runCase{Name: "after an abandoned run", Data: data, Configs: []kmeans.Config{{K: 3, MaxIter: 30}}}
		if err := checkRun(a, c); err != nil {
			t.Error(err)
		}
	})
	t.Run("concurrent runs", func(t *testing.T) {
		// Several Runs on one Assigner at once, as goroutines of a sweep
		// would: each must give the reference's result (a device that
		// holds one run at a time makes the others run from the host).
		data := randdata.Rows(rand.New(rand.NewPCG(8, 8)), 300, 6, 256)
		a := newAssigner(t, data)
		ks := []int{3, 5, 7, 9, 12, 16}
		want := make([]*kmeans.Result, len(ks))
		for i, k := range ks {
			res, err := kmeans.Run(context.Background(), data, verify.Reference{Data: data}, kmeans.Config{K: k})
			if err != nil {
				t.Fatal(err)
			}
			want[i] = res
		}
		got := make([]*kmeans.Result, len(ks))
		errs := make([]error, len(ks))
		var wg sync.WaitGroup
		for i, k := range ks {
			wg.Go(func() { got[i], errs[i] = kmeans.Run(context.Background(), data, a, kmeans.Config{K: k}) })
		}
		wg.Wait()
		for i, k := range ks {
			if errs[i] != nil {
				t.Errorf("k=%d: %v", k, errs[i])
			} else if d := diffResults(got[i], want[i]); d != "" {
				t.Errorf("k=%d run beside others differs from the host loop: %s", k, d)
			}
		}
	})
	for i, data := range extra {
		name := fmt.Sprintf("extra data %d (%dx%d)", i+1, data.N, data.D)
		t.Run(name, func(t *testing.T) {
			c := runCase{Name: name, Data: data}
			for _, cfg := range []kmeans.Config{{K: 5, MaxIter: 20}, {K: 64, MaxIter: 4, FixedIters: true}} {
				if cfg.K <= data.N {
					c.Configs = append(c.Configs, cfg)
				}
			}
			if err := checkRun(newAssigner(t, data), c); err != nil {
				t.Error(err)
			}
		})
	}
}
