// Package pairargs checks the arguments of kmeans.DistanceSummer's
// SumDistances, once for every implementation (the reference in package
// kmeans, packages cpu and gpu), so that a backend never indexes past what
// it was given.
package pairargs

import (
	"errors"
	"fmt"
	"slices"
)

// MaxRows is the most rows SumDistances lists: the integer sums of
// internal/exactsum.Roots hold 2^27 roots.
const MaxRows = 1<<27 - 1

// MaxFeatures is the most features SumDistances takes: their squared
// distances, up to 255² per feature, stay below 2^40, the range of
// internal/exactsum.Roots (and of the GPU's exact conversion to double).
const MaxFeatures = (1<<40 - 1) / (255 * 255)

// Check checks SumDistances' arguments for data of nData rows of dim
// features and returns the number of rows listed (nData when rows is nil):
// at most MaxFeatures features (else an error wrapping
// errors.ErrUnsupported), rows within 0..nData-1, one labelling per k, each
// with a label in 0..k-1 per listed row, and n*k sums for it.
func Check(nData, dim int, rows []int32, labels [][]int32, ks []int, sums [][]float64) (n int, err error) {
	if dim > MaxFeatures {
		return 0, fmt.Errorf("%d features: the exact sums of distances take at most %d: %w", dim, MaxFeatures, errors.ErrUnsupported)
	}
	n = nData
	if rows != nil {
		n = len(rows)
		if i := slices.IndexFunc(rows, func(r int32) bool { return r < 0 || int(r) >= nData }); i >= 0 {
			return 0, fmt.Errorf("row %d of %d", rows[i], nData)
		}
	}
	if n > MaxRows {
		return 0, fmt.Errorf("%d rows: at most %d", n, MaxRows)
	}
	if len(labels) != len(ks) || len(sums) != len(ks) {
		return 0, fmt.Errorf("%d labellings, %d ks and %d sums", len(labels), len(ks), len(sums))
	}
	for l, k := range ks {
		if k < 1 || len(labels[l]) != n || len(sums[l]) != n*k {
			return 0, fmt.Errorf("labelling %d: k=%d, %d labels and %d sums for %d rows", l, k, len(labels[l]), len(sums[l]), n)
		}
		if i := slices.IndexFunc(labels[l], func(c int32) bool { return c < 0 || int(c) >= k }); i >= 0 {
			return 0, fmt.Errorf("labelling %d: label %d outside 0..%d", l, labels[l][i], k-1)
		}
	}
	return n, nil
}
