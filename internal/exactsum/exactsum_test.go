package exactsum

import (
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
)

// bigSum is the exact sum rounded once, the slow way.
func bigSum(v []float32) float64 {
	s := new(big.Float).SetPrec(2000)
	for _, x := range v {
		s.Add(s, new(big.Float).SetPrec(2000).SetFloat64(float64(x)))
	}
	f, _ := s.Float64()
	return f
}

func TestSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sub := math.Float32frombits(1) // the smallest subnormal
	max32 := float32(math.MaxFloat32)
	cases := [][]float32{
		nil,
		{0},
		{1, 2, 3},
		{sub, sub, sub},
		{max32, max32, max32, -max32}, // beyond float32, within float64
		{1e30, 1, -1e30},              // a float64 sum in this order gives 0
		{16777216, 1, 1, 1},           // 2^24: float32 sums lose the ones
		{0.1, 0.2, 0.3},
	}
	for range 50 {
		v := make([]float32, 1+rng.IntN(2000))
		for i := range v {
			switch rng.IntN(4) {
			case 0:
				v[i] = math.Float32frombits(rng.Uint32() &^ (0xff << 23)) // subnormals and small values
			case 1:
				v[i] = float32(rng.Float64() * 65025 * 256)
			case 2:
				v[i] = -float32(rng.ExpFloat64() * 1e20)
			default:
				v[i] = math.Float32frombits(rng.Uint32() & 0x7f7fffff) // any finite positive
			}
		}
		cases = append(cases, v)
	}
	for i, v := range cases {
		got, want := Sum(v), bigSum(v)
		if math.Float64bits(got) != math.Float64bits(want) && !(got == 0 && want == 0) {
			t.Errorf("case %d (%d values): Sum %v, exact %v", i, len(v), got, want)
		}
		// The order does not matter, bit for bit.
		w := slices.Clone(v)
		rng.Shuffle(len(w), func(a, b int) { w[a], w[b] = w[b], w[a] })
		if g := Sum(w); math.Float64bits(g) != math.Float64bits(got) {
			t.Errorf("case %d: shuffled %v, in order %v", i, g, got)
		}
	}
	if got := Sum([]float32{1e30, 1, -1e30}); got != 1 {
		t.Errorf("1e30 + 1 - 1e30 = %v, want 1", got)
	}
	inf := float32(math.Inf(1))
	for _, tt := range []struct {
		v    []float32
		want float64
	}{
		{[]float32{1, inf}, math.Inf(1)},
		{[]float32{-inf, 1}, math.Inf(-1)},
		{[]float32{inf, -inf}, math.NaN()},
		{[]float32{float32(math.NaN()), 1}, math.NaN()},
	} {
		if got := Sum(tt.v); !(got == tt.want || math.IsNaN(got) && math.IsNaN(tt.want)) {
			t.Errorf("Sum(%v) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

func BenchmarkSum(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	v := make([]float32, 561000)
	for i := range v {
		v[i] = float32(rng.Float64() * 65025 * 256)
	}
	for b.Loop() {
		Sum(v)
	}
}

// TestRoots: sums of square roots of integers equal the exact sum rounded
// once (big.Float), in any order, including the largest roots (d near
// 2^31), exact squares, zeros and sums past 2^53 in units of 2^-52.
func TestRoots(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for c := range 200 {
		n := 1 + rng.IntN(2000)
		if c == 0 {
			n = 1
		}
		roots := make([]float64, n)
		for i := range roots {
			var d int64
			switch rng.IntN(4) {
			case 0:
				d = int64(rng.IntN(1 << 31))
			case 1:
				x := int64(rng.IntN(46340))
				d = x * x // exact square
			case 2:
				d = int64(rng.IntN(3))
			default:
				d = 1<<31 - 1 - int64(rng.IntN(100))
			}
			roots[i] = math.Sqrt(float64(d))
			h, l := SplitRoot(roots[i])
			if h < 0 || h >= 1<<32 || l < -(1<<35) || l > 1<<35 {
				t.Fatalf("SplitRoot(%v) = %d, %d: out of range", roots[i], h, l)
			}
			if back := float64(h)*0x1p-16 + float64(l)*0x1p-52; back != roots[i] {
				t.Fatalf("SplitRoot(%v) = %d, %d = %v", roots[i], h, l, back)
			}
		}
		s := new(big.Float).SetPrec(2000)
		for _, v := range roots {
			s.Add(s, big.NewFloat(v))
		}
		want, _ := s.Float64()
		for range 3 {
			var r Roots
			for _, v := range roots {
				r.Add(v)
			}
			if got := r.Float64(); got != want {
				t.Fatalf("case %d (%d roots): %v, exact %v", c, n, got, want)
			}
			rng.Shuffle(len(roots), func(i, j int) { roots[i], roots[j] = roots[j], roots[i] })
		}
	}
	// Past 2^64 units of 2^-52: the 128-bit path and its rounding.
	r := Roots{H: 1 << 40, L: 3}
	want, _ := new(big.Float).SetPrec(200).Add(big.NewFloat(0x1p24), big.NewFloat(3*0x1p-52)).Float64()
	if got := r.Float64(); got != want {
		t.Errorf("%v, want %v", got, want)
	}
	if got := (Roots{}).Float64(); got != 0 {
		t.Errorf("empty: %v", got)
	}
}
