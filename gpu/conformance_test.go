//go:build cgo && !nogpu

package gpu

import (
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/kmeans/kmeanstest"
)

// TestConformance runs the backend conformance suite of package kmeans on
// every context under test: Assign, and the device Lloyd loop.
func TestConformance(t *testing.T) {
	forEachContext(t, func(t *testing.T, kind string) {
		d := openDevice(t, kind, nil)
		newAssigner := func(t *testing.T, data kmeans.Data) *Assigner {
			a, err := d.NewAssigner(data)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
			return a
		}
		newA := func(t *testing.T, data kmeans.Data) kmeans.Assigner { return newAssigner(t, data) }
		kmeanstest.TestAssigner(t, newA, sharedtest.Optional(t)...)
		kmeanstest.TestRun(t, newA, sharedtest.Optional(t)...)
	})
}
