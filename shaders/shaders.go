package shaders

import (
	_ "embed"
	"strings"
)

// Assign is the GLSL 4.30 compute shader of the assignment step; see the
// package documentation for its bindings and uniforms.
//
//go:embed assign.comp
var Assign string

//go:embed status.glsl
var status string

//go:embed update.comp
var update string

// Step is the first pass of a device Lloyd iteration: Assign's source with
// STEP defined and the status block spliced in, so it labels with the very
// same code and also counts changed labels, moves changed rows between the
// integer cluster sums and reduces the distances per work group.
var Step = splice(Assign, "#define STEP 1\n"+status)

// Update holds the other passes of a device Lloyd iteration (check, means,
// move; uniform uPass picks one), with the status block spliced in.
var Update = splice(update, status)

// AssignGroupSize is local_size_x of Assign. It must equal the layout
// declaration in assign.comp (a test checks that it does). 64 is a multiple
// of every current GPU's SIMD width (32 on NVIDIA, 32/64 on AMD, 8/16 on
// llvmpipe and Intel), and far below GL 4.3's guaranteed minimum of 1024
// invocations per work group. Step and Update use the same size, and their
// work group reductions are written for it.
const AssignGroupSize = 64

// StatusSlots is the number of iteration slots in the status block
// (status.glsl): the most iterations the host runs between two readbacks.
const StatusSlots = 64

// Status block layout in bytes (std430): an 8-byte header (halted, pad),
// StatusSlots slots of StatusSlotBytes, then one double per assignment work
// group.
const (
	StatusHeaderBytes = 8
	StatusSlotBytes   = 24
	StatusPartials    = StatusHeaderBytes + StatusSlots*StatusSlotBytes
)

// splice inserts text after the first line (the #version directive) of src
// and resets the line numbering, so compile errors name the lines of the
// original file.
func splice(src, text string) string {
	i := strings.IndexByte(src, '\n')
	if i < 0 {
		return src
	}
	return src[:i+1] + text + "\n#line 2\n" + src[i+1:]
}
