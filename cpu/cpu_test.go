package cpu

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/kmeans"
)

// randData returns n random rows of dim features. With levels > 0 the
// features take only that many distinct values, which makes ties common.
func randData(rng *rand.Rand, n, dim, levels int) kmeans.Data {
	x := make([]uint8, n*dim)
	for i := range x {
		if levels > 0 {
			x[i] = uint8(rng.IntN(levels) * (255 / max(levels-1, 1)))
		} else {
			x[i] = uint8(rng.IntN(256))
		}
	}
	return kmeans.Data{N: n, D: dim, X: x}
}

// randCentroids returns k centroids of random float32 values in [-10, 265].
func randCentroids(rng *rand.Rand, k, dim int) []float32 {
	c := make([]float32, k*dim)
	for i := range c {
		c[i] = -10 + 275*rng.Float32()
	}
	return c
}

// rowCentroids returns k centroids copied from random rows (integer-valued,
// repeating rows when k > N).
func rowCentroids(rng *rand.Rand, data kmeans.Data, k int) []float32 {
	c := make([]float32, 0, k*data.D)
	for range k {
		for _, v := range data.Row(rng.IntN(data.N)) {
			c = append(c, float32(v))
		}
	}
	return c
}

// checkParity checks that every kernel, on 1 and 2 workers, gives exactly
// kmeans.Nearest's labels and distances, and writes nothing past row N.
func checkParity(t *testing.T, data kmeans.Data, centroids []float32, k int) {
	t.Helper()
	want := make([]int32, data.N)
	wantD := make([]float32, data.N)
	for i := range data.N {
		want[i], wantD[i] = kmeans.Nearest(data.Row(i), centroids, k)
	}
	const extra = 5
	for _, name := range kernelNames() {
		for _, workers := range []int{1, 2} {
			a, err := newWithKernel(data, Options{Workers: workers}, name)
			if err != nil {
				t.Fatal(err)
			}
			labels := make([]int32, data.N+extra)
			dists := make([]float32, data.N+extra)
			for i := range labels {
				labels[i], dists[i] = -7, -7
			}
			if err := a.Assign(centroids, k, labels, dists); err != nil {
				t.Fatal(err)
			}
			bad := 0
			for i := range data.N {
				if labels[i] != want[i] || math.Float32bits(dists[i]) != math.Float32bits(wantD[i]) {
					if bad++; bad <= 3 {
						t.Errorf("N=%d D=%d k=%d kernel=%s workers=%d: row %d: got (%d, %v %#x), want (%d, %v %#x)",
							data.N, data.D, k, name, workers, i, labels[i], dists[i], math.Float32bits(dists[i]),
							want[i], wantD[i], math.Float32bits(wantD[i]))
					}
				}
			}
			for i := data.N; i < len(labels); i++ {
				if labels[i] != -7 || dists[i] != -7 {
					t.Fatalf("kernel=%s workers=%d: wrote past row N at %d", name, workers, i)
				}
			}
			if bad > 0 {
				t.Fatalf("kernel=%s workers=%d: %d of %d rows differ", name, workers, bad, data.N)
			}
		}
	}
}

func TestKernels(t *testing.T) {
	t.Logf("kernels: %v (New uses %s)", kernelNames(), New(kmeans.Data{N: 1, D: 1, X: []uint8{0}}, Options{Workers: 1}).Kernel())
}

func TestAssignParityRandom(t *testing.T) {
	ns := []int{1, 7, 8, 9, 15, 16, 17, 100, 1003}
	dims := []int{1, 3, 7, 255, 256, 300}
	ks := []int{1, 2, 3, 4, 5, 7, 8, 9, 64, 256}
	rng := rand.New(rand.NewPCG(7, 11))
	for _, n := range ns {
		for _, dim := range dims {
			data := randData(rng, n, dim, 0)
			for _, k := range ks {
				if testing.Short() && n*dim*k > 1<<22 {
					continue
				}
				t.Run(fmt.Sprintf("N=%d/D=%d/k=%d", n, dim, k), func(t *testing.T) {
					checkParity(t, data, randCentroids(rng, k, dim), k)
					checkParity(t, data, rowCentroids(rng, data, k), k)
				})
			}
		}
	}
}

// TestAssignParityGroups covers every group split of the kernels (k up to
// 2*16+1 and beyond) on a block-and-a-half of tiles.
func TestAssignParityGroups(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, dim := range []int{1, 2, 5, 16} {
		data := randData(rng, 41, dim, 0)
		for k := 1; k <= 50; k++ {
			checkParity(t, data, randCentroids(rng, k, dim), k)
		}
		for _, k := range []int{100, 1024, 1025} {
			checkParity(t, data, randCentroids(rng, k, dim), k)
		}
	}
}

// TestAssignTies checks that ties go to the lowest index: duplicated
// centroids, tiles exactly halfway between two centroids, and data with few
// distinct values.
func TestAssignTies(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, dim := range []int{1, 3, 256} {
		for _, n := range []int{9, 33, 100} {
			data := randData(rng, n, dim, 0)
			// Duplicates: every centroid appears twice, the copies in
			// random places after the original.
			for _, k := range []int{2, 7, 20, 64} {
				base := randCentroids(rng, (k+1)/2, dim)
				c := make([]float32, 0, k*dim)
				for i := range k {
					j := i / 2
					if i%2 == 1 {
						j = rng.IntN(i/2 + 1)
					}
					c = append(c, base[j*dim:(j+1)*dim]...)
				}
				checkParity(t, data, c, k)
			}
			// Mirror pairs: centroids x+e and x-e for some rows x (e
			// exactly representable, x±e exact), so those rows are exactly
			// equidistant from the two; the pair is in either order and
			// sits at random indexes among random centroids.
			for _, k := range []int{2, 5, 17, 40} {
				c := randCentroids(rng, k, dim)
				for p := 0; p+1 < k; p += 2 {
					x := data.Row(rng.IntN(n))
					i, j := rng.IntN(k), rng.IntN(k)
					if i == j {
						continue
					}
					for f, v := range x {
						e := float32(rng.IntN(16)) * 0.25
						c[i*dim+f] = float32(v) + e
						c[j*dim+f] = float32(v) - e
					}
				}
				checkParity(t, data, c, k)
			}
			// Few levels: integer centroids from rows tie all the time.
			few := randData(rng, n, dim, 3)
			for _, k := range []int{3, 16, 50} {
				checkParity(t, few, rowCentroids(rng, few, k), k)
			}
		}
	}
	// Halfway in one feature: 1 and 0 between 0.5 and 1.5 or -0.5, 2
	// between 1.5 and 2.5.
	data := kmeans.Data{N: 3, D: 1, X: []uint8{1, 0, 2}}
	c := []float32{0.5, 3, -0.5, 1.5, 2.5}
	checkParity(t, data, c, 5)
	a := New(data, Options{Workers: 1})
	labels, dists := make([]int32, 3), make([]float32, 3)
	if err := a.Assign(c, 5, labels, dists); err != nil {
		t.Fatal(err)
	}
	if labels[0] != 0 || labels[1] != 0 || labels[2] != 3 {
		t.Errorf("tie labels = %v, want [0 0 3]", labels)
	}
}

// TestAssignSpecialValues: infinite and NaN centroid values and overflowing
// sums still give kmeans.Nearest's labels and bits (one NaN pattern, as the GPU
// comparison never sees NaN payloads anyway).
func TestAssignSpecialValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	for _, dim := range []int{1, 4, 256} {
		data := randData(rng, 37, dim, 0)
		for _, k := range []int{1, 3, 18} {
			for _, special := range []float32{nan, inf, -inf, 1e20, -1e20, float32(math.Copysign(0, -1))} {
				for _, where := range []int{0, k / 2, k - 1} {
					c := randCentroids(rng, k, dim)
					c[where*dim+rng.IntN(dim)] = special
					checkParity(t, data, c, k)
					for f := range dim { // a whole centroid of it
						c[where*dim+f] = special
					}
					checkParity(t, data, c, k)
				}
			}
			// Everything overflows to +Inf: label 0.
			c := randCentroids(rng, k, dim)
			for i := range c {
				c[i] = 1e30
			}
			checkParity(t, data, c, k)
		}
	}
}

func TestAssignEmptyAndErrors(t *testing.T) {
	a := New(kmeans.Data{N: 0, D: 4}, Options{Workers: 2})
	if err := a.Assign(make([]float32, 8), 2, nil, nil); err != nil {
		t.Errorf("N=0: %v", err)
	}
	// Malformed data must not make New fail (kmeans.Run reports it).
	for _, name := range kernelNames() {
		if _, err := newWithKernel(kmeans.Data{N: 2, D: 2, X: []uint8{1}}, Options{Workers: 1}, name); err != nil {
			t.Errorf("%s: short data: %v", name, err)
		}
	}
	data := randData(rand.New(rand.NewPCG(1, 1)), 20, 4, 0)
	for _, name := range kernelNames() {
		a, err := newWithKernel(data, Options{Workers: 2}, name)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Assign(make([]float32, 7), 2, make([]int32, 20), make([]float32, 20)); err == nil {
			t.Errorf("%s: short centroids accepted", name)
		}
		if err := a.Assign(make([]float32, 8), 2, make([]int32, 19), make([]float32, 20)); err == nil {
			t.Errorf("%s: short labels accepted", name)
		}
		if err := a.Assign(nil, 0, make([]int32, 20), make([]float32, 20)); err == nil {
			t.Errorf("%s: k=0 accepted", name)
		}
	}
	if _, err := newWithKernel(data, Options{Workers: 1}, "nope"); err == nil {
		t.Error("unknown kernel accepted")
	}
}

// TestAssignParityReal checks every kernel against kmeans.Nearest on the real
// sheets.
func TestAssignParityReal(t *testing.T) {
	data := sharedtest.Data(t)
	rng := rand.New(rand.NewPCG(2026, 5))
	for _, k := range []int{3, 4, 5, 6, 7, 64, 256} {
		t.Run(fmt.Sprintf("k=%d", k), func(t *testing.T) {
			if testing.Short() && k > 7 {
				t.Skip("short")
			}
			checkParity(t, data, rowCentroids(rng, data, k), k)
			checkParity(t, data, randCentroids(rng, k, data.D), k)
		})
	}
}

// byteCycle returns a function that yields b's bytes in turn, over and over
// (b must not be empty): fuzz tests draw shapes and values from it.
func byteCycle(b []byte) func() byte {
	at := 0
	return func() byte {
		v := b[at%len(b)]
		at++
		return v
	}
}

// FuzzAssign builds small data and centroids from the fuzz bytes.
func FuzzAssign(f *testing.F) {
	f.Add([]byte{0})
	f.Add([]byte{17, 3, 5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 200, 100, 50})
	f.Add([]byte("sixteen tiles of sixteen features, a few centroids"))
	seed := make([]byte, 600)
	for i := range seed {
		seed[i] = byte(i * 37)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return
		}
		next := byteCycle(b)
		n := 1 + int(next())%40
		dim := 1 + int(next())%24
		k := 1 + int(next())%40
		data := kmeans.Data{N: n, D: dim, X: make([]uint8, n*dim)}
		for i := range data.X {
			data.X[i] = next()
		}
		c := make([]float32, k*dim)
		for i := range c {
			// Integers, halves and arbitrary fractions in about [-64, 320],
			// with exact copies of data values (ties) common.
			v, frac := next(), next()
			switch frac % 4 {
			case 0:
				c[i] = float32(v)
			case 1:
				c[i] = float32(v) + 0.5
			default:
				c[i] = float32(int16(binary.LittleEndian.Uint16([]byte{v, frac}))) / 100
			}
		}
		checkParity(t, data, c, k)
	})
}

// TestKernelsGenerated checks that kernels_amd64.s is what genkernels.go
// writes, so an edit to one without the other cannot slip through.
func TestKernelsGenerated(t *testing.T) {
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out := filepath.Join(t.TempDir(), "kernels_amd64.s")
	cmd := exec.Command(goBin, "run", "genkernels.go", "-o", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run genkernels.go: %v\n%s", err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("kernels_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("kernels_amd64.s differs from genkernels.go's output: run go generate ./cpu")
	}
}

// TestRelayout checks the block layout against its definition for every
// kernel width, feature counts around multiples of 8, partial last blocks
// and a permutation.
func TestRelayout(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, l := range []int{8, 16} {
		for _, dim := range []int{1, 7, 8, 9, 16, 23, 256} {
			for _, n := range []int{1, 15, 16, 17, 40} {
				data := randData(rng, n, dim, 0)
				perm := make([]int32, n)
				for i, p := range rng.Perm(n) {
					perm[i] = int32(p)
				}
				for _, pm := range [][]int32{nil, perm} {
					out := make([]uint8, (n+l-1)/l*l*dim)
					relayout(out, data, pm, l, 0, n)
					for p := range (n + l - 1) / l * l {
						tile := min(p, n-1)
						if pm != nil {
							tile = int(pm[tile])
						}
						for j, v := range data.Row(tile) {
							if got := out[(p/l)*l*dim+j*l+p%l]; got != v {
								t.Fatalf("l=%d dim=%d n=%d perm=%v: position %d feature %d: %d, want %d", l, dim, n, pm != nil, p, j, got, v)
							}
						}
					}
				}
			}
		}
	}
}

// TestDeferLayout: with Options.DeferLayout, New makes no copy of the
// tiles; the first of several Assign calls made at once makes it, once,
// and every call labels as an Assigner that made it in New does, pruning
// or not.
func TestDeferLayout(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	data := randData(rng, 1003, 70, 0)
	for _, name := range kernelNames() {
		if name == goKernel {
			continue // no copy to make
		}
		for _, brute := range []bool{false, true} {
			ref, err := newWithKernel(data, Options{Workers: 2, BruteForce: brute}, name)
			if err != nil {
				t.Fatal(err)
			}
			a, err := newWithKernel(data, Options{Workers: 2, BruteForce: brute, DeferLayout: true}, name)
			if err != nil {
				t.Fatal(err)
			}
			if a.blocks != nil {
				t.Fatalf("%s: DeferLayout: New made the copy of the tiles", name)
			}
			const calls = 8
			var cents [calls][]float32
			for c := range cents {
				cents[c] = randCentroids(rng, 40, data.D) // k = 40: groups, so pruning runs
			}
			type out struct {
				labels []int32
				dists  []float32
				err    error
			}
			got := make([]out, calls)
			var wg sync.WaitGroup
			for c := range calls {
				wg.Go(func() {
					got[c] = out{make([]int32, data.N), make([]float32, data.N), nil}
					got[c].err = a.Assign(cents[c], 40, got[c].labels, got[c].dists)
				})
			}
			wg.Wait()
			if a.blocks == nil {
				t.Fatalf("%s: no copy of the tiles after Assign", name)
			}
			for c := range calls {
				labels, dists := make([]int32, data.N), make([]float32, data.N)
				if err := ref.Assign(cents[c], 40, labels, dists); err != nil || got[c].err != nil {
					t.Fatal(err, got[c].err)
				}
				if !slices.Equal(labels, got[c].labels) || !slices.Equal(dists, got[c].dists) {
					t.Fatalf("%s, brute force %v, call %d: labels or distances differ from an Assigner laid out in New", name, brute, c)
				}
			}
		}
	}
}
