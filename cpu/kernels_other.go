//go:build !amd64 || purego

package cpu

// simdKernels is empty: only the portable Go code runs here.
var simdKernels []*kernel

func (k *kernel) run(x *uint8, nblocks, dim int, ct *float32, ng, ng1, s1 int, labels *int32, dists *float32) {
	panic("cpu: no SIMD kernels on this platform")
}
