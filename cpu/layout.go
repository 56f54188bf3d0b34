package cpu

import "github.com/tilekmeans/tilekmeans/kmeans"

// relayout writes the blocks of l tiles that hold positions lo..hi-1 (lo a
// multiple of l) into out, feature-major: block b holds the tiles at
// positions b*l..b*l+l-1 (tile perm[p] at position p, or p with a nil perm)
// as block[j*l+t] = feature j of the tile at position b*l+t. The last block
// is padded by repeating the last position's tile (its results are
// dropped).
func relayout(out []uint8, data kmeans.Data, perm []int32, l, lo, hi int) {
	n, dim := data.N, data.D
	var rows [16][]uint8
	for b := lo / l; b*l < hi; b++ {
		blk := out[b*l*dim : (b+1)*l*dim]
		for t := range l {
			p := min(b*l+t, n-1)
			if perm != nil {
				p = int(perm[p])
			}
			rows[t] = data.Row(p)
		}
		// Sixteen features at a time with the SIMD transpose where there
		// is one, the rest in Go.
		transposeGo(blk, &rows, l, transposeBlock(blk, &rows, l, dim), dim)
	}
}
