//go:build !cgo || nogpu

package glenv

// BuiltWithGPU: this build (CGO_ENABLED=0 or the nogpu tag) has no
// OpenGL backend; gpu.Open fails with gpu.ErrNotBuilt.
const BuiltWithGPU = false

// BuiltWithGLFW: no GPU support, so no GLFW.
const BuiltWithGLFW = false
