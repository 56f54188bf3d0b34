package cpu

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/pairargs"
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
		{70, 65537, 256}, // chunks of 32,768 features
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

// TestSumDistancesChunks: beyond 32,896 features the pass cuts them into
// chunks of at most 32,768, all computed by the kernels (the SIMD one on a
// CPU that has it) on every worker, and the sums equal the reference's
// bit for bit (the extreme rows: distances past 2^32).
func TestSumDistancesChunks(t *testing.T) {
	for _, data := range []kmeans.Data{randdata.Extreme(100003), randdata.Rows(rand.New(rand.NewPCG(7, 7)), 130, 32897, 256)} {
		a := New(data, Options{Workers: 2})
		p := newPairPass(data, nil, data.N, 2, a.pairKernel())
		if want := (data.D + pairChunk - 1) / pairChunk; p.chunks != want || p.chunkQ*4 > pairChunk {
			t.Fatalf("%d features: %d chunks of %d quads, want %d of at most %d features", data.D, p.chunks, p.chunkQ, want, pairChunk)
		}
		var calls atomic.Int64
		kern := *p.kern
		dist := kern.dist
		kern.dist = func(panel, cols []uint8, nq, stride, dp int, rowNorm, colConst, out []int32) {
			calls.Add(1)
			dist(panel, cols, nq, stride, dp, rowNorm, colConst, out)
		}
		p.kern = &kern
		labels, ks := [][]int32{make([]int32, data.N)}, []int{2}
		for i := range labels[0] {
			labels[0][i] = int32(i % 2)
		}
		got, want := sumsFor(labels, ks), sumsFor(labels, ks)
		if err := p.run(context.Background(), labels, ks, got); err != nil {
			t.Fatal(err)
		}
		if err := kmeans.SumDistances(context.Background(), data, nil, labels, ks, want); err != nil {
			t.Fatal(err)
		}
		if i := firstDiff(got[0], want[0]); i >= 0 {
			t.Errorf("%dx%d: sums[%d] = %v, reference %v", data.N, data.D, i, got[0][i], want[0][i])
		}
		// Each pair of blocks I <= J, 8 panels of rows, every chunk.
		if want := int64(p.nb * (p.nb + 1) / 2 * (pairBlock / pairPanel) * p.chunks); calls.Load() != want {
			t.Errorf("%dx%d: %d kernel calls, want %d", data.N, data.D, calls.Load(), want)
		}
	}
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
	// Squared distances of 2^40 or more are beyond the exact sums: the
	// backend and the reference refuse them.
	big := kmeans.Data{N: 2, D: pairargs.MaxFeatures + 1, X: make([]uint8, 2*(pairargs.MaxFeatures+1))}
	two := [][]int32{{0, 1}}
	for name, sum := range map[string]func() error{
		"cpu": func() error {
			return New(big, Options{Workers: 2}).SumDistances(context.Background(), nil, two, []int{2}, [][]float64{make([]float64, 4)})
		},
		"reference": func() error {
			return kmeans.SumDistances(context.Background(), big, nil, two, []int{2}, [][]float64{make([]float64, 4)})
		},
	} {
		if err := sum(); !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "16909061 features") {
			t.Errorf("%s, %d features: %v", name, big.D, err)
		}
	}
}
