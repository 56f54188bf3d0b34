//go:build cgo && !nogpu

package gpudiag

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/gpu"
	"github.com/tilekmeans/tilekmeans/internal/glenv"
	"github.com/tilekmeans/tilekmeans/internal/gputest"
)

// TestProbe: GLFW first, then EGL on each device; the reason a context is
// unavailable is what the context kind said (not gpu.Open's prefix), and
// auto is marked where gpu.Open with the zero Options goes.
func TestProbe(t *testing.T) {
	kinds := gputest.Contexts(t)
	wants := func(k string) bool { return strings.Contains(strings.Join(kinds, ","), k) }

	t.Run("no-display", func(t *testing.T) {
		t.Setenv("DISPLAY", "")
		t.Setenv("WAYLAND_DISPLAY", "")
		if got := glenv.AutoChoice(); got != glenv.ContextEGL {
			t.Fatalf("AutoChoice without a display = %q, want egl", got)
		}
		res := Probe()
		for _, r := range res {
			t.Logf("%v", r)
		}
		g, e := res[0], res[1]
		if g.Context != glenv.ContextGLFW || e.Context != glenv.ContextEGL {
			t.Fatalf("Probe order: %q, %q", g.Context, e.Context)
		}
		reason := "DISPLAY and WAYLAND_DISPLAY unset"
		if !glenv.BuiltWithGLFW {
			reason = "noglfw build tag"
		}
		if g.Available || !errors.Is(g.Err, gpu.ErrUnavailable) || !strings.Contains(g.Err.Error(), reason) || !strings.HasPrefix(g.Err.Error(), "glfw: ") || g.Auto {
			t.Fatalf("glfw without a display: %+v", g)
		}
		if wants(glenv.ContextEGL) {
			if !e.Available || !e.Auto || e.Info.Context != glenv.ContextEGL {
				gputest.Unavailable(t, "egl probe: %v", e)
			}
			devs, err := gpu.Devices()
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != 1+max(1, len(devs)) {
				t.Fatalf("Probe gave %d results for %d EGL devices", len(res), len(devs))
			}
			for i, r := range res[1:] {
				if len(devs) > 0 && (r.Device == nil || r.Device.Index != i || r.Available && (r.Info.Device == nil || r.Info.Device.Index != i)) {
					t.Errorf("result %d is not EGL device %d: %v", i+1, i, r)
				}
				if r.Available && !r.Info.Canary.Passed {
					t.Errorf("%v: canary failed on a context the tests pass on", r)
				}
			}
		}
	})
	if wants(glenv.ContextGLFW) {
		t.Run("display", func(t *testing.T) {
			if os.Getenv("DISPLAY") == "" {
				gputest.Unavailable(t, "glfw requested but DISPLAY unset")
			}
			if got := glenv.AutoChoice(); got != glenv.ContextGLFW {
				t.Fatalf("AutoChoice with DISPLAY=%s = %q, want glfw", os.Getenv("DISPLAY"), got)
			}
			res := Probe()
			for _, r := range res {
				t.Logf("%v", r)
			}
			if !res[0].Available || !res[0].Auto || res[1].Auto {
				t.Fatalf("with a display, auto must pick an available glfw: %v; %v", res[0], res[1])
			}
		})
	}
}
