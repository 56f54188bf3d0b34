// Package glenv is what package gpu and the command share about the
// OpenGL platform, apart from a context: the context kinds, whether this
// build has GPU support and GLFW, whether a display is there (and so which
// kind auto tries first), the text form of an EGL device choice, and what
// glvnd's EGL loader finds (CheckEGL). None of it makes a context.
package glenv

import "os"

// Context kinds, the values of gpu.Options.Context and gpu.Info.Context.
const (
	ContextAuto = "auto" // GLFW when a display is present, else EGL
	ContextGLFW = "glfw" // invisible GLFW window with a 4.3 core profile
	ContextEGL  = "egl"  // headless EGL: device platform, then Mesa surfaceless
)

// Display reports whether a window system is reachable, and if not, why.
// glfw.Init returns nil without one and the next GLFW call panics, so
// package gpu checks this first.
func Display() (ok bool, why string) {
	if os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != "" {
		return true, ""
	}
	return false, "no display (DISPLAY and WAYLAND_DISPLAY unset)"
}

// AutoChoice returns the context kind gpu.Open tries first for "auto",
// judged from the environment and the build only (it creates nothing):
// ContextGLFW when GLFW is built in and a display is present, else
// ContextEGL. Which kind actually works takes opening one.
func AutoChoice() string {
	if ok, _ := Display(); ok && BuiltWithGLFW {
		return ContextGLFW
	}
	return ContextEGL
}
