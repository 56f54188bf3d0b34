// Package exactsum adds float32 values, and square roots of integers,
// exactly and rounds the sum once to float64, so that every device that
// sums them in its own order (the host loop, package gpu's shaders in
// integer fixed point, the CPU's workers) reports the same bits.
package exactsum

import (
	"math"
	"math/big"
	"math/bits"
)

// Sum returns the sum of float32 values computed exactly and rounded
// once to float64 (to nearest, ties to even): the same bits whatever the
// order of the values, so that a device that sums them in its own order
// (package gpu does, in integer fixed point) reports the same total as the
// host. NaN anywhere gives NaN; otherwise an infinity gives that infinity
// (+Inf and -Inf together give NaN).
//
// The method is a superaccumulator (Kulisch): every float32 is an integer
// multiple of 2^-149 below 2^128, so the sum of up to 2^32 of them is an
// integer multiple of 2^-149 of at most 277+32 bits, held exactly in ten
// 32-bit digits (carried in uint64 words, so that 2^32 additions cannot
// overflow a digit before the final carry pass).
func Sum(v []float32) float64 {
	var acc Accumulator
	acc.AddAll(v)
	return acc.Float64()
}

// AddAll adds every value of v to the sum.
func (a *Accumulator) AddAll(v []float32) {
	// The common case, finite non-negative values, without branches on
	// the sign; others go through Add.
	pos := a.pos
	for _, x := range v {
		b := math.Float32bits(x)
		exp := b >> 23
		if exp-1 >= 0xfe { // sign set, zero or subnormal, or Inf/NaN
			if b != 0 {
				a.pos = pos
				a.Add(x)
				pos = a.pos
			}
			continue
		}
		p := exp - 1
		m := uint64(b&0x7fffff|1<<23) << (p % 32)
		w := p / 32
		pos[w] += m & 0xffffffff
		pos[w+1] += m >> 32
	}
	a.pos = pos
}

// Digits is the number of 32-bit digits of an Accumulator's
// sum: 2^-149 up to 2^(320-149), room for 2^32 values below 2^128.
const Digits = 10

// Accumulator adds float32 values exactly; Float64 rounds the sum once. The
// zero value is an empty sum. It holds up to 2^32 values.
type Accumulator struct {
	pos, neg   [Digits]uint64 // 32-bit digits, with carries pending
	nan        bool
	pinf, ninf bool
}

// Add adds x to the sum.
func (a *Accumulator) Add(x float32) {
	b := math.Float32bits(x)
	exp := int(b>>23) & 0xff
	mant := uint64(b & 0x7fffff)
	switch {
	case exp == 0xff && mant != 0:
		a.nan = true
		return
	case exp == 0xff:
		if b>>31 != 0 {
			a.ninf = true
		} else {
			a.pinf = true
		}
		return
	case exp == 0:
		exp = 1 // subnormal: mant * 2^-149
	default:
		mant |= 1 << 23
	}
	// x = mant * 2^(exp-150); bit position from 2^-149 is exp-1.
	p := exp - 1
	w, s := p/32, uint(p%32)
	v := mant << s // at most 23+31+1 = 55 bits
	d := &a.pos
	if b>>31 != 0 {
		d = &a.neg
	}
	d[w] += v & 0xffffffff
	d[w+1] += v >> 32
}

// AddDigits adds a non-negative sum given exactly as an integer number of
// 2^-149 in 32-bit digits, least significant first (at most
// Digits of them): the fixed point in which every float32 is an
// integer, its 24-bit significand shifted to its exponent. A device that
// adds float32 values in this form, in any order (package gpu's shaders
// do), hands its digits to AddDigits and gets from Float64 the bits Sum
// gives for the same values. Each call counts as one of the 2^32 additions
// an Accumulator holds.
func (a *Accumulator) AddDigits(d []uint32) {
	for i, v := range d[:min(len(d), Digits)] {
		a.pos[i] += uint64(v)
	}
}

// Float64 returns the sum, rounded once to float64.
func (a *Accumulator) Float64() float64 {
	switch {
	case a.nan || a.pinf && a.ninf:
		return math.NaN()
	case a.pinf:
		return math.Inf(1)
	case a.ninf:
		return math.Inf(-1)
	}
	pos, neg := digits(&a.pos), digits(&a.neg)
	pos.Sub(pos, neg)
	f := new(big.Float).SetInt(pos) // exact: its precision is the integer's
	f.SetMantExp(f, -149)
	r, _ := f.Float64()
	return r
}

// digits carries the pending digits into one integer.
func digits(d *[Digits]uint64) *big.Int {
	var words [Digits + 1]uint32
	var carry uint64
	for i, v := range d {
		s := v + carry
		words[i] = uint32(s)
		carry = s >> 32
	}
	words[Digits] = uint32(carry)
	x := new(big.Int)
	for i := len(words) - 1; i >= 0; i-- {
		x.Lsh(x, 32)
		x.Or(x, big.NewInt(int64(words[i])))
	}
	return x
}

// Roots adds square roots of integers exactly, in any order, and rounds
// the sum once to float64: the sums of distances behind the silhouette
// (kmeans.DistanceSummer), which every backend and worker count must give
// bit for bit. A root v = sqrt(d), d an integer below 2^40 correctly
// rounded to float64, is 0 or in [1, 2^20) and so a multiple of 2^-52.
// SplitRoot cuts it exactly into H*2^-16 + L*2^-52 with integers 0 <= H <
// 2^36 and |L| <= 2^35; the H and the L of up to 2^27 roots add in int64
// with no overflow, in any order, and Float64 rounds H*2^-16 + L*2^-52
// once. A zero Roots is an empty sum.
type Roots struct{ H, L int64 }

// rootC is 1.5*2^36: v + rootC rounds v to a multiple of 2^-16 (the spacing
// of float64 values in [2^36, 2^37)), and the bits of that sum minus those
// of rootC count the multiples.
const rootC = 0x1.8p36

// SplitRoot returns v = H*2^-16 + L*2^-52 for a root v (see Roots): H =
// v rounded to a multiple of 2^-16, in units of 2^-16, and L = v - H*2^-16
// in units of 2^-52, both exact. The kernels of packages cpu and gpu
// compute the same with the same float64 operations (add, subtract,
// scale by 2^52), which are exact here.
func SplitRoot(v float64) (h, l int64) {
	t := v + rootC
	h = int64(math.Float64bits(t) - math.Float64bits(rootC))
	l = int64((v - (t - rootC)) * 0x1p52)
	return h, l
}

// Add adds the root v.
func (r *Roots) Add(v float64) {
	h, l := SplitRoot(v)
	r.H += h
	r.L += l
}

// Float64 returns H*2^-16 + L*2^-52 rounded once to float64 (to nearest,
// ties to even); the sum must not be negative.
func (r Roots) Float64() float64 {
	// x = H*2^36 + L as a 128-bit integer hi:lo.
	lo, carry := bits.Add64(uint64(r.H)<<36, uint64(r.L), 0)
	hi := uint64(r.H>>28) + uint64(r.L>>63) + carry
	if hi == 0 {
		return math.Ldexp(float64(lo), -52) // uint64 to float64 rounds to nearest even
	}
	n := uint(bits.Len64(hi))
	m := hi<<(64-n) | lo>>n
	if lo<<(64-n) != 0 {
		m |= 1 // sticky: below the rounding position, which is bit 11
	}
	return math.Ldexp(float64(m), int(n)-52)
}
