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

//go:noescape
func assignAVX2(x *uint8, nblocks, dim int, ct *float32, ng, ng1, s1 int, labels *int32, dists *float32)

//go:noescape
func assignAVX512(x *uint8, nblocks, dim int, ct *float32, ng, ng1, s1 int, labels *int32, dists *float32)

//go:noescape
func tasksAVX2(x *uint8, ct *float32, tasks *uint32, ntasks, dim int, out *float32)

//go:noescape
func tasksAVX512(x *uint8, ct *float32, tasks *uint32, ntasks, dim int, out *float32)

//go:noescape
func ownAVX2(blk *uint8, dim int, cent *float32, us *int32, m int, lab *int32, out *float32)

//go:noescape
func ownAVX512(blk *uint8, dim int, cent *float32, us *int32, m int, lab *int32, out *float32)

//go:noescape
func transposeRows16(dst *uint8, rows **uint8, steps int)

//go:noescape
func transposeRows8(dst *uint8, rows **uint8, steps int)

//go:noescape
func filterAVX512(lb *uint32, nt, nb int, drift, uq *uint32, fails *uint64)

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

// runOwn scores a block of the brute-force layout against the centroids us
// (row-major in cent) and writes each lane's sum for its label in lab.
func (a *Assigner) runOwn(blk []uint8, dim int, cent []float32, us, lab []int32, out []float32) {
	if a.kern == kernAVX512 {
		ownAVX512(&blk[0], dim, &cent[0], &us[0], len(us), &lab[0], &out[0])
	} else {
		ownAVX2(&blk[0], dim, &cent[0], &us[0], len(us), &lab[0], &out[0])
	}
}

// filter lowers the bounds of nt tiles (nb each, at lb) by the drifts and
// sets fails[t] to the mask of tile t's bounds at or below uq[t]; nb <= 64.
func (a *Assigner) filter(lb []uint32, nt, nb int, drift, uq []uint32, fails []uint64) {
	if a.kern == kernAVX512 && nb <= 16 && nt > 0 {
		filterAVX512(&lb[0], nt, nb, &drift[0], &uq[0], &fails[0])
		return
	}
	goFilter(lb, nt, nb, drift, uq, fails)
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
