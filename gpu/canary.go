package gpu

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/tilekmeans/tilekmeans/kmeans"
)

// This file is the parity canary's data and judgement, pure Go so that its
// design is tested in every build (canary_test.go simulates each fault it
// must catch). The GL side that runs it is in canary_gl.go.
//
// Bit-for-bit parity with package cpu rests on the driver doing what the
// shader says: s += d*d in feature order with no fused multiply-add
// (`precise`), float32 squares kept when they are denormal, ties to the
// lowest index. The GLSL spec allows a driver to fuse and reassociate
// unless told otherwise, and to flush denormals, so each context proves it
// on a few rows built so that each such liberty changes the answer.

// Canary is the result of the parity canary: a few rows and centroid sets
// built so that each arithmetic liberty a driver might take changes the
// labels or distance bits, assigned on the GPU and compared bit for bit
// with the reference arithmetic of package kmeans (kmeans.Nearest).
type Canary struct {
	Passed bool          `json:"passed"`
	Probes []CanaryProbe `json:"probes"`
}

// CanaryProbe is one centroid set of the canary, named after the liberty
// it catches:
//
//	ties       ties go to the lowest centroid index (three centroids at
//	           bitwise equal distances)
//	fma        no fused multiply-add: s = fma(d, d, s) rounds once where
//	           s += d*d rounds twice (fractional differences)
//	order      the sum runs in feature order: 2^24 then ones, which vanish
//	           one by one but not when added together first
//	denormals  squares below the smallest normal float32 are kept, not
//	           flushed to zero (a centroid 1e-20 from a zero row)
//
// Every probe compares every canary row, not only the one built for it,
// and runs through each program that assigns: Assign's, and the device
// loop's when it can run here.
type CanaryProbe struct {
	Name string `json:"name"`
	// Program is the shader the probe ran through: "assign" (Assign) or
	// "step" (the device loop's assignment pass).
	Program string `json:"program"`
	Passed  bool   `json:"passed"`
	// Detail says what differed, for the first differing row: the GPU's
	// label and distance (value and bits), and the reference's.
	Detail string `json:"detail,omitempty"`
}

// String is "passed" or "failed: " and what differed, on one line.
func (c Canary) String() string {
	if len(c.Probes) == 0 {
		return "not run"
	}
	if c.Passed {
		var names, progs []string
		for _, p := range c.Probes {
			if !slices.Contains(names, p.Name) {
				names = append(names, p.Name)
			}
			if !slices.Contains(progs, p.Program) {
				progs = append(progs, p.Program)
			}
		}
		return fmt.Sprintf("passed (%s; %s shaders)", strings.Join(names, ", "), strings.Join(progs, " and "))
	}
	return "failed: " + c.failures()
}

// failures lists the failed probes with what differed.
func (c Canary) failures() string {
	var f []string
	for _, p := range c.Probes {
		if !p.Passed {
			f = append(f, fmt.Sprintf("%s probe (%s shader): %s", p.Name, p.Program, p.Detail))
		}
	}
	return strings.Join(f, "; ")
}

// canaryDim is the canary's feature count: one whole word of four features
// and a partial word of three, so both of the shader's paths run.
const canaryDim = 7

// canaryRows are the canary's tiles, canaryDim features each.
var canaryRows = []uint8{
	0, 0, 0, 0, 0, 0, 0, // denormals: 1e-20 away from the tiny centroid
	255, 1, 1, 1, 1, 1, 1, // order: 4096 from the first feature, then ones
	100, 37, 201, 13, 250, 77, 5, // fma: fractional differences
	10, 20, 30, 40, 50, 60, 70, // ties: between centroids m+delta and m-delta
}

// canaryProbes are the centroid sets, row-major, canaryDim values each.
// The fma centroid was found by a seeded search for one where fusing every
// step, only the whole-word steps, or only the partial-word steps each
// change the distance's bits (canary_test.go checks it).
var canaryProbes = []struct {
	name string
	cent []float32
}{
	{"ties", concat(canaryFar,
		[]float32{11.5, 22, 30.25, 43, 50.75, 61, 72.5}, // m + delta
		[]float32{8.5, 18, 29.75, 37, 49.25, 59, 67.5},  // m - delta: the same squares
		[]float32{11.5, 22, 30.25, 43, 50.75, 61, 72.5}, // m + delta again
		canaryFar)},
	{"fma", concat([]float32{99.615, 36.643, 201.517, 12.483, 250.709, 76.653, 5.745}, canaryFar)},
	{"order", concat([]float32{-3841, 0, 0, 0, 0, 0, 0}, canaryFar)},
	// Squares of 1e-20 are 1e-40, denormal; the zero centroid is at
	// distance 0 from the zero row, so flushing makes a tie that index 0
	// wins.
	{"denormals", concat([]float32{1e-20, 1e-20, 1e-20, 1e-20, 1e-20, 1e-20, 1e-20}, make([]float32, canaryDim))},
}

// canaryFar is a centroid far from every canary row.
var canaryFar = []float32{5000, 5000, 5000, 5000, 5000, 5000, 5000}

func concat(rows ...[]float32) []float32 {
	var c []float32
	for _, r := range rows {
		c = append(c, r...)
	}
	return c
}

// judgeProbe compares the GPU's labels and distances for the canary rows
// against a probe's centroids with the reference arithmetic,
// kmeans.Nearest.
func judgeProbe(name string, cent []float32, labels []int32, dists []float32) CanaryProbe {
	k := len(cent) / canaryDim
	for i := range len(canaryRows) / canaryDim {
		row := canaryRows[i*canaryDim : (i+1)*canaryDim]
		wl, wd := kmeans.Nearest(row, cent, k)
		if labels[i] != wl || math.Float32bits(dists[i]) != math.Float32bits(wd) {
			return CanaryProbe{Name: name, Detail: fmt.Sprintf("row %d: label %d distance %v [%08x], reference label %d distance %v [%08x]",
				i, labels[i], dists[i], math.Float32bits(dists[i]), wl, wd, math.Float32bits(wd))}
		}
	}
	return CanaryProbe{Name: name, Passed: true}
}
