package kmeanstest

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/internal/verify"
	"github.com/tilekmeans/tilekmeans/kmeans"
)

// The reference passes its own suite, with the real sheets when present.
func TestReference(t *testing.T) {
	newRef := func(t *testing.T, data kmeans.Data) kmeans.Assigner { return verify.Reference{Data: data} }
	TestAssigner(t, newRef, sharedtest.Optional(t)...)
	TestRun(t, newRef, sharedtest.Optional(t)...)
}

// wrong is an Assigner that breaks the contract in one way.
type wrong struct {
	data kmeans.Data
	dist func(x []uint8, c []float32) float32
	tieL bool // ties to the last index
}

func (w wrong) Name() string { return "wrong" }

func (w wrong) Assign(cent []float32, k int, labels []int32, dists []float32) error {
	dim := w.data.D
	for i := range w.data.N {
		x := w.data.Row(i)
		best, bestD := int32(0), w.dist(x, cent[:dim])
		for c := 1; c < k; c++ {
			d := w.dist(x, cent[c*dim:(c+1)*dim])
			if d < bestD || w.tieL && d == bestD {
				best, bestD = int32(c), d
			}
		}
		labels[i], dists[i] = best, bestD
	}
	return nil
}

// fused accumulates in float64 and rounds once, as a fused multiply-add
// (or any wider accumulator) would differ from the contract.
func fused(x []uint8, c []float32) float32 {
	var s float64
	for j, v := range x {
		d := float64(float32(v) - c[j])
		s += d * d
	}
	return float32(s)
}

// pairwise sums in two halves: a reordering.
func pairwise(x []uint8, c []float32) float32 {
	h := len(x) / 2
	return kmeans.Distance(x[:h], c[:h]) + kmeans.Distance(x[h:], c[h:len(x)])
}

// flushed flushes subnormal terms and sums to zero.
func flushed(x []uint8, c []float32) float32 {
	var s float32
	for j, v := range x {
		d := float32(v) - c[j]
		t := float32(d * d)
		if t < 0x1p-126 {
			t = 0
		}
		s += t
	}
	return s
}

// TestSuiteCatchesWrongBackends shows that each way of breaking the
// contract fails at least one case of the suite.
func TestSuiteCatchesWrongBackends(t *testing.T) {
	for _, tc := range []struct {
		name string
		w    wrong
		want string // a case that must fail
	}{
		{"fused sums", wrong{dist: fused}, "rounding order"},
		{"reordered sums", wrong{dist: pairwise}, "rounding order"},
		{"flushed subnormals", wrong{dist: flushed}, "subnormal distances"},
		{"ties to the last index", wrong{dist: kmeans.Distance, tieL: true}, "ties"},
	} {
		var failed []string
		for _, c := range assignerCases() {
			w := tc.w
			w.data = c.Data
			if err := checkAssigner(w, c); err != nil {
				failed = append(failed, c.Name)
			}
		}
		found := false
		for _, f := range failed {
			found = found || strings.HasPrefix(f, tc.want)
		}
		if !found {
			t.Errorf("%s: the suite failed only %v, want %q among them", tc.name, failed, tc.want)
		}
	}
	// A run over a wrong Assigner differs from the host loop.
	for _, c := range runCases()[:2] {
		w := wrong{data: c.Data, dist: kmeans.Distance, tieL: true}
		if c.Name == "few levels" && checkRun(w, c) == nil {
			t.Errorf("%s: a run with ties to the last index passed", c.Name)
		}
	}
}

// sequentialSums is a DistanceSummer that adds the roots one by one in row
// order, rounding each time (scikit-learn's order), not exactly.
type sequentialSums struct{ kmeans.Assigner }

func (s sequentialSums) SumDistances(_ context.Context, rows []int32, labels [][]int32, ks []int, sums [][]float64) error {
	data := s.Assigner.(interface{ MadeFor() kmeans.Data }).MadeFor()
	row := func(i int) []uint8 {
		if rows == nil {
			return data.Row(i)
		}
		return data.Row(int(rows[i]))
	}
	for l := range sums {
		clear(sums[l])
	}
	for i := range labels[0] {
		for j := range labels[0] {
			var d int64
			for f, v := range row(i) {
				e := int64(v) - int64(row(j)[f])
				d += e * e
			}
			for l, lab := range labels {
				sums[l][i*ks[l]+int(lab[j])] += math.Sqrt(float64(d))
			}
		}
	}
	return nil
}

// TestSuiteCatchesInexactSums: sums added in order rather than exactly
// differ from the reference in some last bit, and the suite says so.
func TestSuiteCatchesInexactSums(t *testing.T) {
	failed := 0
	for _, c := range assignerCases() {
		if checkSums(sequentialSums{verify.Reference{Data: c.Data}}, c.Data, c.Data.N) != nil {
			failed++
		}
	}
	if failed == 0 {
		t.Error("sums added in row order passed every case")
	}
	// The reference itself passes.
	for _, c := range assignerCases() {
		if err := checkSums(refSums{verify.Reference{Data: c.Data}}, c.Data, c.Data.N); err != nil {
			t.Errorf("%s: %v", c.Name, err)
		}
	}
}

// refSums is the reference Assigner with kmeans.SumDistances as its sums.
type refSums struct{ verify.Reference }

func (r refSums) SumDistances(ctx context.Context, rows []int32, labels [][]int32, ks []int, sums [][]float64) error {
	return kmeans.SumDistances(ctx, r.Data, rows, labels, ks, sums)
}
