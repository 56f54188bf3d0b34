package cpu

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/tilekmeans/tilekmeans/kmeans"
)

// Distance returns the squared Euclidean distance of row x to centroid c,
// accumulated in float32 in feature order. The explicit float32 conversion of
// d*d forbids the compiler from fusing the multiply and the add into an FMA
// (which GOAMD64=v3 would otherwise do), so the result is the same on every
// platform and equal to the GPU shader's.
func Distance(x []uint8, c []float32) float32 {
	c = c[:len(x)]
	var s float32
	for j, v := range x {
		d := float32(v) - c[j]
		s += float32(d * d)
	}
	return s
}

// Nearest returns the index of the centroid nearest to x among the k
// centroids (row-major, len(x) values each) and its squared distance. Ties go
// to the lowest index.
func Nearest(x []uint8, centroids []float32, k int) (int32, float32) {
	dim := len(x)
	best, bestD := int32(0), Distance(x, centroids[:dim])
	for j := 1; j < k; j++ {
		if d := Distance(x, centroids[j*dim:(j+1)*dim]); d < bestD {
			best, bestD = int32(j), d
		}
	}
	return best, bestD
}

// Assigner is the CPU implementation of kmeans.Assigner. It spreads rows over
// all cores.
type Assigner struct {
	data    kmeans.Data
	workers int
}

// New returns an Assigner for data that uses workers goroutines (all cores
// when workers < 1).
func New(data kmeans.Data, workers int) *Assigner {
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	return &Assigner{data: data, workers: workers}
}

// Name implements kmeans.Assigner.
func (a *Assigner) Name() string { return "cpu" }

// Assign implements kmeans.Assigner.
func (a *Assigner) Assign(centroids []float32, k int, labels []int32, dists []float32) error {
	n, dim := a.data.N, a.data.D
	if k < 1 || len(centroids) < k*dim {
		return fmt.Errorf("cpu assign: %d centroid values for k=%d and %d features", len(centroids), k, dim)
	}
	if len(labels) < n || len(dists) < n {
		return fmt.Errorf("cpu assign: output slices shorter than %d rows", n)
	}
	chunk := (n + a.workers - 1) / a.workers
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.assignRange(lo, hi, centroids, k, labels, dists)
		}()
	}
	wg.Wait()
	return nil
}

// block is how many rows assignRange takes at a time.
const block = 4

// assignRange labels rows lo..hi-1. It computes the same sums as Nearest, in
// the same order, but for four rows at a time against each centroid: the four
// accumulations are independent, so the processor overlaps their add
// latencies instead of waiting on one chain of dim dependent adds.
func (a *Assigner) assignRange(lo, hi int, centroids []float32, k int, labels []int32, dists []float32) {
	dim := a.data.D
	var x [block][]float32
	for b := range x {
		x[b] = make([]float32, dim)
	}
	var best [block]int32
	var bestD [block]float32
	for i := lo; i < hi; i += block {
		m := min(block, hi-i)
		for b := range block {
			// A short last block repeats its last row; the copies' results
			// are dropped.
			row := a.data.Row(i + min(b, m-1))
			for j, v := range row {
				x[b][j] = float32(v)
			}
		}
		for c := range k {
			s0, s1, s2, s3 := distance4(centroids[c*dim:(c+1)*dim], x[0], x[1], x[2], x[3])
			for b, s := range [block]float32{s0, s1, s2, s3} {
				if c == 0 || s < bestD[b] {
					best[b], bestD[b] = int32(c), s
				}
			}
		}
		copy(labels[i:i+m], best[:m])
		copy(dists[i:i+m], bestD[:m])
	}
}

// distance4 returns the squared distances of four rows, already converted to
// float32 (exact for uint8), to centroid c, each summed like Distance.
func distance4(c, x0, x1, x2, x3 []float32) (s0, s1, s2, s3 float32) {
	n := len(c)
	x0, x1, x2, x3 = x0[:n], x1[:n], x2[:n], x3[:n]
	for j, v := range c {
		d0 := x0[j] - v
		d1 := x1[j] - v
		d2 := x2[j] - v
		d3 := x3[j] - v
		s0 += float32(d0 * d0)
		s1 += float32(d1 * d1)
		s2 += float32(d2 * d2)
		s3 += float32(d3 * d3)
	}
	return
}
