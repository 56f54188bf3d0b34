// Package gpudiag is what `tilekmeans devices` finds out about the OpenGL
// contexts of this machine: it tries each one the way gpu.Open does and
// says which work, why the others do not, how each one's parity canary
// went, and which one -backend auto takes.
package gpudiag

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/tilekmeans/tilekmeans/gpu"
	"github.com/tilekmeans/tilekmeans/internal/glenv"
)

// Result is what Probe found for one context: a context kind, and for EGL
// one device.
type Result struct {
	Context string // "glfw" or "egl"
	// Device is the EGL device probed (nil for GLFW, and for EGL when the
	// device platform lists none and Mesa's surfaceless platform was
	// probed instead).
	Device    *gpu.EGLDevice
	Available bool     // a 4.3 context could be made
	Info      gpu.Info // valid when Available; Info.Canary holds the canary's result
	Err       error    // why not, when !Available
	Auto      bool     // gpu.Open with the zero Options would use this one
}

// Probe tries each context the way gpu.Open would (context, version
// check, shaders, parity canary) and reports what it found: GLFW, then EGL
// on each EGL device (gpu.Devices' order), or Mesa's surfaceless platform
// when EGL lists no device. It marks the one gpu.Open with the zero
// Options would use (whose canary must also pass for Open to succeed). A
// failed canary does not make a context unavailable: Info.Canary records
// it. Each probe makes and closes its own context, so it costs a few tens
// of milliseconds each.
func Probe() []Result {
	if !glenv.BuiltWithGPU {
		return []Result{
			{Context: glenv.ContextGLFW, Err: gpu.ErrNotBuilt},
			{Context: glenv.ContextEGL, Err: gpu.ErrNotBuilt},
		}
	}
	res := []Result{probe(glenv.ContextGLFW, nil)}
	devs, err := gpu.Devices()
	switch {
	case err != nil:
		res = append(res, Result{Context: glenv.ContextEGL, Err: err})
	case len(devs) == 0:
		res = append(res, probe(glenv.ContextEGL, nil))
	}
	for i := range devs {
		res = append(res, probe(glenv.ContextEGL, &devs[i]))
	}
	// gpu.Open with the zero Options tries the auto choice, then EGL.
	for _, kind := range []string{glenv.AutoChoice(), glenv.ContextEGL} {
		for i := range res {
			if res[i].Context == kind && res[i].Available {
				res[i].Auto = true
				return res
			}
		}
	}
	return res
}

// probe opens and closes one context of kind, on dev when not nil.
func probe(kind string, dev *gpu.EGLDevice) Result {
	r := Result{Context: kind, Device: dev}
	opts := gpu.Options{Context: kind, AllowMismatch: true}
	if dev != nil {
		opts.Device = strconv.Itoa(dev.Index)
	}
	d, err := gpu.Open(opts)
	if err != nil {
		// Open says "gpu: open: " before what the context kind said; a
		// list of contexts gives the latter.
		if inner := errors.Unwrap(err); inner != nil {
			err = inner
		}
		r.Err = err
		return r
	}
	r.Info = d.Info()
	r.Available = true
	if err := d.Close(); err != nil {
		r.Available = false
		r.Err = fmt.Errorf("made, but closing failed: %w", err)
	}
	return r
}

// MarshalJSON writes snake_case keys, the error as its text, and Info only
// when Available.
func (r Result) MarshalJSON() ([]byte, error) {
	out := struct {
		Context   string         `json:"context"`
		Device    *gpu.EGLDevice `json:"egl_device,omitempty"`
		Available bool           `json:"available"`
		Auto      bool           `json:"auto"`
		Error     string         `json:"error,omitempty"`
		Info      *gpu.Info      `json:"info,omitempty"`
	}{Context: r.Context, Device: r.Device, Available: r.Available, Auto: r.Auto}
	if r.Err != nil {
		out.Error = r.Err.Error()
	}
	if r.Available {
		out.Info = &r.Info
	}
	return json.Marshal(out)
}

// Name names the probed context as messages do: "glfw", "egl" or "egl
// device N".
func (r Result) Name() string { return ContextName(r.Context, r.Device) }

// String is the result on one line: the context's name, then what it runs
// on and its canary, or why it is unavailable.
func (r Result) String() string {
	mark := ""
	if r.Auto {
		mark = " (auto)"
	}
	name := r.Name()
	if !r.Available {
		return fmt.Sprintf("%s%s: unavailable: %v", name, mark, r.Err)
	}
	return fmt.Sprintf("%s%s: %s, %s, OpenGL %s, GLSL %s, canary %s", name, mark, r.Info.Renderer, r.Info.Vendor, r.Info.Version, r.Info.GLSLVersion, r.Info.Canary)
}

// ContextName names a context of kind (gpu.Info.Context) on the EGL device
// dev (gpu.Info.Device, nil for none) as messages do: "glfw", "egl" or
// "egl device N".
func ContextName(kind string, dev *gpu.EGLDevice) string {
	if dev != nil {
		return fmt.Sprintf("%s device %d", kind, dev.Index)
	}
	return kind
}
