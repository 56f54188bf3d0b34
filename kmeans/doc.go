// Package kmeans clusters rows of uint8 features (image tiles) with Lloyd's
// algorithm, exactly and repeatably, independently of where the hot step
// runs.
//
// # Use
//
// Put the rows in a Data (N rows of D uint8 features, row-major; package
// tiles cuts them from image sheets), make an Assigner for it (cpu.New for
// the CPU, gpu.Device.NewAssigner for the GPU), and call Run with a Config.
// Only Config.K must be set:
//
//	data := kmeans.Data{N: n, D: d, X: pixels}
//	res, err := kmeans.Run(ctx, data, cpu.New(data, cpu.Options{}), kmeans.Config{K: 5})
//	// res.Centroids, res.Labels, res.Inertia, res.Iterations, res.Converged
//	labels, dists, err := kmeans.Predict(other, cpu.New(other, cpu.Options{}), res.Centroids, res.K)
//
// The defaults are the notebook's job: random distinct rows as initial
// centroids (Config.Init InitKMeansPP for greedy k-means++ as scikit-learn
// does it, Config.InitRows for rows of your choice), up to DefaultMaxIter
// iterations, one start (Config.NInit is scikit-learn's n_init), and a PCG
// source seeded with (0, K) when Config.Rand is nil. An invalid Config is a
// *ConfigError naming the field (Validate checks one without running).
// Results are in scikit-learn's terms: centroids, labels, inertia (the
// float64 sum of squared distances to the exact means, also Inertia), and
// the number of iterations. CompareClasses scores labels against known
// classes (purity, NMI, ARI); CountDistinct says when there are fewer
// distinct rows than clusters. An Assigner labels the rows it was made for:
// Run and Predict refuse one made for other data (ErrOtherData).
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
// Distance and Nearest are this arithmetic written plainly, and package
// kmeans/kmeanstest is the conformance suite a backend runs against them
// (tilekmeans run -verify checks every assignment of a run with them). This
// is the one place the contract is stated; the backends refer to it.
//
// Everything else is exact: centroid means are kept as integer sums of the
// uint8 features and rounded once to float32 (the correctly rounded
// sum/count) for the next assignment. Two backends that agree on the
// assignment therefore agree on every iteration, every centroid and every
// output byte.
//
// # One loop
//
// Run has one Lloyd loop. Its iterations run where the data lives: a
// backend that can keep the loop on its device offers it as a
// driver.Stepper (package gpu does; package kmeans/driver is that protocol,
// for backend authors), and any other Assigner is driven from the host,
// which calls Assign and updates the exact sums itself. Config.HostLoop is
// the one switch that forces the host path (to check or time every
// assignment); a device that cannot take a run says so, and Run falls back
// to the host path by itself, with the same result.
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
//
// # Which k: internal validity indices
//
// Without known classes, Score judges clusterings by the rows alone, as
// scikit-learn 1.2's silhouette_score, davies_bouldin_score and
// calinski_harabasz_score do (Scores says how each is defined), for
// several clusterings of the same data at once, say one per k of a sweep:
//
//	scores, err := kmeans.Score(ctx, data, a, [][]int32{r3.Labels, r4.Labels}, []int{3, 4}, kmeans.ScoreOptions{})
//	rec := kmeans.Recommend(scores, []float64{r3.Inertia, r4.Inertia})
//	// rec.K: the highest mean silhouette; rec.Structure: how strong it is;
//	// rec.BestDaviesBouldin, rec.Knee, ...: the other opinions
//
// Davies-Bouldin and Calinski-Harabasz take O(N D) from the clusters'
// sums; Calinski-Harabasz is exact (rational arithmetic on integer sums,
// rounded once). The silhouette needs the distance of every pair of rows,
// O(N² D): the backend computes the per-cluster sums of distances behind it
// (DistanceSummer: packages cpu and gpu; SumDistances is the arithmetic
// written plainly) in one pass over the pairs for all clusterings. Its
// square roots are correctly rounded and added exactly, so the sums do not
// depend on the backend, the order or the number of workers; they differ
// from scikit-learn's (which adds the same roots one by one) by at most a
// few units in the last place, and the indices agree with scikit-learn's
// to about 1e-14 (Davies-Bouldin, whose float sums scikit-learn takes in
// another order, to about 1e-12). ScoreOptions.SampleSize scores a seeded sample of rows
// instead, as scikit-learn's sample_size does. A clustering the indices
// say nothing about (k = 1, every cluster a single row, fewer distinct
// rows than K) gets Scores.Omitted instead of numbers that look like an
// answer, and an unbounded Calinski-Harabasz (every cluster's rows
// identical) Scores.CalinskiHarabaszOmitted.
package kmeans
