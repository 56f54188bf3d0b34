package gpu

import (
	"errors"
	"fmt"
	"strings"
)

// Errors a caller may need to tell apart; test with errors.Is (the package
// documentation says what each means for a caller). Any other GL error (an
// unexpected glGetError code) names the code and what was being done;
// GL_OUT_OF_MEMORY and GL_CONTEXT_LOST ones match ErrOutOfMemory and
// ErrContextLost. Invalid arguments (short slices, an unknown context kind
// or device) are plain errors.
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
	// ErrContextLost: the context was lost (GPU reset, driver crash). The
	// Device is unusable afterwards except for Close.
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
	op   string // what was being done
	code uint32 // GL error enum, e.g. 0x0502 GL_INVALID_OPERATION
}

func (e *glError) Error() string {
	return fmt.Sprintf("%s: GL error %s", e.op, glErrorName(e.code))
}

// Is maps the GL codes that have a sentinel onto it.
func (e *glError) Is(target error) bool {
	switch e.code {
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
