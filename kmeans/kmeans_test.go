package kmeans_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/cpu"
	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/internal/verify"
	"github.com/tilekmeans/tilekmeans/kmeans"
)

// referenceLloyd is a plain float64 Lloyd loop written independently of the
// package: float64 centroids, float64 distances, ties to the lowest index,
// stop when no label changes. It assumes no cluster ever empties.
func referenceLloyd(t *testing.T, data kmeans.Data, rows []int, maxIter int) (inertia float64, iters int) {
	t.Helper()
	k, dim := len(rows), data.D
	c := make([]float64, k*dim)
	for i, r := range rows {
		for j, v := range data.Row(r) {
			c[i*dim+j] = float64(v)
		}
	}
	labels := make([]int, data.N)
	for i := range labels {
		labels[i] = -1
	}
	for iters = 1; iters <= maxIter; iters++ {
		changed := false
		for i := range data.N {
			best, bestD := -1, math.Inf(1)
			for cc := range k {
				d := 0.0
				for j, v := range data.Row(i) {
					e := float64(v) - c[cc*dim+j]
					d += e * e
				}
				if d < bestD {
					best, bestD = cc, d
				}
			}
			if labels[i] != best {
				labels[i], changed = best, true
			}
		}
		if !changed {
			break
		}
		sums := make([]float64, k*dim)
		counts := make([]int, k)
		for i, l := range labels {
			counts[l]++
			for j, v := range data.Row(i) {
				sums[l*dim+j] += float64(v)
			}
		}
		for cc := range k {
			if counts[cc] == 0 {
				t.Fatalf("reference: cluster %d emptied; pick other rows", cc)
			}
			for j := range dim {
				c[cc*dim+j] = sums[cc*dim+j] / float64(counts[cc])
			}
		}
	}
	for i, l := range labels {
		for j, v := range data.Row(i) {
			e := float64(v) - c[l*dim+j]
			inertia += e * e
		}
	}
	return inertia, iters
}

func TestRealSheetsMatchFloat64Reference(t *testing.T) {
	data := sharedtest.Data(t)
	a := cpu.New(data, cpu.Options{})
	rng := rand.New(rand.NewPCG(7, 7))
	for k := 3; k <= 7; k++ {
		rows := rng.Perm(data.N)[:k]
		want, refIters := referenceLloyd(t, data, rows, 100)
		res, err := kmeans.Run(context.Background(), data, a, kmeans.Config{
			K: k, MaxIter: 100, NInit: 1, InitRows: rows,
		})
		if err != nil {
			t.Fatal(err)
		}
		if rel := math.Abs(res.Inertia-want) / want; rel > 1e-9 {
			t.Errorf("k=%d rows %v: inertia %.6f, float64 reference %.6f (rel %.2g)", k, rows, res.Inertia, want, rel)
		}
		if !res.Converged {
			t.Errorf("k=%d: not converged in 100 iterations (reference took %d)", k, refIters)
		}
		// The reference counts the final pass that finds no change.
		if res.Iterations != refIters-1 && res.Iterations != refIters {
			t.Errorf("k=%d: %d iterations, reference %d", k, res.Iterations, refIters)
		}
		for i := 1; i < len(res.History); i++ {
			// The history is a sum of float32 distances; allow their rounding.
			if res.History[i] > res.History[i-1]*(1+1e-6) {
				t.Errorf("k=%d: inertia rose at iteration %d: %.1f -> %.1f", k, i+1, res.History[i-1], res.History[i])
			}
		}
		if got := kmeans.Inertia(data, res.Means, res.Labels); got != res.Inertia {
			t.Errorf("k=%d: Inertia() %v != result %v", k, got, res.Inertia)
		}
	}
}

// TestEarlyStopEqualsFixedIterations: stopping at the fixed point gives the
// same clustering as running every iteration.
func TestEarlyStopEqualsFixedIterations(t *testing.T) {
	data := randomBlobs(rand.New(rand.NewPCG(1, 1)), 600, 8, 4)
	a := cpu.New(data, cpu.Options{Workers: 1})
	for k := 2; k <= 6; k++ {
		var out [2]*kmeans.Result
		for i, fixed := range []bool{false, true} {
			res, err := kmeans.Run(context.Background(), data, a, kmeans.Config{
				K: k, MaxIter: 60, FixedIters: fixed, NInit: 1, Rand: rand.New(rand.NewPCG(3, uint64(k))),
			})
			if err != nil {
				t.Fatal(err)
			}
			out[i] = res
		}
		early, fixed := out[0], out[1]
		if !early.Converged || early.Iterations >= 60 {
			t.Fatalf("k=%d: early run did not converge (%d iterations)", k, early.Iterations)
		}
		if fixed.Iterations != 60 || !fixed.Converged {
			t.Errorf("k=%d: fixed run: %d iterations, converged=%v; want 60, true", k, fixed.Iterations, fixed.Converged)
		}
		if early.Inertia != fixed.Inertia || !slices.Equal(early.Labels, fixed.Labels) || !slices.Equal(early.Means, fixed.Means) {
			t.Errorf("k=%d: early stop (inertia %v) differs from fixed iterations (inertia %v)", k, early.Inertia, fixed.Inertia)
		}
	}
}

// randomBlobs makes n rows of dim features around k well separated centres.
func randomBlobs(rng *rand.Rand, n, dim, k int) kmeans.Data {
	centres := make([]int, k*dim)
	for i := range centres {
		centres[i] = 20 + rng.IntN(216)
	}
	x := make([]uint8, n*dim)
	for i := range n {
		c := i % k
		for j := range dim {
			v := centres[c*dim+j] + rng.IntN(41) - 20
			x[i*dim+j] = uint8(max(0, min(255, v)))
		}
	}
	return kmeans.Data{N: n, D: dim, X: x}
}

func TestEmptyClusterMovesToFarthestRow(t *testing.T) {
	// 1-D rows 0, 0, 10, 11, 12, 100 from rows 0, 1, 5: centroids 0, 0, 100.
	// Ties put rows 0..4 in cluster 0 and leave cluster 1 empty; row 4 (12)
	// is farthest from its centroid (144), so cluster 1 restarts there.
	data := kmeans.Data{N: 6, D: 1, X: []uint8{0, 0, 10, 11, 12, 100}}
	var firstIter kmeans.Progress
	res, err := kmeans.Run(context.Background(), data, cpu.New(data, cpu.Options{Workers: 1}), kmeans.Config{
		K: 3, MaxIter: 10, NInit: 1, InitRows: []int{0, 1, 5},
		Progress: func(p kmeans.Progress) {
			if p.Iter == 1 {
				firstIter = p
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Relocated != 1 {
		t.Errorf("relocated %d empty clusters, want 1", res.Relocated)
	}
	if firstIter.Inertia != 0+0+100+121+144+0 {
		t.Errorf("first iteration inertia %v, want 365", firstIter.Inertia)
	}
	want := []float64{0, 11, 100}
	if !slices.Equal(res.Means, want) {
		t.Errorf("final means %v, want %v", res.Means, want)
	}
	if !slices.Equal(res.Sizes, []int{2, 3, 1}) || res.Inertia != 2 || !res.Converged {
		t.Errorf("sizes %v inertia %v converged %v; want [2 3 1] 2 true", res.Sizes, res.Inertia, res.Converged)
	}
}

func TestEmptyClustersNeverNaN(t *testing.T) {
	// Many identical rows and k close to n: clusters empty again and again.
	x := make([]uint8, 40*4)
	for i := 30 * 4; i < len(x); i++ {
		x[i] = uint8(i * 7)
	}
	data := kmeans.Data{N: 40, D: 4, X: x}
	for k := 1; k <= 12; k++ {
		res, err := kmeans.Run(context.Background(), data, cpu.New(data, cpu.Options{Workers: 2}), kmeans.Config{
			K: k, MaxIter: 50, NInit: 1, Rand: rand.New(rand.NewPCG(9, uint64(k))),
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range res.Means {
			if math.IsNaN(m) || math.IsInf(m, 0) {
				t.Fatalf("k=%d: mean %v", k, m)
			}
		}
		if math.IsNaN(res.Inertia) {
			t.Fatalf("k=%d: inertia NaN", k)
		}
		total := 0
		for _, s := range res.Sizes {
			total += s
		}
		if total != data.N {
			t.Errorf("k=%d: sizes %v sum to %d", k, res.Sizes, total)
		}
	}
}

func TestKMeansPPSpreadsOverSeparatedGroups(t *testing.T) {
	// Three tight groups far apart: k-means++ must seed one row in each.
	var x []uint8
	for g, base := range []uint8{0, 120, 240} {
		for i := range 50 {
			x = append(x, base+uint8(i%5), base+uint8((i+g)%3))
		}
	}
	data := kmeans.Data{N: 150, D: 2, X: x}
	for seed := range uint64(20) {
		rows := kmeans.KMeansPP(data, 3, rand.New(rand.NewPCG(seed, 0)))
		groups := map[int]bool{}
		for _, r := range rows {
			groups[r/50] = true
		}
		if len(rows) != 3 || len(groups) != 3 {
			t.Errorf("seed %d: rows %v cover groups %v, want one per group", seed, rows, groups)
		}
	}
}

func TestKMeansPPReproducible(t *testing.T) {
	data := randomBlobs(rand.New(rand.NewPCG(2, 2)), 300, 5, 6)
	a := kmeans.KMeansPP(data, 6, rand.New(rand.NewPCG(5, 5)))
	b := kmeans.KMeansPP(data, 6, rand.New(rand.NewPCG(5, 5)))
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different rows: %v vs %v", a, b)
	}
	if len(a) != 6 {
		t.Errorf("got %d rows, want 6", len(a))
	}
}

func TestNInitKeepsLowestInertia(t *testing.T) {
	data := randomBlobs(rand.New(rand.NewPCG(4, 4)), 400, 6, 5)
	a := cpu.New(data, cpu.Options{Workers: 1})
	run := func(nInit int) *kmeans.Result {
		res, err := kmeans.Run(context.Background(), data, a, kmeans.Config{
			K: 5, MaxIter: 50, NInit: nInit, Rand: rand.New(rand.NewPCG(11, 0)),
		})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	one, many := run(1), run(8)
	if many.Inertia > one.Inertia {
		t.Errorf("8 restarts gave inertia %v, worse than the first alone %v", many.Inertia, one.Inertia)
	}
}

func TestConfigErrors(t *testing.T) {
	data := kmeans.Data{N: 3, D: 1, X: []uint8{1, 2, 3}}
	tests := []struct {
		name  string
		cfg   kmeans.Config
		field string
		msg   string // the whole Error()
	}{
		{"k zero", kmeans.Config{K: 0}, "K", "kmeans: K 0: want k >= 1"},
		{"k above n", kmeans.Config{K: 4}, "K", "kmeans: K 4: more clusters than the 3 tiles"},
		{"iters negative", kmeans.Config{K: 2, MaxIter: -1}, "MaxIter", "kmeans: MaxIter -1: want >= 1 (0 means 100)"},
		{"n-init negative", kmeans.Config{K: 2, NInit: -2}, "NInit", "kmeans: NInit -2: want >= 1 (0 means 1)"},
		{"unknown init", kmeans.Config{K: 2, Init: "kmeans++"}, "Init", `kmeans: Init kmeans++: want "random" or "k-means++"`},
		{"rows and a method", kmeans.Config{K: 2, Init: kmeans.InitRandom, InitRows: []int{0, 1}}, "InitRows", `kmeans: InitRows [0 1]: explicit rows with Init "random": leave Init empty`},
		{"rows count", kmeans.Config{K: 2, InitRows: []int{0}}, "InitRows", "kmeans: InitRows [0]: 1 rows for k=2"},
		{"row out of range", kmeans.Config{K: 2, InitRows: []int{0, 3}}, "InitRows", "kmeans: InitRows [0 3]: row 3 is out of range (3 tiles: 0..2)"},
		{"row negative", kmeans.Config{K: 2, InitRows: []int{-1, 0}}, "InitRows", "kmeans: InitRows [-1 0]: row -1 is out of range (3 tiles: 0..2)"},
		{"row repeated", kmeans.Config{K: 2, InitRows: []int{1, 1}}, "InitRows", "kmeans: InitRows [1 1]: row 1 is repeated"},
	}
	for _, tt := range tests {
		for _, err := range []error{tt.cfg.Validate(data), run(data, tt.cfg)} {
			var ce *kmeans.ConfigError
			if !errors.As(err, &ce) || ce.Field != tt.field || err.Error() != tt.msg {
				t.Errorf("%s: err %v, want a ConfigError on %s: %q", tt.name, err, tt.field, tt.msg)
			}
			if !errors.Is(err, kmeans.ErrConfig) {
				t.Errorf("%s: errors.Is(err, ErrConfig) is false", tt.name)
			}
		}
	}
	bad := kmeans.Data{N: 2, D: 2, X: []uint8{1}}
	if err := (kmeans.Config{K: 1}).Validate(bad); !errors.Is(err, kmeans.ErrConfig) || err.Error() != "kmeans: Data: 2 rows x 2 features with 1 values" {
		t.Errorf("short data: err %v", err)
	}
	if err := (kmeans.Config{K: 3}).Validate(data); err != nil {
		t.Errorf("valid config: %v", err)
	}
}

func run(data kmeans.Data, cfg kmeans.Config) error {
	_, err := kmeans.Run(context.Background(), data, verify.Reference{Data: data}, cfg)
	return err
}

// TestConfigDefaults: the zero fields of Config mean what the package says:
// 100 iterations, one start, random rows from PCG(0, K).
func TestConfigDefaults(t *testing.T) {
	data := randomBlobs(rand.New(rand.NewPCG(9, 9)), 400, 6, 5)
	a := cpu.New(data, cpu.Options{Workers: 1})
	got, err := kmeans.Run(context.Background(), data, a, kmeans.Config{K: 5})
	if err != nil {
		t.Fatal(err)
	}
	want, err := kmeans.Run(context.Background(), data, a, kmeans.Config{
		K: 5, MaxIter: 100, NInit: 1, Init: kmeans.InitRandom, Rand: rand.New(rand.NewPCG(0, 5)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.InitRows, want.InitRows) || got.Inertia != want.Inertia || got.Iterations != want.Iterations {
		t.Errorf("Config{K: 5}: rows %v inertia %v iters %d; explicit defaults: rows %v inertia %v iters %d",
			got.InitRows, got.Inertia, got.Iterations, want.InitRows, want.Inertia, want.Iterations)
	}
	// MaxIter 0 is 100: a run that needs more stops at 100.
	slow := randomBlobs(rand.New(rand.NewPCG(2, 2)), 3000, 2, 40)
	res, err := kmeans.Run(context.Background(), slow, cpu.New(slow, cpu.Options{Workers: 1}), kmeans.Config{K: 40, FixedIters: true})
	if err != nil || res.Iterations != kmeans.DefaultMaxIter {
		t.Errorf("FixedIters with MaxIter 0: %v iterations, err %v; want %d", res.Iterations, err, kmeans.DefaultMaxIter)
	}
}

func TestPredict(t *testing.T) {
	data := kmeans.Data{N: 6, D: 1, X: []uint8{1, 2, 3, 200, 201, 205}}
	res, err := kmeans.Run(context.Background(), data, cpu.New(data, cpu.Options{Workers: 1}), kmeans.Config{K: 2})
	if err != nil {
		t.Fatal(err)
	}
	other := kmeans.Data{N: 3, D: 1, X: []uint8{0, 255, 100}}
	labels, dists, err := kmeans.Predict(other, cpu.New(other, cpu.Options{Workers: 1}), res.Centroids, res.K)
	if err != nil {
		t.Fatal(err)
	}
	lo := res.Labels[0] // the cluster of the small values
	if labels[0] != lo || labels[1] == lo || labels[2] != lo {
		t.Errorf("labels %v (small cluster %d)", labels, lo)
	}
	for i := range labels {
		wl, wd := kmeans.Nearest(other.Row(i), res.Centroids, res.K)
		if labels[i] != wl || dists[i] != wd {
			t.Errorf("row %d: %d %v, reference %d %v", i, labels[i], dists[i], wl, wd)
		}
	}
	if _, _, err := kmeans.Predict(other, cpu.New(other, cpu.Options{Workers: 1}), res.Centroids[:1], 2); err == nil {
		t.Error("Predict with too few centroid values succeeded")
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	data := randomBlobs(rand.New(rand.NewPCG(4, 4)), 100, 3, 3)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := kmeans.Run(ctx, data, cpu.New(data, cpu.Options{Workers: 1}), kmeans.Config{K: 3, MaxIter: 10, NInit: 1, Rand: rand.New(rand.NewPCG(1, 1))})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
}

// failingAssigner fails on its nth call.
type failingAssigner struct {
	kmeans.Assigner
	n int
}

var errBoom = errors.New("boom")

func (f *failingAssigner) Assign(c []float32, k int, l []int32, d []float32) error {
	f.n--
	if f.n == 0 {
		return errBoom
	}
	return f.Assigner.Assign(c, k, l, d)
}

func TestAssignerErrorIsReturned(t *testing.T) {
	data := randomBlobs(rand.New(rand.NewPCG(4, 4)), 100, 3, 3)
	fa := &failingAssigner{Assigner: cpu.New(data, cpu.Options{Workers: 1}), n: 2}
	_, err := kmeans.Run(context.Background(), data, fa, kmeans.Config{K: 3, MaxIter: 10, NInit: 1, Rand: rand.New(rand.NewPCG(1, 1))})
	if !errors.Is(err, errBoom) {
		t.Errorf("err %v, want errBoom wrapped", err)
	}
}

func TestCountDistinct(t *testing.T) {
	for _, tt := range []struct {
		data kmeans.Data
		want int
	}{
		{kmeans.Data{D: 3}, 0},
		{kmeans.Data{N: 1, D: 3, X: []uint8{1, 2, 3}}, 1},
		{kmeans.Data{N: 4, D: 2, X: []uint8{1, 2, 1, 2, 2, 1, 1, 2}}, 2},
		{kmeans.Data{N: 3, D: 1, X: []uint8{0, 0, 0}}, 1},
		{randomBlobs(rand.New(rand.NewPCG(1, 1)), 500, 16, 3), 500},
	} {
		if got := kmeans.CountDistinct(tt.data); got != tt.want {
			t.Errorf("CountDistinct(%d rows) = %d, want %d", tt.data.N, got, tt.want)
		}
	}
	// Many copies of few rows, in random order.
	rng := rand.New(rand.NewPCG(4, 4))
	base := randomBlobs(rng, 37, 5, 2)
	x := make([]uint8, 0, 1000*5)
	for range 1000 {
		x = append(x, base.Row(rng.IntN(37))...)
	}
	d := kmeans.Data{N: 1000, D: 5, X: x}
	want := map[string]bool{}
	for i := range d.N {
		want[string(d.Row(i))] = true
	}
	if got := kmeans.CountDistinct(d); got != len(want) {
		t.Errorf("copies: %d, want %d", got, len(want))
	}
}

// TestFewerDistinctRowsThanK: with 9 distinct rows among 17 and k=10 (the
// kind of ../shared/cases/dup_fewer_distinct), the loop stops at the exact
// fixed point with inertia 0, every distinct row its own cluster and the
// tenth cluster empty (it keeps its centroid), from any start; with 12
// identical rows and k=3, at once.
func TestFewerDistinctRowsThanK(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	distinct := randomBlobs(rng, 9, 16, 9)
	x := append([]uint8{}, distinct.X...)
	for _, r := range []int{0, 0, 0, 2, 4, 5, 7, 8} {
		x = append(x, distinct.Row(r)...)
	}
	data := kmeans.Data{N: 17, D: 16, X: x}
	if got := kmeans.CountDistinct(data); got != 9 {
		t.Fatalf("CountDistinct %d, want 9", got)
	}
	for seed := range uint64(20) {
		for _, init := range []kmeans.InitMethod{kmeans.InitRandom, kmeans.InitKMeansPP} {
			for _, fixed := range []bool{false, true} {
				cfg := kmeans.Config{K: 10, Init: init, Rand: rand.New(rand.NewPCG(seed, 1)), FixedIters: fixed}
				res, err := kmeans.Run(context.Background(), data, cpu.New(data, cpu.Options{Workers: 1}), cfg)
				if err != nil {
					t.Fatal(err)
				}
				nonEmpty := 0
				for _, s := range res.Sizes {
					if s > 0 {
						nonEmpty++
					}
				}
				if res.Inertia != 0 || !res.Converged || res.Empty != 1 || nonEmpty != 9 || fixed && res.Iterations != 100 || !fixed && res.Iterations > 10 {
					t.Errorf("seed %d %s fixed %v: inertia %v converged %v after %d iterations, sizes %v, empty %d",
						seed, init, fixed, res.Inertia, res.Converged, res.Iterations, res.Sizes, res.Empty)
				}
				for i, m := range res.Means {
					if math.IsNaN(m) {
						t.Fatalf("seed %d: NaN mean at %d", seed, i)
					}
				}
				if !slices.Equal(uniqueInts(res.InitRows), sortedInts(res.InitRows)) {
					t.Errorf("seed %d %s: init rows %v repeat a row", seed, init, res.InitRows)
				}
			}
		}
	}
	same := kmeans.Data{N: 12, D: 4, X: slices.Repeat([]uint8{9, 8, 7, 6}, 12)}
	res, err := kmeans.Run(context.Background(), same, cpu.New(same, cpu.Options{Workers: 1}), kmeans.Config{K: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Iterations != 1 || !res.Converged || res.Relocated != 0 || res.Empty != 2 || !slices.Equal(res.Sizes, []int{12, 0, 0}) {
		t.Errorf("12 equal rows, k=3: %d iterations, converged %v, relocated %d, sizes %v", res.Iterations, res.Converged, res.Relocated, res.Sizes)
	}
}

func sortedInts(s []int) []int { s = slices.Clone(s); slices.Sort(s); return s }

func uniqueInts(s []int) []int { return slices.Compact(sortedInts(s)) }

// TestKMeansPPDistinctRowsReproduce: k-means++ on data with fewer distinct
// rows than k gives k distinct row indices, and running from them as
// explicit rows reproduces the run.
func TestKMeansPPDistinctRowsReproduce(t *testing.T) {
	data := kmeans.Data{N: 20, D: 2, X: slices.Repeat([]uint8{1, 1, 1, 1, 200, 3, 7, 7, 1, 1}, 4)}
	for seed := range uint64(10) {
		res, err := kmeans.Run(context.Background(), data, cpu.New(data, cpu.Options{Workers: 1}), kmeans.Config{K: 8,
			Init: kmeans.InitKMeansPP, Rand: rand.New(rand.NewPCG(seed, 3))})
		if err != nil {
			t.Fatal(err)
		}
		if len(uniqueInts(res.InitRows)) != 8 {
			t.Fatalf("seed %d: init rows %v", seed, res.InitRows)
		}
		again, err := kmeans.Run(context.Background(), data, cpu.New(data, cpu.Options{Workers: 1}), kmeans.Config{K: 8,
			InitRows: res.InitRows})
		if err != nil {
			t.Fatalf("seed %d: rows %v refused: %v", seed, res.InitRows, err)
		}
		if again.Inertia != res.Inertia || !slices.Equal(again.Labels, res.Labels) || again.Iterations != res.Iterations {
			t.Errorf("seed %d: explicit rows give a different run", seed)
		}
	}
}

// TestOtherData: Run and Predict refuse an Assigner made for other data,
// of another shape or the same shape elsewhere in memory (a copy), with
// ErrOtherData; an Assigner that says nothing of its data is not checked.
func TestOtherData(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	data := randomBlobs(rng, 40, 8, 3)
	copied := kmeans.Data{N: data.N, D: data.D, X: append([]uint8(nil), data.X...)}
	fewer := kmeans.Data{N: 39, D: 8, X: data.X[:39*8]}
	cent := make([]float32, 3*8)
	for _, tt := range []struct {
		name string
		a    kmeans.Assigner
		want string
	}{
		{"copy", verify.Reference{Data: copied}, "made for other values than those given"},
		{"other shape", verify.Reference{Data: fewer}, "reference Assigner of 39 rows x 8 features, given 40 x 8"},
		{"verifier of a copy", &verify.Verifier{Assigner: verify.Reference{Data: copied}, Data: copied}, "other values"},
		{"cpu of a copy", cpu.New(copied, cpu.Options{Workers: 1}), "cpu Assigner of 40 rows x 8 features made for other values"},
		{"cpu of other rows", cpu.New(fewer, cpu.Options{Workers: 1}), "cpu Assigner of 39 rows x 8 features, given 40 x 8"},
	} {
		_, _, err := kmeans.Predict(data, tt.a, cent, 3)
		if !errors.Is(err, kmeans.ErrOtherData) || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "kmeans: predict: ") {
			t.Errorf("%s: Predict: %v, want ErrOtherData saying %q", tt.name, err, tt.want)
		}
		_, err = kmeans.Run(context.Background(), data, tt.a, kmeans.Config{K: 3})
		if !errors.Is(err, kmeans.ErrOtherData) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Run: %v, want ErrOtherData saying %q", tt.name, err, tt.want)
		}
	}
	// The same data (and a Data value rebuilt over the same rows) passes.
	same := kmeans.Data{N: data.N, D: data.D, X: data.X}
	if _, _, err := kmeans.Predict(same, verify.Reference{Data: data}, cent, 3); err != nil {
		t.Errorf("same rows: %v", err)
	}
	if _, err := kmeans.Run(context.Background(), same, verify.Reference{Data: data}, kmeans.Config{K: 3}); err != nil {
		t.Errorf("same rows: Run: %v", err)
	}
	// Not a DataAssigner: not checked.
	if _, _, err := kmeans.Predict(data, nameOnly{verify.Reference{Data: data}}, cent, 3); err != nil {
		t.Errorf("plain Assigner: %v", err)
	}
}

// nameOnly hides every method of an Assigner but the two of the interface.
type nameOnly struct{ a kmeans.Assigner }

func (n nameOnly) Name() string { return n.a.Name() }
func (n nameOnly) Assign(c []float32, k int, labels []int32, dists []float32) error {
	return n.a.Assign(c, k, labels, dists)
}

// TestInertiaSameForAnyWorkers: the final inertia is summed in fixed chunks
// of rows, so Config.Workers (and GOMAXPROCS) never change its bits, and
// it is the float64 sum of squared distances to the means (within the
// rounding of that sum).
func TestInertiaSameForAnyWorkers(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	data := randomBlobs(rng, 10000+37, 23, 5) // several chunks, a partial one, D not a multiple of 4
	var first *kmeans.Result
	for _, w := range []int{1, 2, 3, 8, 0} {
		res, err := kmeans.Run(context.Background(), data, verify.Reference{Data: data}, kmeans.Config{K: 5, Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = res
			want := 0.0
			for i, l := range res.Labels {
				for j, v := range data.Row(i) {
					d := float64(v) - res.Means[int(l)*data.D+j]
					want += d * d
				}
			}
			if rel := math.Abs(res.Inertia-want) / want; rel > 1e-12 {
				t.Errorf("inertia %v, sequential sum %v (rel %.2g)", res.Inertia, want, rel)
			}
			continue
		}
		if math.Float64bits(res.Inertia) != math.Float64bits(first.Inertia) {
			t.Errorf("Workers %d: inertia %v, with 1 worker %v", w, res.Inertia, first.Inertia)
		}
	}
	if got := kmeans.Inertia(data, first.Means, first.Labels); math.Float64bits(got) != math.Float64bits(first.Inertia) {
		t.Errorf("Inertia() %v, Run's %v", got, first.Inertia)
	}
}

// TestMalformedData: rows that do not fill N*D values are an error from
// Predict and Run (and from the CPU Assigner made for them), never a panic.
func TestMalformedData(t *testing.T) {
	bad := kmeans.Data{N: 4, D: 2, X: []uint8{1, 2, 3}}
	a := cpu.New(bad, cpu.Options{})
	cent := []float32{0, 0}
	if _, _, err := kmeans.Predict(bad, a, cent, 1); !errors.Is(err, kmeans.ErrConfig) {
		t.Errorf("Predict: %v, want a ConfigError", err)
	}
	if _, err := kmeans.Run(context.Background(), bad, a, kmeans.Config{K: 1}); !errors.Is(err, kmeans.ErrConfig) {
		t.Errorf("Run: %v, want a ConfigError", err)
	}
	if err := a.Assign(cent, 1, make([]int32, 4), make([]float32, 4)); err == nil || !strings.Contains(err.Error(), "4 rows x 2 features with 3 values") {
		t.Errorf("Assign: %v", err)
	}
}
