package gpu

import "fmt"

// This file plans how a data set is laid out in GPU buffers and split into
// dispatches. It is pure arithmetic, kept apart from the GL code so it is
// tested in every build.

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
	// dispatches split the slab's rows into runs of at most the work group
	// count limit; each is {base, count} relative to first.
	dispatches [][2]int
}

// layout is the plan for one data set.
type layout struct {
	n, dim       int
	strideWords  int // uint words per padded row
	strideBytes  int
	rowsPerSlab  int
	rowsPerGroup int // work group size
	slabs        []slab
}

// planLayout splits n rows of dim uint8 features into slabs of at most
// maxBlock bytes of tiles (and whose bound output ranges also fit maxBlock),
// and each slab into dispatches of at most maxGroups work groups of
// groupSize rows. align is GL_SHADER_STORAGE_BUFFER_OFFSET_ALIGNMENT.
func planLayout(n, dim int, maxBlock int64, maxGroups, groupSize, align int) (layout, error) {
	if n < 1 || dim < 1 {
		return layout{}, fmt.Errorf("gpu: empty data set (%d rows of %d features)", n, dim)
	}
	if maxGroups < 1 || groupSize < 1 || align < 1 || maxBlock < 4 {
		return layout{}, fmt.Errorf("gpu: bad limits (max block %d bytes, %d groups of %d, alignment %d)", maxBlock, maxGroups, groupSize, align)
	}
	if int64(n) > 1<<31-1 {
		return layout{}, fmt.Errorf("gpu: %d rows exceed the shader's 32-bit indices", n)
	}
	words := (dim + 3) / 4
	l := layout{n: n, dim: dim, strideWords: words, strideBytes: 4 * words, rowsPerGroup: groupSize}
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
	// Row indices inside a slab (uBase + i) and word offsets (row*stride)
	// are 32-bit in the shader; a slab within a block limit of at most
	// 2^32 bytes keeps them in range, but guard a driver reporting more.
	if int64(l.rowsPerSlab)*int64(words) > 1<<32-1 {
		l.rowsPerSlab = int((1<<32 - 1) / int64(words))
	}
	perDispatch := maxGroups * groupSize
	for first := 0; first < n; first += l.rowsPerSlab {
		s := slab{first: first, rows: min(l.rowsPerSlab, n-first)}
		s.outOffset = (first * 4) / outAlign * outAlign
		s.outBase = (first*4 - s.outOffset) / 4
		s.outSize = (s.outBase + s.rows) * 4
		for base := 0; base < s.rows; base += perDispatch {
			s.dispatches = append(s.dispatches, [2]int{base, min(perDispatch, s.rows-base)})
		}
		l.slabs = append(l.slabs, s)
	}
	return l, nil
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
