package gpu

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/randdata"
	"github.com/tilekmeans/tilekmeans/kmeans"
)

// TestCanarySimulation: the simulator below, without a fault, is the
// reference arithmetic (kmeans.Nearest) on the canary and on random data
// with exact ties, so what it shows about the faults holds for the real
// comparison.
func TestCanarySimulation(t *testing.T) {
	check := func(what string, rows []uint8, dim int, cent []float32, k int) {
		t.Helper()
		for i := range len(rows) / dim {
			row := rows[i*dim : (i+1)*dim]
			gl, gd := arith{}.nearest(row, cent, k)
			wl, wd := kmeans.Nearest(row, cent, k)
			if gl != wl || math.Float32bits(gd) != math.Float32bits(wd) {
				t.Fatalf("%s row %d: simulation (%d, %v), kmeans.Nearest (%d, %v)", what, i, gl, gd, wl, wd)
			}
		}
	}
	for _, p := range canaryProbes {
		check(p.name, canaryRows, canaryDim, p.cent, len(p.cent)/canaryDim)
	}
	r := rand.New(rand.NewPCG(30, 30))
	for _, dim := range []int{1, 7, 16, 256} {
		data := randdata.Rows(r, 200, dim, 256)
		const k = 9
		cent := randdata.Centroids(r, k, dim)
		for c := 0; c < k; c += 3 { // data rows, each twice: exact ties
			copy(cent[c*dim:(c+1)*dim], randdata.FromRows(data, []int{c}))
			if c+1 < k {
				copy(cent[(c+1)*dim:(c+2)*dim], cent[c*dim:(c+1)*dim])
			}
		}
		check("random", data.X, dim, cent, k)
	}
}

// arith is the assignment arithmetic with one liberty a driver might take,
// simulated exactly; the zero value is the reference.
type arith struct {
	fuse     func(j int) bool // fused multiply-add at feature j
	viaF64   bool             // fused as gpuhooks' fma fault does it: through float64
	order    string           // "", "pairwise", "reverse", "lanes4", "chunks", "chunksReversed" or "double"
	ftz      bool             // squares below the smallest normal flushed to zero
	tiesHigh bool             // ties to the highest index
}

// fma32 is float32's fused multiply-add: a*b+c rounded once, to nearest
// even.
func fma32(a, b, c float32) float32 {
	x := new(big.Float).SetPrec(200).SetFloat64(float64(a))
	x.Mul(x, new(big.Float).SetPrec(200).SetFloat64(float64(b)))
	x.Add(x, new(big.Float).SetPrec(200).SetFloat64(float64(c)))
	f, _ := x.Float32()
	return f
}

func (ar arith) distance(row []uint8, c []float32) float32 {
	sq := func(j int) float32 {
		d := float32(row[j]) - c[j]
		p := float32(d * d)
		if ar.ftz && p < math.SmallestNonzeroFloat32*(1<<23) {
			p = 0
		}
		return p
	}
	var s float32
	switch ar.order {
	case "pairwise": // the four squares of a word added pairwise first
		j := 0
		for ; j+4 <= len(row); j += 4 {
			s += (sq(j) + sq(j+1)) + (sq(j+2) + sq(j+3))
		}
		for ; j < len(row); j++ {
			s += sq(j)
		}
	case "reverse":
		for j := len(row) - 1; j >= 0; j-- {
			s += sq(j)
		}
	case "lanes4": // four partial sums, as a vectorizer makes them
		var acc [4]float32
		for j := range row {
			acc[j%4] += sq(j)
		}
		s = (acc[0] + acc[1]) + (acc[2] + acc[3])
	case "chunks", "chunksReversed": // per chunk of 32 features, as a kernel stages them
		for j0 := 0; j0 < len(row); j0 += 32 {
			var part float32
			for j := j0; j < min(j0+32, len(row)); j++ {
				f := j
				if ar.order == "chunksReversed" {
					f = min(j0+32, len(row)) - 1 - (j - j0)
				}
				if ar.order == "chunks" {
					part += sq(f)
				} else {
					s += sq(f)
				}
			}
			s += part
		}
	case "double":
		var s64 float64
		for j := range row {
			d := float64(row[j]) - float64(c[j])
			s64 += d * d
		}
		s = float32(s64)
	default:
		for j := range row {
			if ar.fuse != nil && ar.fuse(j) {
				d := float32(row[j]) - c[j]
				if ar.viaF64 {
					s = float32(float64(d)*float64(d) + float64(s))
				} else {
					s = fma32(d, d, s)
				}
			} else {
				s += sq(j)
			}
		}
	}
	return s
}

func (ar arith) nearest(row []uint8, cent []float32, k int) (int32, float32) {
	dim := len(row)
	best, bestD := int32(0), float32(0)
	for c := range k {
		s := ar.distance(row, cent[c*dim:(c+1)*dim])
		if c == 0 || s < bestD || ar.tiesHigh && s == bestD {
			best, bestD = int32(c), s
		}
	}
	return best, bestD
}

func (ar arith) assign(cent []float32) ([]int32, []float32) {
	n := len(canaryRows) / canaryDim
	labels, dists := make([]int32, n), make([]float32, n)
	for i := range n {
		labels[i], dists[i] = ar.nearest(canaryRows[i*canaryDim:(i+1)*canaryDim], cent, len(cent)/canaryDim)
	}
	return labels, dists
}

// TestCanaryDesign: the reference arithmetic passes every probe, and each
// liberty a driver might take fails the probe built for it (so the canary
// catches it on any driver that takes it).
func TestCanaryDesign(t *testing.T) {
	for _, p := range canaryProbes {
		l, d := arith{}.assign(p.cent)
		if r := judgeProbe(p.name, p.cent, l, d); !r.Passed {
			t.Fatalf("the reference fails probe %s: %s", p.name, r.Detail)
		}
	}
	faults := []struct {
		name  string
		ar    arith
		probe string
	}{
		{"fma on every feature", arith{fuse: func(int) bool { return true }}, "fma"},
		{"fma on a whole word", arith{fuse: func(j int) bool { return j >= 32 && j < 36 }}, "fma"},
		{"fma on the partial word", arith{fuse: func(j int) bool { return j >= 36 }}, "fma"},
		{"fma as the test shader emulates it", arith{fuse: func(int) bool { return true }, viaF64: true}, "fma"},
		{"fma on one feature", arith{fuse: func(j int) bool { return j == 33 }}, "fma"},
		{"pairwise within words", arith{order: "pairwise"}, "order"},
		{"reverse order", arith{order: "reverse"}, "order"},
		{"four partial sums", arith{order: "lanes4"}, "order"},
		{"a partial sum per staged chunk", arith{order: "chunks"}, "order"},
		{"each staged chunk reversed", arith{order: "chunksReversed"}, "order"},
		{"float64 sum", arith{order: "double"}, "order"},
		{"denormal squares flushed", arith{ftz: true}, "denormals"},
		{"ties to the highest index", arith{tiesHigh: true}, "ties"},
	}
	for _, f := range faults {
		caught := false
		for _, p := range canaryProbes {
			l, d := f.ar.assign(p.cent)
			r := judgeProbe(p.name, p.cent, l, d)
			if p.name == f.probe {
				caught = !r.Passed
				if caught && !strings.Contains(r.Detail, "reference label") {
					t.Errorf("%s: detail %q does not show both answers", f.name, r.Detail)
				}
				t.Logf("%s: %s probe: %s", f.name, p.name, r.Detail)
			}
		}
		if !caught {
			t.Errorf("%s: the %s probe does not catch it", f.name, f.probe)
		}
	}
}

func TestCanaryString(t *testing.T) {
	c := Canary{Passed: true, Probes: []CanaryProbe{{Name: "ties", Program: "assign-wide", Passed: true}, {Name: "fma", Program: "assign-wide", Passed: true}, {Name: "ties", Program: "step-wide", Passed: true}}}
	if got, want := c.String(), "passed (ties, fma; assign-wide, step-wide shaders)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	c.Passed = false
	c.Probes[1] = CanaryProbe{Name: "fma", Program: "assign-wide", Detail: "row 2: ..."}
	if got, want := c.String(), "failed: fma probe (assign-wide shader): row 2: ..."; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := (&ParityError{Canary: c}).Error(); got != "parity canary failed: fma probe (assign-wide shader): row 2: ..." {
		t.Errorf("ParityError = %q", got)
	}
	c.Probes = append(c.Probes, CanaryProbe{Name: "fma", Program: "step-wide", Detail: "row 2: ..."}, CanaryProbe{Name: "fma", Program: "step-narrow", Detail: "row 3: ..."})
	if got, want := c.String(), "failed: fma probe (assign-wide, step-wide shaders): row 2: ...; fma probe (step-narrow shader): row 3: ..."; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if (Canary{}).String() != "not run" {
		t.Errorf("zero Canary: %q", Canary{})
	}
}
