// Package driver is the protocol between package kmeans and a backend that
// runs whole Lloyd iterations where its data lives (a GPU), in the manner of
// database/sql/driver: users call kmeans.Run with an Assigner; backend
// authors implement what is here. Nothing here is needed to use a backend.
//
// An Assigner (kmeans.Assigner) that can keep the loop on its device offers
// it through a method
//
//	Stepper() driver.Stepper
//
// kmeans.Run calls it once per run (unless Config.HostLoop is set) and
// drives the returned Stepper; a nil Stepper, or an Assigner without the
// method, is driven from the host, which calls Assign and keeps the exact
// integer sums itself. When the returned Stepper also has a method
//
//	Close() error
//
// Run calls it when the run ends, whatever happened (after Finish, an
// error or a cancellation), so that a device that holds one run at a time
// knows the loop is free. Several Runs may use one Assigner at once: a
// Stepper whose device is busy with another run says so from Start (an
// error wrapping errors.ErrUnsupported), and that Run drives the Assigner
// from the host instead, with the same result. Every Stepper gives the same result as the host loop bit for bit,
// History included; package kmeans/kmeanstest checks it (TestRun).
package driver

// Stepper runs whole Lloyd iterations where its data lives, so that an
// iteration moves no more than a few status words between the caller and
// the device. StepStat.Inertia is the exact sum of the distances rounded
// once to float64, whatever order a device adds them in.
//
// Each iteration does exactly this:
//
//  1. assign every row to the nearest centroid (the arithmetic contract of
//     package kmeans) and count the labels that changed since the previous
//     iteration (all rows on the first one after Start);
//  2. move the changed rows' values between the integer sums and counts of
//     their old and new clusters;
//  3. if a cluster is left empty, stop there (kmeans.Run relocates: State,
//     then Move); otherwise set every centroid value to the correctly
//     rounded float32 of sum/count, which is what float32(float64(sum) /
//     float64(count)) gives, and note whether any centroid bit changed. (In
//     Move, and so after a relocation, an empty cluster keeps its
//     centroid.)
type Stepper interface {
	// Start begins a run of k clusters from the given centroids (k*D
	// float32, row-major), forgetting earlier labels and sums. A Stepper
	// that cannot run this data (too many rows for its sums, say) returns
	// an error wrapping errors.ErrUnsupported, and kmeans.Run drives the
	// Assigner from the host instead.
	Start(k int, centroids []float32) error
	// Step runs at least one and at most len(stats) iterations and fills
	// one StepStat for each iteration it ran. It stops after an iteration
	// that left a cluster empty and, when stopAtFixedPoint, after one that
	// changed no centroid; it may also stop earlier (the host loop runs one
	// iteration per call, so Run checks for cancellation between them).
	Step(stats []StepStat, stopAtFixedPoint bool) (ran int, err error)
	// State reads, after a Step that stopped on an empty cluster, each
	// row's cluster in the sums (owner), its distance from the last
	// assignment, and the cluster counts.
	State(owner []int32, dists []float32, counts []int) error
	// Move moves each rows[i] into cluster to[i] in the sums and counts,
	// then recomputes the centroids as step 3 does and reports whether any
	// centroid bit changed. A cluster may still be empty after the moves:
	// it keeps its centroid.
	Move(rows []int, to []int32) (changed bool, err error)
	// Finish assigns once more against the current centroids when reassign
	// is true, then reads back the labels and distances of the last
	// assignment, the sums (k*D), counts (k) and float32 centroids (k*D).
	Finish(reassign bool, labels []int32, dists []float32, sums []uint64, counts []int, centroids []float32) error
}

// StepStat is what one iteration of a Stepper reports.
type StepStat struct {
	Changed int     // labels changed by the assignment
	Inertia float64 // sum of the assignment's squared distances, exact and rounded once to float64
	Empty   bool    // the update left a cluster empty; no centroids were computed
	Moved   bool    // the update changed at least one centroid bit (false when Empty)
}
