// Package gpu is the OpenGL 4.3 compute-shader backend of package kmeans:
// an Assigner that labels every tile with its nearest centroid on the GPU,
// bit for bit as cpu.Nearest does, and a kmeans.Stepper that runs whole
// Lloyd iterations there with results equal to the host loop's (see package
// kmeans for the arithmetic contract and package shaders for the shaders).
//
// # Use
//
// Open a Device (an OpenGL context on its own OS thread), make an Assigner
// for the data (the tiles go to the GPU once), and hand it to kmeans.Run;
// fall back to package cpu when no GPU can be opened, with the same result:
//
//	var a kmeans.Assigner = cpu.New(data, 0)
//	if dev, err := gpu.Open(gpu.Options{}); err == nil { // auto context, first device
//		defer dev.Close()
//		if ga, err := dev.NewAssigner(data); err == nil {
//			defer ga.Close()
//			a = ga // also a kmeans.Stepper: the Lloyd loop runs on the GPU
//		}
//	}
//	res, err := kmeans.Run(ctx, data, a, kmeans.Config{K: 5})
//
// Open fails with an error wrapping ErrUnavailable (no context here),
// ErrVersion (less than OpenGL 4.3 with compute shaders), ErrParity (the
// start-up canary found arithmetic that breaks bit-for-bit parity) or
// ErrNotBuilt (a build without cgo or with the nogpu tag). Devices lists
// the EGL devices to choose from (Options.Device), and Info says what was
// opened. The zero Options is valid.
//
// # Contexts
//
// Open makes one OpenGL context, of the kind Options.Context names:
//
//   - "glfw": an invisible 1x1 GLFW window with a 4.3 core profile, as on
//     a desktop. Needs a display (DISPLAY or
//     WAYLAND_DISPLAY); GLFW's own Init does not fail without one (the next
//     call panics inside go-gl/glfw), so the display is checked first and
//     GLFW panics are turned into errors.
//   - "egl": headless EGL, no window system. First each device of
//     EGL_EXT_platform_device (what NVIDIA's driver offers on a headless
//     server), then Mesa's surfaceless platform. The context is configless
//     and surfaceless where the driver allows, else a 1x1 pbuffer.
//   - "auto" (or ""): GLFW when a display is present, else EGL; if GLFW
//     fails it falls back to EGL. AutoChoice says which comes first; Probe
//     (for a "devices" command) tries GLFW and each EGL device and says
//     which works, why not, and how its parity canary went.
//
// # Choosing the GPU
//
// On a machine with several GPUs, EGL otherwise takes the first device that
// works, and CUDA_VISIBLE_DEVICES does not change EGL's order. Devices
// lists the EGL devices with their DRM nodes, PCI bus IDs and, on NVIDIA,
// their CUDA device numbers (EGL_CUDA_DEVICE_NV; nvidia-smi numbers GPUs in
// PCI bus order, which the PCI bus IDs match);
// Options.Device pins one by index (DeviceIndex) or by CUDA number
// (CUDADevice), and a choice EGL does not list is ErrNoDevice naming the
// devices there are.
//
// When EGL finds no driver, or only Mesa, the usual cause on a GPU server
// is NVIDIA's EGL library or its glvnd vendor file missing, or a container
// without the graphics capability: CheckEGL reports what glvnd would load,
// and errors of the EGL path carry its one-line summary.
//
// # Parity canary
//
// Bit-for-bit parity with package cpu rests on the driver doing what the
// shaders say: no fused multiply-add and no reassociation (the shaders use
// precise), denormal squares kept, ties to the lowest index. Open proves it
// on each new context: a few rows and centroid sets (see Canary), built so
// that each of those liberties changes the answer, go through the
// assignment shader and through one device Lloyd iteration, and every
// label and distance is compared bit for bit with the reference
// arithmetic. It costs milliseconds. A difference makes Open fail with a
// *ParityError (ErrParity) that says which probe differed and how, unless
// Options.AllowMismatch, which opens the device anyway with the result in
// Info.Canary.
//
// Each kind first asks for reset notification (lose context on reset) and
// retries without it; Info.Robust says whether the driver honours it. A
// driver that refuses a 4.3 core context is asked for any context, to
// report the version it does offer (ErrVersion), or to use it when it is a
// 4.3+ compatibility context.
//
// # Threads
//
// A GL context is current on one thread. Each Device runs one goroutine,
// locked to its OS thread for its whole life, that makes the context, runs
// every GL call, and releases everything before it exits. Public methods
// hand it closures over a channel and wait, so they are safe to call from
// any goroutine; calls on one Device are serialized. Several Devices may be
// open at once, on separate threads: GLFW's process-global state
// (Init/Terminate, window hints, go-gl/glfw's error slot) is behind one
// mutex with Init reference-counted by open windows, EGL displays (also
// process-wide) are reference-counted around eglInitialize/eglTerminate,
// and go-gl's process-wide function table is loaded once.
//
// # Buffers and splitting
//
// NewAssigner uploads the tiles once, as uint8 packed four per uint, each
// row padded to whole words (for D%4 == 0 the caller's bytes are uploaded
// as they are). Labels (int32) and distances (float32) buffers of n entries
// stay resident; the centroid buffer is reallocated only when k*D grows.
// Every buffer that changes size is a sized buffer (grown on demand,
// never shrunk, bound as large as the call uses), as in Gio's
// gpu/compute.go.
// A data set larger than GL_MAX_SHADER_STORAGE_BLOCK_SIZE is stored as
// several tile buffers ("slabs"), each bound whole, while the labels and
// distances ranges covering a slab are bound with glBindBufferRange at an
// offset rounded down to GL_SHADER_STORAGE_BUFFER_OFFSET_ALIGNMENT (the
// shader's uOutBase makes up the difference). A slab with more rows than
// GL_MAX_COMPUTE_WORK_GROUP_COUNT[0] work groups cover is split into
// several dispatches (uBase). On llvmpipe (128 MiB block limit) a million
// 256-feature tiles take two slabs.
//
// # Device Lloyd loop
//
// *Assigner is also a kmeans.Stepper: whole Lloyd iterations run on the
// GPU against the tiles NewAssigner uploaded, once for a whole k sweep, and
// an iteration moves a few status words to the host, not n labels. The
// loop has its own buffers, apart from Assign's, so plain Assign calls
// (the host loop, a verifier) and a device run never disturb each other.
// They persist: the per-row ones are made on the first Start, the
// per-cluster ones grow with k*D and k.
//
//	prev    int32 per row: labels of the last Step assignment, -1 after Start
//	owner   int32 per row: the cluster whose sums hold the row, -1 after Start
//	dists   float32 per row: distances of the last assignment
//	sums    uint32 k*D: exact per-cluster sums of the uint8 features
//	counts  uint32 k: rows per cluster
//	cent    float32 k*D: the centroids, resident between iterations
//	status  a header word (halted), 64 iteration slots (changed, empty,
//	        moved, ran, inertia), then one double per assignment work group
//	moves   int32 pairs for Move, grown on demand
//
// Sums are uint32 and exact: rows enter and leave clusters by atomicAdd of
// their values or of the two's complement, exact modulo 2^32 and
// independent of order, and every true sum is at most 255*n < 2^32, so
// Start refuses more than 16,843,009 rows (MaxStepRows) with an error
// wrapping errors.ErrUnsupported, as it does on a driver with fewer than
// eight storage blocks per compute shader: package kmeans then runs the
// host loop, which has no limit, over the same Assigner.
//
// One iteration is three kinds of dispatches, with
// glMemoryBarrier(GL_SHADER_STORAGE_BARRIER_BIT) between them:
//
//  1. Step, over every slab and dispatch like Assign: the same nearest()
//     as Assign; a changed label is counted (per work group, then one
//     atomicAdd into the slot); a row whose label differs from its owner
//     moves between the sums and counts; each work group writes the double
//     sum of its distances, reduced in a fixed tree, to its partial.
//  2. check, one work group: adds the partials in a fixed order into the
//     slot's inertia (deterministic; it may differ from the host's running
//     float64 sum in the last bits, which History allows), marks the slot
//     run, and sets halted when a count is 0.
//  3. means, over k*D values (split by the work group limit): the correctly
//     rounded float32 of sum/count, and the slot's moved flag when a bit
//     changed. GLSL promises neither a correctly rounded float division
//     (2.5 ULP) nor a correctly rounded double one, so the quotient is an
//     integer long division to 24 significant bits, rounded to nearest even
//     on the exact remainder and assembled from its bit fields. It equals
//     the host's float32(float64(sum)/float64(count)) for every sum < 2^32
//     and count < 2^31; TestStepMeans checks millions of pairs, midpoints
//     included.
//
// Halting needs no readback: every pass first reads the halted word and,
// when Step was asked to stop at a fixed point, the previous slot's moved
// flag, and returns at once if either says stop; a skipped iteration leaves
// its own flags clear, so the rest of the batch idles. After the batch one
// glGetBufferSubData of the header and slots fills the StepStats (a batch
// is at most 64 iterations; Step runs longer requests as several).
//
// State reads owner, dists and counts back (only when a cluster emptied).
// Move uploads the moves and applies them in order in a one-invocation
// dispatch per run of moves within one slab (the tile values are only on the
// GPU), then runs check and means as an iteration does; a cluster still
// empty afterwards is an error. Finish runs Assign's shader into the loop's
// own labels and distances when asked, then reads labels, distances, sums,
// counts and centroids once. The status block is decoded through Go
// structs that mirror status.glsl, and the offsets they give are checked
// against the driver's layout (program interface query) when the programs
// are built, at Open; the programs are shared by a Device's Assigners. A
// fault or loss in any dispatch ends the Step with ErrContextLost, like
// Assign.
//
// # Errors
//
// Failures are returned, never logged or panicked, and say "gpu:" once:
// ErrUnavailable (no context of that kind here), ErrNoDevice (no such EGL
// device), ErrVersion (below 4.3 or missing compute limits), ErrShader (a
// *ShaderError with the GL info log), ErrParity (a *ParityError: the
// canary failed), errors.ErrUnsupported (Start: the device loop cannot
// run here), ErrOutOfMemory
// (GL_OUT_OF_MEMORY, checked after every allocation), ErrContextLost
// (GL_CONTEXT_LOST or glGetGraphicsResetStatus after dispatches; the
// Device then refuses further work), ErrClosed, other GL errors as
// *GLError, and ErrNotBuilt from the CPU-only build. Buffers, programs,
// the window or context, and the thread are released on every path; Close
// is idempotent and also releases Assigners not closed by the caller.
//
// # Builds
//
// The OpenGL code needs cgo and is excluded by the nogpu tag; that build
// (and CGO_ENABLED=0) gets nogpu.go, the same API whose Open returns
// ErrNotBuilt, and Built == false; its Assigner is a kmeans.Assigner but not
// a Stepper (none can be made anyway). The noglfw tag drops GLFW (and its X11
// libraries); with go-gl's own egl tag as well (-tags 'noglfw egl') the
// binary links only libEGL, for headless servers.
package gpu
