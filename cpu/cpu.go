package cpu

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/tilekmeans/tilekmeans/kmeans"
)

// Distance is kmeans.Distance, the reference arithmetic of the contract in
// package kmeans, kept here under its old name.
func Distance(x []uint8, c []float32) float32 { return kmeans.Distance(x, c) }

// Nearest is kmeans.Nearest, kept here under its old name.
func Nearest(x []uint8, centroids []float32, k int) (int32, float32) {
	return kmeans.Nearest(x, centroids, k)
}

// Assigner is the CPU implementation of kmeans.Assigner. It spreads rows over
// all cores.
//
// On amd64 with AVX2 or AVX-512 it scores L tiles at a time (one per SIMD
// lane, see kernels_amd64.go) from a copy of the data that New re-lays into
// blocks of L tiles, feature-major; elsewhere (or with -tags purego) it runs
// the portable Go code. Every kernel computes exactly the sums of Distance,
// so the results do not depend on which one runs.
type Assigner struct {
	data    kmeans.Data
	workers int
	kern    *kernel // nil: the portable Go code
	blocks  []uint8 // data re-laid for kern: ceil(N/L) blocks of D*L bytes
	ctPool  sync.Pool
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

// New returns an Assigner for data that uses workers goroutines (all cores
// when workers < 1). It picks the fastest kernel this CPU runs (see Kernel);
// a SIMD kernel works on its own re-laid copy of data.X, made here, so later
// changes to data.X are not seen.
func New(data kmeans.Data, workers int) *Assigner {
	name := goKernel
	if len(simdKernels) > 0 {
		name = simdKernels[0].name
	}
	a, err := newWithKernel(data, workers, name)
	if err != nil {
		panic(err) // unreachable: the name comes from simdKernels
	}
	return a
}

// kernelNames returns the kernels this CPU can run, preferred first; "go"
// (always last) is the portable code.
func kernelNames() []string {
	var s []string
	for _, k := range simdKernels {
		s = append(s, k.name)
	}
	return append(s, goKernel)
}

// newWithKernel is New with the kernel named (one of kernelNames).
func newWithKernel(data kmeans.Data, workers int, name string) (*Assigner, error) {
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	a := &Assigner{data: data, workers: workers}
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
	a.blocks = relayout(data, a.kern.lanes)
	return a, nil
}

// relayout copies data into blocks of l tiles, feature-major: block b holds
// rows b*l..b*l+l-1 as block[j*l+t] = row t's feature j. The last block is
// padded by repeating the last row (its results are dropped).
func relayout(data kmeans.Data, l int) []uint8 {
	n, dim := data.N, data.D
	nb := (n + l - 1) / l
	out := make([]uint8, nb*l*dim)
	for b := range nb {
		blk := out[b*l*dim : (b+1)*l*dim]
		for t := range l {
			for j, v := range data.Row(min(b*l+t, n-1)) {
				blk[j*l+t] = v
			}
		}
	}
	return out
}

// Name implements kmeans.Assigner.
func (a *Assigner) Name() string { return "cpu" }

// Kernel names the kernel a uses: "avx512", "avx2" or "go".
func (a *Assigner) Kernel() string {
	if a.kern == nil {
		return goKernel
	}
	return a.kern.name
}

// Assign implements kmeans.Assigner.
func (a *Assigner) Assign(centroids []float32, k int, labels []int32, dists []float32) error {
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

	l := kern.lanes
	nb := (n + l - 1) / l
	run := func(lo, hi int) {
		full := hi
		if hi*l > n {
			full = hi - 1 // the padded last block
		}
		if full > lo {
			kern.run(&a.blocks[lo*l*dim], full-lo, dim, &ct[0], ng, ng1, s1, &labels[lo*l], &dists[lo*l])
		}
		if full < hi {
			var lb [16]int32
			var db [16]float32
			kern.run(&a.blocks[full*l*dim], 1, dim, &ct[0], ng, ng1, s1, &lb[0], &db[0])
			copy(labels[full*l:n], lb[:])
			copy(dists[full*l:n], db[:])
		}
	}
	// Workers take chunks of blocks from a shared counter, so that a core
	// that is busy elsewhere (or a worker that starts late) costs little.
	// A chunk is a few tens of microseconds of work, and each worker gets
	// several.
	chunk := max(1, min((nb+4*a.workers-1)/(4*a.workers), (1<<15)/(k*dim)))
	nchunks := (nb + chunk - 1) / chunk
	if a.workers == 1 || nchunks == 1 {
		run(0, nb)
	} else {
		var next atomic.Int64
		work := func() {
			for {
				lo := int(next.Add(1)-1) * chunk
				if lo >= nb {
					return
				}
				run(lo, min(lo+chunk, nb))
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

// assignRange labels rows lo..hi-1. It computes the same sums as Nearest, in
// the same order, but for four rows at a time against each centroid: the four
// accumulations are independent, so the processor overlaps their add
// latencies instead of waiting on one chain of dim dependent adds.
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
