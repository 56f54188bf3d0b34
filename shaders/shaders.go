package shaders

import _ "embed"

// Assign is the GLSL 4.30 compute shader of the assignment step; see the
// package documentation for its bindings and uniforms.
//
//go:embed assign.comp
var Assign string

// AssignGroupSize is local_size_x of Assign. It must equal the layout
// declaration in assign.comp (a test checks that it does). 64 is a multiple
// of every current GPU's SIMD width (32 on NVIDIA, 32/64 on AMD, 8/16 on
// llvmpipe and Intel), and far below GL 4.3's guaranteed minimum of 1024
// invocations per work group.
const AssignGroupSize = 64
