package gpu

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/tilekmeans/tilekmeans/gpu/internal/shaders"
)

// TestPlanLayout checks the slab arithmetic without a GPU: every row is in
// exactly one slab, every bound range fits the block limit and starts at an
// aligned offset, and the shader's indices land on the right label.
func TestPlanLayout(t *testing.T) {
	for _, c := range planCases {
		l, err := planLayout(c.n, c.dim, c.maxBlock, c.align)
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		next := 0
		for si, s := range l.slabs {
			if s.first != next {
				t.Fatalf("%+v: slab %d starts at %d, want %d", c, si, s.first, next)
			}
			if int64(s.rows*l.strideBytes) > c.maxBlock || int64(s.outSize) > c.maxBlock {
				t.Fatalf("%+v: slab %d binds %d tile bytes and %d output bytes, limit %d", c, si, s.rows*l.strideBytes, s.outSize, c.maxBlock)
			}
			if s.outOffset%c.align != 0 || s.outOffset%4 != 0 || s.outOffset+s.outSize > 4*c.n {
				t.Fatalf("%+v: slab %d output range [%d,+%d) misaligned or past the end", c, si, s.outOffset, s.outSize)
			}
			if s.outOffset/4+s.outBase != s.first {
				t.Fatalf("%+v: slab %d writes row %d to label %d", c, si, s.first, s.outOffset/4+s.outBase)
			}
			next += s.rows
		}
		if next != c.n {
			t.Fatalf("%+v: slabs cover %d rows", c, next)
		}
	}
	if _, err := planLayout(10, 300, 256, 16); err == nil {
		t.Fatal("a row larger than the block limit must be an error")
	}
}

var planCases = []struct {
	n, dim   int
	maxBlock int64
	align    int
}{
	{5610, 256, 128 << 20, 16},
	{561000, 256, 128 << 20, 16},
	{1_000_000, 256, 128 << 20, 16},
	{1000, 7, 512, 256},
	{1000, 255, 1024, 16},
	{777, 3, 64, 64},
	{5, 1, 4, 1},
	{100, 4, 300, 12},
	{3000, 12288, 128 << 20, 16},
}

// TestPlanPass checks the dispatch arithmetic of a pass for every kernel:
// the dispatches cover every row of every slab once, in blocks that never
// straddle a slab, numbered consecutively; no dispatch exceeds the group
// limits or (beyond one block) the work cap; the splits cover the centroid
// blocks, a small data set is split to fill the GPU, and no work group
// takes more centroid blocks than the loop budget allows.
func TestPlanPass(t *testing.T) {
	for _, c := range planCases {
		l, err := planLayout(c.n, c.dim, c.maxBlock, c.align)
		if err != nil {
			t.Fatal(err)
		}
		for _, kp := range shaders.Kernels {
			for _, k := range []int{1, 5, 8, 64, 65, 256, 1024, 5000} {
				for _, lim := range []struct {
					maxX, maxY int
					work       int64
					splits     int
				}{{65535, 65535, maxDispatchWork, 0}, {1, 65535, maxDispatchWork, 0}, {7, 2, 1 << 20, 0}, {65535, 65535, 1, 0}, {65535, 65535, maxDispatchWork, 1}, {65535, 65535, maxDispatchWork, 3}} {
					tb, cb := kp.Tiles(), kp.Centroids()
					maxSpan := max(1, loopBudget/loopsPerBlock(kp, c.dim))
					p := planPass(l, tb, cb, k, lim.maxX, lim.maxY, lim.work, lim.splits, maxSpan)
					what := func() string {
						return fmtCase(c.n, c.dim, kp.Name, k, lim.maxX, lim.maxY, lim.work, lim.splits)
					}
					covered := make([]int, len(l.slabs))
					blocks := 0
					for di, dp := range p.dispatches {
						if dp.base != covered[dp.slab] || dp.rows < 1 || dp.groups != (dp.rows+tb-1)/tb || dp.groups > lim.maxX {
							t.Fatalf("%s: dispatch %d %+v after row %d of slab %d", what(), di, dp, covered[dp.slab], dp.slab)
						}
						if dp.blockBase != blocks {
							t.Fatalf("%s: dispatch %d starts at block %d, want %d", what(), di, dp.blockBase, blocks)
						}
						if work := int64(dp.rows) * int64(k) * int64(c.dim); work > lim.work && dp.groups > 1 {
							t.Fatalf("%s: dispatch %d computes %d terms, cap %d", what(), di, work, lim.work)
						}
						covered[dp.slab] += dp.rows
						blocks += dp.groups
					}
					for si, s := range l.slabs {
						if covered[si] != s.rows {
							t.Fatalf("%s: slab %d: %d of %d rows dispatched", what(), si, covered[si], s.rows)
						}
					}
					nb := (k + cb - 1) / cb
					if p.blocks != blocks || p.splits < 1 || p.splits > lim.maxY || p.span < 1 ||
						(p.splits-1)*p.span >= nb || p.splits*p.span < nb {
						t.Fatalf("%s: %d blocks (counted %d), %d splits of %d centroid blocks for %d", what(), p.blocks, blocks, p.splits, p.span, nb)
					}
					// The span the splits ask for, then the loop budget's
					// bound on it, as far as maxY splits allow.
					want := min(nb, lim.maxY, (fillGroups+p.blocks-1)/p.blocks)
					if lim.splits > 0 {
						want = min(lim.splits, nb, lim.maxY)
					}
					span := (nb + want - 1) / want
					if span > maxSpan {
						span = max(maxSpan, (nb+lim.maxY-1)/lim.maxY)
					}
					if p.span != span || p.span > maxSpan && p.splits < lim.maxY {
						t.Fatalf("%s: %d blocks split %d ways of %d centroid blocks, want spans of %d (%d groups wanted, at most %d blocks a group)", what(), p.blocks, p.splits, p.span, span, fillGroups, maxSpan)
					}
					if p.span*loopsPerBlock(kp, c.dim) > loopBudget && p.span > 1 && p.splits < lim.maxY {
						t.Fatalf("%s: a group takes %d centroid blocks of %d loop iterations, over the budget of %d", what(), p.span, loopsPerBlock(kp, c.dim), loopBudget)
					}
					w := p.work(true)
					if w.indirect != 0 || w.list != 3*(len(p.dispatches)+1) || w.counters != w.list+1+k || w.parts != w.counters+p.blocks ||
						w.inertia-w.parts != map[bool]int{true: 2 * p.splits * p.blocks * tb, false: 0}[p.splits > 1] ||
						w.words != w.inertia+inertiaWords*p.blocks {
						t.Fatalf("%s: work layout %+v", what(), w)
					}
				}
			}
		}
	}
}

func fmtCase(n, dim int, kernel string, k, maxX, maxY int, work int64, splits int) string {
	return fmt.Sprintf("n=%d D=%d %s k=%d maxX=%d maxY=%d work=%d splits=%d", n, dim, kernel, k, maxX, maxY, work, splits)
}

func TestPackRows(t *testing.T) {
	x := []uint8{1, 2, 3, 4, 5, 6, 7, 8, 9}
	dst := bytes.Repeat([]byte{0xEE}, 8)
	packRows(dst, x, 1, 2, 3, 4)
	want := []uint8{4, 5, 6, 0, 7, 8, 9, 0}
	if !bytes.Equal(dst, want) {
		t.Fatalf("packRows = %v, want %v", dst, want)
	}
}
