package gpu

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tilekmeans/tilekmeans/internal/glenv"
)

// Errors a caller may need to tell apart; test with errors.Is. Failures of
// the GL side wrap one of them or are a GL error code with context; invalid
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
	// ErrNoDevice: Options.Device names an EGL device that is not there.
	// The error lists the devices there are.
	ErrNoDevice = errors.New("no such EGL device")
	// ErrParity: the parity canary found that the driver computes the
	// assignment differently from the reference arithmetic (see Canary);
	// the error is a *ParityError.
	ErrParity = errors.New("GPU arithmetic differs from the CPU reference")
)

// ParityError is a failed parity canary (see Canary and Open): Canary says
// which probes failed and how.
type ParityError struct {
	Canary Canary
}

func (e *ParityError) Error() string {
	return "parity canary failed: " + e.Canary.failures()
}

// Is makes errors.Is(err, ErrParity) true for a *ParityError.
func (e *ParityError) Is(target error) bool { return target == ErrParity }

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

// glError is an unexpected glGetError code after an operation.
type glError struct {
	Op   string // what was being done
	Code uint32 // GL error enum, e.g. 0x0502 GL_INVALID_OPERATION
}

func (e *glError) Error() string {
	return fmt.Sprintf("%s: GL error %s", e.Op, glErrorName(e.Code))
}

// Is maps the GL codes that have a sentinel onto it.
func (e *glError) Is(target error) bool {
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

// Options configures Open. The zero value is valid: an auto context on
// any device, with the parity canary enforced.
type Options struct {
	// Context is "auto" (or ""), "glfw" or "egl". Auto uses a GLFW
	// invisible window when a display is present (DISPLAY or
	// WAYLAND_DISPLAY set) and EGL otherwise; if GLFW fails it falls back
	// to EGL, and the error then names both failures.
	Context string

	// Device pins the EGL device: "" (the zero value) takes the first
	// that works, "N" the device at index N of Devices, "cuda:N" the one
	// whose CUDA device number is N (EGL_CUDA_DEVICE_NV, NVIDIA's driver
	// only: the number CUDA uses when CUDA_VISIBLE_DEVICES is unset;
	// nvidia-smi numbers in PCI bus order, so match the two by
	// EGLDevice.PCIBusID). A pinned device needs an EGL context: with
	// Context "auto" Open uses EGL, with "glfw" it fails. An index or CUDA
	// number EGL does not list is an error wrapping ErrNoDevice.
	Device string

	// AllowMismatch opens the device even when its parity canary fails
	// (Info.Canary then says what differed), giving up the guarantee that
	// results equal package cpu's bit for bit. Without it, such a device is
	// an error wrapping ErrParity.
	AllowMismatch bool
}

// Info describes an open context: what it is, the limits that shape how
// work is split, and its parity canary. JSON keys are snake_case.
type Info struct {
	Context     string `json:"context"`      // "glfw" or "egl"
	Platform    string `json:"platform"`     // how the context was made, e.g. "EGL 1.5 (Mesa Project) device #0 (EGL_MESA_device_software)"
	Renderer    string `json:"renderer"`     // GL_RENDERER
	Vendor      string `json:"vendor"`       // GL_VENDOR
	Version     string `json:"gl_version"`   // GL_VERSION
	GLSLVersion string `json:"glsl_version"` // GL_SHADING_LANGUAGE_VERSION
	Major       int    `json:"gl_major"`     // parsed GL version
	Minor       int    `json:"gl_minor"`
	// Device is the EGL device the context is on; nil for GLFW and for
	// Mesa's surfaceless platform.
	Device *EGLDevice `json:"egl_device,omitempty"`
	// Robust is true when the context was made with reset notification
	// (lose context on reset), so a GPU reset is reported rather than
	// silently ignored.
	Robust bool `json:"robust"`

	MaxWorkGroupCount   [3]int `json:"max_work_group_count"`  // GL_MAX_COMPUTE_WORK_GROUP_COUNT
	MaxWorkGroupSize    [3]int `json:"max_work_group_size"`   // GL_MAX_COMPUTE_WORK_GROUP_SIZE
	MaxInvocations      int    `json:"max_invocations"`       // GL_MAX_COMPUTE_WORK_GROUP_INVOCATIONS
	MaxSSBOBlockSize    int64  `json:"max_ssbo_block_bytes"`  // GL_MAX_SHADER_STORAGE_BLOCK_SIZE, bytes
	MaxSSBOBindings     int    `json:"max_ssbo_bindings"`     // GL_MAX_SHADER_STORAGE_BUFFER_BINDINGS
	MaxComputeSSBOs     int    `json:"max_compute_ssbos"`     // GL_MAX_COMPUTE_SHADER_STORAGE_BLOCKS
	SSBOOffsetAlignment int    `json:"ssbo_offset_alignment"` // GL_SHADER_STORAGE_BUFFER_OFFSET_ALIGNMENT, bytes
	WorkGroupSize       int    `json:"work_group_size"`       // local_size_x of the assignment shader

	// Canary is the parity canary Open ran on the assignment shader.
	Canary Canary `json:"canary"`
}

// contextOrder resolves Options.Context and Options.Device into the
// kinds to try, in order, and the device choice. A pinned EGL device rules
// GLFW out.
func contextOrder(opts Options) ([]string, glenv.Choice, error) {
	dev, err := glenv.ParseChoice(opts.Device)
	if err != nil {
		return nil, dev, fmt.Errorf("gpu: %w", err)
	}
	switch kind := opts.Context; kind {
	case "", glenv.ContextAuto:
		if glenv.AutoChoice() == glenv.ContextGLFW && dev.IsZero() {
			return []string{glenv.ContextGLFW, glenv.ContextEGL}, dev, nil
		}
		return []string{glenv.ContextEGL}, dev, nil
	case glenv.ContextGLFW:
		if !dev.IsZero() {
			return nil, dev, fmt.Errorf("gpu: EGL device %s chosen, but the context kind is glfw (GLFW uses the display's GPU; choose auto or egl)", dev)
		}
		return []string{kind}, dev, nil
	case glenv.ContextEGL:
		return []string{kind}, dev, nil
	default:
		return nil, dev, fmt.Errorf("gpu: unknown context kind %q (want auto, glfw or egl)", kind)
	}
}
