//go:build cgo && !nogpu && !noglfw

package glenv

// BuiltWithGPU reports whether this binary has package gpu's OpenGL
// backend: built with cgo and without the nogpu tag. It says nothing about
// whether a context can be made on this machine.
const BuiltWithGPU = true

// BuiltWithGLFW reports whether the backend can make GLFW contexts: GPU
// support without the noglfw tag.
const BuiltWithGLFW = true
