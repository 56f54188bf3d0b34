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
// Interface of assign.comp (the Go side binds exactly these):
//
//	binding 0  Tiles      uint tiles[]    rows of D uint8 features packed four
//	                                      per uint (little-endian: byte j of a
//	                                      row is bits 8*(j%4) of word j/4), each
//	                                      row padded to Stride words
//	binding 1  Centroids  float cent[]    k*D values, row-major
//	binding 2  Labels     int labels[]    written: nearest centroid index
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
// Bindings 4 and up are left free for a later GPU-side update step
// (centroid sums with integer atomics, counts, changed-label counter).
//
// The work group size is AssignGroupSize; the host dispatches
// ceil(uN/AssignGroupSize) groups.
package shaders
