package kmeans

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"runtime"
	"slices"
	"sync"
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

// Reference is the scalar reference Assigner: Nearest for every row, on the
// calling goroutine. It is slow and obviously right; package cpu is the fast
// CPU backend with the same results.
type Reference struct{ Data Data }

// Name implements Assigner.
func (r Reference) Name() string { return "reference" }

// MadeFor implements DataAssigner.
func (r Reference) MadeFor() Data { return r.Data }

// Assign implements Assigner.
func (r Reference) Assign(centroids []float32, k int, labels []int32, dists []float32) error {
	if err := checkAssign(r.Data, centroids, k, labels, dists); err != nil {
		return fmt.Errorf("reference: %w", err)
	}
	for i := range r.Data.N {
		labels[i], dists[i] = Nearest(r.Data.Row(i), centroids, k)
	}
	return nil
}

// checkAssign checks the shapes of Assign's arguments for data.
func checkAssign(data Data, centroids []float32, k int, labels []int32, dists []float32) error {
	if k < 1 || len(centroids) < k*data.D {
		return fmt.Errorf("assign: %d centroid values for k=%d and %d features", len(centroids), k, data.D)
	}
	if len(labels) < data.N || len(dists) < data.N {
		return fmt.Errorf("assign: output slices shorter than %d rows", data.N)
	}
	return nil
}

// Predict labels every row of data with its nearest of the k centroids
// (k*D float32 values, row-major), as scikit-learn's KMeans.predict does,
// using a, an Assigner made for data. It returns the labels (0..k-1) and
// each row's squared distance to its centroid, by the arithmetic contract.
// To label new data with a Result, pass res.Centroids and res.K.
func Predict(data Data, a Assigner, centroids []float32, k int) (labels []int32, dists []float32, err error) {
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

// ErrMismatch reports an Assigner result that differs from the reference;
// the error is a *MismatchError.
var ErrMismatch = errors.New("differs from the reference arithmetic")

// MismatchError says where a verified Assigner first differed from Nearest.
type MismatchError struct {
	Backend     string // the verified Assigner's Name
	Rows, N     int    // rows that differed, of N
	First       int    // the first row that differed
	Label       int32  // what the backend gave for it
	Dist        float32
	RefLabel    int32 // what the reference gives
	RefDist     float32
	Assignments int // which assignment call (1-based) differed
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("verify: %s %s in %d of %d rows (first: row %d: label %d distance %v, reference label %d distance %v)",
		e.Backend, ErrMismatch, e.Rows, e.N, e.First, e.Label, e.Dist, e.RefLabel, e.RefDist)
}

// Is makes errors.Is(err, ErrMismatch) true.
func (e *MismatchError) Is(target error) bool { return target == ErrMismatch }

// VerifyStats counts what a Verifier checked.
type VerifyStats struct {
	Assignments int `json:"assignments"` // Assign calls
	Rows        int `json:"rows"`        // rows checked, summed over calls
	Mismatches  int `json:"mismatches"`  // rows whose label or distance bits differed
	Ties        int `json:"exact_ties"`  // rows with two or more nearest centroids at exactly the same distance
}

// Verifier is an Assigner that checks another one: after every Assign it
// recomputes each row with Nearest (on all cores) and compares labels and
// distance bits, counting exact ties along the way. A difference fails the
// call with a *MismatchError. A Verifier is not a Stepper: run it with
// Config.HostLoop so that every assignment comes back to the host.
type Verifier struct {
	Assigner      // the Assigner checked
	Data     Data // the data it was made for
	stats    VerifyStats
}

// MadeFor implements DataAssigner: the Verifier's Data.
func (v *Verifier) MadeFor() Data { return v.Data }

// Assign implements Assigner.
func (v *Verifier) Assign(centroids []float32, k int, labels []int32, dists []float32) error {
	if err := v.Assigner.Assign(centroids, k, labels, dists); err != nil {
		return err
	}
	n, dim := v.Data.N, v.Data.D
	workers := runtime.GOMAXPROCS(0)
	chunk := (n + workers - 1) / workers
	type part struct{ bad, ties, first int }
	parts := make([]part, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*chunk, min((w+1)*chunk, n)
		wg.Go(func() {
			p := part{first: -1}
			for i := lo; i < hi; i++ {
				row := v.Data.Row(i)
				best, bestD, tie := 0, Distance(row, centroids[:dim]), false
				for c := 1; c < k; c++ {
					d := Distance(row, centroids[c*dim:(c+1)*dim])
					switch {
					case d < bestD:
						best, bestD, tie = c, d, false
					case d == bestD:
						tie = true
					}
				}
				if tie {
					p.ties++
				}
				if labels[i] != int32(best) || math.Float32bits(dists[i]) != math.Float32bits(bestD) {
					if p.first < 0 {
						p.first = i
					}
					p.bad++
				}
			}
			parts[w] = p
		})
	}
	wg.Wait()
	v.stats.Assignments++
	v.stats.Rows += n
	first, bad := -1, 0
	for _, p := range parts {
		v.stats.Ties += p.ties
		bad += p.bad
		if first < 0 && p.first >= 0 {
			first = p.first
		}
	}
	v.stats.Mismatches += bad
	if bad == 0 {
		return nil
	}
	wl, wd := Nearest(v.Data.Row(first), centroids, k)
	return &MismatchError{
		Backend: v.Assigner.Name(), Rows: bad, N: n, First: first,
		Label: labels[first], Dist: dists[first], RefLabel: wl, RefDist: wd,
		Assignments: v.stats.Assignments,
	}
}

// Stats returns the counts since the Verifier was made or last reset.
func (v *Verifier) Stats() VerifyStats { return v.stats }

// TakeStats returns the counts so far and starts counting afresh.
func (v *Verifier) TakeStats() VerifyStats {
	s := v.stats
	v.stats = VerifyStats{}
	return s
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
