package cpu

import (
	"encoding/binary"
	"math"
)

// The portable code of the kernels: what runs without SIMD (or with -tags
// purego), and the features a SIMD transpose leaves. goFilter and
// transposeGo are also the Go twins of assembly functions (see
// kernels_amd64.go).

// transposeGo writes features j0..dim-1 of a block's l tiles (l a multiple
// of 8; tile t's row at rows[t]) feature-major into blk: blk[j*l+t] =
// rows[t][j]. Eight features of eight tiles at a time, as one 8x8 byte
// transpose in registers; the last (dim-j0)%8 features one by one. It is
// the twin of transposeRows16 and transposeRows8, and does the features
// they leave.
func transposeGo(blk []uint8, rows *[16][]uint8, l, j0, dim int) {
	var x [8]uint64
	j := j0
	for ; j+8 <= dim; j += 8 {
		for t0 := 0; t0 < l; t0 += 8 {
			for i := range x {
				x[i] = binary.LittleEndian.Uint64(rows[t0+i][j : j+8])
			}
			transpose8(&x)
			for f, v := range x {
				binary.LittleEndian.PutUint64(blk[(j+f)*l+t0:(j+f)*l+t0+8], v)
			}
		}
	}
	for ; j < dim; j++ {
		f := blk[j*l : j*l+l]
		for t := range f {
			f[t] = rows[t][j]
		}
	}
}

// transpose8 transposes the 8x8 byte matrix whose row i is x[i], little
// endian (byte j of x[i] becomes byte i of x[j]), by swapping 1-, 2- and
// 4-byte blocks.
func transpose8(x *[8]uint64) {
	for i := 0; i < 8; i += 2 {
		t := ((x[i] >> 8) ^ x[i+1]) & 0x00FF00FF00FF00FF
		x[i+1] ^= t
		x[i] ^= t << 8
	}
	for i := 0; i < 8; i += 4 {
		for j := i; j < i+2; j++ {
			t := ((x[j] >> 16) ^ x[j+2]) & 0x0000FFFF0000FFFF
			x[j+2] ^= t
			x[j] ^= t << 16
		}
	}
	for j := range 4 {
		t := ((x[j] >> 32) ^ x[j+4]) & 0x00000000FFFFFFFF
		x[j+4] ^= t
		x[j] ^= t << 32
	}
}

// goFilter is the bound pass of pruning in Go, for any nbounds <= 64: each
// of a tile's bounds at lower lowered by its group's drift, saturating at
// 0, and fails[t] the mask of tile t's bounds at or below threshold[t].
// It is filterAVX512's twin, and Assigner.filter where that does not run.
func goFilter(lower []uint32, ntiles, nbounds int, drift, threshold []uint32, fails []uint64) {
	drift = drift[:nbounds]
	for t := range ntiles {
		bounds, u := lower[t*nbounds:(t+1)*nbounds], threshold[t]
		var f uint64
		for b, q := range bounds {
			d := drift[b]
			q = max(q, d) - d
			bounds[b] = q
			f |= (1 ^ uint64(int64(u)-int64(q))>>63) << b
		}
		fails[t] = f
	}
}

// goTasks is the portable task code of pruning: tasksAVX2's work for groups
// of goLanes centroids and tiles in rows (a tile's features adjacent from
// the task's offset at x), its four sums written out side by side. Its
// results are the twin tasksGo's with lanes = goLanes and stride = 1.
func goTasks(x []uint8, ct []float32, tasks []uint32, ntasks, dim int, out []float32) {
	for t := range ntasks {
		task := tasks[4*t : 4*t+4]
		xr := x[task[0] : int(task[0])+dim]
		c := ct[task[1] : int(task[1])+dim*goLanes]
		var s [goLanes]float32
		for j, b := range xr {
			v := float32(b)
			cj := c[j*goLanes : j*goLanes+goLanes]
			d0 := v - cj[0]
			d1 := v - cj[1]
			d2 := v - cj[2]
			d3 := v - cj[3]
			s[0] += float32(d0 * d0)
			s[1] += float32(d1 * d1)
			s[2] += float32(d2 * d2)
			s[3] += float32(d3 * d3)
		}
		m1, l1 := s[0], 0
		for l := 1; l < goLanes; l++ {
			if s[l] < m1 {
				m1, l1 = s[l], l
			}
		}
		m2 := float32(math.Inf(1))
		for l, v := range s {
			if l != l1 {
				m2 = min(m2, v)
			}
		}
		o := out[4*task[2] : 4*task[2]+4]
		o[0], o[1], o[2], o[3] = m1, math.Float32frombits(uint32(l1)), m2, 0
	}
}
