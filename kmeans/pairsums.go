package kmeans

import (
	"context"
	"fmt"
	"math"

	"github.com/tilekmeans/tilekmeans/internal/exactsum"
	"github.com/tilekmeans/tilekmeans/internal/pairargs"
)

// DistanceSummer is the pairwise step of the silhouette, the part of Score
// that costs O(n² D): a backend offers it as a method of its Assigner
// (packages cpu and gpu do), and Score uses it when the Assigner has it.
// Package kmeans/kmeanstest checks an implementation against SumDistances,
// the arithmetic written plainly.
type DistanceSummer interface {
	// SumDistances computes, among the rows of the data the backend was
	// made for that rows lists (nil: all N rows, in order), the sum of the
	// Euclidean distances of every listed row to the listed rows of each
	// cluster, for several labellings at once (one pass over the pairs
	// serves them all): with n listed rows, labels[l] holds the n rows'
	// clusters in 0..ks[l]-1 and
	//
	//	sums[l][i*ks[l]+c] = Σ sqrt(d(rows[i], rows[j])) over j with labels[l][j] == c
	//
	// where d is the squared Euclidean distance, an exact integer for
	// uint8 features (at most D*255²). Each square root is correctly
	// rounded to float64, the roots are added exactly, and the sum is
	// rounded once to float64 (to nearest, ties to even): a number that
	// does not depend on the order of the terms, so every backend, worker
	// count and blocking gives the same bits. (scikit-learn's
	// silhouette_samples adds the same roots one by one in row order,
	// rounding each time; the two differ by at most n*2^-53 relative, in
	// practice in the last bit or two.) len(sums[l]) is n*ks[l];
	// SumDistances overwrites it. n must be below 2^27, and D at most
	// 16,909,060 (D*255² below 2^40; more is an error wrapping
	// errors.ErrUnsupported). It returns an error for shapes that do not
	// fit, and ctx's error when ctx is cancelled.
	SumDistances(ctx context.Context, rows []int32, labels [][]int32, ks []int, sums [][]float64) error
}

// SumDistances is DistanceSummer's arithmetic written plainly, on one
// goroutine: the reference every backend's SumDistances equals bit for
// bit, and what Score uses for an Assigner that has none. It takes
// O(n² D) time on the calling goroutine.
func SumDistances(ctx context.Context, data Data, rows []int32, labels [][]int32, ks []int, sums [][]float64) error {
	n, err := pairargs.Check(data.N, data.D, rows, labels, ks, sums)
	if err != nil {
		return fmt.Errorf("kmeans: sum distances: %w", err)
	}
	row := func(i int) []uint8 {
		if rows == nil {
			return data.Row(i)
		}
		return data.Row(int(rows[i]))
	}
	acc := make([][]exactsum.Roots, len(ks))
	for l, k := range ks {
		acc[l] = make([]exactsum.Roots, k)
	}
	for i := range n {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		x := row(i)
		for l := range acc {
			clear(acc[l])
		}
		for j := range n {
			v := math.Sqrt(float64(sqDistU8(x, row(j))))
			for l, lab := range labels {
				acc[l][lab[j]].Add(v)
			}
		}
		for l, k := range ks {
			for c, r := range acc[l] {
				sums[l][i*k+c] = r.Float64()
			}
		}
	}
	return nil
}
