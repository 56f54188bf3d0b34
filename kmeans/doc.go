// Package kmeans clusters rows of uint8 features (image tiles) with Lloyd's
// algorithm, exactly and repeatably, independently of where the hot step
// runs.
//
// # Use
//
// Put the rows in a Data (N rows of D uint8 features, row-major; package
// tiles cuts them from image sheets), make an Assigner for it (cpu.New for
// the CPU, gpu.Device.NewAssigner for the GPU, or the slow Reference), and
// call Run with a Config. Only Config.K must be set:
//
//	data := kmeans.Data{N: n, D: d, X: pixels}
//	res, err := kmeans.Run(ctx, data, cpu.New(data, cpu.Options{}), kmeans.Config{K: 5})
//	// res.Centroids, res.Labels, res.Inertia, res.Iterations, res.Converged
//	labels, dists, err := kmeans.Predict(other, cpu.New(other, cpu.Options{}), res.Centroids, res.K)
//
// The defaults are the notebook's job: random distinct rows as initial
// centroids (InitKMeansPP for greedy k-means++ as scikit-learn does it),
// up to DefaultMaxIter iterations, one start (Config.NInit is scikit-learn's
// n_init), and a PCG source seeded with (0, K) when Config.Rand is nil. An
// invalid Config is a *ConfigError naming the field (Validate checks one
// without running). Results are in scikit-learn's terms: centroids, labels,
// inertia (the float64 sum of squared distances to the exact means), and
// the number of iterations. Quality compares labels with known classes
// (purity, NMI, ARI). An Assigner labels the rows it was made for: Run and
// Predict refuse one made for other data (ErrOtherData; see DataAssigner).
//
// # The arithmetic contract
//
// The assignment step — the squared Euclidean distance of every row to each
// of k centroids and the index of the nearest one — is behind the Assigner
// interface, and every Assigner computes it the same way, bit for bit:
//
//   - the distance of row x to centroid c is accumulated in float32, in
//     feature order, as s += float32(d*d) with d = float32(x[j]) - c[j]:
//     each subtraction, product and sum rounded to float32 on its own (no
//     fused multiply-add, no reordering);
//   - ties go to the lowest centroid index (a strictly smaller distance
//     wins, so a NaN distance never does).
//
// Distance and Nearest are this arithmetic written plainly; Reference is an
// Assigner built on them, Verifier checks any Assigner against them, and
// package kmeanstest is the conformance suite a backend runs. This is the
// one place the contract is stated; the backends refer to it.
//
// Everything else is exact: centroid means are kept as integer sums of the
// uint8 features and rounded once to float32 (the correctly rounded
// sum/count) for the next assignment. Two backends that agree on the
// assignment therefore agree on every iteration, every centroid and every
// output byte.
//
// # One loop
//
// Run has one Lloyd loop, written against the Stepper interface: a Stepper
// runs whole iterations where the data lives and reports a few numbers per
// iteration. A backend that can keep the loop on its device implements
// Stepper itself (package gpu does); any other Assigner is driven by
// NewHostStepper, which calls Assign and updates the exact sums on the host.
// Config.HostLoop is the one switch that forces the host path (a Verifier
// needs every assignment on the host); a device that cannot take a run says
// so with an error wrapping errors.ErrUnsupported, and Run falls back to the
// host path by itself.
//
// # Convergence and empty clusters
//
// The loop stops at the fixed point: when an update changes no centroid bit,
// every further iteration would repeat the last one, so stopping there gives
// the same result as running all MaxIter iterations (FixedIters does).
// Converged says whether the fixed point was reached.
//
// When a cluster loses all its rows, its centroid moves to the row farthest
// from its own current centroid (largest distance, ties to the lowest row),
// taken from a cluster that keeps at least one row, as scikit-learn does.
// Centroids never become NaN or silently zero.
package kmeans
