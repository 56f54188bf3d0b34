package cpu

import (
	"math"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/tilekmeans/tilekmeans/kmeans"
)

// The per-call pass of pruning: a pruned Assign call drifts every tile's
// bounds, computes the distances they cannot exclude, chunk by chunk on
// all workers, and updates the bounds from what it computed.

// pruneState is what a pruned Assigner keeps between calls: the grouping of
// the k centroids, their previous values, and per tile its label, its
// distance and one lower bound per bound group (Yinyang K-Means, Ding et
// al., ICML 2015, with groups the width of the task kernel and the tile's
// own distance recomputed exactly each call, or reused when its centroid
// did not change). The per-tile slices are by position (see
// Assigner.perm), G is the number of groups.
type pruneState struct {
	k, dim, lanes  int
	groups         int       // G centroid groups
	groupsPerBound int       // groups that share one bound
	nbounds        int       // bounds per tile: ceil(G/groupsPerBound)
	members        []int32   // G*lanes: the centroid in each lane, -1 past the group's size
	groupSize      []int32   // G: centroids in each group, ascending index order across lanes
	groupBound     []int32   // G: each group's bound, g/groupsPerBound
	centroidBound  []int32   // k: each centroid's bound
	groupValues    []float32 // G*dim*lanes: the groups' centroids, feature-major, padded with +Inf
	prevCentroids  []float32 // k*dim: the previous call's centroids
	moved          []bool    // k: changed since the previous call
	boundDrift     []uint32  // nbounds: the largest drift in each bound's groups, units rounded up
	lower          []uint32  // N*nbounds: each tile's lower bounds
	label          []int32   // N rounded up to lanes: the previous call's labels
	dist           []float32 // N: and distances
	threshold      []uint32  // N: margin.threshold(dist)
	fresh          bool      // no valid bounds: compute everything
	calls          int       // calls since the groups were formed
	regroup        bool      // the last call computed nearly everything: start afresh
	margin         margin
	scratch        []*chunkScratch // one per worker
	resorts        int             // times resort ran
	extraPasses    int64           // own-distance passes beyond one per block since it
	ordered        bool            // the memory budget has room for the reordering's buffers

	// resort's spare buffers, swapped with the state's
	spare struct {
		order, label, perm []int32
		dist               []float32
		threshold, lower   []uint32
	}
}

// chunkRows returns how many tiles a worker takes at a time: whole blocks
// of the brute-force layout (lanes tiles), at most 256 and at most 64 KiB
// of features (2^16/D tiles), so that the chunk's blocks, which its tasks
// read again after the own distances, stay in the second-level cache.
func chunkRows(dim, lanes int) int {
	return max(1, min(256, (256<<10)/(4*dim))/lanes) * lanes
}

// chunkScratch is one worker's scratch space for a chunk of tiles. A task
// is one tile against one centroid group (see tasksAVX2).
type chunkScratch struct {
	tasks       []uint32  // the kernel's tasks: offsets of the tile's first feature and of the group in groupValues, result slot, 0
	taskGroup   []int32   // per task (the tiles' tasks in order): its group
	groupStart  []int32   // per group + 1: counting sort of the tasks by group
	results     []float32 // per task: smallest sum, its lane, the others' smallest, 0
	busy        []int32   // tiles of the chunk with tasks
	tileOffset  []uint32  // per busy tile: its first feature's offset in the chunk's blocks (SIMD) or rows (portable)
	firstTask   []int32   // per busy tile + 1: its first task in taskGroup
	ownDist     []float32 // per tile of the chunk: distance to its own centroid
	scored      []int32   // the distinct moved labels of a block
	fails       []uint64  // per tile of the chunk: the mask of its bounds at or below the threshold
	computed    int64     // distances computed
	extraPasses int64     // own-distance passes beyond one per block
}

func newPruneState(a *Assigner, cent []float32, k int, sh pruneShape) *pruneState {
	n, dim := a.data.N, a.data.D
	lanes := a.taskLanes()
	groups := sh.groups
	st := &pruneState{
		k: k, dim: dim, lanes: lanes,
		groups: groups, groupsPerBound: sh.groupsPerBound, nbounds: sh.nbounds,
		ordered: sh.ordered,
		fresh:   true,
		margin:  newMargin(dim, a.marginScale),
	}
	if a.indexGroups {
		st.members, st.groupSize = indexGroups(k, groups, lanes)
	} else {
		st.members, st.groupSize = formGroups(cent, k, dim, groups, lanes)
	}
	st.groupBound = make([]int32, groups)
	st.centroidBound = make([]int32, k)
	for g := range groups {
		st.groupBound[g] = int32(g / sh.groupsPerBound)
		for _, c := range st.members[g*lanes : g*lanes+int(st.groupSize[g])] {
			st.centroidBound[c] = st.groupBound[g]
		}
	}
	st.groupValues = make([]float32, groups*dim*lanes)
	st.prevCentroids = make([]float32, k*dim)
	st.moved = make([]bool, k)
	st.boundDrift = make([]uint32, st.nbounds)
	st.lower = make([]uint32, n*st.nbounds)
	st.label = make([]int32, (n+lanes-1)/lanes*lanes)
	st.dist = make([]float32, n)
	st.threshold = make([]uint32, n)
	rows := chunkRows(dim, lanes)
	st.scratch = make([]*chunkScratch, a.workers)
	for w := range st.scratch {
		st.scratch[w] = &chunkScratch{
			tileOffset: make([]uint32, rows),
			busy:       make([]int32, 0, rows),
			firstTask:  make([]int32, 0, rows+1),
			ownDist:    make([]float32, rows),
			fails:      make([]uint64, rows),
			scored:     make([]int32, 0, lanes),
			groupStart: make([]int32, groups+1),
		}
	}
	return st
}

// begin prepares a call: it reports false when the centroids cannot be
// pruned (a value not finite or beyond maxCentroidValue). Otherwise it
// lays out the groups, and unless the call is fresh computes each
// centroid's drift since the previous call.
func (st *pruneState) begin(cent []float32) bool {
	for _, v := range cent[:st.k*st.dim] {
		if !(v >= -maxCentroidValue && v <= maxCentroidValue) {
			return false
		}
	}
	dim, lanes := st.dim, st.lanes
	if !st.fresh {
		clear(st.boundDrift)
		for c := range st.k {
			old, cur := st.prevCentroids[c*dim:(c+1)*dim], cent[c*dim:(c+1)*dim]
			st.moved[c] = !equalBits(old, cur)
			if !st.moved[c] {
				continue
			}
			b := st.centroidBound[c]
			st.boundDrift[b] = max(st.boundDrift[b], st.margin.drift(old, cur))
		}
	}
	inf := float32(math.Inf(1))
	for g := range st.groups {
		blk := st.groupValues[g*dim*lanes : (g+1)*dim*lanes]
		for l := range lanes {
			c := st.members[g*lanes+l]
			if c < 0 {
				for j := range dim {
					blk[j*lanes+l] = inf
				}
				continue
			}
			for j, v := range cent[int(c)*dim : int(c+1)*dim] {
				blk[j*lanes+l] = v
			}
		}
	}
	return true
}

func equalBits(a, b []float32) bool {
	b = b[:len(a)]
	for j, v := range a {
		if math.Float32bits(v) != math.Float32bits(b[j]) {
			return false
		}
	}
	return true
}

// assignPruned is Assign with bounds; it reports false, having done
// nothing, when these centroids cannot be pruned. a.pruneMu is held.
func (a *Assigner) assignPruned(cent []float32, k int, labels []int32, dists []float32) bool {
	sh, ok := a.shape(k)
	if !ok {
		return false
	}
	st := a.pruned
	if st == nil || st.k != k || st.groupsPerBound != sh.groupsPerBound || st.regroup {
		st = newPruneState(a, cent, k, sh)
	}
	if !st.begin(cent) {
		return false
	}
	a.pruned = st
	n := a.data.N
	rows := chunkRows(a.data.D, st.lanes)
	nchunks := (n + rows - 1) / rows
	var next atomic.Int64
	work := func(w *chunkScratch) {
		for {
			c := int(next.Add(1) - 1)
			if c >= nchunks {
				return
			}
			lo := c * rows
			a.pruneChunk(st, w, lo, min(lo+rows, n), cent, labels, dists)
		}
	}
	nw := min(a.workers, nchunks)
	if nw <= 1 {
		work(st.scratch[0])
	} else {
		var wg sync.WaitGroup
		for w := 1; w < nw; w++ {
			wg.Go(func() { work(st.scratch[w]) })
		}
		work(st.scratch[0])
		wg.Wait()
	}
	var computed int64
	for _, w := range st.scratch {
		computed += w.computed
		st.extraPasses += w.extraPasses
		w.computed, w.extraPasses = 0, 0
	}
	pairs := int64(n) * int64(k)
	a.stats.add(true, pairs, computed)
	// A call that had to compute nearly everything though it had bounds
	// most likely began a new run (new centroids for the same k): group
	// those afresh, from the next call on.
	st.regroup = !st.fresh && st.calls >= 3 && computed*10 >= pairs*9
	st.fresh = false
	st.calls++
	copy(st.prevCentroids, cent[:k*a.data.D])
	nblk := int64((n + st.lanes - 1) / st.lanes)
	if a.kern != nil && st.ordered && !st.regroup && st.extraPasses >= resortPasses*nblk {
		a.resort(st)
		st.extraPasses = 0
	}
	return true
}

// pruneChunk assigns the tiles at positions lo..hi-1 (lo a multiple of the
// lanes; see Assigner.perm: the state is by position) in three steps:
// chooseTasks tests the tiles' bounds, runChunkTasks computes the groups
// they cannot exclude, and mergeTasks takes the nearest centroid and
// updates the bounds.
func (a *Assigner) pruneChunk(st *pruneState, w *chunkScratch, lo, hi int, cent []float32, labels []int32, dists []float32) {
	perm := a.perm // this call alone changes it, after the workers are done
	if a.chooseTasks(st, w, lo, hi, cent, perm, labels, dists) {
		a.runChunkTasks(st, w, lo, hi)
		st.mergeTasks(w, lo, perm, labels, dists)
	}
}

// chooseTasks computes the own distance of every tile of the chunk whose
// centroid moved, drifts the tile's bounds and tests them against its
// threshold, and lists in w a task for each group whose bound fails (every
// group in a fresh call). A tile with no task keeps its label and
// distance, which chooseTasks writes out. It reports whether there are
// tasks.
func (a *Assigner) chooseTasks(st *pruneState, w *chunkScratch, lo, hi int, cent []float32, perm []int32, labels []int32, dists []float32) bool {
	nbounds, perBound := st.nbounds, st.groupsPerBound
	w.taskGroup, w.busy, w.firstTask = w.taskGroup[:0], w.busy[:0], w.firstTask[:0]
	ntiles := hi - lo
	if !st.fresh {
		a.ownDistances(st, w, lo, hi, cent)
		// Thresholds (new where the own centroid moved), then the bounds
		// drifted and tested, the chunk at once.
		for t := range ntiles {
			i := lo + t
			if c := st.label[i]; st.moved[c] {
				st.dist[i] = w.ownDist[t]
				st.threshold[i] = st.margin.threshold(w.ownDist[t])
			}
		}
		if nbounds <= 64 {
			a.filter(st.lower[lo*nbounds:hi*nbounds], ntiles, nbounds, st.boundDrift, st.threshold[lo:hi], w.fails[:ntiles])
		}
	}
	for t := range ntiles {
		i := lo + t
		first := len(w.taskGroup)
		if st.fresh {
			for g := range st.groups {
				w.taskGroup = append(w.taskGroup, int32(g))
			}
		} else {
			if nbounds <= 64 {
				for fails := w.fails[t]; fails != 0; fails &= fails - 1 {
					w.addGroups(bits.TrailingZeros64(fails), perBound, st.groups)
				}
			} else {
				// Too many bounds for a mask: drift and test them one by
				// one (what filter does for a chunk).
				bounds := st.lower[i*nbounds : (i+1)*nbounds]
				for b, q := range bounds {
					bounds[b] = max(q, st.boundDrift[b]) - st.boundDrift[b]
					if bounds[b] <= st.threshold[i] {
						w.addGroups(b, perBound, st.groups)
					}
				}
			}
			if len(w.taskGroup) == first {
				ti := i
				if perm != nil {
					ti = int(perm[i])
				}
				labels[ti], dists[ti] = st.label[i], st.dist[i]
				continue
			}
		}
		w.busy = append(w.busy, int32(t))
		w.firstTask = append(w.firstTask, int32(first))
	}
	w.firstTask = append(w.firstTask, int32(len(w.taskGroup)))
	return len(w.taskGroup) > 0
}

// runChunkTasks runs the tasks chooseTasks listed: each busy tile against
// each of its groups, the results in w.results in the tasks' order.
func (a *Assigner) runChunkTasks(st *pruneState, w *chunkScratch, lo, hi int) {
	dim, lanes := st.dim, st.lanes
	ntasks := len(w.taskGroup)
	// The tasks read the tiles' bytes where they are: the SIMD kernels in
	// the chunk's blocks (which the own distances have just read), a
	// tile's features lanes bytes apart; the portable code in the rows.
	rows := a.data.X[lo*dim : hi*dim]
	if a.kern != nil {
		rows = a.blocks[lo*dim : (lo+(hi-lo+lanes-1)/lanes*lanes)*dim]
		for s, t := range w.busy {
			w.tileOffset[s] = uint32(int(t)&^(lanes-1)*dim + int(t)&(lanes-1)) // lanes: a power of 2
		}
	} else {
		for s, t := range w.busy {
			w.tileOffset[s] = uint32(int(t) * dim)
		}
	}
	// The kernel's order: group by group, so that a group's values stay in
	// the first-level cache while its tiles use them (and four tasks of a
	// group load them once per feature); results go to each task's slot.
	clear(w.groupStart)
	for _, g := range w.taskGroup {
		w.groupStart[g+1]++
		w.computed += int64(st.groupSize[g])
	}
	for g := range st.groups {
		w.groupStart[g+1] += w.groupStart[g]
	}
	w.tasks = slices.Grow(w.tasks[:0], 4*ntasks)[:4*ntasks]
	for s := range w.busy {
		for j := int(w.firstTask[s]); j < int(w.firstTask[s+1]); j++ {
			g := w.taskGroup[j]
			q := 4 * w.groupStart[g]
			w.groupStart[g]++
			w.tasks[q], w.tasks[q+1], w.tasks[q+2], w.tasks[q+3] = w.tileOffset[s], uint32(int(g)*dim*lanes), uint32(j), 0
		}
	}
	w.results = slices.Grow(w.results[:0], 4*ntasks)[:4*ntasks]
	a.runTasks(rows, st.groupValues, w.tasks, ntasks, dim, w.results)
}

// mergeTasks takes, for each busy tile of the chunk at lo, the nearest of
// its own centroid and its tasks' results, in centroid index order (ties to
// the lowest index), writes it out, and sets new bounds for the groups it
// computed.
func (st *pruneState) mergeTasks(w *chunkScratch, lo int, perm []int32, labels []int32, dists []float32) {
	lanes, nbounds := st.lanes, st.nbounds
	inf := float32(math.Inf(1))
	for s, t := range w.busy {
		i := lo + int(t)
		tasks := w.taskGroup[w.firstTask[s]:w.firstTask[s+1]]
		out := w.results[4*int(w.firstTask[s]) : 4*int(w.firstTask[s+1])]
		var old, best int32 = -1, -1
		bestS := inf
		if !st.fresh {
			old, best, bestS = st.label[i], st.label[i], st.dist[i]
		}
		// Lanes are in ascending centroid order within a group, so a
		// group's lowest lane with the smallest sum is its lowest index.
		for j, g := range tasks {
			s := out[4*j]
			c := st.members[int(g)*lanes+int(math.Float32bits(out[4*j+1]))]
			if s < bestS || (s == bestS && c < best) {
				best, bestS = c, s
			}
		}
		ti := i
		if perm != nil {
			ti = int(perm[i])
		}
		labels[ti], dists[ti] = best, bestS

		// New bounds for the bound groups computed (all of their groups,
		// consecutive in tasks), from their sums other than the new
		// label's. If the new label is in a group, it is the group's
		// smallest (lowest) lane; the others' smallest is then the second.
		bounds := st.lower[i*nbounds : (i+1)*nbounds]
		oldDone := false
		for j := 0; j < len(tasks); {
			b := st.groupBound[tasks[j]]
			low := inf
			for ; j < len(tasks) && st.groupBound[tasks[j]] == b; j++ {
				g := tasks[j]
				if st.members[int(g)*lanes+int(math.Float32bits(out[4*j+1]))] == best {
					low = min(low, out[4*j+2])
				} else {
					low = min(low, out[4*j])
				}
			}
			if low == inf {
				bounds[b] = math.MaxUint32 // no other centroid in it
			} else {
				bounds[b] = st.margin.lowerBound(low)
			}
			if old >= 0 && st.centroidBound[old] == b {
				oldDone = true
			}
		}
		if best != old {
			if old >= 0 && !oldDone {
				// The old centroid is now one of the others of its bound
				// group.
				b := st.centroidBound[old]
				bounds[b] = min(bounds[b], st.margin.lowerBound(st.dist[i]))
			}
			st.label[i], st.dist[i], st.threshold[i] = best, bestS, st.margin.threshold(bestS)
		}
	}
}

// addGroups adds a task for each group of bound b (perBound groups a
// bound, of groups).
func (w *chunkScratch) addGroups(b, perBound, groups int) {
	for g := b * perBound; g < min(groups, (b+1)*perBound); g++ {
		w.taskGroup = append(w.taskGroup, int32(g))
	}
}

// ownDistances sets w.ownDist[t] to the distance of tile lo+t to its
// centroid (st.label) for every tile whose centroid moved.
func (a *Assigner) ownDistances(st *pruneState, w *chunkScratch, lo, hi int, cent []float32) {
	dim := st.dim
	if a.kern == nil {
		for t := range hi - lo {
			if c := st.label[lo+t]; st.moved[c] {
				w.ownDist[t] = kmeans.Distance(a.data.Row(lo+t), cent[int(c)*dim:int(c+1)*dim])
				w.computed++
			}
		}
		return
	}
	l := a.kern.lanes
	for b := lo; b < hi; b += l {
		scored := w.scored[:0]
		for t := b; t < min(b+l, hi); t++ {
			if c := st.label[t]; st.moved[c] {
				w.computed++
				if !slices.Contains(scored, c) {
					scored = append(scored, c)
				}
			}
		}
		if len(scored) == 0 {
			continue
		}
		w.extraPasses += int64(len(scored) - 1)
		var out [16]float32
		a.runOwn(a.blocks[b*dim:(b+l)*dim], dim, cent, scored, st.label[b:b+l], out[:l])
		copy(w.ownDist[b-lo:min(b+l, hi)-lo], out[:])
	}
}
