//go:build amd64 && !purego

package cpu

import xcpu "golang.org/x/sys/cpu"

//go:generate go run genpairs.go

// The assembly functions of the pairwise pass (pairs_amd64.s, written by
// genpairs.go). Each names its Go twin; TestPairTwins checks them.

// pairBlockVNNI is pairBlockGo with AVX-512 VNNI: VPDPBUSD for the dot
// products, VSQRTPD for the square roots, the split into H and L with the
// same float64 operations as exactsum.SplitRoot, and in-register
// transposes for vt. scratch holds 256 int32.
//
// Twin: pairBlockGo.
//
//go:noescape
func pairBlockVNNI(panel, cols *uint8, nq, dp int, rowNorm, colConst *int32, v, vt *int64, scratch *int32)

// pairDistVNNI is pairDistGo with AVX-512 VNNI: pairBlockVNNI's dot
// products and distances, over a chunk of the features, stored to out
// (8 rows x 64 int32) without the roots.
//
// Twin: pairDistGo.
//
//go:noescape
func pairDistVNNI(panel, cols *uint8, nq, stride, dp int, rowNorm, colConst, out *int32)

// segsumAVX512 is segsumGo with 8 lanes per instruction.
//
// Twin: segsumGo.
//
//go:noescape
func segsumAVX512(v *int64, order, ends, clusters *int32, nseg int, out *int64, stride int)

// flushAVX512 is flushGo with 8 lanes per instruction.
//
// Twin: flushGo.
//
//go:noescape
func flushAVX512(dst *int64, stride int, src *int64, rows int)

var (
	vnniPairKernels   = &pairKernels{name: "avx512vnni", block: pairBlockAsm, dist: pairDistAsm, segsum: segsumAsm, flush: flushAsm}
	avx512PairKernels = &pairKernels{name: "avx512", block: pairBlockGo, dist: pairDistGo, segsum: segsumAsm, flush: flushAsm}
)

// pairKernel returns the kernels of the pairwise pass for a's kernel: the
// VNNI ones with AVX-512 on a CPU that has VNNI, else the portable block
// kernel (with the AVX-512 accumulation where there is AVX-512).
func (a *Assigner) pairKernel() *pairKernels {
	switch {
	case a.kern == kernAVX512 && xcpu.X86.HasAVX512VNNI:
		return vnniPairKernels
	case a.kern == kernAVX512:
		return avx512PairKernels
	}
	return goPairKernels
}

func pairBlockAsm(panel, cols []uint8, nq, dp int, rowNorm, colConst []int32, v, vt []int64, scratch []int32) {
	_, _ = panel[pairPanel*dp-1], cols[pairBlock*dp-1]
	_, _ = rowNorm[pairPanel-1], colConst[pairBlock-1]
	_, _ = v[pairPanel*pairWidth-1], vt[(pairBlock-1)*pairWidth+pairBlock+pairPanel-1]
	_ = scratch[pairPanel*2*pairGroup-1]
	pairBlockVNNI(&panel[0], &cols[0], nq, dp, &rowNorm[0], &colConst[0], &v[0], &vt[0], &scratch[0])
}

func pairDistAsm(panel, cols []uint8, nq, stride, dp int, rowNorm, colConst, out []int32) {
	_, _ = panel[(pairPanel-1)*dp+4*nq-1], cols[(pairBlock/pairGroup-1)*stride*pairGroup*4+nq*pairGroup*4-1]
	_, _ = rowNorm[pairPanel-1], colConst[pairBlock-1]
	_ = out[pairPanel*pairBlock-1]
	pairDistVNNI(&panel[0], &cols[0], nq, stride, dp, &rowNorm[0], &colConst[0], &out[0])
}

func segsumAsm(v []int64, order, ends, clusters []int32, out []int64, stride int) {
	if len(ends) == 0 {
		return
	}
	_, _ = v[pairBlock*pairWidth-1], order[int(ends[len(ends)-1])-1]
	for _, c := range clusters {
		_ = out[int(c)*stride+pairWidth-1]
	}
	segsumAVX512(&v[0], &order[0], &ends[0], &clusters[0], len(ends), &out[0], stride)
}

func flushAsm(dst []int64, stride int, src []int64, rows int) {
	if rows == 0 {
		return
	}
	_, _ = dst[(rows-1)*stride+pairWidth-1], src[rows*pairWidth-1]
	flushAVX512(&dst[0], stride, &src[0], rows)
}
