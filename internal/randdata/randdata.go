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
