package cpu

import "math"

// maxCentroidValue bounds the centroid values a pruned call accepts: with
// |c| <= 2^20 no float32 sum can overflow (D*2^41 < 2^128 for any D below
// 2^86), so every sum is finite and the error bounds below hold. Other
// values (NaN, infinities, huge) get brute force.
const maxCentroidValue = 1 << 20

// The bounds and their margin.
//
// The bounds are on real Euclidean distances, but labels come from the
// float32 sums of the contract (kmeans.Distance). Let T be the exact
// squared distance of tile x to the float32 centroid c and S the contract's
// sum over D features, u = 2^-24 the unit roundoff and gamma = (D+2)u.
// Each term is d = fl(x_j - c_j) = (x_j - c_j)(1+e1), then fl(d*d) =
// d^2(1+e2) + t with |e1|, |e2| <= u and |t| <= 2^-150 (an underflowing
// product; a subtraction or addition that lands in the subnormal range is
// exact); the recursive sum of D nonnegative terms multiplies term j by at
// most D-1 factors (1+e), |e| <= u. Hence (Higham, Accuracy and Stability of
// Numerical Algorithms, 2nd ed., sections 3.1 and 4.2; (1-u)^n >= 1-nu and
// (1+u)^n <= 1/(1-nu)):
//
//	(1-gamma) T - D 2^-150  <=  S  <=  T/(1-gamma) + 2 D 2^-150.
//
// So a computed sum S proves the real distance sqrt(T) >= sqrt((1-gamma)(S -
// D 2^-149)) (lowerBound), and a centroid c is provably strictly farther
// than the tile's own centroid a, S_c > S_a, when its real distance exceeds
// U = sqrt((S_a + D 2^-150)/(1-gamma)) (threshold). Pruning compares a lower
// bound on sqrt(T_c) with U, never with sqrt(S_a): a pruned centroid can
// neither win nor tie, so labels (ties to the lowest index) and distances
// are brute force's. The bounds are evaluated in float64 with every
// rounding made safe (a relative 2^-40 factor far above the few float64
// roundings), and stored as integers in units of 2^-shift (rounded down;
// the threshold and the drifts rounded up), so that the per-iteration
// update, lower -= drift, is exact integer arithmetic saturating at zero.

// margin holds the constants of the margin for D features: lowerBound,
// threshold and drift turn float32 sums and centroid moves into the
// integer bounds of pruning.
type margin struct {
	shift          uint    // bounds are integers in units of 2^-shift
	scale          float64 // 2^shift
	lowAbs, lowRel float64 // lowerBound: (S - lowAbs) * lowRel, lowRel = (1-gamma)(1-2^-40)
	upAbs, upRel   float64 // threshold: (S + upAbs) * upRel, upRel = (1+2^-40)/(1-gamma)
	driftRel       float64 // drift: sum of squares * driftRel, covering float64 rounding
}

const safe40 = 1.0 / (1 << 40)

func newMargin(dim int, marginScale float64) margin {
	gamma := float64(dim+2) / (1 << 24) * marginScale
	abs := float64(dim) * math.Ldexp(1, -150) * marginScale
	// Units: the largest distance of centroids within [-256, 512) from
	// uint8 tiles is below sqrt(D)*512; larger bounds saturate (which
	// only loosens them).
	maxDist := math.Sqrt(float64(dim)) * 512
	shift := uint(0)
	for shift < 40 && maxDist*math.Ldexp(1, int(shift)+1) < math.MaxUint32 {
		shift++
	}
	return margin{
		shift:    shift,
		scale:    math.Ldexp(1, int(shift)),
		lowAbs:   2 * abs,
		lowRel:   (1 - gamma) * (1 - safe40),
		upAbs:    abs,
		upRel:    (1 + safe40) / (1 - gamma),
		driftRel: 1 + float64(dim+4)*math.Ldexp(1, -52) + safe40,
	}
}

// lowerBound returns a lower bound on the real distance of a pair whose
// contract sum is s, in units of 2^-shift (0 if none).
func (m *margin) lowerBound(s float32) uint32 {
	v := (float64(s) - m.lowAbs) * m.lowRel
	if !(v > 0) {
		return 0
	}
	d := math.Sqrt(v) * m.scale * (1 - safe40)
	if d >= math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(d)
}

// threshold returns, in units of 2^-shift rounded down, a value that the
// real distance of any centroid whose sum can be <= s stays at or below:
// a centroid whose lower bound exceeds it is strictly farther.
func (m *margin) threshold(s float32) uint32 {
	v := (float64(s) + m.upAbs) * m.upRel
	d := math.Sqrt(v) * m.scale * (1 + safe40)
	if d >= math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(d)
}

// drift returns, in units rounded up, an upper bound on the real distance
// between two float32 centroids.
func (m *margin) drift(old, cur []float32) uint32 {
	cur = cur[:len(old)]
	s := 0.0
	for j, o := range old {
		d := float64(cur[j]) - float64(o)
		s += d * d
	}
	if s == 0 {
		return 0
	}
	d := math.Ceil(math.Sqrt(s*m.driftRel) * m.scale * (1 + safe40))
	if d >= math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(d)
}
