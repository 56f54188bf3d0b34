// Package kmeans clusters rows of uint8 features (image tiles) with Lloyd's
// algorithm, independently of where the hot step runs.
//
// The assignment step — the squared Euclidean distance of every row to each of
// k centroids and the index of the nearest one — is behind the Assigner
// interface, so a CPU backend (package cpu) and a GPU backend (package gpu)
// are interchangeable. Everything else is done here on the host, exactly:
// centroid means are accumulated as integer sums of the uint8 features, and
// only rounded to float32 for the next assignment. Two backends that agree on
// the assignment therefore agree on every iteration, every centroid and every
// output byte.
//
// Arithmetic contract for an Assigner (so CPU and GPU agree bit for bit): the
// distance of row x to centroid c is accumulated in float32, in feature order,
// as s += float32(d*d) with d = float32(x[j]) - c[j] (no fused multiply-add),
// and ties go to the lowest centroid index.
//
// Empty clusters: when a cluster loses all its rows, its centroid moves to the
// row farthest from its own current centroid (taken from a cluster that keeps
// at least one row), as scikit-learn does. Centroids never become NaN or
// silently zero.
package kmeans
