// Package randdata makes seeded random rows and centroids for the tests and
// benchmarks of the backends and of the conformance suite.
package randdata

import (
	"math/rand/v2"

	"github.com/tilekmeans/tilekmeans/kmeans"
)

// Rows returns n rows of dim features drawn uniformly from 0..levels-1
// (levels <= 256): few levels give many ties and duplicates.
func Rows(rng *rand.Rand, n, dim, levels int) kmeans.Data {
	x := make([]uint8, n*dim)
	for i := range x {
		x[i] = uint8(rng.IntN(levels))
	}
	return kmeans.Data{N: n, D: dim, X: x}
}

// Centroids returns k*dim float32 values in [0, 255) with random
// fractions, the kind of values whose sums a fused multiply-add changes.
func Centroids(rng *rand.Rand, k, dim int) []float32 {
	c := make([]float32, k*dim)
	for i := range c {
		c[i] = float32(rng.Float64() * 255)
	}
	return c
}

// FromRows returns the given rows of data as float32 centroids.
func FromRows(data kmeans.Data, rows []int) []float32 {
	c := make([]float32, 0, len(rows)*data.D)
	for _, r := range rows {
		for _, v := range data.Row(r) {
			c = append(c, float32(v))
		}
	}
	return c
}

// Extreme returns 8 rows of dim features at the extremes: all 0, all 255,
// 0 then 255 from the middle, 255 then 0, alternating 0 and 255 both ways,
// all 255 but the last feature, and all 1. Their squared distances run
// from 1 to dim*255², the largest a backend's sums of distances must hold.
func Extreme(dim int) kmeans.Data {
	const n = 8
	x := make([]uint8, n*dim)
	for j := range dim {
		v := [n]uint8{0, 255, 0, 255, uint8(j%2) * 255, uint8(1-j%2) * 255, 255, 1}
		if j >= dim/2 {
			v[2], v[3] = 255, 0
		}
		if j == dim-1 {
			v[6] = 0
		}
		for i := range n {
			x[i*dim+j] = v[i]
		}
	}
	return kmeans.Data{N: n, D: dim, X: x}
}
