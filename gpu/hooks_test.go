package gpu

import (
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/gpu/internal/shaders"
	"github.com/tilekmeans/tilekmeans/internal/gpuhooks"
)

// TestFaultySource: every fault of the test hooks (internal/gpuhooks)
// rewrites every program that assigns (each kernel's Assign and Step), and
// a source without the kernel or an unknown fault is an error.
func TestFaultySource(t *testing.T) {
	for _, k := range shaders.Kernels {
		for _, src := range []string{shaders.Assign(k), shaders.Step(k)} {
			for _, fault := range gpuhooks.Faults {
				out, err := gpuhooks.FaultySource(fault, src)
				if err != nil {
					t.Fatalf("%s, kernel %s: %v", fault, k.Name, err)
				}
				if out == src || !strings.Contains(out, "uint keyOf(") {
					t.Errorf("%s, kernel %s: source unchanged or the argmin gone", fault, k.Name)
				}
			}
		}
	}
	if _, err := gpuhooks.FaultySource("fma", shaders.Update); err == nil || !strings.Contains(err.Error(), "does not apply") {
		t.Errorf("fault on a source without the kernel: %v", err)
	}
	if _, err := gpuhooks.FaultySource("bogus", shaders.Assign(shaders.Kernels[0])); err == nil || !strings.Contains(err.Error(), "unknown fault") {
		t.Errorf("unknown fault: %v", err)
	}
}
