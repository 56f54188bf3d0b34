//go:build cgo && !nogpu

package gpu

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/gpu/internal/shaders"
	"github.com/tilekmeans/tilekmeans/internal/gpuhooks"
	"github.com/tilekmeans/tilekmeans/internal/randdata"
	"github.com/tilekmeans/tilekmeans/kmeans"
)

// TestSumDistancesDispatches: with the dispatches cut small (the work cap
// hook), clusters run across many dispatches and the sums still equal
// kmeans.SumDistances bit for bit, for all rows and a subset; the program
// is built once and released with the Device.
func TestSumDistancesDispatches(t *testing.T) {
	forEachContext(t, func(t *testing.T, kind string) {
		rng := rand.New(rand.NewPCG(21, 9))
		data := randdata.Rows(rng, 230, 37, 256)
		// 3 columns' chunks of work per dispatch: 96 columns.
		d := openDevice(t, kind, &gpuhooks.Hooks{MaxDispatchWork: int64(230 * 40 * 3 * shaders.SilhouetteColumns)})
		a, err := d.NewAssigner(data)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		if got := silColumns(230, 37, int64(230*40*3*shaders.SilhouetteColumns)); got != 3*shaders.SilhouetteColumns {
			t.Fatalf("%d columns per dispatch", got)
		}
		rows := make([]int32, 0, 150)
		for _, r := range rng.Perm(230)[:150] {
			rows = append(rows, int32(r))
		}
		for _, listed := range [][]int32{nil, rows} {
			n := 230
			if listed != nil {
				n = len(listed)
			}
			var labels [][]int32
			ks := []int{1, 2, 9, n}
			for _, k := range ks {
				lab := make([]int32, n)
				for i := range lab {
					lab[i] = int32(rng.IntN(k))
				}
				labels = append(labels, lab)
			}
			want, got := make([][]float64, len(ks)), make([][]float64, len(ks))
			for l, k := range ks {
				want[l], got[l] = make([]float64, n*k), make([]float64, n*k)
			}
			if err := kmeans.SumDistances(context.Background(), data, listed, labels, ks, want); err != nil {
				t.Fatal(err)
			}
			if err := a.SumDistances(context.Background(), listed, labels, ks, got); err != nil {
				t.Fatal(err)
			}
			for l := range ks {
				for i := range want[l] {
					if math.Float64bits(got[l][i]) != math.Float64bits(want[l][i]) {
						t.Fatalf("%d rows, k=%d: sum %d = %v, reference %v", n, ks[l], i, got[l][i], want[l][i])
					}
				}
			}
		}
		if err := a.SumDistances(context.Background(), nil, [][]int32{make([]int32, 230)}, []int{1}, [][]float64{make([]float64, 229)}); err == nil {
			t.Error("short sums: no error")
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := a.SumDistances(ctx, nil, [][]int32{make([]int32, 230)}, []int{1}, [][]float64{make([]float64, 230)}); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled: %v", err)
		}
	})
}

// TestSumDistancesProbe: a silhouette program whose square root is not
// correctly rounded (a float sqrt, as a sloppy driver might give) fails the
// program's probe with ErrParity, unless AllowMismatch, which runs it.
func TestSumDistancesProbe(t *testing.T) {
	forEachContext(t, func(t *testing.T, kind string) {
		sloppy := &gpuhooks.Hooks{Source: func(name, src string) string {
			if name != programSilhouette {
				return src
			}
			out := strings.Replace(src, "sqrt(double(dist[c]))", "double(sqrt(float(dist[c])))", 1)
			if out == src {
				t.Fatal("the silhouette program has no sqrt(double(dist[c]))")
			}
			return out
		}}
		data := randdata.Rows(rand.New(rand.NewPCG(3, 3)), 50, 9, 256)
		labels, ks := [][]int32{make([]int32, 50)}, []int{1}
		for _, allow := range []bool{false, true} {
			d := openDevice(t, kind, sloppy, func(o *Options) { o.AllowMismatch = allow })
			a, err := d.NewAssigner(data)
			if err != nil {
				t.Fatal(err)
			}
			err = a.SumDistances(context.Background(), nil, labels, ks, [][]float64{make([]float64, 50)})
			if allow && err != nil || !allow && !errors.Is(err, ErrParity) {
				t.Errorf("AllowMismatch %v: %v", allow, err)
			}
			a.Close()
		}
	})
}
