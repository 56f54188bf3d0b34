//go:build cgo && !nogpu

package gpu

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/tilekmeans/tilekmeans/cpu"
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
		data := randomData(r, n, 256)
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
			}{{"gpu", a}, {"cpu", cpu.New(data, 0)}} {
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
