//go:build amd64 && !purego

package cpu

import (
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	xcpu "golang.org/x/sys/cpu"
)

// TestPairTwins checks each assembly function of the pairwise pass against
// its Go twin bit for bit, and that pairs_amd64.s has no function without
// a check.
func TestPairTwins(t *testing.T) {
	src, err := os.ReadFile("pairs_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]func(*testing.T, *rand.Rand){
		"pairBlockVNNI": checkPairBlockTwin,
		"pairDistVNNI":  checkPairDistTwin,
		"segsumAVX512":  checkSegsumTwin,
		"flushAVX512":   checkFlushTwin,
	}
	for _, m := range regexp.MustCompile(`(?m)^TEXT ·(\w+)\(SB\)`).FindAllStringSubmatch(string(src), -1) {
		name := m[1]
		check := checks[name]
		if check == nil {
			t.Errorf("%s: no check against a Go twin", name)
			continue
		}
		delete(checks, name)
		t.Run(name, func(t *testing.T) {
			if !xcpu.X86.HasAVX512F || strings.HasPrefix(name, "pair") && !xcpu.X86.HasAVX512VNNI {
				t.Skipf("this CPU does not run %s", name)
			}
			check(t, rand.New(rand.NewPCG(21, uint64(len(name)))))
		})
	}
	for name := range checks {
		t.Errorf("%s: not in pairs_amd64.s", name)
	}
}

func checkPairBlockTwin(t *testing.T, rng *rand.Rand) {
	for _, dp := range []int{4, 8, 12, 256, 1000} {
		nq := dp / 4
		panel := randBytes(rng, pairPanel*dp)
		cols := randBytes(rng, pairBlock*dp)
		if dp == 12 {
			// The extremes: 255 against -128 everywhere.
			for i := range panel {
				panel[i] = 0x80
			}
			for i := range cols {
				cols[i] = 255
			}
		}
		rowNorm, colConst := make([]int32, pairPanel), make([]int32, pairBlock)
		// Non-negative distances (the roots of real rows): row norms
		// large enough for any column constant and dot product.
		for i := range rowNorm {
			rowNorm[i] = int32(rng.IntN(1<<20)) + int32(65280*dp)
		}
		for i := range colConst {
			colConst[i] = int32(rng.IntN(1<<20)) - int32(65280*dp/2)
		}
		want, wantT := make([]int64, pairPanel*pairWidth), make([]int64, pairBlock*pairWidth)
		got, gotT := make([]int64, pairPanel*pairWidth), make([]int64, pairBlock*pairWidth)
		for i := range wantT {
			wantT[i], gotT[i] = int64(i), int64(i) // lanes 8..63 must stay
		}
		scratch := make([]int32, 2*pairBlock*pairPanel)
		pairBlockGo(panel, cols, nq, dp, rowNorm, colConst, want, wantT, scratch)
		pairBlockAsm(panel, cols, nq, dp, rowNorm, colConst, got, gotT, scratch)
		if !slices.Equal(got, want) || !slices.Equal(gotT, wantT) {
			t.Fatalf("dp=%d: v %v\ntwin %v\nvt %v\ntwin %v", dp, got[:16], want[:16], gotT[:16], wantT[:16])
		}
	}
}

// checkPairDistTwin: chunks of nq quads at quad q0 of rows and columns
// packed stride quads long (the chunked pass), and a whole one.
func checkPairDistTwin(t *testing.T, rng *rand.Rand) {
	for _, c := range []struct{ stride, q0, nq int }{{1, 0, 1}, {3, 1, 2}, {64, 0, 64}, {250, 100, 150}, {300, 7, 9}} {
		dp := 4 * c.stride
		panel := randBytes(rng, pairPanel*dp)
		cols := randBytes(rng, pairBlock*dp)
		if c.stride == 3 {
			for i := range panel {
				panel[i] = 0x80 // -128 against 255: the extremes
			}
			for i := range cols {
				cols[i] = 255
			}
		}
		rowNorm, colConst := make([]int32, pairPanel), make([]int32, pairBlock)
		for i := range rowNorm {
			rowNorm[i] = int32(rng.IntN(1<<20)) + int32(65280*4*c.nq)
		}
		for i := range colConst {
			colConst[i] = int32(rng.IntN(1<<20)) - int32(65280*2*c.nq)
		}
		want, got := make([]int32, pairPanel*pairBlock), make([]int32, pairPanel*pairBlock)
		pairDistGo(panel[4*c.q0:], cols[64*c.q0:], c.nq, c.stride, dp, rowNorm, colConst, want)
		pairDistAsm(panel[4*c.q0:], cols[64*c.q0:], c.nq, c.stride, dp, rowNorm, colConst, got)
		if !slices.Equal(got, want) {
			t.Fatalf("%+v: %v\ntwin %v", c, got[:16], want[:16])
		}
	}
}

func checkSegsumTwin(t *testing.T, rng *rand.Rand) {
	for _, k := range []int{1, 3, 64, 100} {
		v := make([]int64, pairBlock*pairWidth)
		for i := range v {
			v[i] = rng.Int64N(1<<36) - 1<<35
		}
		m := 1 + rng.IntN(pairBlock)
		labels := make([]int32, m)
		for i := range labels {
			labels[i] = int32(rng.IntN(k))
		}
		l := newLabelling(labels, k, m, 1)
		const stride = 2*pairWidth + 3
		want, got := make([]int64, k*stride), make([]int64, k*stride)
		for i := range want {
			want[i] = rng.Int64()
			got[i] = want[i]
		}
		segsumGo(v, l.order, l.ends, l.clusters, want, stride)
		segsumAsm(v, l.order, l.ends, l.clusters, got, stride)
		if !slices.Equal(got, want) {
			t.Fatalf("k=%d m=%d: differs from the twin", k, m)
		}
	}
}

func checkFlushTwin(t *testing.T, rng *rand.Rand) {
	for _, rows := range []int{1, 3, 64} {
		stride := 3*pairWidth + 8
		dst := make([]int64, rows*stride)
		src := make([]int64, rows*pairWidth)
		for i := range dst {
			dst[i] = rng.Int64()
		}
		for i := range src {
			src[i] = rng.Int64()
		}
		wantDst, gotDst := slices.Clone(dst), slices.Clone(dst)
		wantSrc, gotSrc := slices.Clone(src), slices.Clone(src)
		flushGo(wantDst, stride, wantSrc, rows)
		flushAsm(gotDst, stride, gotSrc, rows)
		if !slices.Equal(gotDst, wantDst) || !slices.Equal(gotSrc, wantSrc) {
			t.Fatalf("rows=%d: differs from the twin", rows)
		}
	}
}
