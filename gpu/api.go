package gpu

import (
	"context"
	"fmt"
	"strings"

	"github.com/tilekmeans/tilekmeans/internal/glenv"
	"github.com/tilekmeans/tilekmeans/internal/pairargs"
	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/kmeans/driver"
)

// This file is the package's whole public API bar the errors (errors.go),
// EGLDevice (egldevice.go) and Canary (canary.go), declared once for every
// build: the OpenGL build implements the unexported methods it calls
// (device.go, assigner.go, stepper.go, egl.go), the build without GPU
// support (nogpu.go) fails them with ErrNotBuilt.

// Options configures Open. The zero value is valid: an auto context on
// any device, with the parity canary enforced.
type Options struct {
	// Context is "auto" (or ""), "glfw" or "egl". Auto uses a GLFW
	// invisible window when a display is present (DISPLAY or
	// WAYLAND_DISPLAY set) and EGL otherwise; if GLFW fails it falls back
	// to EGL, and the error then names both failures.
	Context string

	// Device pins the EGL device: "" (the zero value) takes the first
	// that works, "N" the device at index N of Devices, "cuda:N" the one
	// whose CUDA device number is N (EGL_CUDA_DEVICE_NV, NVIDIA's driver
	// only: the number CUDA uses when CUDA_VISIBLE_DEVICES is unset;
	// nvidia-smi numbers in PCI bus order, so match the two by
	// EGLDevice.PCIBusID). A pinned device needs an EGL context: with
	// Context "auto" Open uses EGL, with "glfw" it fails. An index or CUDA
	// number EGL does not list is an error wrapping ErrNoDevice.
	Device string

	// AllowMismatch opens the device even when its parity canary fails
	// (Info.Canary then says what differed), giving up the guarantee that
	// results equal package cpu's bit for bit. Without it, such a device is
	// an error wrapping ErrParity.
	AllowMismatch bool
}

// Open makes an OpenGL context of the kind opts.Context asks for (on the
// EGL device opts.Device picks), checks that it offers OpenGL 4.3 compute
// shaders, builds the shaders and runs the parity canary through them
// (see Canary; milliseconds once the shaders are compiled; BENCHMARKS.md
// has what Open takes with the compiles). A failed canary is an error
// wrapping ErrParity unless opts.AllowMismatch. Close releases the Device.
//
// Its errors wrap ErrUnavailable (no context of that kind here),
// ErrNoDevice, ErrVersion, ErrShader, ErrParity, ErrOutOfMemory,
// ErrContextLost or ErrNotBuilt; an Options.Context or Options.Device
// Open cannot read is a plain error.
func Open(opts Options) (*Device, error) { return openWithHooks(opts, nil) }

// Devices lists the EGL devices of this machine, in the order
// Options.Device's index counts them, with what their drivers tell about
// each (no context is made). An EGL that cannot enumerate devices is an
// error wrapping ErrUnavailable that says what the EGL setup looks like
// (glvnd's vendor files, NVIDIA's EGL library, the container's driver
// capabilities); a build without GPU support gives ErrNotBuilt.
func Devices() ([]EGLDevice, error) { return listDevices() }

// Device is an OpenGL context with the shaders built, owned by one OS
// thread. Its methods may be called from any goroutine: they hand the work
// to that thread and wait, so calls on one Device run one at a time.
// Several Devices may be open at once.
type Device struct{ device }

// NewAssigner uploads data's tiles to the GPU (once: every Assign and
// every k of a sweep reuses them), split into as many buffers and
// dispatches as the driver's limits require.
func (d *Device) NewAssigner(data kmeans.Data) (*Assigner, error) {
	if data.N < 1 || data.D < 1 || len(data.X) < data.N*data.D {
		return nil, fmt.Errorf("gpu: new assigner: %d bytes for %d rows of %d features", len(data.X), data.N, data.D)
	}
	a, err := d.newAssigner(data)
	if err != nil {
		return nil, fmt.Errorf("gpu: new assigner: %w", err)
	}
	return a, nil
}

// Info describes the context. It does not change after Open.
func (d *Device) Info() Info {
	if d == nil {
		return Info{}
	}
	return d.info
}

// Close releases every Assigner's buffers, the shaders, the context (and
// GLFW window) and the thread. It is safe to call more than once; later
// calls return the first call's result.
func (d *Device) Close() error {
	if d == nil {
		return nil
	}
	return d.close()
}

// Assigner is the GPU kmeans.Assigner for one data set: the tiles stay on
// the GPU, and the centroid, label and distance buffers persist across
// calls. It is also a device for the Lloyd loop (Stepper), which then runs
// whole iterations on the GPU.
type Assigner struct{ assigner }

var _ kmeans.Assigner = (*Assigner)(nil)

// Name implements kmeans.Assigner: "gpu".
func (a *Assigner) Name() string { return "gpu" }

// Assign implements kmeans.Assigner: for each of the n rows, the index of
// the nearest of the k centroids (k*D float32, row-major) into labels and
// its squared Euclidean distance into dists, under the arithmetic contract
// of package kmeans: bit for bit what kmeans.Nearest and package cpu
// compute.
func (a *Assigner) Assign(centroids []float32, k int, labels []int32, dists []float32) error {
	if k < 1 || len(centroids) < k*a.dim {
		return fmt.Errorf("gpu: assign: %d centroid values for k=%d and %d features", len(centroids), k, a.dim)
	}
	if len(labels) < a.n || len(dists) < a.n {
		return fmt.Errorf("gpu: assign: output slices shorter than %d rows", a.n)
	}
	if err := a.assignAll(centroids[:k*a.dim], k, labels[:a.n], dists[:a.n]); err != nil {
		return fmt.Errorf("gpu: assign: %w", err)
	}
	return nil
}

// MadeFor returns the shape of the data the Assigner uploaded (X is nil:
// it keeps no reference to the host's rows), so that kmeans.Run refuses
// other data (see kmeans.Assigner).
func (a *Assigner) MadeFor() kmeans.Data { return kmeans.Data{N: a.n, D: a.dim} }

// SumDistances implements kmeans.DistanceSummer on the GPU, on the tiles
// already uploaded (see the package documentation for how it runs and how
// its sums compare with package cpu's). It needs the tiles in one storage
// block and the sums of the largest k within one too; otherwise, and in a
// build without GPU support, it returns an error wrapping
// errors.ErrUnsupported (kmeans.Score then needs another backend).
func (a *Assigner) SumDistances(ctx context.Context, rows []int32, labels [][]int32, ks []int, sums [][]float64) error {
	n, err := pairargs.Check(a.n, a.dim, rows, labels, ks, sums)
	if err != nil {
		return fmt.Errorf("gpu: sum distances: %w", err)
	}
	if n == 0 || len(ks) == 0 {
		return nil
	}
	if err := a.sumDistances(ctx, n, rows, labels, ks, sums); err != nil {
		return fmt.Errorf("gpu: sum distances: %w", err)
	}
	return nil
}

var _ kmeans.DistanceSummer = (*Assigner)(nil)

// Stepper returns a session of a's device Lloyd loop, for kmeans.Run (see
// package kmeans/driver); a user has no need to call it. The loop runs one
// session's run at a time: a kmeans.Run that starts while another holds it
// runs from the host over Assign instead, with the same result. The loop
// takes at most 16,843,009 rows (its cluster sums are exact uint32); on
// more, or on a driver with fewer than 8 storage blocks per compute shader,
// it says so and kmeans.Run runs the host loop over Assign instead, again
// with the same result.
func (a *Assigner) Stepper() driver.Stepper { return a.stepper() }

// Close releases the Assigner's buffers. It is safe to call more than once,
// and after the Device is closed (which already released them).
func (a *Assigner) Close() error { return a.close() }

// Info describes an open context: what it is, the limits that shape how
// work is split, and its parity canary. JSON keys are snake_case.
type Info struct {
	Context     string `json:"context"`      // "glfw" or "egl"
	Platform    string `json:"platform"`     // how the context was made, e.g. "EGL 1.5 (Mesa Project) device #0 (EGL_MESA_device_software)"
	Renderer    string `json:"renderer"`     // GL_RENDERER
	Vendor      string `json:"vendor"`       // GL_VENDOR
	Version     string `json:"gl_version"`   // GL_VERSION
	GLSLVersion string `json:"glsl_version"` // GL_SHADING_LANGUAGE_VERSION
	Major       int    `json:"gl_major"`     // parsed GL version
	Minor       int    `json:"gl_minor"`
	// Device is the EGL device the context is on; nil for GLFW and for
	// Mesa's surfaceless platform.
	Device *EGLDevice `json:"egl_device,omitempty"`
	// Robust is true when the context was made with reset notification
	// (lose context on reset), so a GPU reset is reported rather than
	// silently ignored.
	Robust bool `json:"robust"`
	// Software is true when Renderer names a software rasterizer (Mesa's
	// llvmpipe, softpipe or swrast): the shaders then run on the CPU,
	// slower than package cpu. Such a device is right but pointless for
	// speed; fall back to package cpu when it is set. (Not in the JSON,
	// which the command's outputs fix.)
	Software bool `json:"-"`

	MaxWorkGroupCount   [3]int `json:"max_work_group_count"`  // GL_MAX_COMPUTE_WORK_GROUP_COUNT
	MaxWorkGroupSize    [3]int `json:"max_work_group_size"`   // GL_MAX_COMPUTE_WORK_GROUP_SIZE
	MaxInvocations      int    `json:"max_invocations"`       // GL_MAX_COMPUTE_WORK_GROUP_INVOCATIONS
	MaxSSBOBlockSize    int64  `json:"max_ssbo_block_bytes"`  // GL_MAX_SHADER_STORAGE_BLOCK_SIZE, bytes
	MaxSSBOBindings     int    `json:"max_ssbo_bindings"`     // GL_MAX_SHADER_STORAGE_BUFFER_BINDINGS
	MaxComputeSSBOs     int    `json:"max_compute_ssbos"`     // GL_MAX_COMPUTE_SHADER_STORAGE_BLOCKS
	SSBOOffsetAlignment int    `json:"ssbo_offset_alignment"` // GL_SHADER_STORAGE_BUFFER_OFFSET_ALIGNMENT, bytes
	WorkGroupSize       int    `json:"work_group_size"`       // local_size_x of the assignment shader

	// Canary is the parity canary Open ran through every shader that assigns.
	Canary Canary `json:"canary"`
}

// contextOrder resolves Options.Context and Options.Device into the
// kinds to try, in order, and the device choice. A pinned EGL device rules
// GLFW out.
func contextOrder(opts Options) ([]string, glenv.Choice, error) {
	dev, err := glenv.ParseChoice(opts.Device)
	if err != nil {
		return nil, dev, fmt.Errorf("gpu: %w", err)
	}
	switch kind := opts.Context; kind {
	case "", glenv.ContextAuto:
		if glenv.AutoChoice() == glenv.ContextGLFW && dev.IsZero() {
			return []string{glenv.ContextGLFW, glenv.ContextEGL}, dev, nil
		}
		return []string{glenv.ContextEGL}, dev, nil
	case glenv.ContextGLFW:
		if !dev.IsZero() {
			return nil, dev, fmt.Errorf("gpu: EGL device %s chosen, but the context kind is glfw (GLFW uses the display's GPU; choose auto or egl)", dev)
		}
		return []string{kind}, dev, nil
	case glenv.ContextEGL:
		return []string{kind}, dev, nil
	default:
		return nil, dev, fmt.Errorf("gpu: unknown context kind %q (want auto, glfw or egl)", kind)
	}
}

// softwareRenderer reports whether a GL_RENDERER string names a software
// rasterizer (Info.Software).
func softwareRenderer(renderer string) bool {
	r := strings.ToLower(renderer)
	for _, s := range []string{"llvmpipe", "softpipe", "swrast", "software"} {
		if strings.Contains(r, s) {
			return true
		}
	}
	return false
}
