//go:build !cgo || nogpu || noglfw

package gpu

// glfwBuilt: this build has no GLFW (pure Go, nogpu or noglfw), so auto
// never picks it.
const glfwBuilt = false
