package cpu

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/randdata"
	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/kmeans/kmeanstest"
)

// pruneVariant is one way to make a pruning Assigner for the tests.
type pruneVariant struct {
	name        string
	kernel      string
	workers     int
	maxBytes    int64 // Options.MaxBoundBytes; 0: default
	indexGroups bool
}

// pruneVariants are every kernel on one and two workers, plus the memory
// step-downs (several groups per bound; one bound per tile, Hamerly's) and
// grouping by index, on the fastest kernel.
func pruneVariants(n int) []pruneVariant {
	var vs []pruneVariant
	names := kernelNames()
	for _, k := range names {
		for _, w := range []int{1, 2} {
			vs = append(vs, pruneVariant{name: fmt.Sprintf("%s/workers=%d", k, w), kernel: k, workers: w})
		}
	}
	// 12 bytes of state per tile, then 12 or 4 bytes of bounds: 3 bounds, 1.
	vs = append(vs,
		pruneVariant{name: names[0] + "/3-bounds", kernel: names[0], workers: 2, maxBytes: int64(n) * 24},
		pruneVariant{name: names[0] + "/1-bound", kernel: names[0], workers: 2, maxBytes: int64(n) * 16},
		pruneVariant{name: names[0] + "/index-groups", kernel: names[0], workers: 2, indexGroups: true},
	)
	return vs
}

// newPruned makes v's Assigner for data, pruning even a single group.
func newPruned(t testing.TB, data kmeans.Data, v pruneVariant) *Assigner {
	t.Helper()
	a, err := newWithKernel(data, Options{Workers: v.workers, MaxBoundBytes: v.maxBytes}, v.kernel)
	if err != nil {
		t.Fatal(err)
	}
	a.forcePrune, a.indexGroups = true, v.indexGroups
	return a
}

// checkNearest checks that labels and dists are kmeans.Nearest's, bit for
// bit.
func checkNearest(t testing.TB, data kmeans.Data, cent []float32, k int, labels []int32, dists []float32, what string) {
	t.Helper()
	bad := 0
	for i := range data.N {
		l, d := kmeans.Nearest(data.Row(i), cent, k)
		if labels[i] != l || math.Float32bits(dists[i]) != math.Float32bits(d) {
			if bad++; bad <= 3 {
				t.Errorf("%s: row %d: got (%d, %v), want (%d, %v)", what, i, labels[i], dists[i], l, d)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%s: %d of %d rows differ", what, bad, data.N)
	}
}

// centroidWalk returns a sequence of centroid sets that exercises the
// bounds: rows, then means-like small moves, a repeat, one centroid
// relocated to a row, moves of one ulp, a big jump of all centroids, and a
// set with a non-finite value (brute force) followed by more moves.
func centroidWalk(rng *rand.Rand, data kmeans.Data, k int) [][]float32 {
	dim := data.D
	rows := make([]int, k)
	for i := range rows {
		rows[i] = rng.IntN(data.N)
	}
	cur := randdata.FromRows(data, rows)
	sets := [][]float32{slices.Clone(cur)}
	next := func(f func(c []float32)) {
		f(cur)
		sets = append(sets, slices.Clone(cur))
	}
	for range 3 { // small moves of some centroids
		next(func(c []float32) {
			for i := range c {
				if rng.IntN(3) == 0 {
					c[i] += float32(rng.NormFloat64() * 3)
				}
			}
		})
	}
	next(func(c []float32) {}) // unchanged
	next(func(c []float32) {   // relocation
		to := rng.IntN(k) * dim
		for j, v := range data.Row(rng.IntN(data.N)) {
			c[to+j] = float32(v)
		}
	})
	next(func(c []float32) { // one ulp
		for i := range c {
			if rng.IntN(2) == 0 {
				c[i] = math.Nextafter32(c[i], float32(math.Inf(1)))
			}
		}
	})
	next(func(c []float32) { // everything jumps
		for i := range c {
			c[i] = float32(rng.Float64() * 255)
		}
	})
	for range 2 {
		next(func(c []float32) {
			for i := range c {
				c[i] += float32(rng.NormFloat64())
			}
		})
	}
	nan := slices.Clone(cur)
	nan[rng.IntN(len(nan))] = float32(math.NaN())
	sets = append(sets, nan)
	next(func(c []float32) {
		for i := range c {
			c[i] += float32(rng.NormFloat64() * 0.5)
		}
	})
	return sets
}

// TestPruneAssignSequences assigns sequences of centroid sets with one
// Assigner and checks every call against kmeans.Nearest: random data,
// duplicated rows, few levels (ties), feature counts from 1 to 4096.
func TestPruneAssignSequences(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	type set struct {
		name string
		data kmeans.Data
		ks   []int
	}
	dup := randdata.Rows(rng, 40, 9, 256)
	dup.X = slices.Repeat(dup.X, 10) // every row 10 times
	dup.N *= 10
	sets := []set{
		{"random D=1", randdata.Rows(rng, 500, 1, 256), []int{2, 5, 17, 40}},
		{"random D=3", randdata.Rows(rng, 500, 3, 256), []int{2, 9, 33}},
		{"random D=33", randdata.Rows(rng, 300, 33, 256), []int{4, 16, 17, 64}},
		{"few levels D=16", randdata.Rows(rng, 400, 16, 3), []int{3, 20, 50}},
		{"duplicates D=9", dup, []int{5, 30, 60}},
		{"random D=256", randdata.Rows(rng, 200, 256, 256), []int{2, 31, 100}},
	}
	if !testing.Short() {
		sets = append(sets, set{"random D=4096", randdata.Rows(rng, 60, 4096, 256), []int{2, 20}})
	}
	for _, s := range sets {
		for _, v := range pruneVariants(s.data.N) {
			t.Run(s.name+"/"+v.name, func(t *testing.T) {
				a := newPruned(t, s.data, v)
				labels, dists := make([]int32, s.data.N), make([]float32, s.data.N)
				for _, k := range s.ks {
					for i, cent := range centroidWalk(rand.New(rand.NewPCG(uint64(k), 1)), s.data, k) {
						if err := a.Assign(cent, k, labels, dists); err != nil {
							t.Fatal(err)
						}
						checkNearest(t, s.data, cent, k, labels, dists, fmt.Sprintf("k=%d call %d", k, i))
					}
				}
				if st := statsOf(a); st.pruned == 0 || st.pruned == st.calls {
					t.Errorf("stats %+v: want pruned calls and brute-force ones (NaN)", st)
				}
			})
		}
	}
}

// runBoth runs k-means with brute force and with pruning (variant v) and
// requires every field of the results to be equal: labels, distances,
// centroids, means, inertia, history, iterations.
func runBoth(t *testing.T, data kmeans.Data, v pruneVariant, cfg kmeans.Config, seed uint64) counts {
	t.Helper()
	off, err := newWithKernel(data, Options{Workers: v.workers, BruteForce: true}, v.kernel)
	if err != nil {
		t.Fatal(err)
	}
	on := newPruned(t, data, v)
	var res [2]*kmeans.Result
	for i, a := range []*Assigner{off, on} {
		cfg.Rand = rand.New(rand.NewPCG(seed, uint64(cfg.K)))
		if res[i], err = kmeans.Run(context.Background(), data, a, cfg); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(res[0], res[1]) {
		want, got := res[0], res[1]
		t.Errorf("k=%d: pruned run differs: iterations %d, want %d; inertia %v, want %v",
			cfg.K, got.Iterations, want.Iterations, got.Inertia, want.Inertia)
	}
	if st := statsOf(off); st.pruned != 0 || st.share() != 1 {
		t.Errorf("k=%d: prune off: stats %+v", cfg.K, st)
	}
	return statsOf(on)
}

// TestPruneRunsEqualBruteForce compares whole runs on random blobs, the real
// sheets, noisy copies of them, duplicates and odd feature counts, k from
// 2 to 1024.
func TestPruneRunsEqualBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 4))
	blobs := randdata.Rows(rng, 3000, 12, 16)
	for i := range blobs.X {
		blobs.X[i] = uint8(int(blobs.X[i]) + 40*((i/12)%6)) // six blobs
	}
	dup := randdata.Rows(rng, 30, 5, 256)
	dup.X = slices.Repeat(dup.X, 20)
	dup.N *= 20
	jobs := []job{
		{"blobs", blobs, []int{2, 6, 17, 40, 120}, 100},
		{"duplicates", dup, []int{8, 29, 31, 45}, 50}, // k > distinct rows: empty clusters
		{"D=1", randdata.Rows(rng, 2000, 1, 256), []int{5, 33, 200}, 100},
		{"D=4096", randdata.Rows(rng, 300, 4096, 256), []int{3, 24}, 20},
	}
	t.Run("real sheets", func(t *testing.T) {
		real := sharedtest.Data(t) // skips (fails under CI=true) without them
		jobs := []job{
			{"k=3..7,64,256", real, []int{3, 7, 64, 256}, 100},
			{"3 noisy copies", noisyCopies(real, 3, 7), []int{64}, 100},
		}
		if !testing.Short() {
			jobs = append(jobs, job{"k=1024", real, []int{1024}, 15})
		}
		runJobs(t, jobs)
	})
	runJobs(t, jobs)
}

type job struct {
	name  string
	data  kmeans.Data
	ks    []int
	iters int
}

func runJobs(t *testing.T, jobs []job) {
	for _, j := range jobs {
		for _, v := range pruneVariants(j.data.N) {
			// The portable code takes seconds per run on the real sheets:
			// there, two workers and k up to 64 only.
			big := v.kernel == goKernel && j.data.N*j.data.D > 1<<20
			if big && (testing.Short() || v.workers != 2) {
				continue
			}
			t.Run(j.name+"/"+v.name, func(t *testing.T) {
				for _, k := range j.ks {
					if big && k > 64 {
						continue
					}
					st := runBoth(t, j.data, v, kmeans.Config{K: k, MaxIter: j.iters}, 3)
					if st.pruned == 0 {
						t.Errorf("k=%d: no call pruned", k)
					}
				}
			})
		}
	}
}

// noisyCopies returns copies concatenated copies of data, each feature of
// every copy after the first moved by a random -1, 0 or +1 (clamped), from
// a PCG seeded (copies, seed): the bench command's replication.
func noisyCopies(data kmeans.Data, copies int, seed uint64) kmeans.Data {
	rng := rand.New(rand.NewPCG(uint64(copies), seed))
	x := make([]uint8, 0, copies*len(data.X))
	x = append(x, data.X...)
	for range copies - 1 {
		for _, v := range data.X {
			x = append(x, uint8(min(max(int(v)+rng.IntN(3)-1, 0), 255)))
		}
	}
	return kmeans.Data{N: copies * data.N, D: data.D, X: x}
}

// TestPruneSkipsWork checks that pruning computes fewer distances on a run
// that converges (and none at all on a repeated call), and that by default
// it leaves a single group to brute force.
func TestPruneSkipsWork(t *testing.T) {
	data := sharedtest.Data(t)
	a := New(data, Options{})
	res, err := kmeans.Run(context.Background(), data, a, kmeans.Config{K: 64, Rand: rand.New(rand.NewPCG(1, 1))})
	if err != nil {
		t.Fatal(err)
	}
	st := statsOf(a)
	t.Logf("k=64: %d iterations, %s, computed %.1f%% of the distances", res.Iterations, a.Pruning(64), 100*st.share())
	if st.pruned != st.calls || st.share() > 0.5 {
		t.Errorf("stats %+v (share %.2f): want every call pruned, at most half the distances", st, st.share())
	}
	if a.kern != nil && (a.perm == nil || a.pruned.resorts == 0) {
		t.Errorf("the tiles were never ordered by cluster")
	}
	labels, dists := make([]int32, data.N), make([]float32, data.N)
	for range 2 {
		if err := a.Assign(res.Centroids, 64, labels, dists); err != nil {
			t.Fatal(err)
		}
	}
	if d := statsOf(a).sub(st); d.computed != 0 && d.calls == 2 {
		// The first call may move from the run's last centroids; the
		// second repeats it exactly.
		if last := d.computed; last > int64(data.N)*64 {
			t.Errorf("repeated calls computed %d distances", last)
		}
	}
	checkNearest(t, data, res.Centroids, 64, labels, dists, "repeat")
	before := statsOf(a)
	if err := a.Assign(res.Centroids, 64, labels, dists); err != nil {
		t.Fatal(err)
	}
	if d := statsOf(a).sub(before); d.computed != 0 || d.pruned != 1 {
		t.Errorf("identical call: %+v, want no distance computed", d)
	}
	small := New(data, Options{})
	if err := small.Assign(res.Centroids[:5*data.D], 5, labels, dists); err != nil {
		t.Fatal(err)
	}
	if st := statsOf(small); st.pruned != 0 && small.taskLanes() >= 8 {
		t.Errorf("k=5 with %d lanes: pruned (%+v); want brute force", small.taskLanes(), st)
	}
	if s := New(data, Options{BruteForce: true}).Pruning(64); s != "off" {
		t.Errorf("BruteForce pruning %q", s)
	}
}

// TestPruneMemoryStepsDown: with less memory for bounds, groups share
// bounds (down to one per tile), and with none at all the Assigner computes
// every distance.
func TestPruneMemoryStepsDown(t *testing.T) {
	data := randdata.Rows(rand.New(rand.NewPCG(2, 2)), 1000, 8, 256)
	for _, tt := range []struct {
		bytes int64
		want  string
	}{
		{0, ", 64 bounds per tile, tiles ordered"},
		{1000 * (12 + 4*16), ", 16 bounds per tile ("},
		{1000 * (12 + 4), ", 1 bound per tile ("},
		{1000 * 15, "off"},
	} {
		a := New(data, Options{MaxBoundBytes: tt.bytes})
		want := tt.want
		if a.kern == nil { // no SIMD: never ordered
			want = strings.Replace(want, ", tiles ordered", " (", 1)
		}
		if got := a.Pruning(64 * a.taskLanes()); !strings.Contains(got, want) {
			t.Errorf("MaxBoundBytes %d: scheme %q, want %q", tt.bytes, got, want)
		}
	}
}

// TestPruneConformance runs the backends' conformance suite with pruning
// forced on every k.
func TestPruneConformance(t *testing.T) {
	for _, name := range kernelNames() {
		t.Run(name, func(t *testing.T) {
			newAssigner := func(t *testing.T, data kmeans.Data) kmeans.Assigner {
				return newPruned(t, data, pruneVariant{kernel: name, workers: 2})
			}
			kmeanstest.TestAssigner(t, newAssigner, sharedtest.Optional(t)...)
			// The CPU has no device loop: Run drives it from the host.
			kmeanstest.TestRun(t, newAssigner, sharedtest.Optional(t)...)
		})
	}
}

// nearTie builds a case where the float32 rounding of the contract decides
// the label: one tile (all zeros, 4096 features); its own centroid, index
// lanes (the first of the second group), and centroid 0 (first group) whose
// last value moves by one ulp between two calls, across the point where the
// last addition of its sum rounds up instead of down. Its sum is one ulp
// above the own one at the first call (S1) and equal to it at the second
// (S2 = S_a, so centroid 0 wins on the lower index), while its real
// distance moves by about 1e-5: a bound on real distances without the
// margin still proves it farther than the own centroid (sqrt(S1) - drift >
// sqrt(S_a)) and prunes it, wrongly. It returns the data, the two centroid
// sets and k.
func nearTie(t *testing.T, lanes int) (kmeans.Data, [][]float32, int) {
	const dim = 4096
	k := 2 * lanes
	data := kmeans.Data{N: 1, D: dim, X: make([]uint8, dim)}
	zero := data.Row(0)
	rng := rand.New(rand.NewPCG(1, 77))
	c := make([]float32, dim)
	for j := range c {
		c[j] = float32(64 + 64*rng.Float64())
	}
	s0 := kmeans.Distance(zero, c)
	for range 1 << 20 {
		prev := c[dim-1]
		c[dim-1] = math.Nextafter32(prev, float32(math.Inf(1)))
		if s := kmeans.Distance(zero, c); s != s0 {
			c1 := slices.Clone(c)
			c2 := slices.Clone(c)
			c2[dim-1] = prev
			far := slices.Repeat([]float32{1000}, dim)
			set := func(c []float32) []float32 {
				cs := slices.Clone(c)
				for range lanes - 1 {
					cs = append(cs, far...)
				}
				cs = append(cs, c2...) // the own centroid
				for range lanes - 1 {
					cs = append(cs, far...)
				}
				return cs
			}
			return data, [][]float32{set(c1), set(c2)}, k
		}
	}
	t.Fatal("no near tie found")
	return kmeans.Data{}, nil, 0
}

// TestPruneMarginNeeded shows that the margin is needed and enough: on a
// crafted near tie, pruning without the float32 margin (a test hook)
// labels the tile differently from brute force, and with it agrees.
func TestPruneMarginNeeded(t *testing.T) {
	for _, name := range kernelNames() {
		for _, scale := range []float64{0, 1} {
			lanes := goLanes
			for _, kern := range simdKernels {
				if kern.name == name {
					lanes = kern.lanes
				}
			}
			data, sets, k := nearTie(t, lanes)
			a, err := newWithKernel(data, Options{Workers: 1}, name)
			if err != nil {
				t.Fatal(err)
			}
			a.indexGroups, a.marginScale = true, scale
			labels, dists := make([]int32, 1), make([]float32, 1)
			var wrong bool
			for i, cent := range sets {
				if err := a.Assign(cent, k, labels, dists); err != nil {
					t.Fatal(err)
				}
				want, wantD := kmeans.Nearest(data.Row(0), cent, k)
				if want != int32(lanes*(1-i)) {
					t.Fatalf("%s: the crafted case is no near tie: brute force says %d at call %d", name, want, i)
				}
				if labels[0] != want || dists[0] != wantD {
					wrong = true
				}
			}
			switch {
			case scale == 1 && wrong:
				t.Errorf("%s: with the margin, pruning differs from brute force", name)
			case scale == 0 && !wrong:
				t.Errorf("%s: without the margin, pruning still agrees: the test would not catch a margin too small", name)
			}
		}
	}
}

// TestBoundMath checks the bounds against (nearly) exact float64
// arithmetic on random pairs, subnormal differences included:
// lowerBound(S) <= real distance <= threshold(S), and drift >= the real
// distance between two centroids.
func TestBoundMath(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, dim := range []int{1, 2, 16, 256, 4096} {
		m := newMargin(dim, 1)
		for range 2000 / max(1, dim/64) {
			x := make([]uint8, dim)
			c := make([]float32, dim)
			for j := range x {
				x[j] = uint8(rng.IntN(256))
				c[j] = float32(rng.Float64()*300 - 20)
				if rng.IntN(8) == 0 {
					c[j] = float32(x[j]) + float32(rng.NormFloat64()*1e-20) // tiny differences: underflow
				}
			}
			s := kmeans.Distance(x, c)
			exact := 0.0
			for j, v := range x {
				d := float64(v) - float64(c[j])
				exact += d * d
			}
			real := math.Sqrt(exact) * m.scale
			if lb := m.lowerBound(s); float64(lb) > real {
				t.Fatalf("D=%d: lowerBound(%v) = %d > real %v", dim, s, lb, real)
			}
			// A sum s never comes from a real distance above threshold(s):
			// so a centroid whose lower bound exceeds the threshold has a
			// larger sum.
			if th := m.threshold(s); float64(th) < math.Floor(real) {
				t.Fatalf("D=%d: threshold(%v) = %d below real %v", dim, s, th, real)
			}
		}
		// drift is an upper bound of the real distance between centroids.
		a, b := make([]float32, dim), make([]float32, dim)
		for j := range a {
			a[j], b[j] = float32(rng.Float64()*255), float32(rng.Float64()*255)
		}
		exact := 0.0
		for j := range a {
			d := float64(a[j]) - float64(b[j])
			exact += d * d
		}
		if q := m.drift(a, b); float64(q) < math.Sqrt(exact)*m.scale {
			t.Fatalf("D=%d: drift %d below real %v", dim, q, math.Sqrt(exact)*m.scale)
		}
		if m.drift(a, a) != 0 {
			t.Fatalf("D=%d: drift of an unchanged centroid is not 0", dim)
		}
	}
}

// FuzzPrune builds small data and three centroid sets from the fuzz bytes
// and checks every pruned call against kmeans.Nearest.
func FuzzPrune(f *testing.F) {
	f.Add([]byte{3, 2, 5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 200, 100, 50})
	f.Add([]byte("twenty tiles, some centroids, three calls of them"))
	seed := make([]byte, 900)
	for i := range seed {
		seed[i] = byte(i * 53)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return
		}
		next := byteCycle(b)
		n := 1 + int(next())%60
		dim := 1 + int(next())%20
		k := 1 + int(next())%40
		data := kmeans.Data{N: n, D: dim, X: make([]uint8, n*dim)}
		for i := range data.X {
			data.X[i] = next() % 8 * 32 // few levels: ties
		}
		mode := next()
		for _, name := range kernelNames() {
			a := newPruned(t, data, pruneVariant{kernel: name, workers: 1 + int(mode%2), indexGroups: mode&2 != 0})
			labels, dists := make([]int32, n), make([]float32, n)
			c := make([]float32, k*dim)
			for call := range 3 {
				for i := range c {
					switch v := next(); v % 4 {
					case 0:
						c[i] = float32(next() % 8 * 32) // on a data level
					case 1:
						// keep
					case 2:
						c[i] += float32(int8(next())) / 16
					default:
						c[i] = float32(next()) + 0.5
					}
				}
				if err := a.Assign(c, k, labels, dists); err != nil {
					t.Fatal(err)
				}
				checkNearest(t, data, c, k, labels, dists, fmt.Sprintf("%s call %d", name, call))
			}
		}
	})
}

// TestPruneConcurrentCalls: calls from several goroutines at once on one
// Assigner (one prunes, re-ordering its tiles; the others compute every
// distance through the same layout) all get kmeans.Nearest's results.
func TestPruneConcurrentCalls(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	data := randdata.Rows(rng, 700, 24, 256)
	for _, name := range kernelNames() {
		a := newPruned(t, data, pruneVariant{kernel: name, workers: 2})
		walks := make([][][]float32, 4)
		for g := range walks {
			walks[g] = centroidWalk(rand.New(rand.NewPCG(uint64(g), 3)), data, 40)
		}
		errs := make(chan error, len(walks))
		for _, walk := range walks {
			go func() {
				labels, dists := make([]int32, data.N), make([]float32, data.N)
				for i, cent := range walk {
					if err := a.Assign(cent, 40, labels, dists); err != nil {
						errs <- err
						return
					}
					for r := range data.N {
						if l, d := kmeans.Nearest(data.Row(r), cent, 40); labels[r] != l || math.Float32bits(dists[r]) != math.Float32bits(d) {
							errs <- fmt.Errorf("%s call %d row %d: got (%d, %v), want (%d, %v)", name, i, r, labels[r], dists[r], l, d)
							return
						}
					}
				}
				errs <- nil
			}()
		}
		for range walks {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	}
}

// TestFilter checks every kernel's bound pass against goFilter: random
// bounds, drifts and thresholds, ties, saturation, 1 to 64 bounds a tile.
func TestFilter(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	for _, name := range kernelNames() {
		a, err := newWithKernel(randdata.Rows(rng, 16, 16, 256), Options{Workers: 1}, name)
		if err != nil {
			t.Fatal(err)
		}
		for _, nb := range []int{1, 2, 3, 4, 7, 15, 16, 17, 33, 64} {
			for _, nt := range []int{0, 1, 5, 64} {
				lower, drift, threshold := randomBounds(rng, nt, nb)
				want, got := slices.Clone(lower), slices.Clone(lower)
				wantF, gotF := make([]uint64, nt), make([]uint64, nt)
				goFilter(want, nt, nb, drift, threshold, wantF)
				a.filter(got, nt, nb, drift, threshold, gotF)
				if !slices.Equal(got, want) || !slices.Equal(gotF, wantF) {
					t.Fatalf("%s nb=%d nt=%d: bounds or masks differ from goFilter", name, nb, nt)
				}
				for ti := range nt {
					for b := range nb {
						q := lower[ti*nb+b]
						q = max(q, drift[b]) - drift[b]
						if want[ti*nb+b] != q || (wantF[ti]>>b&1 == 1) != (q <= threshold[ti]) {
							t.Fatalf("goFilter wrong at tile %d bound %d", ti, b)
						}
					}
				}
			}
		}
	}
}

// randomBounds returns random bounds of ntiles tiles (nbounds each, some
// saturated), drifts and thresholds for the bound pass, the first bound
// exactly at its threshold after the drift.
func randomBounds(rng *rand.Rand, ntiles, nbounds int) (lower, drift, threshold []uint32) {
	lower = make([]uint32, ntiles*nbounds)
	drift = make([]uint32, nbounds)
	threshold = make([]uint32, ntiles)
	for i := range lower {
		lower[i] = uint32(rng.IntN(1000))
		if rng.IntN(10) == 0 {
			lower[i] = math.MaxUint32
		}
	}
	for i := range drift {
		drift[i] = uint32(rng.IntN(200))
	}
	for i := range threshold {
		threshold[i] = uint32(rng.IntN(1000))
	}
	if ntiles > 0 && nbounds > 0 {
		lower[0] = threshold[0] + drift[0]
	}
	return lower, drift, threshold
}

// counts is a snapshot of an Assigner's stats.
type counts struct{ calls, pruned, pairs, computed int64 }

func statsOf(a *Assigner) counts {
	return counts{a.stats.calls.Load(), a.stats.pruned.Load(), a.stats.pairs.Load(), a.stats.computed.Load()}
}

// sub returns the counts since an earlier snapshot d.
func (c counts) sub(d counts) counts {
	return counts{c.calls - d.calls, c.pruned - d.pruned, c.pairs - d.pairs, c.computed - d.computed}
}

// share is the share of the pairs whose distance was computed.
func (c counts) share() float64 { return float64(c.computed) / float64(c.pairs) }
