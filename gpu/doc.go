// Package gpu is the GPU backend of package kmeans: OpenGL 4.3 compute
// shaders that label every tile with its nearest centroid, and run whole
// Lloyd iterations, with results equal bit for bit to package cpu's and
// to kmeans.Nearest (the arithmetic contract of package kmeans), and that
// compute the silhouette's sums of distances (kmeans.DistanceSummer).
//
// # Use
//
// Open a Device (an OpenGL context), make an Assigner for the data (the
// tiles go to the GPU once and serve every k of a sweep), and hand it to
// kmeans.Run, which then runs the Lloyd loop on the GPU (Assigner.Stepper).
// When no GPU can be opened, fall back to package cpu: the result is the
// same (Example_fallback):
//
//	var a kmeans.Assigner = cpu.New(data, cpu.Options{})
//	if dev, err := gpu.Open(gpu.Options{}); err == nil { // auto context, first device
//		defer dev.Close()
//		if ga, err := dev.NewAssigner(data); err == nil && !dev.Info().Software {
//			defer ga.Close()
//			a = ga
//		}
//	}
//	res, err := kmeans.Run(ctx, data, a, kmeans.Config{K: 5})
//
// The zero Options is valid. Info says what was opened: the renderer
// (Info.Software when it is a software rasterizer such as Mesa's llvmpipe,
// right but slower than package cpu), the GL version, the compute limits
// and the parity canary's result. A Device
// and its Assigners may be used from any goroutine (calls on one Device
// run one at a time, on the OS thread that owns its context; an Assigner's
// device loop serves one kmeans.Run at a time, and a Run that starts
// meanwhile runs from the host over Assign, with the same result); several
// Devices may be open at once. Close an Assigner when its data is done
// with, and the Device at the end (which also releases Assigners not
// closed).
//
// # Parity canary
//
// Bit-for-bit parity rests on the driver doing what the shaders say: no
// fused multiply-add and no reassociation (the shaders ask for precise),
// denormal squares kept, ties to the lowest index. A driver may take any
// of those liberties unless told not to, so Open proves, on every context
// it makes, that this one does not: a few rows and centroid sets (Canary),
// built so that each liberty changes a label or a distance's bits, go
// through every shader that assigns and are compared bit for bit with
// kmeans.Nearest. It takes milliseconds once the shaders are compiled
// (BENCHMARKS.md has what Open takes with the compiles). A difference
// makes Open fail with a *ParityError that says which probe differed and
// how, unless Options.AllowMismatch, which opens the device anyway with
// the result in Info.Canary and without the guarantee. A Device that
// opened without AllowMismatch gives the CPU's labels, distances,
// centroids and inertia, bit for bit, for every input.
//
// # Errors
//
// Failures are returned, never logged or panicked, and say "gpu:" once.
// Test them with errors.Is:
//
//   - ErrNotBuilt: this binary has no GPU support (see Builds); use package
//     cpu.
//   - ErrUnavailable: no OpenGL context of that kind can be made here (no
//     display for GLFW, no EGL driver, ...). On a GPU server the message
//     says what glvnd's EGL loader found (`tilekmeans devices` shows it
//     all).
//   - ErrNoDevice: Options.Device names an EGL device Devices does not
//     list; the message lists those it does.
//   - ErrVersion: the driver offers less than OpenGL 4.3 with compute
//     shaders (the message names what it offers).
//   - ErrShader: a shader failed to compile or link; errors.As gives the
//     *ShaderError with the driver's info log.
//   - ErrParity: the parity canary failed; errors.As gives the
//     *ParityError with the Canary.
//   - ErrOutOfMemory: the driver refused a buffer (GL_OUT_OF_MEMORY).
//   - ErrContextLost: the context was lost (GPU reset, driver crash)
//     during the call; the Device refuses further work, and is only good
//     for Close.
//   - ErrClosed: the Device or Assigner was closed.
//
// A bad argument (a short slice, an unknown context kind or device) is a
// plain error. Every failure of Open and NewAssigner is a reason to fall
// back to package cpu; a failure in the middle of kmeans.Run may be too:
// k-means is deterministic, so redoing the run on the CPU gives what the
// GPU would have.
//
// # Contexts and devices
//
// Options.Context picks the kind of OpenGL context:
//
//   - "glfw": an invisible 1x1 GLFW window, as on a desktop; needs a
//     display (DISPLAY or WAYLAND_DISPLAY).
//   - "egl": headless EGL, no window system: each EGL device in turn (what
//     NVIDIA's driver offers on a headless server), then Mesa's
//     surfaceless platform.
//   - "auto" (or ""): GLFW when a display is present, else EGL; when GLFW
//     fails, EGL.
//
// On a machine with several GPUs, EGL takes the first device that works,
// whatever CUDA_VISIBLE_DEVICES says. Devices lists the EGL devices with
// their DRM nodes, PCI bus IDs and, on NVIDIA, CUDA device numbers;
// Options.Device pins one by index ("2") or by CUDA device number
// ("cuda:1"), and Info.Device says which one a context is on. When EGL
// finds no driver, or only Mesa's, the usual cause on a GPU server is
// NVIDIA's EGL library or its glvnd vendor file missing, or a container
// started without the graphics capability; the errors say which.
//
// A context is made with reset notification where the driver allows it
// (Info.Robust), so that a GPU reset is reported as ErrContextLost rather
// than ignored.
//
// # Device Lloyd loop
//
// Through Assigner.Stepper, kmeans.Run runs whole iterations on the GPU
// (assignment, exact integer cluster sums, means, inertia) and reads back
// a few status words per batch of iterations rather than n labels, with
// the host loop's result, History included. It needs no double precision
// on the GPU. It takes at most 16,843,009 rows (its cluster sums are exact
// uint32) and eight storage blocks per compute shader (OpenGL 4.3's
// minimum); beyond either, kmeans.Run runs the host loop over Assign
// instead, with the same result. kmeans.Config.HostLoop asks for the host
// loop anyway.
//
// # Silhouette
//
// Assigner.SumDistances is kmeans.DistanceSummer on the GPU, so that
// kmeans.Score computes the silhouette there (tilekmeans run -backend gpu
// does): one invocation per row walks the rows sorted by cluster,
// computes each exact squared distance (integers: exact in float32 within
// a chunk of 64 features, the chunks added in 64-bit integers, so that the
// distance stays exact past 2^32, beyond 66,051 features), takes its
// square root in double precision and adds the two integers
// exactsum.Roots splits it into, in 64-bit integer arithmetic, to the
// row's sums per cluster. One pass per labelling; the tiles stay where
// NewAssigner put them, which must be one storage block (else
// errors.ErrUnsupported, and kmeans.Score should use the CPU).
//
// How close GPU and CPU are: the squared distances are exact on both, and
// the sums are exact integer sums rounded once, in the same way, so the
// one place they can differ is the double-precision square root. IEEE 754
// rounds it correctly, as package cpu's VSQRTPD and Go's math.Sqrt do, but
// GLSL only promises that double operations are at least as precise as
// single ones. So the program has a probe of its own, run by the first
// SumDistances on a Device: the program's square root of 3,185 integers
// up to 2^40 (the largest squared distance SumDistances takes), compared
// with math.Sqrt bit for bit — 0 to 64, every power of two and its
// neighbours, perfect squares and their neighbours at every magnitude,
// random integers at every magnitude, and the 256 of 65,536 random ones
// whose roots lie nearest a midpoint between two doubles, where a root
// that is not correctly rounded goes wrong first — and the sums of 200
// random rows and of 8 extreme rows of 70,001 features (distances past
// 2^32) compared with kmeans.SumDistances. A driver that fails any of it
// makes SumDistances return an error wrapping ErrParity; with
// Options.AllowMismatch it runs anyway, and a sqrt off by up to u units in
// the last place moves each sum by at most u*2^-52 of itself (plus the
// final rounding, 2^-53), a row's silhouette by about 2u*2^-52, ~1e-15 for
// u = 2. What the probe proves is its own values: a driver that passes it
// computes those roots correctly, and the sums of a run equal the CPU's
// bit for bit wherever its sqrt is as correct on the run's distances,
// which no probe can promise for every driver; tilekmeans run -backend
// gpu -verify compares every sum of a run with the CPU's. Mesa's llvmpipe,
// which CI runs, passes the probe and -verify. The program needs fp64,
// which every OpenGL 4.0 driver provides; on GPUs whose fp64 is slow (1/32
// to 1/64 of fp32 on consumer cards) the square roots, one per pair of
// rows, cost about as much as the distances of 256 features.
//
// How the shaders compute, how the work is split over buffers and
// dispatches, and how the device loop works are documented with the
// shaders, in gpu/internal/shaders.
//
// # Builds
//
// The OpenGL code needs cgo, OpenGL and EGL headers and libraries (and
// GLFW's X11 libraries). Build tags:
//
//   - nogpu (or CGO_ENABLED=0): no GPU support; the same API, whose Open
//     and Devices fail with ErrNotBuilt, for pure-Go builds.
//   - noglfw: no GLFW (nor its X11 libraries); "glfw" contexts are
//     ErrUnavailable and auto uses EGL.
//   - noglfw egl (go-gl's own egl tag as well): the binary links only
//     libEGL, for headless servers.
package gpu
