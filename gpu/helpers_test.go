//go:build cgo && !nogpu

package gpu

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/gpuhooks"
	"github.com/tilekmeans/tilekmeans/internal/gputest"
	"github.com/tilekmeans/tilekmeans/internal/randdata"
	"github.com/tilekmeans/tilekmeans/kmeans"
)

// contextsUnderTest returns the context kinds the tests run on (see
// package gputest).
func contextsUnderTest(t testing.TB) []string { return gputest.Contexts(t) }

// unavailable fails (CI=true) or skips the test: a requested context or
// input is missing.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	gputest.Unavailable(t, format, args...)
}

// openDevice opens a Device of the given kind, with the test hooks and
// any other options set by the opts functions, closing it when the test
// ends. A context that cannot be made skips the test, or fails it when
// CI=true.
func openDevice(t testing.TB, kind string, hooks *gpuhooks.Hooks, opts ...func(*Options)) *Device {
	t.Helper()
	o := Options{Context: kind}
	for _, f := range opts {
		f(&o)
	}
	d, err := openWithHooks(o, hooks)
	if err != nil {
		if errors.Is(err, ErrUnavailable) || errors.Is(err, ErrVersion) {
			unavailable(t, "context %s requested but unavailable: %v", kind, err)
		}
		t.Fatalf("Open(%s): %v", kind, err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if got := d.Info().Context; got != kind {
		t.Fatalf("Info().Context = %q, want %q", got, kind)
	}
	return d
}

// forEachContext runs f as a subtest per context under test.
func forEachContext(t *testing.T, f func(t *testing.T, kind string)) {
	for _, kind := range contextsUnderTest(t) {
		t.Run(kind, func(t *testing.T) { f(t, kind) })
	}
}

// randomCentroids mixes the kinds of centroids k-means produces: data rows
// (integers, which make exact ties likely), means of a few rows (fractions
// that are not exact in float32), and arbitrary floats in [0, 255] (as
// kmeanstest.RandomCentroids makes them).
func randomCentroids(r *rand.Rand, data kmeans.Data, k int) []float32 {
	c := make([]float32, k*data.D)
	for j := range k {
		row := c[j*data.D : (j+1)*data.D]
		switch j % 3 {
		case 0:
			for f, v := range data.Row(r.IntN(data.N)) {
				row[f] = float32(v)
			}
		case 1:
			m := 1 + r.IntN(7)
			for range m {
				for f, v := range data.Row(r.IntN(data.N)) {
					row[f] += float32(v)
				}
			}
			for f := range row {
				row[f] /= float32(m)
			}
		default:
			for f := range row {
				row[f] = 255 * r.Float32()
			}
		}
	}
	return c
}

// rowCentroids takes k random rows of data (with repetition) as centroids.
func rowCentroids(r *rand.Rand, data kmeans.Data, k int) []float32 {
	rows := make([]int, k)
	for i := range rows {
		rows[i] = r.IntN(data.N)
	}
	return randdata.FromRows(data, rows)
}

// checkParity runs the GPU assigner and kmeans.Nearest on every row and
// requires identical labels and bitwise-identical distances.
func checkParity(t *testing.T, a *Assigner, data kmeans.Data, cent []float32, k int) {
	t.Helper()
	labels := make([]int32, data.N)
	dists := make([]float32, data.N)
	for i := range labels {
		labels[i], dists[i] = -7, float32(math.NaN()) // catch unwritten rows
	}
	if err := a.Assign(cent, k, labels, dists); err != nil {
		t.Fatalf("Assign(n=%d, D=%d, k=%d): %v", data.N, data.D, k, err)
	}
	bad := 0
	for i := range data.N {
		wl, wd := kmeans.Nearest(data.Row(i), cent, k)
		if labels[i] != wl || math.Float32bits(dists[i]) != math.Float32bits(wd) {
			if bad < 5 {
				t.Errorf("n=%d D=%d k=%d row %d: gpu (%d, %v [%08x]), cpu (%d, %v [%08x])",
					data.N, data.D, k, i, labels[i], dists[i], math.Float32bits(dists[i]), wl, wd, math.Float32bits(wd))
			}
			bad++
		}
	}
	if bad > 0 {
		t.Fatalf("n=%d D=%d k=%d: %d of %d rows differ from kmeans.Nearest", data.N, data.D, k, bad, data.N)
	}
}

// reference labels every row with kmeans.Nearest, the definition of the
// arithmetic contract (not cpu.New, whose SIMD kernels are themselves under
// test elsewhere), spread over all cores.
func reference(data kmeans.Data, cent []float32, k int) ([]int32, []float32) {
	labels := make([]int32, data.N)
	dists := make([]float32, data.N)
	workers := runtime.GOMAXPROCS(0)
	chunk := (data.N + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < data.N; lo += chunk {
		hi := min(lo+chunk, data.N)
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				labels[i], dists[i] = kmeans.Nearest(data.Row(i), cent, k)
			}
		})
	}
	wg.Wait()
	return labels, dists
}

// liveBuffers reads the device's count of buffer objects on its thread.
func liveBuffers(t testing.TB, d *Device) int {
	t.Helper()
	var n int
	if err := d.do(func() error { n = d.buffers; return nil }); err != nil {
		t.Fatalf("liveBuffers: %v", err)
	}
	return n
}

// planFor is the pass an Assigner runs for k centroids (device thread).
func (a *Assigner) planFor(k int) pass {
	_, p := a.plan(k)
	return p
}

// loop is a session of a's device Lloyd loop, for the tests that call its
// methods (each call a new session, as each kmeans.Run gets).
func (a *Assigner) loop() *deviceLoop { return &deviceLoop{a: a} }
