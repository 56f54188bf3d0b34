package gpu

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Context kinds, the values of Options.Context and Info.Context.
const (
	ContextAuto = "auto" // GLFW when a display is present, else EGL
	ContextGLFW = "glfw" // invisible GLFW window with a 4.3 core profile
	ContextEGL  = "egl"  // headless EGL: device platform, then Mesa surfaceless
)

// MaxStepRows is the most rows the device Lloyd loop (Assigner as a
// kmeans.Stepper) takes: its cluster sums are exact uint32, and 255 *
// MaxStepRows == 2^32 - 1. Start refuses more; Assign has no such limit, so
// a caller with more rows sets kmeans.Config.HostLoop.
const MaxStepRows = (1<<32 - 1) / 255

// Errors a caller may need to tell apart; test with errors.Is. Failures of
// the GL side wrap one of them or are a *GLError, with context; invalid
// arguments (short slices, bad context names) are plain errors.
var (
	// ErrNotBuilt: the binary was built without GPU support (CGO_ENABLED=0
	// or the nogpu build tag).
	ErrNotBuilt = errors.New("built without GPU support (needs cgo and no nogpu build tag)")
	// ErrUnavailable: no OpenGL context of the requested kind could be made
	// here (no display, no EGL device, GLFW not built in, ...).
	ErrUnavailable = errors.New("OpenGL context unavailable")
	// ErrVersion: the context offers less than OpenGL 4.3 with compute
	// shaders, or limits below what the shader needs.
	ErrVersion = errors.New("OpenGL 4.3 with compute shaders required")
	// ErrShader: the compute shader failed to compile or link; the error
	// is a *ShaderError carrying the GL info log.
	ErrShader = errors.New("shader build failed")
	// ErrOutOfMemory: GL_OUT_OF_MEMORY on a buffer allocation.
	ErrOutOfMemory = errors.New("out of GPU memory")
	// ErrContextLost: the context was lost (GPU reset, driver crash, or the
	// test fault injection). The Device is unusable afterwards except for
	// Close.
	ErrContextLost = errors.New("OpenGL context lost")
	// ErrClosed: the Device or Assigner was already closed.
	ErrClosed = errors.New("use of closed device")
)

// ShaderError is a compile or link failure. Log is the GL info log, verbatim.
type ShaderError struct {
	Stage string // "compile" or "link"
	Log   string
}

func (e *ShaderError) Error() string {
	return fmt.Sprintf("compute shader %s failed: %s", e.Stage, strings.TrimSpace(e.Log))
}

// Is makes errors.Is(err, ErrShader) true for a *ShaderError.
func (e *ShaderError) Is(target error) bool { return target == ErrShader }

// GLError is an unexpected glGetError code after an operation.
type GLError struct {
	Op   string // what was being done
	Code uint32 // GL error enum, e.g. 0x0502 GL_INVALID_OPERATION
}

func (e *GLError) Error() string {
	return fmt.Sprintf("%s: GL error %s", e.Op, glErrorName(e.Code))
}

// Is maps the GL codes that have a sentinel onto it.
func (e *GLError) Is(target error) bool {
	switch e.Code {
	case 0x0505: // GL_OUT_OF_MEMORY
		return target == ErrOutOfMemory
	case 0x0507: // GL_CONTEXT_LOST
		return target == ErrContextLost
	}
	return false
}

func glErrorName(code uint32) string {
	switch code {
	case 0x0500:
		return "GL_INVALID_ENUM"
	case 0x0501:
		return "GL_INVALID_VALUE"
	case 0x0502:
		return "GL_INVALID_OPERATION"
	case 0x0503:
		return "GL_STACK_OVERFLOW"
	case 0x0504:
		return "GL_STACK_UNDERFLOW"
	case 0x0505:
		return "GL_OUT_OF_MEMORY"
	case 0x0506:
		return "GL_INVALID_FRAMEBUFFER_OPERATION"
	case 0x0507:
		return "GL_CONTEXT_LOST"
	}
	return fmt.Sprintf("0x%04X", code)
}

// Options configures Open. The zero value is valid (auto context).
type Options struct {
	// Context is "auto" (or ""), "glfw" or "egl". Auto uses a GLFW
	// invisible window when a display is present (DISPLAY or
	// WAYLAND_DISPLAY set) and EGL otherwise; if GLFW fails it falls back
	// to EGL, and the error then names both failures.
	Context string

	// hooks are test-only knobs, settable only from inside this package
	// (its tests), so no caller can depend on them.
	hooks *testHooks
}

// testHooks lets the package's tests reach paths that real hardware only
// reaches with huge inputs or real failures.
type testHooks struct {
	// shaderSource replaces shaders.Assign (tests of compile errors).
	shaderSource string
	// maxTileBytes lowers the bytes of tile data bound at once (the
	// driver's GL_MAX_SHADER_STORAGE_BLOCK_SIZE), and maxGroups the work
	// groups per dispatch (GL_MAX_COMPUTE_WORK_GROUP_COUNT[0]), to force the
	// split paths on small data. Zero keeps the driver's value; a value
	// above it is clamped to it.
	maxTileBytes int64
	maxGroups    int
	// failDispatch > 0 makes the failDispatch-th dispatch of the Device
	// (counted from 1) fail as a lost context would: it returns
	// ErrContextLost and the Device stays lost.
	failDispatch int
}

// Info describes an open context: what it is and the limits that shape how
// work is split.
type Info struct {
	Context     string // "glfw" or "egl"
	Platform    string // how the context was made, e.g. "EGL 1.5 device #0 (EGL_MESA_device_software)"
	Renderer    string // GL_RENDERER
	Vendor      string // GL_VENDOR
	Version     string // GL_VERSION
	GLSLVersion string // GL_SHADING_LANGUAGE_VERSION
	Major       int    // parsed GL version
	Minor       int
	// Robust is true when the context was made with reset notification
	// (lose context on reset), so a GPU reset is reported rather than
	// silently ignored.
	Robust bool

	MaxWorkGroupCount   [3]int // GL_MAX_COMPUTE_WORK_GROUP_COUNT
	MaxWorkGroupSize    [3]int // GL_MAX_COMPUTE_WORK_GROUP_SIZE
	MaxInvocations      int    // GL_MAX_COMPUTE_WORK_GROUP_INVOCATIONS
	MaxSSBOBlockSize    int64  // GL_MAX_SHADER_STORAGE_BLOCK_SIZE, bytes
	MaxSSBOBindings     int    // GL_MAX_SHADER_STORAGE_BUFFER_BINDINGS
	MaxComputeSSBOs     int    // GL_MAX_COMPUTE_SHADER_STORAGE_BLOCKS
	SSBOOffsetAlignment int    // GL_SHADER_STORAGE_BUFFER_OFFSET_ALIGNMENT, bytes
	WorkGroupSize       int    // local_size_x of the assignment shader
}

// ProbeResult is what Probe found for one context kind.
type ProbeResult struct {
	Context   string // "glfw" or "egl"
	Available bool   // a 4.3 context could be made
	Info      Info   // valid when Available
	Err       error  // why not, when !Available
	Auto      bool   // Open with Context "auto" would use this one
}

func (r ProbeResult) String() string {
	mark := ""
	if r.Auto {
		mark = " (auto)"
	}
	if !r.Available {
		return fmt.Sprintf("%s%s: unavailable: %v", r.Context, mark, r.Err)
	}
	return fmt.Sprintf("%s%s: %s, %s, OpenGL %s, GLSL %s", r.Context, mark, r.Info.Renderer, r.Info.Vendor, r.Info.Version, r.Info.GLSLVersion)
}

// haveDisplay reports whether a window system is reachable, and if not, why.
// glfw.Init returns nil without one and the next GLFW call panics, so this
// must be checked first.
func haveDisplay() (bool, string) {
	if os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != "" {
		return true, ""
	}
	return false, "no display (DISPLAY and WAYLAND_DISPLAY unset)"
}

// AutoChoice returns the context kind Open tries first for "auto", judged
// from the environment and the build only (it creates nothing): "glfw" when
// GLFW is built in and a display is present, else "egl". Probe tells which
// kind actually works.
func AutoChoice() string {
	if ok, _ := haveDisplay(); ok && glfwBuilt {
		return ContextGLFW
	}
	return ContextEGL
}

// contextOrder resolves Options.Context into the kinds to try, in order.
func contextOrder(kind string) ([]string, error) {
	switch kind {
	case "", ContextAuto:
		if AutoChoice() == ContextGLFW {
			return []string{ContextGLFW, ContextEGL}, nil
		}
		return []string{ContextEGL}, nil
	case ContextGLFW, ContextEGL:
		return []string{kind}, nil
	}
	return nil, fmt.Errorf("gpu: unknown context kind %q (want auto, glfw or egl)", kind)
}
