// Package shaders holds the GLSL sources of the GPU backend (package gpu),
// embedded into the binary so a build needs no files at run time.
//
// Assign (assign.comp, GLSL 4.30 compute) is the assignment step of k-means:
// one invocation per tile computes the squared Euclidean distance to each of
// k centroids and the index of the nearest one, with the arithmetic contract
// of package kmeans (float32, feature order, s += d*d with no fused
// multiply-add, ties to the lowest index), so its output equals cpu.Nearest
// bit for bit.
//
// Step and Update are the device Lloyd loop (gpu.Assigner as a
// kmeans.Stepper). Step is assign.comp again, compiled with STEP defined,
// so the loop labels with the very code Assign runs; Update (update.comp)
// holds the other passes. Both get status.glsl spliced in after their
// #version line: the status block they share.
//
// Interface of assign.comp (the Go side binds exactly these):
//
//	binding 0  Tiles      uint tiles[]    rows of D uint8 features packed four
//	                                      per uint (little-endian: byte j of a
//	                                      row is bits 8*(j%4) of word j/4), each
//	                                      row padded to Stride words
//	binding 1  Centroids  float cent[]    k*D values, row-major
//	binding 2  Labels     int labels[]    written: nearest centroid index
//	                                      (Step: also read, the previous labels)
//	binding 3  Dists      float dists[]   written: squared distance to it
//
//	uniform uint uN        rows in this dispatch
//	uniform uint uD        features per row
//	uniform uint uK        number of centroids
//	uniform uint uStride   uint words per tile row, ceil(uD/4)
//	uniform uint uBase     first row of this dispatch, relative to the
//	                       bound Tiles range
//	uniform uint uOutBase  index in the bound Labels/Dists ranges of the
//	                       row at uBase == 0
//
// Row i of the dispatch (gl_GlobalInvocationID.x) is tile row uBase+i and is
// written to labels/dists index uOutBase+uBase+i. The base offsets let the
// host split a large data set into several dispatches (work group count
// limit) and several bound ranges (shader storage block size limit).
//
// Step adds (per row, bound like Labels; per cluster, bound whole):
//
//	binding 4  Owner      int owner[]     cluster whose sums hold the row
//	binding 5  Sums       uint sums[]     k*D exact sums of uint8 features
//	binding 6  Counts     uint counts[]   k rows per cluster
//	binding 7  Status     status.glsl     header, StatusSlots slots, partials
//
//	uniform uint uIter     the iteration's status slot
//	uniform uint uStop     1: halt after an iteration that moved no centroid
//	uniform uint uPartBase first partial of this dispatch's work groups
//
// A Step row counts a changed label (labels[o] != new label, per work group
// then one atomicAdd into the slot), and when its label differs from its
// owner adds its features to the new cluster's sums and their two's
// complement to the old one's (atomicAdd on uint: exact modulo 2^32 and
// order-independent; every true sum is below 2^32). Each work group writes
// the double sum of its distances, reduced in a fixed tree, to partials.
// Eight storage blocks: GL 4.3's minimum for compute shaders.
//
// Update binds 0, 1 (as uint bits), 4, 5, 6, 7 the same way and binding 2 as
// Moves (int pairs: tile row relative to the bound Tiles, target cluster);
// uniform uPass picks the pass, uGroups is the number of partials:
//
//	0 check  one work group: inertia = the partials added in a fixed order,
//	         the slot marked run, and the batch halted (the header's halted
//	         word) when a count is 0
//	1 means  centroid value uBase+i (below uN = k*D): the correctly rounded
//	         float32 of sum/count by integer long division (GLSL's float and
//	         double divisions are not correctly rounded), assembled from its
//	         fields; the slot's moved flag when a bit changed
//	2 move   one invocation applies moves uBase..uBase+uN-1 in order
//
// Every Step and Update pass first asks stopped() (status.glsl): a halted
// batch, or under uStop a previous iteration that moved nothing, makes the
// rest of the batch's dispatches return at once, with no host round trip.
//
// The work group size is AssignGroupSize for all three programs; the host
// dispatches ceil(uN/AssignGroupSize) groups, and the reductions are written
// for 64 invocations.
package shaders
