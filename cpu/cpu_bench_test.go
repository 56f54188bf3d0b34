package cpu_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/tilekmeans/tilekmeans/cpu"
	"github.com/tilekmeans/tilekmeans/internal/randdata"
	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/kmeans"
)

// randomCentroids takes k random rows of data as float32 centroids.
func randomCentroids(data kmeans.Data, k int, rng *rand.Rand) []float32 {
	c := make([]float32, 0, k*data.D)
	for _, r := range rng.Perm(data.N)[:k] {
		for _, v := range data.Row(r) {
			c = append(c, float32(v))
		}
	}
	return c
}

// BenchmarkAssign times one assignment step of the real tiles against k
// centroids, on all cores and on one, with the kernel New picks, computing
// every distance (a repeated call with the same centroids would prune them
// all; BenchmarkRun times pruning).
func BenchmarkAssign(b *testing.B) {
	data := sharedtest.Data(b)
	for _, workers := range []int{0, 1} {
		for _, k := range []int{5, 7, 64, 256} {
			b.Run(fmt.Sprintf("workers=%d/k=%d", workers, k), func(b *testing.B) {
				a := cpu.New(data, cpu.Options{Workers: workers, BruteForce: true})
				benchAssign(b, a, data, k)
			})
		}
	}
}

// BenchmarkAssignKernels times every kernel this CPU runs, computing every
// distance, on the real tiles (N=5610) and on 10 and 100 noisy copies of
// them (the portable Go kernel only on the real ones: it takes seconds per
// step on the copies).
func BenchmarkAssignKernels(b *testing.B) {
	real := sharedtest.Data(b)
	for _, kernel := range cpu.KernelNames() {
		for _, copies := range []int{1, 10, 100} {
			if kernel == "go" && copies > 1 {
				continue
			}
			data := noisyCopies(real, copies)
			for _, workers := range []int{0, 1} {
				for _, k := range []int{5, 64, 256} {
					name := fmt.Sprintf("kernel=%s/N=%d/workers=%d/k=%d", kernel, data.N, workers, k)
					b.Run(name, func(b *testing.B) {
						a, err := cpu.NewWithKernel(data, cpu.Options{Workers: workers, BruteForce: true}, kernel)
						if err != nil {
							b.Fatal(err)
						}
						benchAssign(b, a, data, k)
					})
				}
			}
		}
	}
}

func benchAssign(b *testing.B, a *cpu.Assigner, data kmeans.Data, k int) {
	c := randomCentroids(data, k, rand.New(rand.NewPCG(1, 2)))
	labels, dists := make([]int32, data.N), make([]float32, data.N)
	for b.Loop() {
		if err := a.Assign(c, k, labels, dists); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(data.N*k), "ns/row/centroid")
}

var copiesCache sync.Map // int -> kmeans.Data

// noisyCopies is cpu's noisyCopies with seed 99, cached per copies.
func noisyCopies(data kmeans.Data, copies int) kmeans.Data {
	if copies == 1 {
		return data
	}
	if d, ok := copiesCache.Load(copies); ok {
		return d.(kmeans.Data)
	}
	d := cpu.NoisyCopies(data, copies, 99)
	copiesCache.Store(copies, d)
	return d
}

// BenchmarkSweep times the notebook's job on the CPU: k = 3..7 on the real
// tiles, random rows as initial centroids, to convergence (at most 100
// iterations), or all 100 iterations with fixed=true.
func BenchmarkSweep(b *testing.B) {
	data := sharedtest.Data(b)
	for _, fixed := range []bool{false, true} {
		b.Run(fmt.Sprintf("fixed=%v", fixed), func(b *testing.B) {
			a := cpu.New(data, cpu.Options{})
			iters := 0
			for b.Loop() {
				iters = 0
				for k := 3; k <= 7; k++ {
					res, err := kmeans.Run(context.Background(), data, a, kmeans.Config{
						K: k, MaxIter: 100, FixedIters: fixed, NInit: 1,
						Rand: rand.New(rand.NewPCG(0, uint64(k))),
					})
					if err != nil {
						b.Fatal(err)
					}
					iters += res.Iterations
				}
			}
			b.ReportMetric(float64(iters), "iters/sweep")
		})
	}
}

// BenchmarkRun times whole k-means runs to convergence (at most 100
// iterations) from random rows, with pruning and without, on the real tiles
// and their noisy copies, and reports the share of distances computed.
func BenchmarkRun(b *testing.B) {
	real := sharedtest.Data(b)
	for _, copies := range []int{1, 10, 100} {
		data := noisyCopies(real, copies)
		for _, k := range []int{64, 256} {
			for _, prune := range []string{"off", "auto"} {
				b.Run(fmt.Sprintf("N=%d/k=%d/prune=%s", data.N, k, prune), func(b *testing.B) {
					a := cpu.New(data, cpu.Options{BruteForce: prune == "off"})
					iters := 0
					computed0, pairs0 := a.Computed()
					for b.Loop() {
						a.Reset()
						res, err := kmeans.Run(context.Background(), data, a, kmeans.Config{
							K: k, MaxIter: 100, NInit: 1, Rand: rand.New(rand.NewPCG(0, uint64(k))),
						})
						if err != nil {
							b.Fatal(err)
						}
						iters = res.Iterations
					}
					b.ReportMetric(float64(iters), "iters")
					computed, pairs := a.Computed()
					b.ReportMetric(100*float64(computed-computed0)/float64(pairs-pairs0), "%computed")
				})
			}
		}
	}
}

// BenchmarkSumDistances times the silhouette's pairwise pass
// (Assigner.SumDistances) over every pair of the real tiles (N=5610) and
// of 10 noisy copies of them, for the labels of a k-means run with k = 64
// (and for the five labellings of k = 3..7 at once on the real tiles), on
// all cores, with the kernels New picks.
func BenchmarkSumDistances(b *testing.B) {
	real := sharedtest.Data(b)
	for _, c := range []struct {
		copies int
		ks     []int
	}{{1, []int{64}}, {1, []int{3, 4, 5, 6, 7}}, {10, []int{64}}} {
		data := noisyCopies(real, c.copies)
		a := cpu.New(data, cpu.Options{})
		var labels [][]int32
		for _, k := range c.ks {
			res, err := kmeans.Run(context.Background(), data, a, kmeans.Config{K: k, MaxIter: 20})
			if err != nil {
				b.Fatal(err)
			}
			labels = append(labels, res.Labels)
		}
		b.Run(fmt.Sprintf("N=%d/k=%v", data.N, c.ks), func(b *testing.B) {
			sums := make([][]float64, len(c.ks))
			for l, k := range c.ks {
				sums[l] = make([]float64, data.N*k)
			}
			for b.Loop() {
				if err := a.SumDistances(context.Background(), nil, labels, c.ks, sums); err != nil {
					b.Fatal(err)
				}
			}
			pairs := float64(data.N) * float64(data.N-1) / 2
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/pairs, "ns/pair")
		})
	}
}

// BenchmarkSumDistancesWide times the pairwise pass on 400 random rows of
// 30,000 features (100x100 RGB images, one chunk) and of 108,300
// (190x190 RGB, four chunks of at most 32,768), five labellings at once,
// on all cores, with each kernel this CPU has: ns/byte-pair is the time
// per pair and feature, the unit of -silhouette auto's bound.
func BenchmarkSumDistancesWide(b *testing.B) {
	rng := rand.New(rand.NewPCG(190, 3))
	for _, dim := range []int{30000, 108300} {
		data := randdata.Rows(rng, 400, dim, 256)
		ks := []int{3, 4, 5, 6, 7}
		labels := make([][]int32, len(ks))
		sums := make([][]float64, len(ks))
		for l, k := range ks {
			labels[l], sums[l] = make([]int32, data.N), make([]float64, data.N*k)
			for i := range labels[l] {
				labels[l][i] = int32(rng.IntN(k))
			}
		}
		for _, name := range cpu.KernelNames() {
			a, err := cpu.NewWithKernel(data, cpu.Options{}, name)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("D=%d/%s", dim, name), func(b *testing.B) {
				for b.Loop() {
					if err := a.SumDistances(context.Background(), nil, labels, ks, sums); err != nil {
						b.Fatal(err)
					}
				}
				work := float64(data.N) * float64(data.N-1) / 2 * float64(dim)
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/work, "ns/byte-pair")
			})
		}
	}
}
