package kmeans

import (
	"bytes"
	"cmp"
	"fmt"
	"hash/maphash"
	"slices"
)

// Distance is the reference arithmetic of the assignment step: the squared
// Euclidean distance of row x to centroid c (len(x) values), accumulated in
// float32 in feature order as s += float32(d*d) with d = float32(x[j]) -
// c[j]. The explicit conversion of d*d forbids the compiler from fusing the
// multiply and the add (which GOAMD64=v3 would otherwise do), so the result
// is the same on every platform. Every Assigner must give these bits.
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
// centroids (row-major, len(x) values each) and its Distance. Ties go to the
// lowest index; a NaN distance never wins over centroid 0's.
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

// Predict labels every row of data with its nearest of the k centroids
// (k*D float32 values, row-major), as scikit-learn's KMeans.predict does,
// using a, an Assigner made for data. It returns the labels (0..k-1) and
// each row's squared distance to its centroid, by the arithmetic contract.
// To label new data with a Result, pass res.Centroids and res.K.
func Predict(data Data, a Assigner, centroids []float32, k int) (labels []int32, dists []float32, err error) {
	if err := data.Validate(); err != nil {
		return nil, nil, err
	}
	if len(centroids) != k*data.D || k < 1 {
		return nil, nil, fmt.Errorf("kmeans: predict: %d centroid values for k=%d and %d features", len(centroids), k, data.D)
	}
	if err := checkMadeFor(data, a); err != nil {
		return nil, nil, fmt.Errorf("kmeans: predict: %w", err)
	}
	labels, dists = make([]int32, data.N), make([]float32, data.N)
	if err := a.Assign(centroids, k, labels, dists); err != nil {
		return nil, nil, fmt.Errorf("kmeans: predict: %w", err)
	}
	return labels, dists, nil
}

// CountDistinct returns the number of distinct rows of data, exactly (rows
// are hashed, sorted by hash and then by their bytes, and neighbours
// compared byte for byte). It takes 16 bytes per row, no pointers, for the
// sort. When the count is below K, some clusters must end empty (see
// Result.Empty); scikit-learn warns "Number of distinct clusters (m) found
// smaller than n_clusters (k)".
func CountDistinct(data Data) int {
	if data.N == 0 {
		return 0
	}
	type hashed struct {
		h   uint64
		row int
	}
	seed := maphash.MakeSeed()
	rows := make([]hashed, data.N)
	for i := range rows {
		rows[i] = hashed{maphash.Bytes(seed, data.Row(i)), i}
	}
	slices.SortFunc(rows, func(a, b hashed) int {
		if c := cmp.Compare(a.h, b.h); c != 0 {
			return c
		}
		return bytes.Compare(data.Row(a.row), data.Row(b.row))
	})
	count := 1
	for j := 1; j < len(rows); j++ {
		if rows[j].h != rows[j-1].h || !bytes.Equal(data.Row(rows[j].row), data.Row(rows[j-1].row)) {
			count++
		}
	}
	return count
}
