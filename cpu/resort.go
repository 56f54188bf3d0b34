package cpu

import "sync"

// Re-sorting: with a SIMD kernel, pruning keeps the tiles ordered by
// cluster in the re-laid blocks, so that the own distances of a block's
// tiles, which mostly share their centroid, take one pass of the
// own-distance kernel. As labels change, blocks mix and cost more passes;
// re-sorting restores the order.

// resortPasses is about what ordering the tiles by cluster costs, in passes
// of the own-distance kernel over all blocks. The tiles are ordered again
// once the passes beyond one per block (a block's moved tiles with several
// labels take one pass per label) add up to that much since the last
// ordering. The value was chosen by timing whole runs with several (see
// BENCHMARKS.md, "CPU pruning: design measurements").
const resortPasses = 12

// resort orders the positions by label (stably), so that a block's tiles
// mostly share their centroid: it permutes the per-position state and
// rebuilds the blocks from the data in the new order. a.pruneMu is held;
// calls without pruning wait on layoutMu meanwhile.
func (a *Assigner) resort(st *pruneState) {
	n, nbounds := a.data.N, st.nbounds
	if st.spare.order == nil {
		st.spare.order = make([]int32, n)
		st.spare.label = make([]int32, len(st.label))
		st.spare.dist = make([]float32, n)
		st.spare.threshold = make([]uint32, n)
		st.spare.lower = make([]uint32, len(st.lower))
		st.spare.perm = make([]int32, n)
	}
	start := make([]int, st.k+1)
	for _, c := range st.label[:n] {
		start[c+1]++
	}
	for c := range st.k {
		start[c+1] += start[c]
	}
	for p, c := range st.label[:n] {
		st.spare.order[start[c]] = int32(p)
		start[c]++
	}
	for q, p := range st.spare.order {
		st.spare.label[q], st.spare.dist[q], st.spare.threshold[q] = st.label[p], st.dist[p], st.threshold[p]
		copy(st.spare.lower[q*nbounds:(q+1)*nbounds], st.lower[int(p)*nbounds:int(p+1)*nbounds])
		if a.perm != nil {
			st.spare.perm[q] = a.perm[p]
		} else {
			st.spare.perm[q] = p
		}
	}
	st.label, st.spare.label = st.spare.label, st.label
	st.dist, st.spare.dist = st.spare.dist, st.dist
	st.threshold, st.spare.threshold = st.spare.threshold, st.threshold
	st.lower, st.spare.lower = st.spare.lower, st.lower
	a.layoutMu.Lock()
	a.perm, st.spare.perm = st.spare.perm, a.perm
	if st.spare.perm == nil {
		st.spare.perm = make([]int32, n)
	}
	l := st.lanes
	nblk := (n + l - 1) / l
	perWorker := (nblk + a.workers - 1) / a.workers
	var wg sync.WaitGroup
	for w := range a.workers {
		lo, hi := w*perWorker*l, min((w+1)*perWorker*l, n)
		if lo < hi {
			wg.Go(func() { relayout(a.blocks, a.data, a.perm, l, lo, hi) })
		}
	}
	wg.Wait()
	a.layoutMu.Unlock()
	st.resorts++
}
