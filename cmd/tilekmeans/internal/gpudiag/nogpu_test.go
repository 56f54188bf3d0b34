//go:build !cgo || nogpu

package gpudiag

import (
	"errors"
	"testing"

	"github.com/tilekmeans/tilekmeans/gpu"
)

func TestProbeNotBuilt(t *testing.T) {
	res := Probe()
	if len(res) != 2 {
		t.Fatalf("Probe gave %d results, want glfw and egl", len(res))
	}
	for _, r := range res {
		if r.Available || !errors.Is(r.Err, gpu.ErrNotBuilt) {
			t.Fatalf("Probe %+v; want unavailable with ErrNotBuilt", r)
		}
	}
}
