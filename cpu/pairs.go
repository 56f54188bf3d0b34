package cpu

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/tilekmeans/tilekmeans/internal/exactsum"
	"github.com/tilekmeans/tilekmeans/internal/pairargs"
	"github.com/tilekmeans/tilekmeans/kmeans"
)

// The pairwise pass (SumDistances): the silhouette's sums of distances.
//
// The rows are cut into blocks of pairBlock. Each pair of blocks (I, J),
// I <= J, is computed once: the exact integer squared distances of its
// 64 x 64 pairs, as |x|² + |y|² - 2 x·y in int32 (x·y by VNNI's VPDPBUSD,
// unsigned bytes times signed ones, on AVX-512; exact while D*256*255 <
// 2^31), their correctly rounded float64 square roots, each split exactly
// into two integers (exactsum.SplitRoot), and both orientations of that
// block: V[i][j] for the rows of J, VT[j][i] for the rows of I. Each
// labelling then adds the block's integers to the sums of the rows of I
// (over the columns of J) and of the rows of J (over those of I), one
// cluster at a time, 64 rows side by side (segsum).
//
// Integer sums do not depend on the order of the terms, so the workers
// need no order among them (see run). The result is exactsum.Roots's,
// rounded once per row and cluster: the same bits for every worker count
// and kernel, and equal to kmeans.SumDistances.
//
// More than 4,096 features are cut into chunks of pairChunk (4,096): the
// kernel computes each chunk's squared distances alone (pairDistVNNI,
// exact in int32), chunk by chunk for all 64 x 64 pairs of a block, so
// that a chunk of both blocks (512 KB) stays in the core's cache while
// its 8 panels use it; they add in int64, so that more than 32,896
// features (which would pass the int32 range) are exact too, and the roots
// and their split follow in Go (splitRoots), the same operations as the
// kernel's, so the bits do not change; the roots, one per pair, cost little
// beside the 4,096 or more byte products of each.
//
// Memory: the rows packed once for the kernel (n*D bytes, padded to
// multiples of 64 rows and 4 features), one int32 sort index per row and
// labelling, the integer sums (16 bytes per row and cluster of each
// labelling) and the float64 results, and per worker up to 8 blocks of
// panels (8*64*D bytes, within 8 MB when one block fits), 128 KB of pair
// values, 32 KB of distances with chunks, and at most 384 KB of local sums
// (or one block's, 16 KB per cluster, when k is larger).

const (
	pairBlock = 64 // rows per block
	pairPanel = 8  // rows per kernel call
	pairGroup = 16 // columns per SIMD register (int32 lanes)
)

// maxPairFeatures is the most features for which the kernels' int32
// arithmetic is exact: |x|² - 256 Σ x, 2 x·(y-128) and the squared
// distance itself stay within ±2^31 while D*256*255 < 2^31. More features
// are cut into chunks of pairChunk, as are more than pairChunk for the
// caches' sake.
const (
	maxPairFeatures = (1<<31 - 1) / (256 * 255)
	pairChunk       = 1 << 12
)

// SumDistances implements kmeans.DistanceSummer on all of a's workers, with
// the AVX-512 VNNI kernel when this CPU has it (see the package
// documentation) and portable Go code otherwise; the sums are the same bit
// for bit either way, equal to kmeans.SumDistances. It is safe to call from
// several goroutines at once, and alongside Assign.
func (a *Assigner) SumDistances(ctx context.Context, rows []int32, labels [][]int32, ks []int, sums [][]float64) error {
	n, err := pairargs.Check(a.data.N, a.data.D, rows, labels, ks, sums)
	if err != nil {
		return fmt.Errorf("cpu: sum distances: %w", err)
	}
	if n == 0 {
		return nil
	}
	p := newPairPass(a.data, rows, n, a.workers, a.pairKernel())
	return p.run(ctx, labels, ks, sums)
}

// pairKernels are the two steps of the pairwise pass, SIMD or portable.
type pairKernels struct {
	name string
	// block computes 8 rows of a block against its 64 columns (see
	// pairBlockGo); scratch holds 512 int32.
	block func(panel, cols []uint8, nq, dp int, rowNorm, colConst []int32, v, vt []int64, scratch []int32)
	// dist computes the squared distances alone, of one chunk of the
	// features (see pairDistGo).
	dist func(panel, cols []uint8, nq, stride, dp int, rowNorm, colConst, out []int32)
	// segsum adds block rows to the sums (see segsumGo).
	segsum func(v []int64, order, ends, clusters []int32, out []int64, stride int)
	// flush adds local sums to shared ones and zeroes them (see flushGo).
	flush func(dst []int64, stride int, src []int64, rows int)
}

var goPairKernels = &pairKernels{name: goKernel, block: pairBlockGo, dist: pairDistGo, segsum: segsumGo, flush: flushGo}

// pairWidth is a row of a block's values: 64 H then 64 L (exactsum.Roots).
const pairWidth = 2 * pairBlock

// pairPass is one SumDistances call.
type pairPass struct {
	n, nb, dp, nq int
	workers       int
	kern          *pairKernels
	cols          []uint8 // the rows packed as kernel columns (newPairPass)
	signed        func(dst []uint8, i int)
	// Per chunk of chunkQ quads of features (all of them in one chunk up
	// to maxPairFeatures), nb*64 values each:
	chunkQ, chunks int
	norm           []int32 // |x_i|² over the chunk's features
	colConst       []int32 // |x_j|² - 256 Σ x_j over them, for the kernel's unsigned-times-signed dot
}

func newPairPass(data kmeans.Data, rows []int32, n, workers int, kern *pairKernels) *pairPass {
	row := func(i int) []uint8 {
		if rows == nil {
			return data.Row(i)
		}
		return data.Row(int(rows[i]))
	}
	nb := (n + pairBlock - 1) / pairBlock
	dp := (data.D + 3) &^ 3
	p := &pairPass{n: n, nb: nb, dp: dp, nq: dp / 4, workers: workers, kern: kern}
	p.chunkQ = p.nq
	if data.D > pairChunk {
		p.chunkQ = pairChunk / 4
	}
	p.chunks = (p.nq + p.chunkQ - 1) / p.chunkQ
	npad := nb * pairBlock
	p.cols = make([]uint8, npad*dp)
	p.norm = make([]int32, p.chunks*npad)
	p.colConst = make([]int32, p.chunks*npad)
	parallel(workers, nb, func(b int) {
		for i := b * pairBlock; i < min(n, (b+1)*pairBlock); i++ {
			x := row(i)
			for c := range p.chunks {
				var sq, sum int32
				for _, v := range x[min(len(x), 4*c*p.chunkQ):min(len(x), 4*(c+1)*p.chunkQ)] {
					sq += int32(v) * int32(v)
					sum += int32(v)
				}
				p.norm[c*npad+i], p.colConst[c*npad+i] = sq, sq-256*sum
			}
			// Column i sits in group i/16, lane i%16: per quad of
			// features q, 4 bytes at ((group*nq + q)*16 + lane)*4.
			base := (i/pairGroup*p.nq*pairGroup + i%pairGroup) * 4
			for q := range p.nq {
				copy(p.cols[base+q*pairGroup*4:base+q*pairGroup*4+4], x[4*q:min(4*q+4, len(x))])
			}
		}
	})
	// A panel row: the row's bytes minus 128 as signed bytes (x ^ 0x80),
	// the padding features 0, so that they add nothing.
	p.signed = func(dst []uint8, i int) {
		if i >= n {
			clear(dst)
			return
		}
		x := row(i)
		for j, v := range x {
			dst[j] = v ^ 0x80
		}
		clear(dst[len(x):])
	}
	return p
}

// parallel calls f(0..count-1) on up to workers goroutines.
func parallel(workers, count int, f func(int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, count) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < count; i = int(next.Add(1) - 1) {
				f(i)
			}
		})
	}
	wg.Wait()
}

// labelling is one labelling's block orders and sums.
type labelling struct {
	k int
	// order holds, per block, its rows' positions (0..63) sorted by
	// cluster; segment s of block b ends at order position
	// ends[segOff[b]+s] and is cluster clusters[segOff[b]+s].
	order          []int32
	ends, clusters []int32
	segOff         []int
	// sums holds, per block b and cluster c, 64 H then 64 L at
	// (b*k+c)*pairWidth: exactsum.Roots of the block's rows (a block's
	// clusters side by side, so that adding a block's local sums is one
	// pass over contiguous memory).
	sums []int64
}

func newLabelling(labels []int32, k, n, nb int) *labelling {
	l := &labelling{k: k, order: make([]int32, nb*pairBlock), segOff: make([]int, nb+1),
		sums: make([]int64, k*nb*pairWidth)}
	for b := range nb {
		lo, hi := b*pairBlock, min(n, (b+1)*pairBlock)
		ord := l.order[lo:hi]
		for t := range ord {
			ord[t] = int32(t)
		}
		slices.SortStableFunc(ord, func(x, y int32) int { return int(labels[lo+int(x)] - labels[lo+int(y)]) })
		for t := range ord {
			if t+1 == len(ord) || labels[lo+int(ord[t+1])] != labels[lo+int(ord[t])] {
				l.ends = append(l.ends, int32(t+1))
				l.clusters = append(l.clusters, labels[lo+int(ord[t])])
			}
		}
		l.segOff[b+1] = len(l.ends)
	}
	return l
}

// add adds the rows of block b, in its order, from v (pairWidth values
// per row) to out (a block's sums: pairWidth values per cluster, stride
// apart).
func (l *labelling) add(kern *pairKernels, v []int64, b int, out []int64, stride int) {
	s0, s1 := l.segOff[b], l.segOff[b+1]
	kern.segsum(v, l.order[b*pairBlock:(b+1)*pairBlock], l.ends[s0:s1], l.clusters[s0:s1], out, stride)
}

// pairLocalBytes bounds a worker's local sums, and pairPanelBytes its
// panels, unless one block's take more (see run).
const (
	pairLocalBytes = 384 << 10
	pairPanelBytes = 8 << 20
)

// run computes the sums of every labelling into sums (row-major, as
// kmeans.DistanceSummer lays them out).
//
// A worker takes a group of G consecutive row blocks (their panels within
// pairPanelBytes, and at least 4 groups per worker, for balance) and walks
// the column
// blocks J from the group's first: for each J it computes the pairs (I,
// J) of the group's blocks I <= J and adds them to sums of its own, those
// of the group's rows (over J) and those of the rows of J (over the
// group), which it adds to the shared sums once per J (and the group's
// once at the end), under a lock per row block. The memory a pair block's
// values pass through then stays in the caches: G+1 blocks' sums of every
// labelling, G chosen so that they fit pairLocalBytes.
func (p *pairPass) run(ctx context.Context, labels [][]int32, ks []int, sums [][]float64) error {
	ls := make([]*labelling, len(ks))
	ktotal := 0
	for i, k := range ks {
		ls[i] = newLabelling(labels[i], k, p.n, p.nb)
		ktotal += k
	}
	blockBytes := ktotal * pairWidth * 8 // one block's sums of every labelling
	g := max(1, min(8, pairLocalBytes/blockBytes-1, pairPanelBytes/(pairBlock*p.dp), p.nb/(4*p.workers)))
	ngroups := (p.nb + g - 1) / g
	locks := make([]sync.Mutex, p.nb)
	// flush adds a block's local sums (per labelling: k x pairWidth) to
	// the shared ones of row block b and zeroes them.
	flush := func(local [][]int64, b int) {
		locks[b].Lock()
		for li, l := range ls {
			p.kern.flush(l.sums[b*l.k*pairWidth:], pairWidth, local[li], l.k)
		}
		locks[b].Unlock()
	}
	newLocal := func() [][]int64 {
		local := make([][]int64, len(ls))
		for li, l := range ls {
			local[li] = make([]int64, l.k*pairWidth)
		}
		return local
	}
	var next atomic.Int64
	errs := make([]error, p.workers)
	var wg sync.WaitGroup
	for w := range min(p.workers, ngroups) {
		wg.Go(func() {
			panels := make([]uint8, g*pairBlock*p.dp)
			v := make([]int64, pairBlock*pairWidth)
			vt := make([]int64, pairBlock*pairWidth)
			scratch := make([]int32, pairPanel*pairBlock)
			var dist []int64
			if p.chunks > 1 {
				dist = make([]int64, pairBlock*pairBlock)
			}
			rowSums := make([][][]int64, g)
			for i := range rowSums {
				rowSums[i] = newLocal()
			}
			colSums := newLocal()
			for gi := int(next.Add(1) - 1); gi < ngroups; gi = int(next.Add(1) - 1) {
				i0, i1 := gi*g, min(p.nb, (gi+1)*g)
				for r := range (i1 - i0) * pairBlock {
					p.signed(panels[r*p.dp:(r+1)*p.dp], i0*pairBlock+r)
				}
				for J := i0; J < p.nb; J++ {
					if err := ctx.Err(); err != nil {
						errs[w] = err
						return
					}
					colOut := colSums
					if J < i1 {
						colOut = rowSums[J-i0]
					}
					for I := i0; I < min(i1, J+1); I++ {
						p.block(panels[(I-i0)*pairBlock*p.dp:], J, I, v, vt, scratch, dist)
						for li, l := range ls {
							l.add(p.kern, vt, J, rowSums[I-i0][li], pairWidth) // the rows of I, over J
							if I != J {
								l.add(p.kern, v, I, colOut[li], pairWidth) // the rows of J, over I
							}
						}
					}
					if J >= i1 {
						flush(colSums, J)
					}
				}
				for I := i0; I < i1; I++ {
					flush(rowSums[I-i0], I)
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	for li, l := range ls {
		out, k := sums[li], l.k
		parallel(p.workers, p.nb, func(b int) {
			for c := range k {
				s := l.sums[(b*k+c)*pairWidth:][:pairWidth]
				for t := range min(pairBlock, p.n-b*pairBlock) {
					out[(b*pairBlock+t)*k+c] = exactsum.Roots{H: s[t], L: s[pairBlock+t]}.Float64()
				}
			}
		})
	}
	return nil
}

// block computes the pairs of row block I (its panels packed in panels)
// and column block J into v (row i: H of the 64 columns, then L) and vt
// (row j: H of the 64 rows, then L). With several chunks of features, the
// chunks' squared distances add up in dist (64 x 64 int64) first.
func (p *pairPass) block(panels []uint8, J, I int, v, vt []int64, scratch []int32, dist []int64) {
	cols := p.cols[J*pairBlock*p.dp : (J+1)*pairBlock*p.dp]
	npad := p.nb * pairBlock
	if p.chunks == 1 {
		for r0 := 0; r0 < pairBlock; r0 += pairPanel {
			p.kern.block(panels[r0*p.dp:(r0+pairPanel)*p.dp], cols, p.nq, p.dp, p.norm[I*pairBlock+r0:][:pairPanel],
				p.colConst[J*pairBlock:][:pairBlock], v[r0*pairWidth:], vt[r0:], scratch)
		}
		return
	}
	// Chunk by chunk, every panel: the chunk's columns (64 x 4,096
	// bytes) and rows stay in the core's cache while the 8 panels use
	// them.
	clear(dist)
	for c := range p.chunks {
		q0 := c * p.chunkQ
		nq := min(p.chunkQ, p.nq-q0)
		colConst := p.colConst[c*npad+J*pairBlock:][:pairBlock]
		for r0 := 0; r0 < pairBlock; r0 += pairPanel {
			p.kern.dist(panels[r0*p.dp+4*q0:], cols[q0*pairGroup*4:], nq, p.nq, p.dp,
				p.norm[c*npad+I*pairBlock+r0:][:pairPanel], colConst, scratch)
			for t, d := range scratch {
				dist[r0*pairBlock+t] += int64(d)
			}
		}
	}
	for r0 := 0; r0 < pairBlock; r0 += pairPanel {
		splitRoots(dist[r0*pairBlock:], v[r0*pairWidth:], vt[r0:])
	}
}

// pairBlockGo is the portable block kernel, and the twin of the SIMD
// ones: for the 8 rows of panel (dp bytes each, x-128 as signed bytes)
// and the 64 columns of cols (packed by newPairPass: 4 groups of 16, per
// group nq quads of 16 columns x 4 bytes), it computes the squared
// distance d = rowNorm[r] + colConst[j] - 2 Σ signed(panel[r]) x cols[j]
// (pairDistGo), splits sqrt(d) into H and L (exactsum.SplitRoot) and
// writes them to v[r*128+j], v[r*128+64+j] and vt[j*128+r],
// vt[j*128+64+r] (splitRoots). scratch holds 512 int32.
func pairBlockGo(panel, cols []uint8, nq, dp int, rowNorm, colConst []int32, v, vt []int64, scratch []int32) {
	pairDistGo(panel, cols, nq, nq, dp, rowNorm, colConst, scratch)
	var d [pairPanel * pairBlock]int64
	for t, x := range scratch[:len(d)] {
		d[t] = int64(x)
	}
	splitRoots(d[:], v, vt)
}

// pairDistGo is the portable distance kernel, and the twin of
// pairDistVNNI: for the 8 rows of panel (dp bytes apart) and the 64
// columns of cols (4 groups of 16 columns, each group stride quads of 16
// columns x 4 bytes long), over the first nq quads of features of each, it
// writes d = rowNorm[r] + colConst[j] - 2 Σ signed(panel[r]) x cols[j] to
// out[r*64+j], in int32 (exact for up to maxPairFeatures features).
func pairDistGo(panel, cols []uint8, nq, stride, dp int, rowNorm, colConst, out []int32) {
	for r := range pairPanel {
		x := panel[r*dp : r*dp+4*nq]
		for g := range pairBlock / pairGroup {
			grp := cols[g*stride*pairGroup*4:][:nq*pairGroup*4]
			var dot [pairGroup]int64
			for q := range nq {
				x0, x1, x2, x3 := int64(int8(x[4*q])), int64(int8(x[4*q+1])), int64(int8(x[4*q+2])), int64(int8(x[4*q+3]))
				c := grp[q*pairGroup*4 : (q+1)*pairGroup*4]
				for t := range pairGroup {
					dot[t] += x0*int64(c[4*t]) + x1*int64(c[4*t+1]) + x2*int64(c[4*t+2]) + x3*int64(c[4*t+3])
				}
			}
			for t, d := range dot {
				j := g*pairGroup + t
				out[r*pairBlock+j] = rowNorm[r] + colConst[j] - 2*int32(d)
			}
		}
	}
}

// splitRoots takes the square roots of 8 rows x 64 squared distances d
// (integers below 2^40), splits each into H and L (exactsum.SplitRoot) and
// writes them to v[r*128+j], v[r*128+64+j] and vt[j*128+r],
// vt[j*128+64+r]: what pairBlockVNNI does after its distances, with the
// same float64 operations (math.Sqrt and VSQRTPD are both correctly
// rounded).
func splitRoots(d []int64, v, vt []int64) {
	for r := range pairPanel {
		for j, x := range d[r*pairBlock : (r+1)*pairBlock] {
			h, l := exactsum.SplitRoot(math.Sqrt(float64(x)))
			v[r*pairWidth+j], v[r*pairWidth+pairBlock+j] = h, l
			vt[j*pairWidth+r], vt[j*pairWidth+pairBlock+r] = h, l
		}
	}
}

// segsumGo is the portable accumulation, and the twin of the SIMD one:
// for each segment s (positions ends[s-1]..ends[s]-1 of order, ends[-1]
// being 0), it adds the rows v[order[p]*128:][:128] to
// out[clusters[s]*stride:][:128].
func segsumGo(v []int64, order, ends, clusters []int32, out []int64, stride int) {
	p := int32(0)
	for s, end := range ends {
		acc := out[int(clusters[s])*stride:][:pairWidth]
		for ; p < end; p++ {
			row := v[int(order[p])*pairWidth:][:pairWidth]
			for t := range acc {
				acc[t] += row[t]
			}
		}
	}
}

// flushGo is the portable flush, and the twin of the SIMD one: it adds
// the rows rows of pairWidth values at src to those at dst, stride apart,
// and zeroes src.
func flushGo(dst []int64, stride int, src []int64, rows int) {
	for r := range rows {
		d := dst[r*stride:][:pairWidth]
		for t, v := range src[r*pairWidth : (r+1)*pairWidth] {
			d[t] += v
		}
	}
	clear(src[:rows*pairWidth])
}
