package gpu

import (
	"fmt"

	"github.com/tilekmeans/tilekmeans/gpu/internal/shaders"
)

// This file plans how a data set is laid out in GPU buffers and how a pass
// over it is split into work groups and dispatches. It is pure arithmetic,
// kept apart from the GL code so it is tested in every build.

// slab is a run of consecutive tile rows stored in one buffer object, small
// enough to be bound as one shader storage block. The labels and dists
// buffers hold all n rows; a slab binds the range of them that covers its
// rows, starting at an offset rounded down to the SSBO offset alignment.
type slab struct {
	first, rows int // data rows [first, first+rows)
	// outOffset is the byte offset of the bound labels/dists range,
	// outBase the index of row first within it, and outSize the bytes
	// bound: (outBase+rows)*4.
	outOffset, outBase, outSize int
}

// layout is the plan for one data set.
type layout struct {
	n, dim      int
	strideWords int // uint words per padded row
	strideBytes int
	rowsPerSlab int
	slabs       []slab
}

// planLayout splits n rows of dim uint8 features into slabs of at most
// maxBlock bytes of tiles (and whose bound output ranges also fit
// maxBlock). align is GL_SHADER_STORAGE_BUFFER_OFFSET_ALIGNMENT.
func planLayout(n, dim int, maxBlock int64, align int) (layout, error) {
	if n < 1 || dim < 1 {
		return layout{}, fmt.Errorf("gpu: empty data set (%d rows of %d features)", n, dim)
	}
	if align < 1 || maxBlock < 4 {
		return layout{}, fmt.Errorf("gpu: bad limits (max block %d bytes, alignment %d)", maxBlock, align)
	}
	if int64(n) > 1<<31-1 {
		return layout{}, fmt.Errorf("gpu: %d rows exceed the shader's 32-bit indices", n)
	}
	words := (dim + 3) / 4
	l := layout{n: n, dim: dim, strideWords: words, strideBytes: 4 * words}
	// Output ranges start at a multiple of lcm(align, 4) at most that
	// many bytes before the slab's first label, so a slab's labels plus
	// that lead must fit a block too.
	outAlign := lcm(align, 4)
	byTiles := maxBlock / int64(l.strideBytes)
	byOut := (maxBlock - int64(outAlign-4)) / 4
	rows := min(byTiles, byOut, int64(n))
	if rows < 1 {
		return layout{}, fmt.Errorf("gpu: one row of %d features (%d bytes) exceeds the shader storage block limit of %d bytes", dim, l.strideBytes, maxBlock)
	}
	l.rowsPerSlab = int(rows)
	// Row indices inside a slab and word offsets (row*stride) are 32-bit
	// in the shader; a slab within a block limit of at most 2^32 bytes
	// keeps them in range, but guard a driver reporting more.
	if int64(l.rowsPerSlab)*int64(words) > 1<<32-1 {
		l.rowsPerSlab = int((1<<32 - 1) / int64(words))
	}
	for first := 0; first < n; first += l.rowsPerSlab {
		s := slab{first: first, rows: min(l.rowsPerSlab, n-first)}
		s.outOffset = (first * 4) / outAlign * outAlign
		s.outBase = (first*4 - s.outOffset) / 4
		s.outSize = (s.outBase + s.rows) * 4
		l.slabs = append(l.slabs, s)
	}
	return l, nil
}

// maxDispatchWork is the most tile x centroid x feature terms one dispatch
// computes (2^32, about 1.3e10 float operations). It keeps every dispatch
// short enough for a desktop display driver's watchdog, which resets a GPU
// that runs one submission for about 2 s (Windows' TDR default; X drivers
// have similar limits): at the 3 separately rounded operations each term
// needs, a dispatch this size takes about 0.4 ms on an H100 and about
// 0.25 s on a GPU as slow as ~50 GFLOP/s sustained, far below any GPU with
// OpenGL 4.3 compute shaders, so even those stay 8x under the limit. On a
// fast GPU the split costs a few microseconds of dispatch overhead per
// 2^32 terms.
const maxDispatchWork = 1 << 32

// fillGroups is the number of work groups a pass aims for: a pass with
// fewer tile blocks splits the centroids over work groups (as far as there
// are centroid blocks to split) so that a small data set still fills a
// GPU: 1024 groups of 64 invocations are about 8 per multiprocessor of a
// 132-SM H100.
const fillGroups = 1024

// loopBudget is the most loop iterations one invocation of a pass runs in
// its assignment (chunks of features times the staging and feature loops,
// over the centroid blocks of its split). llvmpipe ends an invocation's
// loops, silently, after 65535 iterations in all (gallivm's
// LP_MAX_TGSI_LOOP_ITERATIONS, "shared between every loop"); half of that
// leaves room for the rest of a Step (moving a row's D features, the last
// group's sums), and a pass whose centroid blocks would need more is split
// over more work groups. On a GPU this only bounds how long one work group
// runs. A single centroid block exceeds it only past about 55,000 features.
const loopBudget = 32768

// pass is how one assignment pass (Assign, or a Step iteration) over the
// whole data set runs: which kernel blocking, how the centroids are split
// over work groups, and the dispatches.
type pass struct {
	k  int // centroids
	tb int // tiles per block of the kernel
	// splits is the number of work groups per tile block (the dispatch's
	// y), each taking span consecutive centroid blocks.
	splits, span int
	blocks       int // tile blocks in the pass, over every dispatch
	dispatches   []dispatch
}

// dispatch is one dispatch of a pass: rows [base, base+rows) of one slab,
// groups tile blocks whose first is block blockBase of the pass.
type dispatch struct {
	slab, base, rows int
	blockBase        int
	groups           int
}

// planPass plans a pass of the kernel with blocks of tb tiles x cb
// centroids over the slabs of lay for k centroids: at most maxX work groups
// along the tiles (GL_MAX_COMPUTE_WORK_GROUP_COUNT[0]) and maxY along the
// splits ([1]) per dispatch, and at most maxWork tile x centroid x feature
// terms per dispatch (but always at least one block). splits > 0 asks for
// that many splits (as far as there are centroid blocks), for tests and
// the canary; a work group takes at most maxSpan centroid blocks (the loop
// budget) in any case, as far as maxY splits allow.
func planPass(lay layout, tb, cb, k int, maxX, maxY int, maxWork int64, splits, maxSpan int) pass {
	p := pass{k: k, tb: tb}
	perRow := int64(k) * int64(lay.dim)
	rowsPer := int64(maxX) * int64(tb)
	if byWork := maxWork / perRow / int64(tb) * int64(tb); byWork < rowsPer {
		rowsPer = max(byWork, int64(tb))
	}
	for si, s := range lay.slabs {
		for base := 0; base < s.rows; base += int(rowsPer) {
			rows := min(int(rowsPer), s.rows-base)
			groups := (rows + tb - 1) / tb
			p.dispatches = append(p.dispatches, dispatch{slab: si, base: base, rows: rows, blockBase: p.blocks, groups: groups})
			p.blocks += groups
		}
	}
	nblocks := (k + cb - 1) / cb
	if splits <= 0 {
		splits = (fillGroups + p.blocks - 1) / p.blocks
	}
	splits = max(1, min(splits, nblocks, maxY))
	p.span = (nblocks + splits - 1) / splits
	if maxSpan = max(maxSpan, 1); p.span > maxSpan {
		p.span = max(maxSpan, (nblocks+maxY-1)/maxY)
	}
	p.splits = (nblocks + p.span - 1) / p.span
	return p
}

// loopsPerBlock is about how many loop iterations an invocation of kernel
// kp runs for one centroid block of dim features: per chunk of FC features
// the chunk loop, the tile and centroid staging loops, and the feature
// loop (four features an iteration).
func loopsPerBlock(kp shaders.Kernel, dim int) int {
	per := func(items int) int { return (items + shaders.GroupSize - 1) / shaders.GroupSize }
	chunks := (dim + kp.FC - 1) / kp.FC
	return chunks*(1+per(kp.Tiles()*kp.FC/16)+per(kp.Centroids()*kp.FC/4)+kp.FC/4) + 1
}

// workLayout places a pass's scratch words in the shaders' work[] array
// (offsets in uint words). For Step: the indirect dispatch parameters (3
// words per dispatch of an iteration, the means pass last), and the list
// of dirty clusters (its length, then up to k entries). For both: one
// counter per tile block for the split reduction and the split partials (2
// words per split and row, only when the pass splits). For Step: the
// inertia partials (inertiaWords per tile block).
type workLayout struct {
	indirect, list, counters, parts, inertia int
	words                                    int // in all
}

// inertiaWords is the size of a tile block's inertia partial in work[]:
// the digits and the special-value flags.
const inertiaWords = shaders.InertiaDigits + 1

func (p pass) work(step bool) workLayout {
	var w workLayout
	if step {
		w.list = 3 * (len(p.dispatches) + 1)
		w.counters = w.list + 1 + p.k
	}
	w.parts = w.counters + p.blocks
	w.inertia = w.parts
	if p.splits > 1 {
		w.inertia += 2 * p.splits * p.blocks * p.tb
	}
	w.words = w.inertia
	if step {
		w.words += inertiaWords * p.blocks
	}
	return w
}

func lcm(a, b int) int {
	x, y := a, b
	for y != 0 {
		x, y = y, x%y
	}
	return a / x * b
}

// packRows copies rows [first, first+rows) of x (dim bytes each) into dst,
// padding every row to stride bytes with zeros, so the shader can read a row
// as whole uint words. dst must hold rows*stride bytes.
func packRows(dst, x []uint8, first, rows, dim, stride int) {
	for r := range rows {
		src := x[(first+r)*dim : (first+r+1)*dim]
		row := dst[r*stride : (r+1)*stride]
		copy(row, src)
		clear(row[dim:])
	}
}
