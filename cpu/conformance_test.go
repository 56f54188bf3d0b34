package cpu_test

import (
	"fmt"
	"testing"

	"github.com/tilekmeans/tilekmeans/cpu"
	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/kmeans/kmeanstest"
)

// TestConformance runs the backend conformance suite on every kernel this
// CPU has, on one worker and on two (the latter with the layout deferred
// to the first Assign).
func TestConformance(t *testing.T) {
	for _, name := range cpu.KernelNames() {
		for _, workers := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/workers=%d", name, workers), func(t *testing.T) {
				newAssigner := func(t *testing.T, data kmeans.Data) kmeans.Assigner {
					a, err := cpu.NewWithKernel(data, cpu.Options{Workers: workers, DeferLayout: workers == 2}, name)
					if err != nil {
						t.Fatal(err)
					}
					return a
				}
				kmeanstest.TestAssigner(t, newAssigner, sharedtest.Optional(t)...)
				// The CPU has no device loop: Run drives it from the host.
				kmeanstest.TestRun(t, newAssigner, sharedtest.Optional(t)...)
			})
		}
	}
}
