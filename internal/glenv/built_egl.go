//go:build cgo && !nogpu && noglfw

package glenv

// BuiltWithGPU: this build has the OpenGL backend (see built_glfw.go).
const BuiltWithGPU = true

// BuiltWithGLFW: the noglfw tag leaves GLFW out (EGL only).
const BuiltWithGLFW = false
