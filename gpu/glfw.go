//go:build cgo && !nogpu && !noglfw

package gpu

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"unsafe"

	"github.com/go-gl/glfw/v3.3/glfw"

	"github.com/tilekmeans/tilekmeans/internal/glenv"
)

// glfwLib serializes every GLFW call and reference-counts glfw.Init: GLFW
// is process-global (Init/Terminate, window hints, and go-gl/glfw's
// one-slot error channel that each call reads back), so two Devices on two
// threads must not interleave calls, and Terminate — which destroys every
// window — may only run when the last GLFW Device closes. Package state
// because GLFW's is process state.
//
// GLFW documents Init, window creation and destruction as main-thread only;
// that is a hard rule on macOS, but on X11 (this package's GLFW target) the
// calls work from any one thread at a time, which the mutex guarantees.
var glfwLib struct {
	sync.Mutex
	windows int
}

type glfwContext struct {
	win      *glfw.Window
	robustOn bool
}

func (c *glfwContext) kind() string { return glenv.ContextGLFW }
func (c *glfwContext) describe() string {
	return "GLFW invisible window on DISPLAY=" + os.Getenv("DISPLAY")
}
func (c *glfwContext) robust() bool       { return c.robustOn }
func (c *glfwContext) device() *EGLDevice { return nil }

func (c *glfwContext) procAddr(name string) unsafe.Pointer {
	glfwLib.Lock()
	defer glfwLib.Unlock()
	return glfw.GetProcAddress(name)
}

func (c *glfwContext) release() (err error) {
	glfwLib.Lock()
	defer glfwLib.Unlock()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("glfw: release window: %v", r)
		}
	}()
	glfw.DetachCurrentContext()
	c.win.Destroy()
	glfwLib.windows--
	if glfwLib.windows == 0 {
		glfw.Terminate()
	}
	return nil
}

// openGLFW makes an invisible 1x1 window whose context is current on this
// thread. major == 0 asks for any version (to report what an old driver
// offers).
func openGLFW(major, minor int) (glContext, error) {
	if ok, why := glenv.Display(); !ok {
		// glfw.Init would "succeed" and the next call panic: check first.
		return nil, fmt.Errorf("glfw: %s: %w", why, ErrUnavailable)
	}
	glfwLib.Lock()
	defer glfwLib.Unlock()
	if glfwLib.windows == 0 {
		// go-gl/glfw logs a platform error (X server unreachable) and
		// returns nil from Init; GetTime, which needs an initialized
		// library, tells whether Init really worked.
		err := glfwCall(glfw.Init)
		if err == nil {
			err = glfwCall(func() error { glfw.GetTime(); return nil })
		}
		if err != nil {
			return nil, fmt.Errorf("glfw: init failed on DISPLAY=%q (no X server there?): %v: %w", os.Getenv("DISPLAY"), err, ErrUnavailable)
		}
	}
	win, robust, err := glfwWindow(major, minor)
	if err != nil {
		if glfwLib.windows == 0 {
			_ = glfwCall(func() error { glfw.Terminate(); return nil })
		}
		return nil, err
	}
	glfwLib.windows++
	if err := glfwCall(func() error { win.MakeContextCurrent(); return nil }); err != nil {
		_ = glfwCall(func() error { win.Destroy(); return nil })
		glfwLib.windows--
		if glfwLib.windows == 0 {
			_ = glfwCall(func() error { glfw.Terminate(); return nil })
		}
		return nil, fmt.Errorf("glfw: make context current: %v: %w", err, ErrUnavailable)
	}
	return &glfwContext{win: win, robustOn: robust}, nil
}

// glfwWindow creates the window, first with reset notification, then
// without (drivers may refuse robustness).
func glfwWindow(major, minor int) (*glfw.Window, bool, error) {
	var firstErr error
	for _, robust := range []bool{true, false} {
		var win *glfw.Window
		err := glfwCall(func() error {
			glfw.DefaultWindowHints()
			glfw.WindowHint(glfw.Visible, glfw.False)
			glfw.WindowHint(glfw.ClientAPI, glfw.OpenGLAPI)
			if major > 0 {
				glfw.WindowHint(glfw.ContextVersionMajor, major)
				glfw.WindowHint(glfw.ContextVersionMinor, minor)
				glfw.WindowHint(glfw.OpenGLProfile, glfw.OpenGLCoreProfile)
				glfw.WindowHint(glfw.OpenGLForwardCompatible, glfw.True)
			}
			if robust {
				glfw.WindowHint(glfw.ContextRobustness, glfw.LoseContextOnReset)
			}
			w, err := glfw.CreateWindow(1, 1, "tilekmeans", nil, nil)
			if err != nil {
				return err
			}
			if w == nil {
				// go-gl/glfw logs platform errors and returns nil, nil.
				return errors.New("window creation failed (platform error, see log)")
			}
			win = w
			return nil
		})
		if err == nil {
			return win, robust, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	var ge *glfw.Error
	if errors.As(firstErr, &ge) && ge.Code == glfw.VersionUnavailable && major > 0 {
		return nil, false, fmt.Errorf("glfw: OpenGL %d.%d core: %v: %w", major, minor, firstErr, errVersionRefused)
	}
	return nil, false, fmt.Errorf("glfw: create window: %v: %w", firstErr, ErrUnavailable)
}

// glfwCall runs f and turns a go-gl/glfw panic into an error: it panics
// with *glfw.Error on errors it considers programmer errors, among them
// NotInitialized after an Init that failed (X server unreachable), which
// for this package is an expected failure.
func glfwCall(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
				return
			}
			err = fmt.Errorf("%v", r)
		}
	}()
	return f()
}
