package cpu

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/randdata"
	"github.com/tilekmeans/tilekmeans/kmeans"
)

// TestSumDistances: every kernel and worker count gives kmeans.SumDistances'
// sums bit for bit, for all rows and for a subset, several labellings at
// once, blocks cut anywhere and feature counts that are not a multiple of 4.
func TestSumDistances(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 1))
	for _, sh := range []struct{ n, dim, levels int }{
		{1, 1, 256}, {2, 3, 256}, {63, 5, 256}, {64, 4, 256}, {65, 7, 256}, {130, 256, 256}, {200, 33, 3}, {129, 1000, 256},
	} {
		data := randdata.Rows(rng, sh.n, sh.dim, sh.levels)
		var labels [][]int32
		var ks []int
		for _, k := range []int{1, 2, 5, min(64, sh.n)} {
			lab := make([]int32, sh.n)
			for i := range lab {
				lab[i] = int32(rng.IntN(k))
			}
			labels, ks = append(labels, lab), append(ks, k)
		}
		sub := rng.Perm(sh.n)[:max(1, sh.n/3)]
		rows := make([]int32, len(sub))
		subLabels := make([][]int32, len(ks))
		for i, r := range sub {
			rows[i] = int32(r)
		}
		for l := range ks {
			subLabels[l] = make([]int32, len(rows))
			for i, r := range rows {
				subLabels[l][i] = labels[l][r]
			}
		}
		for _, c := range []struct {
			rows   []int32
			labels [][]int32
		}{{nil, labels}, {rows, subLabels}} {
			want := sumsFor(c.labels, ks)
			if err := kmeans.SumDistances(context.Background(), data, c.rows, c.labels, ks, want); err != nil {
				t.Fatal(err)
			}
			for _, name := range kernelNames() {
				for _, workers := range []int{1, 2, 3, 8} {
					a, err := newWithKernel(data, Options{Workers: workers}, name)
					if err != nil {
						t.Fatal(err)
					}
					got := sumsFor(c.labels, ks)
					if err := a.SumDistances(context.Background(), c.rows, c.labels, ks, got); err != nil {
						t.Fatal(err)
					}
					for l := range want {
						if i := firstDiff(got[l], want[l]); i >= 0 {
							t.Fatalf("%dx%d rows=%d %s (pairs %s) workers=%d k=%d: sums[%d] = %v, reference %v",
								sh.n, sh.dim, len(c.labels[0]), name, a.pairKernel().name, workers, ks[l], i, got[l][i], want[l][i])
						}
					}
				}
			}
		}
	}
}

func sumsFor(labels [][]int32, ks []int) [][]float64 {
	s := make([][]float64, len(ks))
	for l, k := range ks {
		s[l] = make([]float64, len(labels[l])*k)
		for i := range s[l] {
			s[l][i] = -1 // must be overwritten
		}
	}
	return s
}

func firstDiff(a, b []float64) int {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return i
		}
	}
	return -1
}

// TestSumDistancesErrors: bad shapes and a cancelled context are errors.
func TestSumDistancesErrors(t *testing.T) {
	data := randdata.Rows(rand.New(rand.NewPCG(1, 2)), 300, 8, 256)
	a := New(data, Options{Workers: 2})
	lab := make([]int32, 300)
	for _, c := range []struct {
		name   string
		rows   []int32
		labels [][]int32
		ks     []int
		sums   [][]float64
	}{
		{"row out of range", []int32{0, 300}, [][]int32{{0, 0}}, []int{1}, [][]float64{make([]float64, 2)}},
		{"label out of range", nil, [][]int32{append(lab[:299:299], 2)}, []int{2}, [][]float64{make([]float64, 600)}},
		{"short sums", nil, [][]int32{lab}, []int{2}, [][]float64{make([]float64, 599)}},
		{"ks and labels", nil, [][]int32{lab}, []int{2, 3}, [][]float64{make([]float64, 600)}},
	} {
		if err := a.SumDistances(context.Background(), c.rows, c.labels, c.ks, c.sums); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := a.SumDistances(ctx, nil, [][]int32{lab}, []int{1}, [][]float64{make([]float64, 300)})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
