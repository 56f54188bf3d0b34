//go:build cgo && !nogpu

package gpu

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/tilekmeans/tilekmeans/cpu"
	"github.com/tilekmeans/tilekmeans/internal/randdata"
	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/kmeans"
)

// BenchmarkAssign times one assignment step (upload centroids, dispatch,
// read back labels and distances) on the first context under test; ns/op
// is per iteration of Lloyd's algorithm. The cpu sub-benchmarks are the
// reference backend on the same data, for comparison.
func BenchmarkAssign(b *testing.B) {
	kind := contextsUnderTest(b)[0]
	d := openDevice(b, kind, nil)
	b.Logf("%s: %s", kind, d.Info().Renderer)
	r := rand.New(rand.NewPCG(10, 10))
	for _, n := range []int{5610, 56100} {
		data := randdata.Rows(r, n, 256, 256)
		a, err := d.NewAssigner(data)
		if err != nil {
			b.Fatal(err)
		}
		for _, k := range []int{5, 64} {
			cent := randomCentroids(r, data, k)
			labels := make([]int32, n)
			dists := make([]float32, n)
			for _, be := range []struct {
				name string
				a    kmeans.Assigner
			}{{"gpu", a}, {"cpu", cpu.New(data, cpu.Options{})}} {
				b.Run(fmt.Sprintf("%s/n=%d/k=%d", be.name, n, k), func(b *testing.B) {
					for b.Loop() {
						if err := be.a.Assign(cent, k, labels, dists); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
				})
			}
		}
		if err := a.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLloyd times whole Lloyd iterations through kmeans.Run on the
// real tiles (n=5610, and 10 noisy copies for 56100), a fixed number of
// iterations from fixed rows; ns/iter is per iteration, the final
// assignment and the host's inertia included (spread over the iterations).
// device is the GPU Stepper (the device loop), gpu-host the host loop over
// GPU Assign (labels and distances read back every iteration), cpu-host
// the host loop over the CPU backend.
func BenchmarkLloyd(b *testing.B) {
	kind := contextsUnderTest(b)[0]
	d := openDevice(b, kind, nil)
	b.Logf("%s: %s", kind, d.Info().Renderer)
	usps := sharedtest.Data(b)
	const iters = 20
	for _, copies := range []int{1, 10} {
		data := usps
		if copies > 1 {
			data = replicate(usps, copies, 30)
		}
		n := data.N
		a, err := d.NewAssigner(data)
		if err != nil {
			b.Fatal(err)
		}
		for _, k := range []int{5, 64} {
			rows := rand.New(rand.NewPCG(31, uint64(k))).Perm(n)[:k]
			cfg := kmeans.Config{K: k, MaxIter: iters, FixedIters: true, NInit: 1, InitRows: rows}
			for _, be := range []struct {
				name string
				a    kmeans.Assigner
				host bool
			}{{"device", a, false}, {"gpu-host", a, true}, {"cpu-host", cpu.New(data, cpu.Options{}), true}} {
				b.Run(fmt.Sprintf("%s/n=%d/k=%d", be.name, n, k), func(b *testing.B) {
					c := cfg
					c.HostLoop = be.host
					for b.Loop() {
						if _, err := kmeans.Run(context.Background(), data, be.a, c); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*iters), "ns/iter")
				})
			}
		}
		if err := a.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSumDistances times the silhouette's sums of distances over every
// pair (Assigner.SumDistances) on the real tiles (n=5610; with -test.short
// only those) and 10 noisy copies (56100), for the labels of a k = 64
// k-means run, on the GPU and, for comparison, the CPU backend on all
// cores; ns/pair is per pair of rows (n(n-1)/2 of them).
func BenchmarkSumDistances(b *testing.B) {
	kind := contextsUnderTest(b)[0]
	d := openDevice(b, kind, nil)
	b.Logf("%s: %s", kind, d.Info().Renderer)
	usps := sharedtest.Data(b)
	copies := []int{1, 10}
	if testing.Short() {
		copies = copies[:1]
	}
	for _, copies := range copies {
		data := usps
		if copies > 1 {
			data = replicate(usps, copies, 30)
		}
		n, k := data.N, 64
		a, err := d.NewAssigner(data)
		if err != nil {
			b.Fatal(err)
		}
		onCPU := cpu.New(data, cpu.Options{})
		res, err := kmeans.Run(context.Background(), data, onCPU, kmeans.Config{K: k, MaxIter: 20})
		if err != nil {
			b.Fatal(err)
		}
		sums := [][]float64{make([]float64, n*k)}
		for _, be := range []struct {
			name string
			s    kmeans.DistanceSummer
		}{{"gpu", a}, {"cpu", onCPU}} {
			b.Run(fmt.Sprintf("%s/n=%d/k=%d", be.name, n, k), func(b *testing.B) {
				for b.Loop() {
					if err := be.s.SumDistances(context.Background(), nil, [][]int32{res.Labels}, []int{k}, sums); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N)/(float64(n)*float64(n-1)/2), "ns/pair")
			})
		}
		if err := a.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
