package gpuhooks

import (
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/shaders"
)

// TestFaultySource: every fault rewrites every program that assigns (each
// kernel's Assign and Step), and a source without the kernel or an unknown
// fault is an error.
func TestFaultySource(t *testing.T) {
	for _, k := range shaders.Kernels {
		for _, src := range []string{shaders.Assign(k), shaders.Step(k)} {
			for _, fault := range Faults {
				out, err := FaultySource(fault, src)
				if err != nil {
					t.Fatalf("%s, kernel %s: %v", fault, k.Name, err)
				}
				if out == src || !strings.Contains(out, "uint keyOf(") {
					t.Errorf("%s, kernel %s: source unchanged or the argmin gone", fault, k.Name)
				}
			}
		}
	}
	if _, err := FaultySource("fma", shaders.Update); err == nil || !strings.Contains(err.Error(), "does not apply") {
		t.Errorf("fault on a source without the kernel: %v", err)
	}
	if _, err := FaultySource("bogus", shaders.Assign(shaders.Kernels[0])); err == nil || !strings.Contains(err.Error(), "unknown fault") {
		t.Errorf("unknown fault: %v", err)
	}
}
