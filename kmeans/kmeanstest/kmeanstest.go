// Package kmeanstest is the conformance suite for kmeans backends, in the
// manner of testing/fstest: a backend's tests call TestAssigner with a
// function that makes its Assigner for some data, and TestStepper with one
// that makes its Stepper, and the suite checks, bit for bit, that the
// backend keeps the arithmetic contract of package kmeans (kmeans.Nearest is
// the reference) and that a Stepper's runs equal the host loop's.
//
// The cases cover ties (equal distances and identical centroids), NaN and
// infinite centroids, subnormal distances (a device that flushes them to
// zero fails), sums that a fused multiply-add or a reordering would change,
// k = 1 and k = N, odd feature counts, buffers reused across k, random data
// and the real USPS sheets (when present, see internal/sharedtest), and
// for Steppers empty-cluster relocation, fewer distinct rows than k (a
// cluster ends empty), the fixed point, fixed iterations and restarts.
//
// The checks are also available without a *testing.T (AssignerCases,
// CheckAssigner, StepperCases, CheckStepper), so a tool can run them on a
// device at start-up, and the suite's own tests can show that a wrong
// backend fails.
package kmeanstest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/kmeans"
)

// RandomData returns n rows of dim features drawn uniformly from
// 0..levels-1 (levels <= 256): few levels give many ties and duplicates.
func RandomData(rng *rand.Rand, n, dim, levels int) kmeans.Data {
	x := make([]uint8, n*dim)
	for i := range x {
		x[i] = uint8(rng.IntN(levels))
	}
	return kmeans.Data{N: n, D: dim, X: x}
}

// RandomCentroids returns k*dim float32 values in [0, 255) with random
// fractions, the kind of values whose sums a fused multiply-add changes.
func RandomCentroids(rng *rand.Rand, k, dim int) []float32 {
	c := make([]float32, k*dim)
	for i := range c {
		c[i] = float32(rng.Float64() * 255)
	}
	return c
}

// CentroidsFromRows returns the given rows of data as float32 centroids.
func CentroidsFromRows(data kmeans.Data, rows []int) []float32 {
	c := make([]float32, 0, len(rows)*data.D)
	for _, r := range rows {
		for _, v := range data.Row(r) {
			c = append(c, float32(v))
		}
	}
	return c
}

// AssignerCase is one data set and the centroid sets to assign it against,
// in order, with the same Assigner.
type AssignerCase struct {
	Name string
	Data kmeans.Data
	Sets []CentroidSet
}

// CentroidSet is k centroids, k*D float32 values, row-major.
type CentroidSet struct {
	K         int
	Centroids []float32
}

// AssignerCases returns the suite's assignment cases (deterministic).
func AssignerCases() []AssignerCase {
	rng := rand.New(rand.NewPCG(0x6b6d, 1))
	var cases []AssignerCase
	// Random shapes, including odd feature counts and k = n; each case
	// reuses one Assigner for several k, growing and shrinking.
	for _, sh := range []struct{ n, dim int }{{1, 1}, {17, 3}, {100, 256}, {257, 13}, {40, 5}, {33, 4096}, {300, 7}} {
		data := RandomData(rng, sh.n, sh.dim, 256)
		var sets []CentroidSet
		for _, k := range []int{1, min(7, sh.n), min(64, sh.n), 2, sh.n} {
			sets = append(sets, CentroidSet{k, RandomCentroids(rng, k, sh.dim)})
		}
		// Centroids that are rows: many exact zero distances.
		rows := rng.Perm(sh.n)[:min(5, sh.n)]
		sets = append(sets, CentroidSet{len(rows), CentroidsFromRows(data, rows)})
		cases = append(cases, AssignerCase{fmt.Sprintf("random %dx%d", sh.n, sh.dim), data, sets})
	}

	// Ties: every row is equally far from centroids 1 and 2 (lower index
	// wins), and centroids 3 and 4 are identical copies of row 0.
	{
		data := kmeans.Data{N: 4, D: 1, X: []uint8{5, 0, 10, 200}}
		cent := []float32{100, 3, 7, 5, 5, 255}
		dup := []float32{7, 3, 5, 5}
		cases = append(cases, AssignerCase{"ties", data, []CentroidSet{{6, cent}, {4, dup}}})
	}
	// Few levels: many rows at equal distance from several centroids.
	{
		data := RandomData(rng, 500, 9, 3)
		var sets []CentroidSet
		for _, k := range []int{4, 27, 100} {
			c := make([]float32, k*9)
			for i := range c {
				c[i] = float32(rng.IntN(3)) // integer centroids: exact ties
			}
			sets = append(sets, CentroidSet{k, c})
		}
		cases = append(cases, AssignerCase{"ties among few levels", data, sets})
	}
	// Non-finite centroids: NaN distances never win over centroid 0, and
	// a NaN at centroid 0 keeps label 0; infinities overflow to +Inf.
	{
		data := RandomData(rng, 50, 6, 256)
		nan, inf := float32(math.NaN()), float32(math.Inf(1))
		base := RandomCentroids(rng, 4, 6)
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
		cases = append(cases, AssignerCase{"non-finite centroids", data, []CentroidSet{
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
		cases = append(cases, AssignerCase{"subnormal distances", data, []CentroidSet{{3, cent}}})
	}
	// Order and rounding: long rows whose float32 sums a fused
	// multiply-add, a pairwise or a reordered sum would change.
	{
		data := RandomData(rng, 200, 1000, 256)
		var sets []CentroidSet
		for _, k := range []int{3, 16} {
			c := RandomCentroids(rng, k, 1000)
			for i := range c {
				c[i] += float32(rng.Float64()) * 1e-3
			}
			sets = append(sets, CentroidSet{k, c})
		}
		cases = append(cases, AssignerCase{"rounding order", data, sets})
	}
	return cases
}

// CheckAssigner assigns c.Data against each of c.Sets with a (an Assigner
// made for c.Data) and compares labels and distances with kmeans.Nearest:
// labels equal, distances equal bit for bit (any NaN matches any NaN).
func CheckAssigner(a kmeans.Assigner, c AssignerCase) error {
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

// TestAssigner runs every AssignerCase, and the real USPS sheets against
// random and row centroids for k = 3..7 and 64, with a fresh Assigner per
// case from newAssigner (which may skip or fail t, and should register its
// own cleanup).
func TestAssigner(t *testing.T, newAssigner func(t *testing.T, data kmeans.Data) kmeans.Assigner) {
	t.Helper()
	for _, c := range AssignerCases() {
		t.Run(c.Name, func(t *testing.T) {
			if err := CheckAssigner(newAssigner(t, c.Data), c); err != nil {
				t.Error(err)
			}
		})
	}
	t.Run("real sheets", func(t *testing.T) {
		data := sharedtest.Data(t)
		rng := rand.New(rand.NewPCG(0x75737073, 2))
		c := AssignerCase{Name: "real sheets", Data: data}
		for _, k := range []int{3, 4, 5, 6, 7, 64} {
			c.Sets = append(c.Sets,
				CentroidSet{k, CentroidsFromRows(data, rng.Perm(data.N)[:k])},
				CentroidSet{k, RandomCentroids(rng, k, data.D)})
		}
		if err := CheckAssigner(newAssigner(t, data), c); err != nil {
			t.Error(err)
		}
	})
}

// StepperCase is one data set and the Configs to run it with.
type StepperCase struct {
	Name    string
	Data    kmeans.Data
	Configs []kmeans.Config // Rand is ignored: each run gets a fresh seeded source
}

// StepperCases returns the suite's Stepper cases (deterministic).
func StepperCases() []StepperCase {
	rng := rand.New(rand.NewPCG(0x73746570, 3))
	dup := RandomData(rng, 60, 3, 256)
	for i := range 45 * 3 {
		dup.X[i] = 7 // 45 identical rows: ties and clusters that empty again and again
	}
	// 9 distinct rows among 17 for k=10: a cluster must end empty.
	few := RandomData(rng, 9, 6, 256)
	for _, r := range []int{0, 0, 0, 2, 4, 5, 7, 8} {
		few.X = append(few.X, few.Row(r)...)
	}
	few.N = 17
	var cases []StepperCase
	for _, tc := range []struct {
		name string
		data kmeans.Data
		k    int
	}{
		{"random", RandomData(rng, 300, 5, 256), 4},
		{"few levels", RandomData(rng, 200, 4, 3), 6},
		{"duplicates", dup, 9},
		{"one cluster", RandomData(rng, 50, 2, 256), 1},
		{"k equals n", RandomData(rng, 12, 3, 256), 12},
		{"odd features", RandomData(rng, 150, 13, 256), 5},
		{"fewer distinct rows than k", few, 10},
		{"identical rows", kmeans.Data{N: 12, D: 4, X: slices.Repeat([]uint8{9, 8, 7, 6}, 12)}, 3},
	} {
		var cfgs []kmeans.Config
		for _, fixed := range []bool{false, true} {
			for _, iters := range []int{1, 2, 3, 17, 40} {
				cfgs = append(cfgs, kmeans.Config{K: tc.k, MaxIter: iters, FixedIters: fixed, NInit: 2})
			}
		}
		cfgs = append(cfgs, kmeans.Config{K: tc.k, Init: kmeans.Init{Method: kmeans.InitKMeansPP}})
		cases = append(cases, StepperCase{tc.name, tc.data, cfgs})
	}
	return cases
}

// countingStepper counts Step calls, to show the Stepper ran the loop.
type countingStepper struct {
	kmeans.Stepper
	steps int
}

func (c *countingStepper) Step(stats []kmeans.StepStat, stop bool) (int, error) {
	c.steps++
	return c.Stepper.Step(stats, stop)
}

// CheckStepper runs each of c.Configs with s (a Stepper made for c.Data)
// and with the host loop over the Reference Assigner, from the same seeded
// initialisation, and compares the results: labels, distance bits,
// centroids, means, sizes, inertia, iterations, convergence, relocations
// and restart equal; History equal bit for bit (every Stepper reports each
// iteration's inertia as kmeans.ExactSum does: exact, rounded once, the
// same bits in any order). A Start that returns an error
// wrapping errors.ErrUnsupported is reported: the suite tests the device
// loop, not the fallback.
func CheckStepper(s kmeans.Stepper, c StepperCase) error {
	var errs []error
	ref := kmeans.NewHostStepper(c.Data, kmeans.Reference{Data: c.Data})
	for ci, cfg := range c.Configs {
		name := fmt.Sprintf("%s, config %d (k=%d, iters %d, fixed %v, n_init %d, init %s)", c.Name, ci, cfg.K, cfg.MaxIter, cfg.FixedIters, cfg.NInit, cfg.Init)
		if err := s.Start(cfg.K, make([]float32, cfg.K*c.Data.D)); errors.Is(err, errors.ErrUnsupported) {
			errs = append(errs, fmt.Errorf("%s: Start: %w", name, err))
			continue
		}
		cfg.Rand = rand.New(rand.NewPCG(uint64(ci), 9))
		want, err := kmeans.Run(context.Background(), c.Data, ref, cfg)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: reference: %w", name, err))
			continue
		}
		cs := &countingStepper{Stepper: s}
		cfg.Rand = rand.New(rand.NewPCG(uint64(ci), 9))
		got, err := kmeans.Run(context.Background(), c.Data, cs, cfg)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		if cs.steps == 0 {
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

// TestStepper runs every StepperCase, and the real USPS sheets (k = 5 to
// convergence, k = 64 for 4 fixed iterations), with a fresh Stepper per case from newStepper.
// It also checks the calling protocol: Step before any Start fails, and a
// second Start forgets the first run.
func TestStepper(t *testing.T, newStepper func(t *testing.T, data kmeans.Data) kmeans.Stepper) {
	t.Helper()
	for _, c := range StepperCases() {
		t.Run(c.Name, func(t *testing.T) {
			if err := CheckStepper(newStepper(t, c.Data), c); err != nil {
				t.Error(err)
			}
		})
	}
	t.Run("step before start", func(t *testing.T) {
		data := RandomData(rand.New(rand.NewPCG(5, 5)), 10, 2, 256)
		var stats [1]kmeans.StepStat
		if _, err := newStepper(t, data).Step(stats[:], true); err == nil {
			t.Error("Step before Start succeeded")
		}
	})
	t.Run("restart forgets", func(t *testing.T) {
		data := RandomData(rand.New(rand.NewPCG(6, 6)), 80, 3, 256)
		s := newStepper(t, data)
		// Leave a run half done, then check a fresh one from the start.
		if err := s.Start(5, RandomCentroids(rand.New(rand.NewPCG(7, 7)), 5, 3)); err != nil {
			t.Fatal(err)
		}
		var stats [2]kmeans.StepStat
		if _, err := s.Step(stats[:], false); err != nil {
			t.Fatal(err)
		}
		c := StepperCase{Name: "after an abandoned run", Data: data, Configs: []kmeans.Config{{K: 3, MaxIter: 30}}}
		if err := CheckStepper(s, c); err != nil {
			t.Error(err)
		}
	})
	t.Run("real sheets", func(t *testing.T) {
		data := sharedtest.Data(t)
		c := StepperCase{Name: "real sheets", Data: data, Configs: []kmeans.Config{
			{K: 5, MaxIter: 20}, {K: 64, MaxIter: 4, FixedIters: true},
		}}
		if err := CheckStepper(newStepper(t, data), c); err != nil {
			t.Error(err)
		}
	})
}
