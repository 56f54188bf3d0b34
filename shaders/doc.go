// Package shaders holds the GLSL sources of the GPU backend (package gpu),
// embedded into the binary so a build needs no files at run time.
//
// Assign(k) (assign.comp, GLSL 4.30 compute) is the assignment step of
// k-means with the blocking k (a Kernel): the squared Euclidean distance of
// every tile to each of the centroids and the index of the nearest one,
// with the arithmetic contract of package kmeans (float32, feature order,
// s += d*d with no fused multiply-add, ties to the lowest index, a NaN
// distance never winning over centroid 0's), so its output equals
// cpu.Nearest bit for bit.
//
// Step(k) is a whole device Lloyd iteration in one dispatch (gpu.Assigner
// as a kmeans.Stepper): assign.comp again, compiled with STEP defined and
// step.glsl spliced in at its marker, so the loop labels with the very code
// Assign runs. Update (update.comp) holds the passes a relocation needs.
// Step and Update get status.glsl (the status block they share) and
// means.glsl (the exact float32 mean of integer sums) spliced in after
// their #version line. No program uses double: the device loop runs on
// GPUs without fp64.
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
//	uniform uint uGroups      work groups of the iteration, all dispatches
//	uniform uint uDispatches  dispatches of the iteration
//	uniform uint uIndirectOff work[] offset of their group counts (x, y, z)
//	uniform uint uInertiaOff  work[] offset of the inertia partials
//	                          (InertiaDigits+1 words per tile block)
//
// The work group that settles a tile block counts its changed labels (one
// atomicAdd into the slot), moves each row whose label differs from its
// owner between the sums and counts (atomicAdd on uint: exact modulo 2^32
// and order-independent; every true sum is below 2^32) and marks both
// clusters dirty, and writes the block's distances as an exact fixed-point
// partial: each finite distance is its 24-bit significand shifted to its
// exponent from 2^-149 (kmeans.Accumulator's form), spanning two of
// InertiaDigits 32-bit digits, added column by column with carries. Every
// group then adds itself to groupsDone; the last one adds the partials into
// the slot's inertia, marks the slot empty (and stops) when a count is 0,
// else computes the means of the dirty clusters and the moved flag, and
// when the batch must halt sets halted and zeroes the group counts of
// every dispatch in work[] (the host issues them with
// glDispatchComputeIndirect, so the rest of the batch runs nothing).
// Eight storage blocks: GL 4.3's minimum for compute shaders.
//
// Update binds 0, 1 (feature-major bits), 4, 5, 6, 7 the same way and
// binding 2 as Moves (int pairs: tile row relative to the bound Tiles,
// target cluster); uniform uPass picks the pass:
//
//	0 means  centroid value uBase+i of the row-major k*D sums (below uN =
//	         k*D): the correctly rounded float32 of sum/count by integer
//	         long division (GLSL's float and double divisions are not
//	         correctly rounded), assembled from its fields; slot 0's moved
//	         flag when a bit changed
//	1 move   one invocation applies moves uBase..uBase+uN-1 in order
//
// Every program has GroupSize invocations per work group; the reductions
// are written for it.
package shaders
