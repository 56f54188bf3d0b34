package cpu

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/tilekmeans/tilekmeans/kmeans"
)

func formatBytes(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
}

// taskLanes is the group width of the task kernel: its SIMD width, or 4 for
// the portable Go code.
func (a *Assigner) taskLanes() int {
	if a.kern != nil {
		return a.kern.lanes
	}
	return goLanes
}

// goLanes is the group width of the portable task code: four independent
// sums per task.
const goLanes = 4

// maxCentroidValue bounds the centroid values a pruned call accepts: with
// |c| <= 2^20 no float32 sum can overflow (D*2^41 < 2^128 for any D below
// 2^86), so every sum is finite and the error bounds below hold. Other
// values (NaN, infinities, huge) get brute force.
const maxCentroidValue = 1 << 20

// pruneShape is how a pruned call with k centroids keeps its state.
type pruneShape struct {
	groups   int  // centroid groups of up to the task kernel's width
	per      int  // groups that share one bound
	nb       int  // bounds per tile: ceil(groups/per)
	sortable bool // the tiles are kept ordered by cluster
}

// Memory per tile: boundBytes (label, distance, threshold: 12 bytes, and 4
// per bound), and when the tiles are kept ordered by cluster orderBytes
// more for the reordering's buffers (the order itself is the SIMD kernel's
// re-laid copy of the data, D bytes per tile, which the Assigner keeps in
// any case).
func boundBytes(nb int64) int64 { return 12 + 4*nb }
func orderBytes(nb int64) int64 { return 24 + 4*nb }

// tileBytes is the shape's memory per tile.
func (sh pruneShape) tileBytes() int64 {
	b := boundBytes(int64(sh.nb))
	if sh.sortable {
		b += orderBytes(int64(sh.nb))
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
	if float64(a.data.D+2) > 1<<23 { // gamma >= 1/2: bounds useless
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
	nb := min(int64(groups), (perTile-boundBytes(0))/4)
	if nb < 1 {
		return pruneShape{}, false
	}
	per := (groups + int(nb) - 1) / int(nb)
	nb = int64((groups + per - 1) / per)
	sortable := a.kern != nil && boundBytes(nb)+orderBytes(nb) <= perTile
	return pruneShape{groups: groups, per: per, nb: int(nb), sortable: sortable}, true
}

// # Bounds and the margin
//
// The bounds are on real Euclidean distances, but labels come from the
// float32 sums of the contract (kmeans.Distance). Let T be the exact
// squared distance of tile x to the float32 centroid c and S the contract's
// sum over D features, u = 2^-24 the unit roundoff and gamma = (D+2)u.
// Each term is d = fl(x_j - c_j) = (x_j - c_j)(1+e1), then fl(d*d) =
// d^2(1+e2) + t with |e1|, |e2| <= u and |t| <= 2^-150 (an underflowing
// product; a subtraction or addition that lands in the subnormal range is
// exact); the recursive sum of D nonnegative terms multiplies term j by at
// most D-1 factors (1+e), |e| <= u. Hence (Higham, Accuracy and Stability of
// Numerical Algorithms, 2nd ed., sections 3.1 and 4.2; (1-u)^n >= 1-nu and
// (1+u)^n <= 1/(1-nu)):
//
//	(1-gamma) T - D 2^-150  <=  S  <=  T/(1-gamma) + 2 D 2^-150.
//
// So a computed sum S proves the real distance sqrt(T) >= sqrt((1-gamma)(S -
// D 2^-149)) (lowerBound), and a centroid c is provably strictly farther
// than the tile's own centroid a, S_c > S_a, when its real distance exceeds
// U = sqrt((S_a + D 2^-150)/(1-gamma)) (threshold). Pruning compares a lower
// bound on sqrt(T_c) with U, never with sqrt(S_a): a pruned centroid can
// neither win nor tie, so labels (ties to the lowest index) and distances
// are brute force's. The bounds are evaluated in float64 with every
// rounding made safe (a relative 2^-40 factor far above the few float64
// roundings), and stored as integers in units of 2^-shift (rounded down;
// the threshold and the drifts rounded up), so that the per-iteration
// update, lb -= drift, is exact integer arithmetic saturating at zero.

// boundMath holds the constants of the margin for D features.
type boundMath struct {
	shift          uint    // bounds are integers in units of 2^-shift
	scale          float64 // 2^shift
	lowAbs, lowRel float64 // lowerBound: (S - lowAbs) * lowRel, lowRel = (1-gamma)(1-2^-40)
	upAbs, upRel   float64 // threshold: (S + upAbs) * upRel, upRel = (1+2^-40)/(1-gamma)
	driftRel       float64 // drift: sum of squares * driftRel, covering float64 rounding
}

const safe40 = 1.0 / (1 << 40)

func newBoundMath(dim int, marginScale float64) boundMath {
	gamma := float64(dim+2) / (1 << 24) * marginScale
	abs := float64(dim) * math.Ldexp(1, -150) * marginScale
	// Units: the largest distance of centroids within [-256, 512) from
	// uint8 tiles is below sqrt(D)*512; larger bounds saturate (which
	// only loosens them).
	maxDist := math.Sqrt(float64(dim)) * 512
	shift := uint(0)
	for shift < 40 && maxDist*math.Ldexp(1, int(shift)+1) < math.MaxUint32 {
		shift++
	}
	return boundMath{
		shift:    shift,
		scale:    math.Ldexp(1, int(shift)),
		lowAbs:   2 * abs,
		lowRel:   (1 - gamma) * (1 - safe40),
		upAbs:    abs,
		upRel:    (1 + safe40) / (1 - gamma),
		driftRel: 1 + float64(dim+4)*math.Ldexp(1, -52) + safe40,
	}
}

// lowerBound returns a lower bound on the real distance of a pair whose
// contract sum is s, in units of 2^-shift (0 if none).
func (m *boundMath) lowerBound(s float32) uint32 {
	v := (float64(s) - m.lowAbs) * m.lowRel
	if !(v > 0) {
		return 0
	}
	d := math.Sqrt(v) * m.scale * (1 - safe40)
	if d >= math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(d)
}

// threshold returns, in units of 2^-shift rounded down, a value that the
// real distance of any centroid whose sum can be <= s stays at or below:
// a centroid whose lower bound exceeds it is strictly farther.
func (m *boundMath) threshold(s float32) uint32 {
	v := (float64(s) + m.upAbs) * m.upRel
	d := math.Sqrt(v) * m.scale * (1 + safe40)
	if d >= math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(d)
}

// drift returns, in units rounded up, an upper bound on the real distance
// between two float32 centroids.
func (m *boundMath) drift(old, cur []float32) uint32 {
	cur = cur[:len(old)]
	s := 0.0
	for j, o := range old {
		d := float64(cur[j]) - float64(o)
		s += d * d
	}
	if s == 0 {
		return 0
	}
	d := math.Ceil(math.Sqrt(s*m.driftRel) * m.scale * (1 + safe40))
	if d >= math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(d)
}

// pruneState is what a pruned Assigner keeps between calls: the grouping of
// the k centroids, their previous values, and per tile its label, its
// distance and one lower bound per bound group (Yinyang K-Means, Ding et
// al., ICML 2015, with groups the width of the task kernel and the tile's
// own distance recomputed exactly each call, or reused when its centroid
// did not change).
type pruneState struct {
	k, dim, lanes int
	groups, per   int       // G centroid groups; per of them share a bound
	nb            int       // bounds per tile: ceil(G/per)
	memb          []int32   // G*lanes: the centroid in each lane, -1 past the group's size
	size          []int32   // G: centroids in each group, ascending index order across lanes
	gbound        []int32   // G: each group's bound, g/per
	cbound        []int32   // k: each centroid's bound
	ct            []float32 // G*dim*lanes: the groups, feature-major, padded with +Inf
	prev          []float32 // k*dim: the previous call's centroids
	moved         []bool    // k: changed since the previous call
	qdrift        []uint32  // nb: the largest drift in each bound group, units rounded up
	lb            []uint32  // N*nb
	label         []int32   // N rounded up to lanes: the previous call's labels
	dist          []float32 // N: and distances
	uq            []uint32  // N: threshold(dist)
	fresh         bool      // no valid bounds: compute everything
	calls         int       // calls since the groups were formed
	regroup       bool      // the last call computed nearly everything: start afresh
	bm            boundMath
	work          []*pruneWork
	resorts       int   // times resort ran
	extraPasses   int64 // own-distance passes beyond one per block since it
	sortable      bool  // the memory budget has room for the reordering's buffers

	// resort's spare buffers
	order, label2, perm2 []int32
	dist2                []float32
	uq2, lb2             []uint32
}

// chunkRows returns how many tiles a worker takes at a time: whole blocks
// of the brute-force layout (lanes tiles), at most 256 and at most 64 KiB
// of features (2^16/D tiles), so that the chunk's blocks, which its tasks
// read again after the own distances, stay in the second-level cache.
func chunkRows(dim, lanes int) int {
	return max(1, min(256, (256<<10)/(4*dim))/lanes) * lanes
}

// pruneWork is one worker's scratch space for a chunk of tiles.
type pruneWork struct {
	tasks       []uint32  // the kernel's tasks: offsets of the tile's first feature (xoff) and of the group in ct, result slot, 0
	tgroup      []int32   // per task (the tiles' tasks in order): group
	gcount      []int32   // per group + 1: counting sort of the tasks
	out         []float32 // per task: smallest sum, its lane, the others' smallest, 0
	busy        []int32   // tiles of the chunk with tasks
	xoff        []uint32  // per busy tile: its first feature's offset in the chunk's blocks (SIMD) or rows (portable)
	first       []int32   // per busy tile + 1: its tasks
	sa          []float32 // per tile of the chunk: own distance
	us          []int32   // distinct labels of a block
	fails       []uint64  // per tile of the chunk: its bounds at or below the threshold
	computed    int64
	extraPasses int64 // own-distance passes beyond one per block
}

func newPruneState(a *Assigner, cent []float32, k int, sh pruneShape) *pruneState {
	n, dim := a.data.N, a.data.D
	lanes := a.taskLanes()
	groups := sh.groups
	st := &pruneState{
		k: k, dim: dim, lanes: lanes, groups: groups, per: sh.per, nb: sh.nb,
		sortable: sh.sortable,
		fresh:    true,
		bm:       newBoundMath(dim, a.marginScale),
	}
	if a.indexGroups {
		st.memb, st.size = indexGroups(k, groups, lanes)
	} else {
		st.memb, st.size = formGroups(cent, k, dim, groups, lanes)
	}
	st.gbound = make([]int32, groups)
	st.cbound = make([]int32, k)
	for g := range groups {
		st.gbound[g] = int32(g / sh.per)
		for _, c := range st.memb[g*lanes : g*lanes+int(st.size[g])] {
			st.cbound[c] = st.gbound[g]
		}
	}
	st.ct = make([]float32, groups*dim*lanes)
	st.prev = make([]float32, k*dim)
	st.moved = make([]bool, k)
	st.qdrift = make([]uint32, st.nb)
	st.lb = make([]uint32, n*st.nb)
	st.label = make([]int32, (n+lanes-1)/lanes*lanes)
	st.dist = make([]float32, n)
	st.uq = make([]uint32, n)
	rows := chunkRows(dim, lanes)
	st.work = make([]*pruneWork, a.workers)
	for w := range st.work {
		st.work[w] = &pruneWork{
			xoff:   make([]uint32, rows),
			busy:   make([]int32, 0, rows),
			first:  make([]int32, 0, rows+1),
			sa:     make([]float32, rows),
			fails:  make([]uint64, rows),
			us:     make([]int32, 0, lanes),
			gcount: make([]int32, groups+1),
		}
	}
	return st
}

// indexGroups puts centroids into groups by index (a test hook).
func indexGroups(k, groups, lanes int) (memb, size []int32) {
	memb = slices.Repeat([]int32{-1}, groups*lanes)
	size = make([]int32, groups)
	for c := range k {
		g := c / lanes
		memb[g*lanes+int(size[g])] = int32(c)
		size[g]++
	}
	return memb, size
}

// formGroups splits the k centroids into groups of at most lanes, close
// centroids together (a group's bound is only as good as its farthest
// drift and nearest member): recursively at the median of the projection
// on the principal direction (a few steps of power iteration from the
// feature of largest variance), the group counts of the halves in
// proportion. Each group lists its centroids in ascending index order.
// Non-finite values make odd groups, never wrong results.
func formGroups(cent []float32, k, dim, groups, lanes int) (memb, size []int32) {
	memb = slices.Repeat([]int32{-1}, groups*lanes)
	size = make([]int32, groups)
	idx := make([]int32, k)
	for i := range idx {
		idx[i] = int32(i)
	}
	mean, v, w := make([]float64, dim), make([]float64, dim), make([]float64, dim)
	proj := make([]float64, k)
	next := 0
	var split func(set []int32, g int)
	split = func(set []int32, g int) {
		if g == 1 {
			slices.Sort(set)
			copy(memb[next*lanes:], set)
			size[next] = int32(len(set))
			next++
			return
		}
		clear(mean)
		for _, c := range set {
			for j, x := range cent[int(c)*dim : int(c+1)*dim] {
				mean[j] += float64(x)
			}
		}
		best, bestVar := 0, -1.0
		for j := range mean {
			mean[j] /= float64(len(set))
			s2 := 0.0
			for _, c := range set {
				d := float64(cent[int(c)*dim+j]) - mean[j]
				s2 += d * d
			}
			if s2 > bestVar {
				best, bestVar = j, s2
			}
		}
		clear(v)
		v[best] = 1
		for range 8 {
			clear(w)
			for _, c := range set {
				row := cent[int(c)*dim : int(c+1)*dim]
				p := 0.0
				for j, x := range row {
					p += (float64(x) - mean[j]) * v[j]
				}
				for j, x := range row {
					w[j] += p * (float64(x) - mean[j])
				}
			}
			norm := 0.0
			for _, x := range w {
				norm += x * x
			}
			if !(norm > 0) || math.IsInf(norm, 0) {
				break
			}
			norm = math.Sqrt(norm)
			for j, x := range w {
				v[j] = x / norm
			}
		}
		for _, c := range set {
			p := 0.0
			for j, x := range cent[int(c)*dim : int(c+1)*dim] {
				p += float64(x) * v[j]
			}
			proj[c] = p
		}
		sort.SliceStable(set, func(p, q int) bool { return proj[set[p]] < proj[set[q]] })
		gl := g / 2
		nl := len(set) * gl / g
		split(set[:nl], gl)
		split(set[nl:], g-gl)
	}
	split(idx, groups)
	return memb, size
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
		clear(st.qdrift)
		for c := range st.k {
			old, cur := st.prev[c*dim:(c+1)*dim], cent[c*dim:(c+1)*dim]
			st.moved[c] = !equalBits(old, cur)
			if !st.moved[c] {
				continue
			}
			b := st.cbound[c]
			st.qdrift[b] = max(st.qdrift[b], st.bm.drift(old, cur))
		}
	}
	inf := float32(math.Inf(1))
	for g := range st.groups {
		blk := st.ct[g*dim*lanes : (g+1)*dim*lanes]
		for l := range lanes {
			c := st.memb[g*lanes+l]
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
// nothing, when these centroids cannot be pruned. a.mu is held.
func (a *Assigner) assignPruned(cent []float32, k int, labels []int32, dists []float32) bool {
	sh, ok := a.shape(k)
	if !ok {
		return false
	}
	st := a.ps
	if st == nil || st.k != k || st.per != sh.per || st.regroup {
		st = newPruneState(a, cent, k, sh)
	}
	if !st.begin(cent) {
		return false
	}
	a.ps = st
	n := a.data.N
	rows := chunkRows(a.data.D, st.lanes)
	nchunks := (n + rows - 1) / rows
	var next atomic.Int64
	work := func(w *pruneWork) {
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
		work(st.work[0])
	} else {
		var wg sync.WaitGroup
		for w := 1; w < nw; w++ {
			wg.Go(func() { work(st.work[w]) })
		}
		work(st.work[0])
		wg.Wait()
	}
	var computed int64
	for _, w := range st.work {
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
	copy(st.prev, cent[:k*a.data.D])
	nblk := int64((n + st.lanes - 1) / st.lanes)
	if a.kern != nil && st.sortable && !st.regroup && st.extraPasses >= resortPasses*nblk {
		a.resort(st)
		st.extraPasses = 0
	}
	return true
}

// resortPasses is about what ordering the tiles by cluster costs, in passes
// of the own-distance kernel over all blocks. The tiles are ordered again
// once the passes beyond one per block (a block's moved tiles with several
// labels take one pass per label) add up to that much since the last
// ordering. Measured (BenchmarkRun at 56,100 and 561,000 tiles, k = 64 and
// 256, alternating builds with 6, 12 and 24): 12 and 24 alike, 6 slower at
// 56,100 x 64.
const resortPasses = 12

// resort orders the positions by label (stably), so that a block's tiles
// mostly share their centroid: it permutes the per-position state and
// rebuilds the blocks from the data in the new order. a.mu is held; calls
// without pruning wait on layoutMu meanwhile.
func (a *Assigner) resort(st *pruneState) {
	n, nb := a.data.N, st.nb
	if st.order == nil {
		st.order = make([]int32, n)
		st.label2 = make([]int32, len(st.label))
		st.dist2 = make([]float32, n)
		st.uq2 = make([]uint32, n)
		st.lb2 = make([]uint32, len(st.lb))
		st.perm2 = make([]int32, n)
	}
	start := make([]int, st.k+1)
	for _, c := range st.label[:n] {
		start[c+1]++
	}
	for c := range st.k {
		start[c+1] += start[c]
	}
	for p, c := range st.label[:n] {
		st.order[start[c]] = int32(p)
		start[c]++
	}
	for q, p := range st.order {
		st.label2[q], st.dist2[q], st.uq2[q] = st.label[p], st.dist[p], st.uq[p]
		copy(st.lb2[q*nb:(q+1)*nb], st.lb[int(p)*nb:int(p+1)*nb])
		if a.perm != nil {
			st.perm2[q] = a.perm[p]
		} else {
			st.perm2[q] = p
		}
	}
	st.label, st.label2 = st.label2, st.label
	st.dist, st.dist2 = st.dist2, st.dist
	st.uq, st.uq2 = st.uq2, st.uq
	st.lb, st.lb2 = st.lb2, st.lb
	a.layoutMu.Lock()
	a.perm, st.perm2 = st.perm2, a.perm
	if st.perm2 == nil {
		st.perm2 = make([]int32, n)
	}
	l := st.lanes
	nblk := (n + l - 1) / l
	per := (nblk + a.workers - 1) / a.workers
	var wg sync.WaitGroup
	for w := range a.workers {
		lo, hi := w*per*l, min((w+1)*per*l, n)
		if lo < hi {
			wg.Go(func() { relayout(a.blocks, a.data, a.perm, l, lo, hi) })
		}
	}
	wg.Wait()
	a.layoutMu.Unlock()
	st.resorts++
}

// pruneChunk assigns the tiles at positions lo..hi-1 (lo a multiple of the
// lanes; see Assigner.perm: the state is by position). It
// computes the own distance of every tile whose centroid moved, tests the
// tile's bounds against its threshold, computes the groups that fail, and
// merges their sums in centroid index order (ties to the lowest index) with
// the own centroid's, updating the bounds of the groups it computed.
func (a *Assigner) pruneChunk(st *pruneState, w *pruneWork, lo, hi int, cent []float32, labels []int32, dists []float32) {
	dim, lanes, nb, per := st.dim, st.lanes, st.nb, st.per
	perm := a.perm // this call alone changes it, after the workers are done
	w.tasks, w.tgroup, w.busy, w.first = w.tasks[:0], w.tgroup[:0], w.busy[:0], w.first[:0]
	if !st.fresh {
		a.ownDistances(st, w, lo, hi, cent)
	}
	nt := hi - lo
	if !st.fresh {
		// Thresholds (new where the own centroid moved), then the bounds
		// drifted and tested, the chunk at once.
		for t := range nt {
			i := lo + t
			if c := st.label[i]; st.moved[c] {
				st.dist[i] = w.sa[t]
				st.uq[i] = st.bm.threshold(w.sa[t])
			}
		}
		if nb <= 64 {
			a.filter(st.lb[lo*nb:hi*nb], nt, nb, st.qdrift, st.uq[lo:hi], w.fails[:nt])
		}
	}
	for t := range nt {
		i := lo + t
		first := len(w.tgroup)
		if st.fresh {
			for g := range st.groups {
				w.tgroup = append(w.tgroup, int32(g))
			}
		} else {
			if nb <= 64 {
				for fails := w.fails[t]; fails != 0; fails &= fails - 1 {
					w.addGroups(bits.TrailingZeros64(fails), per, st.groups)
				}
			} else {
				// Too many bounds for a mask: drift and test them one by
				// one (what filter does for a chunk).
				lbs := st.lb[i*nb : (i+1)*nb]
				for b, q := range lbs {
					lbs[b] = max(q, st.qdrift[b]) - st.qdrift[b]
					if lbs[b] <= st.uq[i] {
						w.addGroups(b, per, st.groups)
					}
				}
			}
			if len(w.tgroup) == first {
				ti := i
				if perm != nil {
					ti = int(perm[i])
				}
				labels[ti], dists[ti] = st.label[i], st.dist[i]
				continue
			}
		}
		w.busy = append(w.busy, int32(t))
		w.first = append(w.first, int32(first))
	}
	ntasks := len(w.tgroup)
	w.first = append(w.first, int32(ntasks))
	if ntasks == 0 {
		return
	}
	// The tasks read the tiles' bytes where they are: the SIMD kernels in
	// the chunk's blocks (which the own distances have just read), a
	// tile's features lanes bytes apart; the portable code in the rows.
	rows := a.data.X[lo*dim : hi*dim]
	if a.kern != nil {
		rows = a.blocks[lo*dim : (lo+(hi-lo+lanes-1)/lanes*lanes)*dim]
		for s, t := range w.busy {
			w.xoff[s] = uint32(int(t)&^(lanes-1)*dim + int(t)&(lanes-1)) // lanes: a power of 2
		}
	} else {
		for s, t := range w.busy {
			w.xoff[s] = uint32(int(t) * dim)
		}
	}
	// The kernel's order: group by group, so that a group's values stay in
	// the first-level cache while its tiles use them (and four tasks of a
	// group load them once per feature); results go to each task's slot.
	clear(w.gcount)
	for _, g := range w.tgroup {
		w.gcount[g+1]++
		w.computed += int64(st.size[g])
	}
	for g := range st.groups {
		w.gcount[g+1] += w.gcount[g]
	}
	w.tasks = slices.Grow(w.tasks[:0], 4*ntasks)[:4*ntasks]
	for s := range w.busy {
		for j := int(w.first[s]); j < int(w.first[s+1]); j++ {
			g := w.tgroup[j]
			q := 4 * w.gcount[g]
			w.gcount[g]++
			w.tasks[q], w.tasks[q+1], w.tasks[q+2], w.tasks[q+3] = w.xoff[s], uint32(int(g)*dim*lanes), uint32(j), 0
		}
	}
	w.out = slices.Grow(w.out[:0], 4*ntasks)[:4*ntasks]
	a.runTasks(rows, st.ct, w.tasks, ntasks, dim, w.out)

	inf := float32(math.Inf(1))
	for s, t := range w.busy {
		i := lo + int(t)
		tasks := w.tgroup[w.first[s]:w.first[s+1]]
		out := w.out[4*int(w.first[s]) : 4*int(w.first[s+1])]
		var old, best int32 = -1, -1
		bestS := inf
		if !st.fresh {
			old, best, bestS = st.label[i], st.label[i], st.dist[i]
		}
		// Lanes are in ascending centroid order within a group, so a
		// group's lowest lane with the smallest sum is its lowest index.
		for j, g := range tasks {
			s := out[4*j]
			c := st.memb[int(g)*lanes+int(math.Float32bits(out[4*j+1]))]
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
		lbs := st.lb[i*nb : (i+1)*nb]
		oldDone := false
		for j := 0; j < len(tasks); {
			b := st.gbound[tasks[j]]
			low := inf
			for ; j < len(tasks) && st.gbound[tasks[j]] == b; j++ {
				g := tasks[j]
				if st.memb[int(g)*lanes+int(math.Float32bits(out[4*j+1]))] == best {
					low = min(low, out[4*j+2])
				} else {
					low = min(low, out[4*j])
				}
			}
			if low == inf {
				lbs[b] = math.MaxUint32 // no other centroid in it
			} else {
				lbs[b] = st.bm.lowerBound(low)
			}
			if old >= 0 && st.cbound[old] == b {
				oldDone = true
			}
		}
		if best != old {
			if old >= 0 && !oldDone {
				// The old centroid is now one of the others of its bound
				// group.
				b := st.cbound[old]
				lbs[b] = min(lbs[b], st.bm.lowerBound(st.dist[i]))
			}
			st.label[i], st.dist[i], st.uq[i] = best, bestS, st.bm.threshold(bestS)
		}
	}
}

// addGroups adds the groups of bound b (per groups a bound, of groups) to
// the tasks.
func (w *pruneWork) addGroups(b, per, groups int) {
	for g := b * per; g < min(groups, (b+1)*per); g++ {
		w.tgroup = append(w.tgroup, int32(g))
	}
}

// ownDistances sets w.sa[t] to the distance of tile lo+t to its centroid
// (st.label) for every tile whose centroid moved.
func (a *Assigner) ownDistances(st *pruneState, w *pruneWork, lo, hi int, cent []float32) {
	dim := st.dim
	if a.kern == nil {
		for t := range hi - lo {
			if c := st.label[lo+t]; st.moved[c] {
				w.sa[t] = kmeans.Distance(a.data.Row(lo+t), cent[int(c)*dim:int(c+1)*dim])
				w.computed++
			}
		}
		return
	}
	l := a.kern.lanes
	for b := lo; b < hi; b += l {
		us := w.us[:0]
		for t := b; t < min(b+l, hi); t++ {
			if c := st.label[t]; st.moved[c] {
				w.computed++
				if !slices.Contains(us, c) {
					us = append(us, c)
				}
			}
		}
		if len(us) == 0 {
			continue
		}
		w.extraPasses += int64(len(us) - 1)
		var out [16]float32
		a.runOwn(a.blocks[b*dim:(b+l)*dim], dim, cent, us, st.label[b:b+l], out[:l])
		copy(w.sa[b-lo:min(b+l, hi)-lo], out[:])
	}
}
