package kmeans

import (
	"context"
	"fmt"
)

// Stepper is an Assigner that can also run whole Lloyd iterations on its
// device, keeping labels, the integer cluster sums and the centroids there,
// so that an iteration moves no more than a few status words between host
// and device. Run uses it when the Assigner implements it (and
// Config.HostLoop is false); the result is the same as the host loop's,
// bit for bit, apart from History, whose float sums may be added in another
// order.
//
// Each device iteration does exactly what the host loop does:
//
//  1. assign every row to the nearest centroid (the arithmetic contract of
//     the package documentation) and count the labels that changed since
//     the previous iteration (all rows on the first one after Start);
//  2. move the changed rows' values between the integer sums and counts of
//     their old and new clusters;
//  3. if a cluster is left empty, stop there (the host relocates: State,
//     then Move); otherwise set every centroid value to the correctly
//     rounded float32 of sum/count, which is what float32(float64(sum) /
//     float64(count)) gives on the host, and note whether any centroid bit
//     changed.
type Stepper interface {
	Assigner
	// Start begins a run of k clusters from the given centroids (k*D
	// float32, row-major). The device forgets earlier labels and sums.
	Start(k int, centroids []float32) error
	// Step runs up to len(stats) iterations and fills one StepStat for each
	// iteration it ran. It stops after an iteration that left a cluster
	// empty and, when stopAtFixedPoint, after one that changed no centroid.
	Step(stats []StepStat, stopAtFixedPoint bool) (ran int, err error)
	// State reads, after a Step that stopped on an empty cluster, each
	// row's cluster in the sums (owner), its distance from the last
	// assignment, and the cluster counts.
	State(owner []int32, dists []float32, counts []int) error
	// Move moves each rows[i] into cluster to[i] in the sums and counts,
	// then recomputes the centroids as step 3 does and reports whether any
	// centroid bit changed. Run's moves always leave every cluster with a
	// row; a device may fail the call if one is still empty.
	Move(rows []int, to []int32) (changed bool, err error)
	// Finish assigns once more against the current centroids when reassign
	// is true, then reads back the labels and distances of the last
	// assignment, the sums (k*D), counts (k) and float32 centroids (k*D).
	Finish(reassign bool, labels []int32, dists []float32, sums []uint64, counts []int, centroids []float32) error
}

// StepStat is what one device iteration reports.
type StepStat struct {
	Changed int     // labels changed by the assignment
	Inertia float64 // sum of the assignment's squared distances
	Empty   bool    // the update left a cluster empty; no centroids were computed
	Moved   bool    // the update changed at least one centroid bit (false when Empty)
}

// stepBatch is the most iterations Run asks of a Stepper at once. Past a
// fixed point the device idles through the rest of a batch, so a batch
// trades a little wasted work for fewer host round trips.
const stepBatch = 16

// lloydDevice is lloyd for a Stepper.
func lloydDevice(ctx context.Context, data Data, s Stepper, cfg Config, rows []int, restart int) (*Result, error) {
	n, dim, k := data.N, data.D, cfg.K
	res := &Result{K: k, D: dim, InitRows: rows, Restart: restart}
	cent := make([]float32, k*dim)
	for c, r := range rows {
		for j, v := range data.Row(r) {
			cent[c*dim+j] = float32(v)
		}
	}
	fail := func(what string, err error) (*Result, error) {
		return nil, fmt.Errorf("k=%d %s: %w", k, what, err)
	}
	if err := s.Start(k, cent); err != nil {
		return fail("start", err)
	}
	var (
		stats  [stepBatch]StepStat
		owner  []int32
		dists  = make([]float32, n)
		counts = make([]int, k)
		fresh  = true
		batch  = 2 // grows: short runs stop soon, long ones sync rarely
	)
loop:
	for res.Iterations < cfg.MaxIter {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("k=%d iteration %d: %w", k, res.Iterations+1, err)
		}
		want := min(batch, cfg.MaxIter-res.Iterations)
		batch = min(2*batch, stepBatch)
		ran, err := s.Step(stats[:want], !cfg.FixedIters)
		if err != nil {
			return fail(fmt.Sprintf("iteration %d", res.Iterations+1), err)
		}
		for _, st := range stats[:ran] {
			res.Iterations++
			res.History = append(res.History, st.Inertia)
			if cfg.Progress != nil {
				cfg.Progress(Progress{K: k, Restart: restart, Iter: res.Iterations, Changed: st.Changed, Inertia: st.Inertia})
			}
			moved := st.Moved
			if st.Empty {
				if owner == nil {
					owner = make([]int32, n)
				}
				if err := s.State(owner, dists, counts); err != nil {
					return fail("relocation", err)
				}
				rs, to := relocation(k, counts, owner, dists)
				if moved, err = s.Move(rs, to); err != nil {
					return fail("relocation", err)
				}
				res.Relocated += len(rs)
				moved = true
			}
			fresh = moved
			if !fresh {
				res.Converged = true
				if !cfg.FixedIters {
					break loop
				}
			}
		}
	}
	labels := make([]int32, n)
	sums := make([]uint64, k*dim)
	cent32 := make([]float32, k*dim)
	if err := s.Finish(fresh, labels, dists, sums, counts, cent32); err != nil {
		return fail("final assignment", err)
	}
	means := make([]float64, k*dim)
	for c := range k {
		for j := range dim {
			means[c*dim+j] = float64(sums[c*dim+j]) / float64(counts[c])
		}
	}
	res.finish(data, means, cent32, labels, dists)
	return res, nil
}
