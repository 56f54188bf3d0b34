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
//	           one by one but not when added together first (the ones run
//	           on into the next staged chunk of features)
//	denormals  squares below the smallest normal float32 are kept, not
//	           flushed to zero (a centroid 1e-20 from a zero row)
//
// Every probe compares every canary row, not only the one built for it,
// and runs through each program that assigns: the assignment and the device
// loop's step (when it can run here), of every kernel blocking. Each probe's
// centroids are repeated in three centroid blocks of the blocking (the
// copies tie with the originals, so the argmin across blocks must keep the
// lowest index), once with all blocks in one work group and once with the
// blocks split over work groups (the reduction across groups).
type CanaryProbe struct {
	Name string `json:"name"`
	// Program is the shader the probe ran through: "assign-" (Assign) or
	// "step-" (the device Lloyd loop) and the kernel blocking, "narrow"
	// (for k <= 16) or "wide".
	Program string `json:"program"`
	// Splits is the number of work groups the centroid blocks were split
	// over (1: one group took them all).
	Splits int  `json:"splits"`
	Passed bool `json:"passed"`
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
		return fmt.Sprintf("passed (%s; %s shaders)", strings.Join(names, ", "), strings.Join(progs, ", "))
	}
	return "failed: " + c.failures()
}

// failures lists the failed probes with what differed; a probe that
// failed the same way on several programs is listed once, naming them all.
func (c Canary) failures() string {
	type failure struct {
		name, detail string
		progs        []string
	}
	var fs []*failure
	for _, p := range c.Probes {
		if p.Passed {
			continue
		}
		i := slices.IndexFunc(fs, func(f *failure) bool { return f.name == p.Name && f.detail == p.Detail })
		if i < 0 {
			fs = append(fs, &failure{name: p.Name, detail: p.Detail})
			i = len(fs) - 1
		}
		if !slices.Contains(fs[i].progs, p.Program) {
			fs[i].progs = append(fs[i].progs, p.Program)
		}
	}
	var out []string
	for _, f := range fs {
		noun := "shader"
		if len(f.progs) > 1 {
			noun = "shaders"
		}
		out = append(out, fmt.Sprintf("%s probe (%s %s): %s", f.name, strings.Join(f.progs, ", "), noun, f.detail))
	}
	return strings.Join(out, "; ")
}

// canaryDim is the canary's feature count: more than one staged chunk of
// every kernel (32 features), so the sums run across chunks, and odd, so
// the last tile word is partial.
const canaryDim = 39

// canaryRows are the canary's tiles, canaryDim features each. The fma and
// ties patterns sit at the end, after features where the row and every
// probe's centroid are 0 (squares of 0 change no sum).
var canaryRows = slices.Concat(
	make([]uint8, canaryDim), // denormals: 1e-20 away from the tiny centroid
	append([]uint8{255}, slices.Repeat([]uint8{1}, canaryDim-1)...), // order: 4096 from the first feature, then ones
	padded([]uint8{100, 37, 201, 13, 250, 77, 5}),                   // fma: fractional differences
	padded([]uint8{10, 20, 30, 40, 50, 60, 70}),                     // ties: between centroids m+delta and m-delta
)

// canaryProbes are the centroid sets, row-major, canaryDim values each.
// The fma centroid was found by a seeded search for one where fusing every
// step, only some of them, or a single one each change the distance's bits
// (canary_test.go checks it).
var canaryProbes = []struct {
	name string
	cent []float32
}{
	{"ties", slices.Concat(canaryFar,
		paddedF([]float32{11.5, 22, 30.25, 43, 50.75, 61, 72.5}), // m + delta
		paddedF([]float32{8.5, 18, 29.75, 37, 49.25, 59, 67.5}),  // m - delta: the same squares
		paddedF([]float32{11.5, 22, 30.25, 43, 50.75, 61, 72.5}), // m + delta again
		canaryFar)},
	{"fma", slices.Concat(paddedF([]float32{99.615, 36.643, 201.517, 12.483, 250.709, 76.653, 5.745}), canaryFar)},
	{"order", slices.Concat(append([]float32{-3841}, make([]float32, canaryDim-1)...), canaryFar)},
	// Squares of 1e-20 are 1e-40, denormal; the zero centroid is at
	// distance 0 from the zero row, so flushing makes a tie that index 0
	// wins.
	{"denormals", slices.Concat(slices.Repeat([]float32{1e-20}, canaryDim), make([]float32, canaryDim))},
}

// canaryFar is a centroid far from every canary row.
var canaryFar = slices.Repeat([]float32{5000}, canaryDim)

// canaryBlocks returns a probe's centroids repeated at the start of three
// blocks of cb centroids, the gaps filled with canaryFar: k = 2*cb + the
// probe's k. Every copy ties with the original, so the lowest index must
// win across blocks and across the work groups they are split over.
func canaryBlocks(cent []float32, cb int) []float32 {
	k0 := len(cent) / canaryDim
	var out []float32
	for b := range 3 {
		out = append(out, cent...)
		if b < 2 {
			for range cb - k0 {
				out = append(out, canaryFar...)
			}
		}
	}
	return out
}

// padded puts a pattern at the end of a canary row of zeros.
func padded(p []uint8) []uint8 {
	return append(make([]uint8, canaryDim-len(p)), p...)
}

func paddedF(p []float32) []float32 {
	return append(make([]float32, canaryDim-len(p)), p...)
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
