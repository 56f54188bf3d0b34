package cpu

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/tilekmeans/tilekmeans/kmeans"
)

// Assigner is the CPU implementation of kmeans.Assigner (with MadeFor),
// made by New for one kmeans.Data. It spreads the
// tiles over its worker goroutines with the fastest kernel this CPU runs
// (Kernel) and, unless Options.BruteForce is set, prunes the distances its
// bounds exclude (see the package documentation); the results depend on
// neither. Assign may be called from several goroutines at once: one call
// at a time prunes, the others compute every distance.
type Assigner struct {
	data    kmeans.Data
	bad     error // why data cannot be assigned (kmeans.Data.Validate), or nil
	workers int
	opts    Options
	kern    *kernel // nil: the portable Go code
	// ctPool holds centroid buffers. A pointer: the runtime's list of
	// pools keeps a pool alive for two collections after its last use,
	// and a pool inside the Assigner would keep the Assigner (and its copy
	// of the tiles) alive with it.
	ctPool *sync.Pool
	stats  stats

	// The data re-laid for kern: ceil(N/L) blocks of D*L bytes, the tiles
	// at positions b*L..b*L+L-1 in block b. Position p holds tile perm[p]
	// (nil: tile p); pruning orders positions by cluster, which a call
	// holding pruneMu may change under layoutMu while other calls read.
	layoutMu sync.RWMutex
	blocks   []uint8
	perm     []int32

	pruneMu sync.Mutex  // held by the pruning call
	pruned  *pruneState // what the last pruned call left (groups, bounds); nil: none

	// Test hooks.
	forcePrune  bool    // prune even a single group
	indexGroups bool    // group centroids by index, not by position
	marginScale float64 // scales the rounding margin (1; 0 is unsafe)
}

// Options configure an Assigner (New). The zero value means one worker
// goroutine per core, pruning where it pays, and at most 1 GiB of bounds.
type Options struct {
	// Workers is the number of worker goroutines; < 1 means one per core.
	Workers int
	// BruteForce computes every distance of every call: the reference,
	// and the baseline of benchmarks. By default (false) an Assigner
	// prunes whenever the centroids split into at least two groups of the
	// kernel's width (k > 16 with AVX-512, k > 8 with AVX2, k > 4 in
	// portable Go) and the bounds fit in MaxBoundBytes, and computes every
	// distance otherwise.
	BruteForce bool
	// MaxBoundBytes caps the memory pruning keeps per Assigner, in bytes;
	// 0 means 1 GiB. With more tiles or groups than fit, several centroid
	// groups share one bound (fewer, looser bounds), down to one bound per
	// tile; if even that does not fit, the Assigner computes every
	// distance.
	MaxBoundBytes int64
	// DeferLayout leaves the SIMD kernel's copy of the tiles (as many bytes
	// as data.X) to the first Assign instead of New: for an Assigner that
	// may never assign, such as the tool's CPU fallback beside a GPU, or
	// one kept only for SumDistances. Results do not depend on it.
	DeferLayout bool
}

// defaultMaxBoundBytes is Options.MaxBoundBytes when it is 0.
const defaultMaxBoundBytes = 1 << 30

// New returns an Assigner for data with the given options (the zero
// Options: one worker goroutine per core, pruning where it pays). It picks
// the fastest kernel this CPU runs (see Kernel); a SIMD kernel works on its
// own re-laid copy of data.X, made here (with Options.DeferLayout, at the
// first Assign). The portable code and pruning read
// data.X itself, which must not change while the Assigner is in use. For
// rows that fail kmeans.Data.Validate, Assign returns that error (no rows
// at all is no error: there is nothing to assign).
func New(data kmeans.Data, opts Options) *Assigner {
	if data.N != 0 {
		if err := data.Validate(); err != nil {
			return &Assigner{data: data, bad: fmt.Errorf("cpu: %w", err)}
		}
	}
	name := goKernel
	if len(simdKernels) > 0 {
		name = simdKernels[0].name
	}
	a, err := newWithKernel(data, opts, name)
	if err != nil {
		panic(err) // unreachable: the name comes from simdKernels
	}
	return a
}

// Name implements kmeans.Assigner.
func (a *Assigner) Name() string { return "cpu" }

// MadeFor returns the data New was given (see kmeans.Assigner).
func (a *Assigner) MadeFor() kmeans.Data { return a.data }

// Kernel names the kernel a uses: "avx512", "avx2" or "go" (the portable
// code).
func (a *Assigner) Kernel() string {
	if a.kern == nil {
		return goKernel
	}
	return a.kern.name
}

// Assign implements kmeans.Assigner: it labels each of the N tiles with
// the nearest of the k centroids (row-major, D values each), labels[i] its
// index and dists[i] its squared distance as kmeans.Nearest computes them,
// ties to the lowest index. It returns an error, having written nothing,
// when k < 1, centroids holds fewer than k*D values, or labels or dists
// are shorter than N.
func (a *Assigner) Assign(centroids []float32, k int, labels []int32, dists []float32) error {
	if a.bad != nil {
		return a.bad
	}
	n, dim := a.data.N, a.data.D
	if k < 1 || len(centroids) < k*dim {
		return fmt.Errorf("cpu: assign: %d centroid values for k=%d and %d features", len(centroids), k, dim)
	}
	if len(labels) < n || len(dists) < n {
		return fmt.Errorf("cpu: assign: output slices shorter than %d rows", n)
	}
	if n == 0 {
		return nil
	}
	if a.kern != nil {
		a.layout()
	}
	if !a.opts.BruteForce && a.pruneMu.TryLock() {
		done := a.assignPruned(centroids, k, labels, dists)
		a.pruneMu.Unlock()
		if done {
			return nil
		}
	}
	a.stats.add(false, int64(n)*int64(k), int64(n)*int64(k))
	if a.kern != nil {
		a.assignSIMD(centroids, k, labels, dists)
		return nil
	}
	chunk := (n + a.workers - 1) / a.workers
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.assignRange(lo, hi, centroids, k, labels, dists)
		}()
	}
	wg.Wait()
	return nil
}

// Computed returns how many tile-to-centroid distances a's calls have
// computed since New, and how many pairs they were asked for (N*k per call).
// The two are equal when every call computed every distance; the
// difference is what pruning skipped. computed/pairs is the share of
// distances computed that tilekmeans bench reports.
func (a *Assigner) Computed() (computed, pairs int64) {
	return a.stats.computed.Load(), a.stats.pairs.Load()
}

// Reset makes a's next call start afresh, as its first call does: it
// forgets the bounds of earlier calls (that call computes every distance
// and groups its centroids anew). Results never depend on it; a benchmark
// calls it to time the first call of a run, or a whole run, again on the
// same Assigner.
func (a *Assigner) Reset() {
	a.pruneMu.Lock()
	a.pruned = nil
	a.pruneMu.Unlock()
}

// Pruning describes, for reports, how a call with k centroids prunes:
// "off", or the centroid groups, the bounds per tile and the memory they
// take, e.g. "yinyang: 16 groups of <= 16 centroids, 16 bounds per tile,
// tiles ordered by cluster (87.7 MiB)".
func (a *Assigner) Pruning(k int) string {
	sh, ok := a.shape(k)
	if !ok {
		return "off"
	}
	order := ""
	if sh.ordered {
		order = ", tiles ordered by cluster"
	}
	bounds := "bounds"
	if sh.nbounds == 1 {
		bounds = "bound"
	}
	return fmt.Sprintf("yinyang: %d groups of <= %d centroids, %d %s per tile%s (%s)",
		sh.groups, a.taskLanes(), sh.nbounds, bounds, order, formatBytes(int64(a.data.N)*sh.tileBytes()))
}

// kernel is a SIMD assignment kernel, an assembly function. Its run method
// (kernels_*.go) labels nblocks blocks at x against the ng centroid groups at
// ct (the first ng1 of s1 centroids, the rest of s1-1, each group stored
// feature-major), writing L labels and dists per block.
type kernel struct {
	name  string
	lanes int // L: tiles per block, one per lane
	cmax  int // most centroids per group
}

// goKernel names the portable Go code.
const goKernel = "go"

// kernelNames returns the kernels this CPU can run, preferred first; "go"
// (always last) is the portable code.
func kernelNames() []string {
	var s []string
	for _, k := range simdKernels {
		s = append(s, k.name)
	}
	return append(s, goKernel)
}

// newWithKernel is New with the kernel named (one of kernelNames): the
// tests' and benchmarks' way to run a kernel that is not this CPU's
// fastest.
func newWithKernel(data kmeans.Data, opts Options, name string) (*Assigner, error) {
	workers := opts.Workers
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	a := &Assigner{data: data, workers: workers, opts: opts, marginScale: 1, ctPool: new(sync.Pool)}
	if name == goKernel {
		return a, nil
	}
	for _, k := range simdKernels {
		if k.name == name {
			a.kern = k
		}
	}
	if a.kern == nil {
		return nil, fmt.Errorf("cpu: kernel %q not available (have %v)", name, kernelNames())
	}
	if data.D < 1 || data.N < 0 || len(data.X) < data.N*data.D {
		// Nothing to vectorise (every distance is 0), or malformed data
		// that kmeans.Run rejects before any Assign: keep New from
		// failing, as it never did.
		a.kern = nil
		return a, nil
	}
	if !opts.DeferLayout {
		a.layout()
	}
	return a, nil
}

// layout makes the kernel's copy of the tiles if there is none yet (New,
// or the first Assign with Options.DeferLayout), under layoutMu: calls may
// come from several goroutines at once.
func (a *Assigner) layout() {
	a.layoutMu.RLock()
	done := a.blocks != nil
	a.layoutMu.RUnlock()
	if done {
		return
	}
	a.layoutMu.Lock()
	defer a.layoutMu.Unlock()
	if a.blocks == nil {
		l := a.kern.lanes
		blocks := make([]uint8, (a.data.N+l-1)/l*l*a.data.D)
		relayout(blocks, a.data, a.perm, l, 0, a.data.N)
		a.blocks = blocks
	}
}

// stats counts an Assigner's work since New, atomically: brute-force calls
// may run concurrently with each other.
type stats struct {
	calls, pruned, pairs, computed atomic.Int64
}

func (s *stats) add(pruned bool, pairs, computed int64) {
	s.calls.Add(1)
	if pruned {
		s.pruned.Add(1)
	}
	s.pairs.Add(pairs)
	s.computed.Add(computed)
}

// assignSIMD is Assign with a SIMD kernel. The k centroids are split into ng
// groups of at most cmax, as even as possible (ng1 of s1, the rest of s1-1),
// and copied feature-major per group so that the kernel reads each group's
// values for feature j side by side. Workers get whole blocks.
func (a *Assigner) assignSIMD(centroids []float32, k int, labels []int32, dists []float32) {
	n, dim, kern := a.data.N, a.data.D, a.kern
	ng := (k + kern.cmax - 1) / kern.cmax
	s1 := (k + ng - 1) / ng
	ng1 := k - ng*(s1-1)

	p, _ := a.ctPool.Get().(*[]float32)
	if p == nil {
		p = new([]float32)
	}
	if cap(*p) < k*dim {
		*p = make([]float32, k*dim)
	}
	ct := (*p)[:k*dim]
	for g, base := 0, 0; g < ng; g++ {
		c := s1
		if g >= ng1 {
			c--
		}
		dst := ct[base*dim : (base+c)*dim]
		for i := range c {
			for j, v := range centroids[(base+i)*dim : (base+i+1)*dim] {
				dst[j*c+i] = v
			}
		}
		base += c
	}

	a.layoutMu.RLock()
	defer a.layoutMu.RUnlock()
	l := kern.lanes
	nblocks := (n + l - 1) / l
	run := func(lo, hi int) {
		if a.perm != nil {
			// Positions are permuted: label a few blocks at a time into
			// a buffer, then put each result at its tile.
			var lbuf [1024]int32
			var dbuf [1024]float32
			for b := lo; b < hi; b += len(lbuf) / l {
				m := min(hi-b, len(lbuf)/l)
				kern.run(&a.blocks[b*l*dim], m, dim, &ct[0], ng, ng1, s1, &lbuf[0], &dbuf[0])
				for t, p := range a.perm[b*l : min((b+m)*l, n)] {
					labels[p], dists[p] = lbuf[t], dbuf[t]
				}
			}
			return
		}
		full := hi
		if hi*l > n {
			full = hi - 1 // the padded last block
		}
		if full > lo {
			kern.run(&a.blocks[lo*l*dim], full-lo, dim, &ct[0], ng, ng1, s1, &labels[lo*l], &dists[lo*l])
		}
		if full < hi {
			var lbuf [16]int32
			var dbuf [16]float32
			kern.run(&a.blocks[full*l*dim], 1, dim, &ct[0], ng, ng1, s1, &lbuf[0], &dbuf[0])
			copy(labels[full*l:n], lbuf[:])
			copy(dists[full*l:n], dbuf[:])
		}
	}
	// Workers take chunks of blocks from a shared counter, so that a core
	// that is busy elsewhere (or a worker that starts late) costs little.
	// A chunk is small (at most 2^15 feature-by-centroid steps per lane),
	// and each worker gets about four.
	chunk := max(1, min((nblocks+4*a.workers-1)/(4*a.workers), (1<<15)/(k*dim)))
	nchunks := (nblocks + chunk - 1) / chunk
	if a.workers == 1 || nchunks == 1 {
		run(0, nblocks)
	} else {
		var next atomic.Int64
		work := func() {
			for {
				lo := int(next.Add(1)-1) * chunk
				if lo >= nblocks {
					return
				}
				run(lo, min(lo+chunk, nblocks))
			}
		}
		var wg sync.WaitGroup
		for range min(a.workers, nchunks) - 1 {
			wg.Go(work)
		}
		work()
		wg.Wait()
	}
	a.ctPool.Put(p)
}

// block is how many rows assignRange takes at a time.
const block = 4

// assignRange labels rows lo..hi-1. It computes the same sums as
// kmeans.Nearest, in the same order, but for four rows at a time against each
// centroid: the four accumulations are independent, so the processor
// overlaps their add latencies instead of waiting on one chain of dim
// dependent adds.
func (a *Assigner) assignRange(lo, hi int, centroids []float32, k int, labels []int32, dists []float32) {
	dim := a.data.D
	var x [block][]float32
	for b := range x {
		x[b] = make([]float32, dim)
	}
	var best [block]int32
	var bestD [block]float32
	for i := lo; i < hi; i += block {
		m := min(block, hi-i)
		for b := range block {
			// A short last block repeats its last row; the copies' results
			// are dropped.
			row := a.data.Row(i + min(b, m-1))
			for j, v := range row {
				x[b][j] = float32(v)
			}
		}
		for c := range k {
			s0, s1, s2, s3 := distance4(centroids[c*dim:(c+1)*dim], x[0], x[1], x[2], x[3])
			for b, s := range [block]float32{s0, s1, s2, s3} {
				if c == 0 || s < bestD[b] {
					best[b], bestD[b] = int32(c), s
				}
			}
		}
		copy(labels[i:i+m], best[:m])
		copy(dists[i:i+m], bestD[:m])
	}
}

// distance4 returns the squared distances of four rows, already converted to
// float32 (exact for uint8), to centroid c, each summed like Distance.
func distance4(c, x0, x1, x2, x3 []float32) (s0, s1, s2, s3 float32) {
	n := len(c)
	x0, x1, x2, x3 = x0[:n], x1[:n], x2[:n], x3[:n]
	for j, v := range c {
		d0 := x0[j] - v
		d1 := x1[j] - v
		d2 := x2[j] - v
		d3 := x3[j] - v
		s0 += float32(d0 * d0)
		s1 += float32(d1 * d1)
		s2 += float32(d2 * d2)
		s3 += float32(d3 * d3)
	}
	return
}
