// Package gpuhooks holds the test knobs of package gpu: fault injection,
// lowered limits and shader variants that reach, on small data and a
// healthy driver, the paths real hardware only reaches with huge inputs or
// real failures.
//
// It is internal, and package gpu takes the knobs only through its
// unexported openWithHooks, which only gpu's own tests call, so no program
// outside the module can set them, let alone depend on them.
package gpuhooks

import (
	"fmt"
	"strings"
)

// Hooks are the knobs. The zero value changes nothing.
type Hooks struct {
	// Source, when set, rewrites the GLSL source of each program before it
	// is compiled; name is "assign-" or "step-" and a kernel blocking's
	// name ("assign-wide"), or "update" (see gpu's programs). Tests use it for compile errors and for arithmetic
	// variants the parity canary must catch (FaultySource).
	Source func(name, src string) string
	// MaxTileBytes lowers the bytes of tile data bound at once (the
	// driver's GL_MAX_SHADER_STORAGE_BLOCK_SIZE), and MaxGroups the work
	// groups per dispatch (GL_MAX_COMPUTE_WORK_GROUP_COUNT[0]), to force
	// the split paths on small data. Zero keeps the driver's value; a value
	// above it is clamped to it.
	MaxTileBytes int64
	MaxGroups    int
	// FailDispatch > 0 makes the FailDispatch-th dispatch of the Device
	// (counted from 1, the parity canary's not counted) fail as a lost
	// context would: it returns ErrContextLost and the Device stays lost.
	FailDispatch int
	// MaxStepRows > 0 lowers the most rows the device Lloyd loop takes
	// (gpu's maxStepRows), so the fallback to the host loop is tested
	// without 16.8 million rows.
	MaxStepRows int
	// MaxDispatchWork > 0 lowers the most tile x centroid x feature terms
	// one dispatch computes (gpu's maxDispatchWork), so small data takes
	// the path of a pass split over many dispatches.
	MaxDispatchWork int64
	// Splits > 0 makes every pass split the centroids over that many work
	// groups per tile block (as far as there are centroid blocks), and
	// Splits < 0 forbids splitting, instead of choosing by the data's size
	// (either way, a pass splits as far as the loop budget of gpu's pass
	// planning needs).
	Splits int
	// NoBufferStorage makes the Device read the device loop's status with
	// glGetBufferSubData after a fence, as on a driver without
	// glBufferStorage, instead of through a persistently mapped buffer.
	NoBufferStorage bool
}

// Faults are the arithmetic faults FaultySource can inject into the
// assignment kernel: each is something a driver may do to the shader
// unless told not to, and each must make the parity canary fail.
var Faults = []string{"fma", "order", "denormals", "ties"}

// FaultySource returns src (a program that contains the assignment kernel,
// as written in gpu/internal/shaders/assign.comp: the accumulation "acc[i] += d * d;"
// of its PAIR macro, the loops over a staged chunk's features, and the
// argmin's better()) with one arithmetic fault:
//
//	fma        s += d*d rounded once, as the fused multiply-add a compiler
//	           makes of it without precise: float(double(d)*double(d) +
//	           double(s)), exact in double for the canary's values (GLSL's
//	           fma() need not fuse, and on llvmpipe it does not)
//	order      the features added in reverse order within each group of
//	           four of a whole staged chunk, and within a partial chunk: a
//	           reassociated sum
//	denormals  squares below the smallest normal float flushed to zero
//	ties       ties go to the highest index
//
// It fails when the source does not contain what the fault rewrites, so a
// rewritten shader cannot silently leave a variant equal to the original.
func FaultySource(fault, src string) (string, error) {
	r := rewriter{src: src}
	const acc = "acc[i] += d * d;"
	switch fault {
	case "fma":
		r.all(acc, "acc[i] = float(double(d) * double(d) + double(acc[i]));")
	case "order":
		r.one("FEATURE(f) FEATURE(f + 1u) FEATURE(f + 2u) FEATURE(f + 3u)", "FEATURE(f + 3u) FEATURE(f + 2u) FEATURE(f + 1u) FEATURE(f)")
		r.one("for (uint f = 0u; f < nf; ++f) {", "for (uint f = nf; f-- > 0u;) {")
	case "denormals":
		r.all(acc, "acc[i] += ftz(d * d);")
		r.one("uint keyOf(", "float ftz(float x) { return abs(x) < 1.17549435e-38 ? 0.0 : x; }\n\nuint keyOf(")
	case "ties":
		r.one("(a == b && ia < ib)", "(a == b && ia > ib)")
	default:
		return "", fmt.Errorf("gpuhooks: unknown fault %q (want one of %s)", fault, strings.Join(Faults, ", "))
	}
	if r.missing != "" {
		return "", fmt.Errorf("gpuhooks: fault %q does not apply: the shader has no %q", fault, r.missing)
	}
	return r.src, nil
}

// rewriter applies replacements and remembers the first text not found.
type rewriter struct {
	src, missing string
}

func (r *rewriter) one(old, new string) { r.replace(old, new, 1) }
func (r *rewriter) all(old, new string) { r.replace(old, new, -1) }

func (r *rewriter) replace(old, new string, n int) {
	if !strings.Contains(r.src, old) {
		if r.missing == "" {
			r.missing = old
		}
		return
	}
	r.src = strings.Replace(r.src, old, new, n)
}
