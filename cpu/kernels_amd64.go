//go:build amd64 && !purego

// SIMD kernels for amd64 (kernels_amd64.s, written by genkernels.go).
//
// Layout: New copies the data into blocks of L tiles (L = 8 for AVX2, 16 for
// AVX-512), feature-major inside a block (block[j*L+l] = tile l's feature j),
// so that one load gives feature j of L tiles and each SIMD lane carries one
// tile's sum. Per feature the kernel widens the L bytes to float32 once and
// then scores a group of up to cmax centroids (one accumulator each, which
// also hides the add latency); the block stays in L1 while all groups pass
// over it, and the running minimum and its index per lane stay in registers.
//
// No FMA: each lane computes d = x - c, d*d and s + d*d as three separately
// rounded single-precision operations in feature order (VSUBPS, VMULPS,
// VADDPS), which is exactly kmeans.Distance's arithmetic and the GPU shader's;
// a fused multiply-add would round once instead of twice and change the
// bits. Ties and NaNs follow kmeans.Nearest: strict <, centroids in index order.

package cpu

import xcpu "golang.org/x/sys/cpu"

//go:generate go run genkernels.go

// The assembly functions. Each names its Go twin, a portable function that
// computes the same results bit for bit (for the inputs its caller passes),
// and TestTwins (kernels_amd64_test.go) checks each against its twin on
// random inputs. goFilter and transposeGo also run as the portable code;
// the other twins are in that test file, as only tests call them.

// assignAVX2 labels nblocks blocks of 8 tiles at x (dim*8 bytes each,
// feature-major: x[j*8+t] is feature j of tile t) with their nearest
// centroid and its distance, writing 8 labels and dists per block. The
// centroids come in ng groups at ct, the first ng1 of s1 centroids, the
// others of s1-1, each group feature-major (ct[j*s+i] is feature j of its
// centroid i).
//
// Twin: assignBlocksGo with lanes = 8.
//
//go:noescape
func assignAVX2(x *uint8, nblocks, dim int, ct *float32, ng, ng1, s1 int, labels *int32, dists *float32)

// assignAVX512 is assignAVX2 for blocks of 16 tiles.
//
// Twin: assignBlocksGo with lanes = 16.
//
//go:noescape
func assignAVX512(x *uint8, nblocks, dim int, ct *float32, ng, ng1, s1 int, labels *int32, dists *float32)

// tasksAVX2 runs ntasks pruning tasks, each four uint32 at tasks: the
// offset at x of a tile's first feature (its features 8 bytes apart, as in
// the blocks), the offset at ct of a group of 8 centroids (feature-major,
// ct[j*8+l] is feature j of lane l's centroid), a result slot, and 0. At
// out[4*slot:] it writes the smallest of the 8 distances, the lowest lane
// that has it (a uint32's bits), the smallest distance of the other lanes,
// and 0.
//
// Twin: tasksGo with lanes = stride = 8.
//
//go:noescape
func tasksAVX2(x *uint8, ct *float32, tasks *uint32, ntasks, dim int, out *float32)

// tasksAVX512 is tasksAVX2 for groups of 16 centroids, a tile's features 16
// bytes apart.
//
// Twin: tasksGo with lanes = stride = 16.
//
//go:noescape
func tasksAVX512(x *uint8, ct *float32, tasks *uint32, ntasks, dim int, out *float32)

// ownAVX2 scores the block of 8 tiles at blk (dim*8 bytes, feature-major)
// against the nscored centroids whose indices are at scored (rows of dim
// float32 at cent), and writes to out[t] the distance of tile t to the
// centroid labels[t] if that is among them, else 0.
//
// Twin: ownGo with lanes = 8.
//
//go:noescape
func ownAVX2(blk *uint8, dim int, cent *float32, scored *int32, nscored int, labels *int32, out *float32)

// ownAVX512 is ownAVX2 for a block of 16 tiles.
//
// Twin: ownGo with lanes = 16.
//
//go:noescape
func ownAVX512(blk *uint8, dim int, cent *float32, scored *int32, nscored int, labels *int32, out *float32)

// transposeRows16 writes the first 16*steps features of 16 tiles (row t at
// rows[t]) feature-major to dst: dst[j*16+t] = rows[t][j].
//
// Twin: transposeGo with l = 16, from feature 0 to 16*steps.
//
//go:noescape
func transposeRows16(dst *uint8, rows **uint8, steps int)

// transposeRows8 is transposeRows16 for 8 tiles: dst[j*8+t] = rows[t][j].
//
// Twin: transposeGo with l = 8, from feature 0 to 16*steps.
//
//go:noescape
func transposeRows8(dst *uint8, rows **uint8, steps int)

// filterAVX512 lowers the nbounds <= 16 bounds of each of ntiles tiles at
// lower (nbounds per tile) by their group's drift, saturating at 0, and
// sets fails[t] to the mask of tile t's bounds at or below threshold[t].
//
// Twin: goFilter.
//
//go:noescape
func filterAVX512(lower *uint32, ntiles, nbounds int, drift, threshold *uint32, fails *uint64)

var (
	kernAVX512 = &kernel{name: "avx512", lanes: 16, cmax: 16}
	kernAVX2   = &kernel{name: "avx2", lanes: 8, cmax: 8}
)

// run calls the kernel's assembly function. (A direct call, unlike one
// through a func value, lets the noescape outputs stay on the stack.)
func (k *kernel) run(x *uint8, nblocks, dim int, ct *float32, ng, ng1, s1 int, labels *int32, dists *float32) {
	if k == kernAVX512 {
		assignAVX512(x, nblocks, dim, ct, ng, ng1, s1, labels, dists)
	} else {
		assignAVX2(x, nblocks, dim, ct, ng, ng1, s1, labels, dists)
	}
}

// runTasks runs ntasks pruning tasks (see genTasks in genkernels.go) on
// the tiles at x: with the kernel's width on its blocks (a tile's features
// lanes bytes apart), or with the portable code on rows (features adjacent).
func (a *Assigner) runTasks(x []uint8, ct []float32, tasks []uint32, ntasks, dim int, out []float32) {
	switch a.kern {
	case kernAVX512:
		tasksAVX512(&x[0], &ct[0], &tasks[0], ntasks, dim, &out[0])
	case kernAVX2:
		tasksAVX2(&x[0], &ct[0], &tasks[0], ntasks, dim, &out[0])
	default:
		goTasks(x, ct, tasks, ntasks, dim, out)
	}
}

// runOwn scores a block of the brute-force layout against the centroids
// scored (row-major in cent) and writes each lane's distance to its own
// centroid, labels[lane], if scored holds it (see ownAVX2).
func (a *Assigner) runOwn(blk []uint8, dim int, cent []float32, scored, labels []int32, out []float32) {
	if a.kern == kernAVX512 {
		ownAVX512(&blk[0], dim, &cent[0], &scored[0], len(scored), &labels[0], &out[0])
	} else {
		ownAVX2(&blk[0], dim, &cent[0], &scored[0], len(scored), &labels[0], &out[0])
	}
}

// filter lowers the bounds of ntiles tiles (nbounds each, at lower) by the
// drifts and sets fails[t] to the mask of tile t's bounds at or below
// threshold[t]; nbounds <= 64.
func (a *Assigner) filter(lower []uint32, ntiles, nbounds int, drift, threshold []uint32, fails []uint64) {
	if a.kern == kernAVX512 && nbounds <= 16 && ntiles > 0 {
		filterAVX512(&lower[0], ntiles, nbounds, &drift[0], &threshold[0], &fails[0])
		return
	}
	goFilter(lower, ntiles, nbounds, drift, threshold, fails)
}

// transposeBlock writes features 0..16*(dim/16)-1 of a block's l tiles
// (rows[t], each at least dim bytes) into blk feature-major, as relayout
// defines, with the SIMD transpose when this CPU has one and l is 8 or 16.
// It returns how many features it wrote (0: none; the caller does the rest).
func transposeBlock(blk []uint8, rows *[16][]uint8, l, dim int) int {
	steps := dim / 16
	if steps == 0 || len(simdKernels) == 0 || (l != 8 && l != 16) {
		return 0
	}
	var ptr [16]*uint8
	for t := range l {
		ptr[t] = &rows[t][:dim][0]
	}
	_ = blk[steps*16*l-1]
	if l == 16 {
		transposeRows16(&blk[0], &ptr[0], steps)
	} else {
		transposeRows8(&blk[0], &ptr[0], steps)
	}
	return steps * 16
}

// simdKernels are the kernels this CPU runs, fastest first.
var simdKernels = detect()

// detect returns the kernels this CPU and OS run, fastest first. Package
// golang.org/x/sys/cpu reads CPUID and, through XGETBV, whether the OS
// saves the registers a kernel uses: AVX2 needs AVX with the XMM and YMM
// state; AVX-512 (F, the only subset the kernels use) needs the opmask and
// ZMM state too (on macOS, which enables that state lazily, the kernel's
// own report instead). The task kernels of both also use POPCNT. As in the
// runtime, GODEBUG=cpu.avx512f=off or cpu.avx2=off turns a kernel off.
func detect() []*kernel {
	x := &xcpu.X86
	if !x.HasAVX || !x.HasPOPCNT {
		return nil
	}
	var ks []*kernel
	if x.HasAVX512F {
		ks = append(ks, kernAVX512)
	}
	if x.HasAVX2 {
		ks = append(ks, kernAVX2)
	}
	return ks
}
