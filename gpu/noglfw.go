//go:build cgo && !nogpu && noglfw

package gpu

import "fmt"

// openGLFW: this binary was built with the noglfw tag (EGL only, no X11
// libraries needed with go-gl's egl tag), so there is no GLFW to use.
func openGLFW(major, minor int) (glContext, error) {
	return nil, fmt.Errorf("glfw: built without GLFW (noglfw build tag): %w", ErrUnavailable)
}
