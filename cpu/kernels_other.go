//go:build !amd64 || purego

package cpu

// simdKernels is empty: only the portable Go code runs here.
var simdKernels []*kernel

func (k *kernel) run(x *uint8, nblocks, dim int, ct *float32, ng, ng1, s1 int, labels *int32, dists *float32) {
	panic("cpu: no SIMD kernels on this platform")
}

func (a *Assigner) runTasks(x []uint8, ct []float32, tasks []uint32, ntasks, dim int, out []float32) {
	goTasks(x, ct, tasks, ntasks, dim, out)
}

func (a *Assigner) runOwn(blk []uint8, dim int, cent []float32, scored, labels []int32, out []float32) {
	panic("cpu: no SIMD kernels on this platform")
}

func transposeBlock(blk []uint8, rows *[16][]uint8, l, dim int) int { return 0 }

func (a *Assigner) filter(lower []uint32, ntiles, nbounds int, drift, threshold []uint32, fails []uint64) {
	goFilter(lower, ntiles, nbounds, drift, threshold, fails)
}

func (a *Assigner) pairKernel() *pairKernels { return goPairKernels }
