package cpu

import "fmt"

// The shape of pruning: how many centroid groups, how many bounds per tile
// the memory budget allows, and whether it also has room to keep the tiles
// ordered by cluster.

// taskLanes is the group width of the task kernel: its SIMD width, or
// goLanes for the portable Go code.
func (a *Assigner) taskLanes() int {
	if a.kern != nil {
		return a.kern.lanes
	}
	return goLanes
}

// goLanes is the group width of the portable task code: four independent
// sums per task.
const goLanes = 4

// pruneShape is how a pruned call with k centroids keeps its state.
type pruneShape struct {
	groups         int  // centroid groups of up to the task kernel's width
	groupsPerBound int  // groups that share one bound
	nbounds        int  // bounds per tile: ceil(groups/groupsPerBound)
	ordered        bool // the tiles are kept ordered by cluster
}

// Memory per tile: boundBytes (label, distance, threshold: 12 bytes, and 4
// per bound), and when the tiles are kept ordered by cluster orderBytes
// more for the reordering's buffers (the order itself is the SIMD kernel's
// re-laid copy of the data, D bytes per tile, which the Assigner keeps in
// any case).
func boundBytes(nbounds int64) int64 { return 12 + 4*nbounds }
func orderBytes(nbounds int64) int64 { return 24 + 4*nbounds }

// tileBytes is the shape's memory per tile.
func (sh pruneShape) tileBytes() int64 {
	b := boundBytes(int64(sh.nbounds))
	if sh.ordered {
		b += orderBytes(int64(sh.nbounds))
	}
	return b
}

// shape returns the pruning shape for k centroids, false when pruning
// does not apply: the groups, as few bounds as the memory budget
// (Options.MaxBoundBytes) requires, and whether the budget also has room to
// keep the tiles ordered by cluster (a SIMD kernel's own distances then cost
// one pass per block instead of one per distinct label in it).
func (a *Assigner) shape(k int) (pruneShape, bool) {
	if a.opts.BruteForce || a.data.N < 1 || a.data.D < 1 || len(a.data.X) < a.data.N*a.data.D {
		return pruneShape{}, false
	}
	if float64(a.data.D+2) > 1<<23 { // gamma >= 1/2 (see margin): bounds useless
		return pruneShape{}, false
	}
	lanes := a.taskLanes()
	groups := (k + lanes - 1) / lanes
	if groups < 2 && !a.forcePrune {
		return pruneShape{}, false
	}
	budget := a.opts.MaxBoundBytes
	if budget <= 0 {
		budget = defaultMaxBoundBytes
	}
	perTile := budget / int64(a.data.N)
	nbounds := min(int64(groups), (perTile-boundBytes(0))/4)
	if nbounds < 1 {
		return pruneShape{}, false
	}
	per := (groups + int(nbounds) - 1) / int(nbounds)
	nbounds = int64((groups + per - 1) / per)
	ordered := a.kern != nil && boundBytes(nbounds)+orderBytes(nbounds) <= perTile
	return pruneShape{groups: groups, groupsPerBound: per, nbounds: int(nbounds), ordered: ordered}, true
}

// formatBytes formats a byte count for Pruning.
func formatBytes(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
}
