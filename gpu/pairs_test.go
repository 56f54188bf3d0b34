//go:build cgo && !nogpu

package gpu

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"sync/atomic"
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
// correctly rounded fails the program's probe with ErrParity, unless
// AllowMismatch, which runs it: a float sqrt (as a sloppy driver might
// give), a root off by an ulp only above 2^20 (which a probe of small
// distances alone would pass), and a root of the distance's low 32 bits
// alone (the sums of many features overflowing).
func TestSumDistancesProbe(t *testing.T) {
	for _, c := range []struct{ name, from, to string }{
		{"float sqrt", "sqrt(x)", "double(sqrt(float(x)))"},
		{"large roots off", "sqrt(x)", "(x < 1048576.0LF ? sqrt(x) : sqrt(x) * (1.0LF + 2.3e-16LF))"},
		{"32-bit distances", "double(d.y) * 4294967296.0LF + double(d.x)", "double(d.x)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var missing atomic.Bool
			sloppy := &gpuhooks.Hooks{Source: func(name, src string) string {
				if name != programSilhouette {
					return src
				}
				out := strings.Replace(src, c.from, c.to, 1)
				missing.Store(out == src)
				return out
			}}
			data := randdata.Rows(rand.New(rand.NewPCG(3, 3)), 50, 9, 256)
			labels, ks := [][]int32{make([]int32, 50)}, []int{1}
			forEachContext(t, func(t *testing.T, kind string) {
				for _, allow := range []bool{false, true} {
					d := openDevice(t, kind, sloppy, func(o *Options) { o.AllowMismatch = allow })
					a, err := d.NewAssigner(data)
					if err != nil {
						t.Fatal(err)
					}
					err = a.SumDistances(context.Background(), nil, labels, ks, [][]float64{make([]float64, 50)})
					if missing.Load() {
						t.Fatalf("the silhouette program has no %q", c.from)
					}
					if allow && err != nil || !allow && !errors.Is(err, ErrParity) {
						t.Errorf("AllowMismatch %v: %v", allow, err)
					}
					a.Close()
				}
			})
		})
	}
}

// TestProbeRoots: the probe's integers are below 2^40, include the
// powers of two and perfect squares with their neighbours, and the hard
// cases lie nearer a midpoint than random integers do.
func TestProbeRoots(t *testing.T) {
	v := probeRoots()
	has := map[uint64]bool{}
	for _, x := range v {
		if x >= 1<<40 {
			t.Fatalf("%d: not below 2^40", x)
		}
		has[x] = true
	}
	for _, x := range []uint64{0, 1, 2, 1<<39 - 1, 1 << 39, 1<<39 + 1, 1<<40 - 1, 1 << 32, 1<<32 + 1, (1<<20 - 1) * (1<<20 - 1), 1 << 38} {
		if !has[x] {
			t.Errorf("%d not probed", x)
		}
	}
	if len(v) != 3185 { // the documentation says so
		t.Errorf("%d values", len(v))
	}
	hard := v[len(v)-256:]
	rng := rand.New(rand.NewPCG(1, 2))
	worse := 0
	for _, x := range hard {
		if nearMidpoint(x) < nearMidpoint(1+rng.Uint64N(1<<40-1)) {
			worse++
		}
	}
	if worse < 250 {
		t.Errorf("only %d of 256 hard cases nearer a midpoint than a random integer", worse)
	}
}
