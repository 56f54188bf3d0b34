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
//	var a kmeans.Assigner = cpu.New(data, cpu.Options{})
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
// arithmetic, on every kernel blocking, with the rows spanning two staged
// chunks of features and each probe's centroids repeated over three
// centroid blocks, taken by one work group and split over three. It costs
// milliseconds once the shaders are compiled (5 ms on llvmpipe; Open with
// the compiles, 0.1-0.25 s there). A difference makes Open fail with a
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
// # The assignment kernel
//
// The assignment is tiled like a matrix product (shaders.Kernels): a work
// group of 64 invocations takes a block of 64 tiles and walks the
// centroids in blocks of 16 (k <= 16, "narrow") or 64 ("wide"). For each
// chunk of 32 features it stages the block's tiles, converted from uint8
// to float once, and the centroid block's values in shared memory,
// feature-major, and each invocation updates a register block of 4x4 or
// 8x8 accumulators, reading its tiles and centroids of a feature as vec4s.
// Every accumulator still does s += float32(d*d) feature by feature in
// order, under precise, so the arithmetic contract and bit-for-bit parity
// are those of cpu.Nearest. The argmin runs in registers within an
// invocation, then through shared memory in a fixed order across the
// invocations that share a tile, on integer keys (the distance's bits,
// which order as the values do since no distance is negative; NaN above
// every number, except at centroid 0, where kmeans.Nearest keeps it) with
// ties to the lower index, so the order of comparisons cannot change the
// result. Subgroup operations are not used: the argmin across invocations
// runs once per tile after all its D x k terms, a negligible share of the
// work, and a second code path that llvmpipe (which has no
// GL_KHR_shader_subgroup) could not run would be one the tests and the
// canary never prove here.
//
// A data set with few tile blocks (5610 tiles are 88) would leave most of
// a large GPU idle, so a pass splits the centroid blocks over up to enough
// work groups per tile block to make about 1024 groups, as far as there
// are centroid blocks to split (k = 256 on 5610 tiles: 4 per tile block,
// 352 groups; k <= 16 is one block, 88 groups); each writes its
// best per row, and the last of a tile block's groups to finish (an
// atomic counter after its writes: no group ever waits for another)
// takes the best of them.
//
// # Buffers and splitting
//
// NewAssigner uploads the tiles once, as uint8 packed four per uint, each
// row padded to whole words (for D%4 == 0 the caller's bytes are uploaded
// as they are): a quarter of the float32 size, converted to float once per
// staging. Labels (int32) and distances (float32) buffers of n entries
// stay resident; centroids go up feature-major (feature f of centroid c at
// f*k+c, so a staging read is coalesced), in a buffer reallocated only when
// k*D grows. Every buffer that changes size is a sized buffer (grown on
// demand, never shrunk, bound as large as the call uses), as in Gio's
// gpu/compute.go.
// A data set larger than GL_MAX_SHADER_STORAGE_BLOCK_SIZE is stored as
// several tile buffers ("slabs"), each bound whole, while the labels and
// distances ranges covering a slab are bound with glBindBufferRange at an
// offset rounded down to GL_SHADER_STORAGE_BUFFER_OFFSET_ALIGNMENT (the
// shader's uOutBase makes up the difference). A pass over a slab is split
// into several dispatches when it has more tile blocks than
// GL_MAX_COMPUTE_WORK_GROUP_COUNT[0], and when it would compute more than
// MaxDispatchWork (2^32) tile x centroid x feature terms: a desktop GPU's
// display driver resets a GPU that runs one submission for about 2 s, so
// each dispatch is kept to about 0.4 ms on an H100 and 0.25 s on a GPU
// sustaining only 50 GFLOP/s, and glFlush sends each on its own. On
// llvmpipe (128 MiB block limit) a million 256-feature tiles take two
// slabs.
//
// # Device Lloyd loop
//
// *Assigner is also a kmeans.Stepper: whole Lloyd iterations run on the
// GPU against the tiles NewAssigner uploaded, once for a whole k sweep, and
// an iteration moves a few status words to the host, not n labels. The
// loop has its own buffers, apart from Assign's, so plain Assign calls
// (the host loop, a verifier) and a device run never disturb each other.
// They persist: the per-row ones are made on the first Start, the others
// grow with what a run needs.
//
//	prev    int32 per row: labels of the last Step assignment, -1 after Start
//	owner   int32 per row: the cluster whose sums hold the row, -1 after Start
//	dists   float32 per row: distances of the last assignment
//	sums    uint32 k*D: exact per-cluster sums of the uint8 features
//	counts  uint32 2k: rows per cluster, then a dirty flag per cluster
//	cent    float32 k*D: the centroids, feature-major, resident between iterations
//	status  a header (halted; the finished work groups of the iteration's
//	        assignment and of its means pass), 64 iteration slots (changed,
//	        empty, moved, ran, special, inertia digits), then scratch words:
//	        the indirect dispatch parameters, the list of dirty clusters,
//	        the split reduction's counters and partials, and one inertia
//	        partial per tile block
//	moves   int32 triples for Move (row, target, the cluster it leaves),
//	        grown on demand
//	readback two regions of a persistently mapped buffer the status is
//	        copied into
//
// Sums are uint32 and exact: rows enter and leave clusters by atomicAdd of
// their values or of the two's complement, exact modulo 2^32 and
// independent of order, and every true sum is at most 255*n < 2^32, so
// Start refuses more than 16,843,009 rows (MaxStepRows) with an error
// wrapping errors.ErrUnsupported, as it does on a driver with fewer than
// eight storage blocks per compute shader: package kmeans then runs the
// host loop, which has no limit, over the same Assigner.
//
// One iteration is two indirect dispatches, with no host round trip in
// between: the step program (one dispatch, or one per planned dispatch of
// a split pass), then the update program's means pass. The step program is
// the assignment kernel, then, in the work group that settles each tile
// block, the changed-label count (per work group, then one atomicAdd into
// the slot), the moves of the rows whose label differs from their owner
// between the sums and counts (marking both clusters dirty), and the
// block's distances added exactly (below). Every work group then counts
// itself done on an atomic counter after memoryBarrierBuffer; the last one
// of the iteration (no group ever waits for another):
//
//   - adds the blocks' inertia partials with carries (exact, so in any
//     order the same digits);
//   - when a count is 0, marks the slot empty, sets halted and zeroes the
//     group counts of every later dispatch of the batch, this iteration's
//     means pass included (kmeans.Stepper computes no means then);
//   - otherwise lists the dirty clusters and sets the means pass's group
//     count to one invocation per value of a listed cluster (none listed:
//     nothing can move, and under a fixed-point stop it halts the batch).
//
// The means pass computes each listed value's correctly rounded float32 of
// sum/count and sets the slot's moved flag when a bit changed. GLSL
// promises neither a correctly rounded float division (2.5 ULP) nor a
// correctly rounded double one, so the quotient is an integer long
// division to 24 significant bits, rounded to nearest even on the exact
// remainder and assembled from its bit fields. It equals the host's
// float32(float64(sum)/float64(count)) for every sum < 2^32 and count <
// 2^31; TestStepMeans checks millions of pairs, midpoints included. The
// last of its work groups clears the dirty flags and, when Step was asked
// to stop at a fixed point and no centroid moved, halts the batch the same
// way. The means are a pass of their own rather than the step's last work
// group's job because one work group would compute all k*D of them in
// series after the first iteration and after every relocation (12.6
// million divisions at k = 1024 and 64x64 colour tiles), and because
// llvmpipe, where the tests run, silently ends an invocation's loops after
// 65535 iterations in all (gallivm's LP_MAX_TGSI_LOOP_ITERATIONS): every
// loop of every program is kept well below that (the pass planning bounds
// the centroid blocks a work group takes, the feature loop runs four
// features an iteration, the means and the moves of a relocation run one
// invocation per value), and TestStepperLargeKAndD fails if one is not.
//
// The host issues a whole batch (up to 64 iterations; Step runs longer
// requests as several) as glDispatchComputeIndirect calls with
// glMemoryBarrier(SHADER_STORAGE | COMMAND) between iterations, so once an
// iteration halts the batch, the rest dispatch no work group at all, with
// no host round trip. After the batch the header and its slots are copied
// on the GPU into one of two regions of a buffer made with glBufferStorage
// and mapped once (MAP_PERSISTENT | MAP_COHERENT), a fence follows the
// copy, and the host waits on the fence (glClientWaitSync, checking for a
// lost context every second) and reads the mapped bytes: no
// glGetBufferSubData stall. The two regions let a readback be started
// while the other is still being read, each with its own fence; the
// Stepper's calls are synchronous today, so the second region never
// overlaps the first yet. A driver without glBufferStorage (GL 4.3 without
// ARB_buffer_storage) reads the region with glGetBufferSubData after the
// fence.
//
// No double is used on the device, so the loop runs where fp64 is missing
// or slow. The inertia is exact in integer fixed point, exactsum.Accumulator's:
// every finite float32 distance is an integer number of 2^-149, its 24-bit
// significand shifted to its exponent, which spans two of ten 32-bit
// digits; a tile block's group adds its rows' digits column by column
// with carries (uaddCarry), the last group adds the blocks' partials, and
// the host rounds the digits once to float64 with
// exactsum.Accumulator.AddDigits and Float64. A NaN or +Inf distance sets a
// flag instead, with exactsum.Sum's result. StepStat.Inertia is therefore the
// same bits as the host loop's exactsum.Sum, and so is Result.History.
//
// State reads owner, dists and counts back (only when a cluster emptied).
// Move uploads the moves; per run of moves within one slab (the tile
// values are only on the GPU) one invocation applies them in order to the
// owners and counts, noting the cluster each row leaves, then one
// invocation per feature of each move moves the values between the sums;
// a parallel pass recomputes every cluster's mean and the dirty flags are
// cleared; a cluster still empty keeps its centroid. Finish runs Assign's program into the loop's own labels
// and distances when asked, then reads labels, distances, sums, counts and
// centroids once. The status block is decoded through Go structs that
// mirror status.glsl, and the offsets they give are checked against the
// driver's layout (program interface query) of every program that
// declares it when the programs are built, at Open; the programs are
// shared by a Device's Assigners. A fault or loss in any dispatch ends the
// Step with ErrContextLost, like Assign.
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
