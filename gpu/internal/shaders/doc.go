// Package shaders holds the GLSL sources of the GPU backend (package gpu),
// embedded into the binary so a build needs no files at run time.
//
// Assign(k) (assign.comp, GLSL 4.30 compute) is the assignment step of
// k-means with the blocking k (a Kernel): the squared Euclidean distance of
// every tile to each of the centroids and the index of the nearest one,
// under the arithmetic contract of package kmeans, so its output equals
// kmeans.Nearest (and package cpu's) bit for bit.
//
// Step(k) is a device Lloyd iteration but for its means, in one dispatch
// (gpu.Assigner as a kmeans.Stepper): assign.comp again, compiled with
// STEP defined and step.glsl spliced in at its marker, so the loop labels
// with the very code Assign runs. Update (update.comp) holds the
// iteration's means pass, which follows each Step dispatch, and the passes
// a relocation needs. Both get status.glsl (the status block they share)
// spliced in after their #version line, and Update means.glsl (the exact
// float32 mean of integer sums). No program uses double: the device loop
// runs on GPUs without fp64.
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
package shaders
