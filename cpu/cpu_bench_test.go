package cpu_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/tilekmeans/tilekmeans/cpu"
	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/tiles/tilestest"
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
// centroids, on all cores and on one.
func BenchmarkAssign(b *testing.B) {
	data := tilestest.Data(b)
	for _, workers := range []int{0, 1} {
		for _, k := range []int{5, 7, 64} {
			b.Run(fmt.Sprintf("workers=%d/k=%d", workers, k), func(b *testing.B) {
				a := cpu.New(data, workers)
				c := randomCentroids(data, k, rand.New(rand.NewPCG(1, 2)))
				labels, dists := make([]int32, data.N), make([]float32, data.N)
				for b.Loop() {
					if err := a.Assign(c, k, labels, dists); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkSweep times the notebook's job on the CPU: k = 3..7 on the real
// tiles, random rows as initial centroids, to convergence (at most 100
// iterations), or all 100 iterations with fixed=true.
func BenchmarkSweep(b *testing.B) {
	data := tilestest.Data(b)
	for _, fixed := range []bool{false, true} {
		b.Run(fmt.Sprintf("fixed=%v", fixed), func(b *testing.B) {
			a := cpu.New(data, 0)
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
