// Package shaders holds the GLSL sources of the GPU backend (package gpu),
// embedded into the binary so a build needs no files at run time, and the
// design of both: what each program computes and binds, and (the "Host"
// sections) how package gpu makes its contexts, lays out its buffers,
// splits its passes and drives the device Lloyd loop.
//
// Assign(k) (assign.comp, GLSL 4.30 compute) is the assignment step of
// k-means with the blocking k (a Kernel): the squared Euclidean distance of
// every tile to each of the centroids and the index of the nearest one,
// under the arithmetic contract of package kmeans, so its output equals
// kmeans.Nearest (and package cpu's) bit for bit.
//
// Step(k) is a device Lloyd iteration but for its means, in one dispatch
// (gpu.Assigner's Stepper, a driver.Stepper): assign.comp again, compiled with
// STEP defined and step.glsl spliced in at its marker, so the loop labels
// with the very code Assign runs. Update (update.comp) holds the
// iteration's means pass, which follows each Step dispatch, and the passes
// a relocation needs. Both get status.glsl (the status block they share)
// spliced in after their #version line, and Update means.glsl (the exact
// float32 mean of integer sums). None of these uses double: the device
// loop runs on GPUs without fp64.
//
// Silhouette (silhouette.comp) is the silhouette's sums of distances
// (gpu.Assigner.SumDistances, kmeans.DistanceSummer), built on its first
// use: one invocation per listed row walks a range of the rows sorted by
// cluster (Order, as data rows; Segs holds each cluster's end and number),
// SilhouetteColumns at a time staged in shared memory SilhouetteFeatures
// features at a time as floats. The squared distance of a chunk is an
// integer below 2^24, exact in any float order with or without fused
// multiply-adds; chunks add in uint. Its square root is a double, split
// by the double operations of internal/exactsum.SplitRoot (under precise)
// into two integers added in 64-bit uint pairs (uaddCarry) to the row's
// running sums, which go to Sums at each change of cluster and at the end
// of the range (adding to what earlier dispatches left: integer sums take
// any cut). It is the one program that needs fp64 (core since OpenGL
// 4.0); the host cuts the columns into dispatches within 2^36 terms and
// llvmpipe's loop limit.
//
// llvmpipe (Mesa's software renderer, where the tests run) silently ends
// an invocation's loops after 65535 iterations in all. Every program keeps
// its invocations' loops short: the register block and the digit sums are
// written out by the preprocessor, the feature loop takes four features
// an iteration, a work group takes a bounded number of centroid blocks
// (package gpu plans the splits), and the means and a relocation's moves
// run one invocation per value.
//
// # Blocking
//
// The host #defines the blocking after the version line: TX x CY
// invocations (TX*CY = GroupSize = 64), each with RT tiles x RC centroids
// of accumulators, so a work group computes a block of TB = TX*RT tiles
// against blocks of CB = CY*RC centroids. For each chunk of FC features it
// stages the block's tiles (converted from uint8 once) and the centroid
// block in shared memory, feature-major, four values per vec4; each
// invocation then walks the chunk's features in order, reading its RT
// tiles and RC centroids as vec4s and updating every accumulator with
// s += d*d under precise. The register block is written out by the
// preprocessor (the host's FOR_PAIRS and related lists), so every index is
// a constant whatever the driver unrolls. The argmin compares integer keys
// (the distance's bits; NaN above every number, below at centroid 0) with
// ties to the lower index, in registers, then across the CY invocations
// that share a tile through shared memory in a fixed order.
//
// The centroid blocks may be split over uSplits work groups per tile block
// (gl_WorkGroupID.y, uSplitSpan blocks each): each writes its best per row
// to work[], and the last of them to finish (an atomic counter per tile
// block, after its writes and memoryBarrierBuffer) takes the best of all
// and resets the counter. No work group waits for another.
//
// # Interface
//
// Interface of assign.comp (the Go side binds exactly these):
//
//	binding 0  Tiles      uint tiles[]       rows of D uint8 features packed
//	                                         four per uint (little-endian:
//	                                         byte j of a row is bits 8*(j%4)
//	                                         of word j/4), each row padded to
//	                                         Stride words
//	binding 1  Centroids  uint centBits[]    k*D float32 bits, feature-major:
//	                                         feature f of centroid c at f*k+c
//	binding 2  Labels     int labels[]       written: nearest centroid index
//	                                         (Step: also read, the previous
//	                                         labels)
//	binding 3  Dists      float dists[]      written: squared distance to it
//	binding 7  Work       uint work[]        (Assign) the split reduction's
//	                                         counters and partials
//
//	uniform uint uN          rows in this dispatch
//	uniform uint uD          features per row
//	uniform uint uK          number of centroids
//	uniform uint uStride     uint words per tile row, ceil(uD/4)
//	uniform uint uBase       first row of this dispatch, relative to the
//	                         bound Tiles range
//	uniform uint uOutBase    index in the bound Labels/Dists ranges of the
//	                         row at uBase == 0
//	uniform uint uBlockBase  index of the dispatch's first tile block in
//	                         the pass
//	uniform uint uBlocks     tile blocks in the pass
//	uniform uint uSplits     work groups per tile block
//	uniform uint uSplitSpan  centroid blocks per split
//	uniform uint uPartOff    work[] offset of the split partials (2 words
//	                         per split and row)
//	uniform uint uCountOff   work[] offset of the counters (one per block)
//
// Work group (x, y) takes rows uBase + x*TB ... of the bound Tiles and
// centroid blocks y*uSplitSpan ...; row r is written to labels/dists index
// uOutBase+r. The base offsets let the host split a large data set into
// several dispatches (work group count limit, and the work cap per
// dispatch) and several bound ranges (shader storage block size limit).
//
// Step adds (per row, bound like Labels; per cluster, bound whole):
//
//	binding 4  Owner      int owner[]     cluster whose sums hold the row
//	binding 5  Sums       uint sums[]     k*D exact sums of uint8 features
//	binding 6  Counts     uint counts[]   k rows per cluster, then k dirty
//	                                      flags
//	binding 7  Status     status.glsl     header, StatusSlots slots, work[]
//
//	uniform uint uIter        the iteration's status slot
//	uniform uint uStop        1: halt after an iteration that moved no centroid
//	uniform uint uGroups      work groups of the iteration's assignment, all
//	                          its dispatches
//	uniform uint uDispatches  dispatches of an iteration, the means pass last
//	uniform uint uIndirectOff work[] offset of their group counts (x, y, z)
//	uniform uint uListOff     work[] offset of the dirty clusters' count and
//	                          list
//	uniform uint uInertiaOff  work[] offset of the inertia partials
//	                          (InertiaDigits+1 words per tile block)
//	uniform uint uMaxGroups   GL_MAX_COMPUTE_WORK_GROUP_COUNT[0]
//
// The work group that settles a tile block counts its changed labels (one
// atomicAdd into the slot), moves each row whose label differs from its
// owner between the sums and counts (atomicAdd on uint: exact modulo 2^32
// and order-independent; every true sum is below 2^32) and marks both
// clusters dirty, and writes the block's distances as an exact fixed-point
// partial: each finite distance is its 24-bit significand shifted to its
// exponent from 2^-149 (exactsum.Accumulator's form), spanning two of
// InertiaDigits 32-bit digits, added column by column with carries. Every
// group then adds itself to groupsDone; the last one adds the partials into
// the slot's inertia and marks the slot run; when a count is 0 it marks
// the slot empty and halts the batch (sets halted and zeroes the x group
// count of every dispatch in work[]: the host issues them with
// glDispatchComputeIndirect, so the rest of the batch runs nothing, this
// iteration's means pass included); otherwise it lists the dirty clusters
// and sets the means pass's group counts (x by y within uMaxGroups) to one
// invocation per value of a listed cluster. Eight storage blocks: GL 4.3's
// minimum for compute shaders.
//
// Update binds 0, 1 (feature-major bits, written), 4, 5, 6, 7 the same way
// and binding 2 as Moves (int triples: tile row relative to the bound
// Tiles, target cluster, and the cluster the row leaves, which pass 1
// fills in); uniform uPass picks the pass:
//
//	0  centroid value uBase+i of the row-major k*D sums (below uN = k*D):
//	   the correctly rounded float32 of sum/count by integer long division
//	   (GLSL's float and double divisions are not correctly rounded),
//	   assembled from its fields; slot uIter's moved flag when a bit
//	   changed (a relocation's means)
//	1  one invocation takes moves uBase..uBase+uN-1 in order: owners and
//	   counts
//	2  one invocation per feature of those moves (x by y groups): the sums
//	3  one invocation per value of the listed dirty clusters (the group
//	   counts Step's last group set), as pass 0; the last group to finish
//	   (meansDone) clears their dirty flags and, under uStop, halts the
//	   batch when no centroid moved (an iteration's means)
//
// Every program has GroupSize invocations per work group; the reductions
// are written for it.
//
// # Host: contexts and threads
//
// Package gpu makes one OpenGL context per Device:
//
//   - "glfw": an invisible 1x1 GLFW window with a 4.3 core profile, as on
//     a desktop. Needs a display (DISPLAY or WAYLAND_DISPLAY); GLFW's own
//     Init does not fail without one (the next call panics inside
//     go-gl/glfw), so the display is checked first and GLFW panics are
//     turned into errors.
//   - "egl": headless EGL, no window system. First each device of
//     EGL_EXT_platform_device (what NVIDIA's driver offers on a headless
//     server), then Mesa's surfaceless platform. The context is configless
//     and surfaceless where the driver allows, else a 1x1 pbuffer.
//
// Each kind first asks for reset notification (lose context on reset) and
// retries without it; gpu.Info.Robust says whether the driver honours it.
// A driver that refuses a 4.3 core context is asked for any context, to
// report the version it does offer (gpu.ErrVersion), or to use it when it
// is a 4.3+ compatibility context.
//
// A GL context is current on one thread. Each Device runs one goroutine,
// locked to its OS thread for its whole life, that makes the context, runs
// every GL call, and releases everything before it exits. gpu's methods
// hand it closures over a channel and wait, so they are safe to call from
// any goroutine; calls on one Device are serialized. Several Devices may be
// open at once, on separate threads: GLFW's process-global state
// (Init/Terminate, window hints, go-gl/glfw's error slot) is behind one
// mutex with Init reference-counted by open windows, EGL displays (also
// process-wide) are reference-counted around eglInitialize/eglTerminate,
// and go-gl's process-wide function table is loaded once.
//
// # Host: the assignment passes
//
// The assignment is tiled like a matrix product (Kernels): a work group of
// 64 invocations takes a block of 64 tiles and walks the centroids in
// blocks of 16 (k <= 16, "narrow") or 64 ("wide"). For each
// chunk of 32 features it stages the block's tiles, converted from uint8
// to float once, and the centroid block's values in shared memory,
// feature-major, and each invocation updates a register block of 4x4 or
// 8x8 accumulators, reading its tiles and centroids of a feature as vec4s.
// Every accumulator still does s += float32(d*d) feature by feature in
// order, under precise, so the arithmetic contract and bit-for-bit parity
// are those of kmeans.Nearest. The argmin runs in registers within an
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
// 352 groups; k <= 16 is one block, 88 groups); each writes its best per
// row, and the last of a tile block's groups to finish (an atomic counter
// after its writes: no group ever waits for another) takes the best of
// them.
//
// # Host: buffers and splitting
//
// gpu.Device.NewAssigner uploads the tiles once, as uint8 packed four per
// uint, each row padded to whole words (for D%4 == 0 the caller's bytes
// are uploaded as they are): a quarter of the float32 size, converted to
// float once per staging. Labels (int32) and distances (float32) buffers
// of n entries stay resident; centroids go up feature-major (feature f of
// centroid c at f*k+c, so a staging read is coalesced), in a buffer
// reallocated only when k*D grows. Every buffer that changes size is a
// sized buffer (grown on demand, never shrunk, bound as large as the call
// uses), as in Gio's gpu/compute.go.
//
// A data set larger than GL_MAX_SHADER_STORAGE_BLOCK_SIZE is stored as
// several tile buffers ("slabs"), each bound whole, while the labels and
// distances ranges covering a slab are bound with glBindBufferRange at an
// offset rounded down to GL_SHADER_STORAGE_BUFFER_OFFSET_ALIGNMENT (the
// shader's uOutBase makes up the difference). A pass over a slab is split
// into several dispatches when it has more tile blocks than
// GL_MAX_COMPUTE_WORK_GROUP_COUNT[0], and when it would compute more than
// 2^32 tile x centroid x feature terms (gpu's maxDispatchWork): a desktop GPU's
// display driver resets a GPU that runs one submission for about 2 s, so
// each dispatch is kept to about 0.4 ms on an H100 and 0.25 s on a GPU
// sustaining only 50 GFLOP/s, and glFlush sends each on its own. On
// llvmpipe (128 MiB block limit) a million 256-feature tiles take two
// slabs.
//
// # Host: the device Lloyd loop
//
// A gpu.Assigner's Stepper (a driver.Stepper) runs whole Lloyd iterations
// on the GPU against the tiles NewAssigner uploaded, once for a whole k
// sweep, and an iteration moves a few status words to the host, not n
// labels. The
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
// Start refuses more than 16,843,009 rows (maxStepRows) with an error
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
//     means pass included (a driver.Stepper computes no means then);
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
// 2^31; gpu's TestStepMeans checks millions of pairs, midpoints included. The
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
// invocation per value), and gpu's TestStepperLargeKAndD fails if one is
// not.
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
// or slow. The inertia is exact in integer fixed point,
// exactsum.Accumulator's: every finite float32 distance is an integer
// number of 2^-149, its 24-bit significand shifted to its exponent, which
// spans two of ten 32-bit digits; a tile block's group adds its rows'
// digits column by column with carries (uaddCarry), the last group adds
// the blocks' partials, and the host rounds the digits once to float64
// with exactsum.Accumulator.AddDigits and Float64. A NaN or +Inf distance
// sets a flag instead, with exactsum.Sum's result. driver.StepStat.Inertia
// is therefore the same bits as the host loop's exactsum.Sum, and so is
// kmeans.Result.History.
//
// State reads owner, dists and counts back (only when a cluster emptied).
// Move uploads the moves; per run of moves within one slab (the tile
// values are only on the GPU) one invocation applies them in order to the
// owners and counts, noting the cluster each row leaves, then one
// invocation per feature of each move moves the values between the sums;
// a parallel pass recomputes every cluster's mean and the dirty flags are
// cleared; a cluster still empty keeps its centroid. Finish runs Assign's
// program into the loop's own labels and distances when asked, then reads
// labels, distances, sums, counts and centroids once. The status block is
// decoded through Go structs that mirror status.glsl, and the offsets they
// give are checked against the driver's layout (program interface query)
// of every program that declares it when the programs are built, at Open;
// the programs are shared by a Device's Assigners. A fault or loss in any
// dispatch ends the Step with gpu.ErrContextLost, like Assign.
package shaders
