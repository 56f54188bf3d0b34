//go:build cgo && !nogpu

package gpu

/*
#cgo pkg-config: egl
#include <stdlib.h>
#include <string.h>
#include <EGL/egl.h>
#include <EGL/eglext.h>

// Values from EGL 1.5 and extensions, defined here so older headers work.
#define TKM_PLATFORM_DEVICE      0x313F // EGL_PLATFORM_DEVICE_EXT
#define TKM_PLATFORM_SURFACELESS 0x31DD // EGL_PLATFORM_SURFACELESS_MESA
#define TKM_CONTEXT_MAJOR        0x3098 // EGL_CONTEXT_MAJOR_VERSION
#define TKM_CONTEXT_MINOR        0x30FB // EGL_CONTEXT_MINOR_VERSION
#define TKM_PROFILE_MASK         0x30FD // EGL_CONTEXT_OPENGL_PROFILE_MASK
#define TKM_CORE_PROFILE_BIT     0x0001 // EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT
#define TKM_RESET_STRATEGY_15    0x31BD // EGL_CONTEXT_OPENGL_RESET_NOTIFICATION_STRATEGY
#define TKM_RESET_STRATEGY_EXT   0x3138 // ..._EXT (EGL_EXT_create_context_robustness)
#define TKM_LOSE_ON_RESET        0x31BF // EGL_LOSE_CONTEXT_ON_RESET (same value in EXT)
#define TKM_DRM_DEVICE_FILE      0x3233 // EGL_DRM_DEVICE_FILE_EXT
#define TKM_DRM_RENDER_NODE_FILE 0x3377 // EGL_DRM_RENDER_NODE_FILE_EXT
#define TKM_CUDA_DEVICE_NV       0x323A // EGL_CUDA_DEVICE_NV
#define TKM_RENDERER             0x335F // EGL_RENDERER_EXT (EGL_EXT_device_query_name)

typedef EGLDisplay (*tkm_get_platform_display)(EGLenum, void*, const EGLint*);
typedef EGLBoolean (*tkm_query_devices)(EGLint, void**, EGLint*);
typedef const char* (*tkm_query_device_string)(void*, EGLint);
typedef EGLBoolean (*tkm_query_device_attrib)(void*, EGLint, EGLAttrib*);

// tkm_has_ext reports whether the space-separated list has name as a whole
// token.
static int tkm_has_ext(const char *list, const char *name) {
	if (list == NULL) return 0;
	size_t n = strlen(name);
	for (const char *p = list; (p = strstr(p, name)) != NULL; p += n) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0')) return 1;
	}
	return 0;
}

static const char *tkm_client_exts(void) {
	const char *s = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
	return s ? s : "";
}

// tkm_devices fills devs with up to max EGL devices; returns the count, or
// -1 with *err set when the query itself fails.
static EGLint tkm_devices(void **devs, EGLint max, EGLint *err) {
	tkm_query_devices q = (tkm_query_devices)eglGetProcAddress("eglQueryDevicesEXT");
	if (q == NULL) { *err = EGL_SUCCESS; return -1; }
	EGLint n = 0;
	if (!q(max, devs, &n)) { *err = eglGetError(); return -1; }
	return n;
}

// tkm_device_string returns the device string name of dev, or "" when the
// driver has none (callers ask only for names the device's extensions
// promise).
static const char *tkm_device_string(void *dev, EGLint name) {
	tkm_query_device_string q = (tkm_query_device_string)eglGetProcAddress("eglQueryDeviceStringEXT");
	if (q == NULL) return "";
	const char *s = q(dev, name);
	return s ? s : "";
}

// tkm_device_cuda returns dev's CUDA device number, or -1.
static long tkm_device_cuda(void *dev) {
	tkm_query_device_attrib q = (tkm_query_device_attrib)eglGetProcAddress("eglQueryDeviceAttribEXT");
	if (q == NULL) return -1;
	EGLAttrib v = -1;
	if (!q(dev, TKM_CUDA_DEVICE_NV, &v)) return -1;
	return (long)v;
}

static EGLDisplay tkm_platform_display(EGLenum platform, void *native, EGLint *err) {
	tkm_get_platform_display get = (tkm_get_platform_display)eglGetProcAddress("eglGetPlatformDisplayEXT");
	if (get == NULL) get = (tkm_get_platform_display)eglGetProcAddress("eglGetPlatformDisplay");
	if (get == NULL) { *err = EGL_SUCCESS; return EGL_NO_DISPLAY; }
	EGLDisplay d = get(platform, native, NULL);
	if (d == EGL_NO_DISPLAY) *err = eglGetError();
	return d;
}

static int tkm_no_display(EGLDisplay d) { return d == EGL_NO_DISPLAY; }

static EGLint tkm_initialize(EGLDisplay d, EGLint *major, EGLint *minor) {
	if (!eglInitialize(d, major, minor)) return eglGetError();
	return EGL_SUCCESS;
}

static const char *tkm_display_string(EGLDisplay d, EGLint name) {
	const char *s = eglQueryString(d, name);
	return s ? s : "";
}

typedef struct {
	EGLContext ctx;
	EGLSurface surf;
	int robust;
	const char *stage; // which step failed
} tkm_ctx;

// tkm_create makes an OpenGL context on d and makes it current on this
// thread. major == 0 asks for the default version (any), else major.minor
// core. robust asks for reset notification (lose context on reset).
static EGLint tkm_create(EGLDisplay d, int egl15, int major, int minor, int robust, tkm_ctx *out) {
	out->ctx = EGL_NO_CONTEXT;
	out->surf = EGL_NO_SURFACE;
	out->robust = 0;
	out->stage = "eglBindAPI(EGL_OPENGL_API)";
	if (!eglBindAPI(EGL_OPENGL_API)) return eglGetError();

	const char *exts = eglQueryString(d, EGL_EXTENSIONS);
	EGLint attr[16];
	int i = 0;
	if (major > 0) {
		attr[i++] = TKM_CONTEXT_MAJOR; attr[i++] = major;
		attr[i++] = TKM_CONTEXT_MINOR; attr[i++] = minor;
		attr[i++] = TKM_PROFILE_MASK;  attr[i++] = TKM_CORE_PROFILE_BIT;
	}
	if (robust) {
		if (egl15) {
			attr[i++] = TKM_RESET_STRATEGY_15; attr[i++] = TKM_LOSE_ON_RESET;
		} else if (tkm_has_ext(exts, "EGL_EXT_create_context_robustness")) {
			attr[i++] = TKM_RESET_STRATEGY_EXT; attr[i++] = TKM_LOSE_ON_RESET;
		} else {
			robust = 0;
		}
	}
	attr[i++] = EGL_NONE;

	// Without EGL_KHR_no_config_context (NVIDIA before ~2019), pick a config
	// with a pbuffer; without EGL_KHR_surfaceless_context, make a 1x1
	// pbuffer current instead of no surface.
	int noConfig = tkm_has_ext(exts, "EGL_KHR_no_config_context") || tkm_has_ext(exts, "EGL_MESA_configless_context");
	int surfaceless = tkm_has_ext(exts, "EGL_KHR_surfaceless_context");
	EGLConfig cfg = (EGLConfig)0;
	if (!noConfig || !surfaceless) {
		EGLint ca[] = {EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_SURFACE_TYPE, EGL_PBUFFER_BIT, EGL_NONE};
		EGLint n = 0;
		out->stage = "eglChooseConfig";
		if (!eglChooseConfig(d, ca, &cfg, 1, &n)) return eglGetError();
		if (n < 1) return EGL_BAD_CONFIG;
	}
	out->stage = "eglCreateContext";
	out->ctx = eglCreateContext(d, cfg, EGL_NO_CONTEXT, attr);
	if (out->ctx == EGL_NO_CONTEXT) return eglGetError();
	out->robust = robust;
	if (!surfaceless) {
		EGLint pa[] = {EGL_WIDTH, 1, EGL_HEIGHT, 1, EGL_NONE};
		out->stage = "eglCreatePbufferSurface";
		out->surf = eglCreatePbufferSurface(d, cfg, pa);
		if (out->surf == EGL_NO_SURFACE) {
			EGLint e = eglGetError();
			eglDestroyContext(d, out->ctx);
			out->ctx = EGL_NO_CONTEXT;
			return e;
		}
	}
	out->stage = "eglMakeCurrent";
	if (!eglMakeCurrent(d, out->surf, out->surf, out->ctx)) {
		EGLint e = eglGetError();
		if (out->surf != EGL_NO_SURFACE) eglDestroySurface(d, out->surf);
		eglDestroyContext(d, out->ctx);
		out->ctx = EGL_NO_CONTEXT;
		out->surf = EGL_NO_SURFACE;
		return e;
	}
	return EGL_SUCCESS;
}

static EGLint tkm_destroy(EGLDisplay d, tkm_ctx *c) {
	EGLint e = EGL_SUCCESS;
	if (!eglMakeCurrent(d, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT)) e = eglGetError();
	if (c->surf != EGL_NO_SURFACE && !eglDestroySurface(d, c->surf) && e == EGL_SUCCESS) e = eglGetError();
	if (c->ctx != EGL_NO_CONTEXT && !eglDestroyContext(d, c->ctx) && e == EGL_SUCCESS) e = eglGetError();
	c->ctx = EGL_NO_CONTEXT;
	c->surf = EGL_NO_SURFACE;
	return e;
}

static EGLint tkm_terminate(EGLDisplay d) {
	if (!eglTerminate(d)) return eglGetError();
	return EGL_SUCCESS;
}

static void *tkm_proc(const char *name) { return (void *)eglGetProcAddress(name); }
*/
import "C"

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"unsafe"

	"github.com/tilekmeans/tilekmeans/internal/glenv"
)

// eglDisplays reference-counts eglInitialize per display. EGL displays are
// process-wide singletons (the same platform and native display give the
// same EGLDisplay), and eglTerminate ends it for every user in the process,
// so a Device only terminates a display when it is the last one using it.
// This is package state because EGL's is process state.
var eglDisplays = struct {
	sync.Mutex
	refs map[C.EGLDisplay]int
}{refs: map[C.EGLDisplay]int{}}

func eglAcquire(dpy C.EGLDisplay) (major, minor int, err error) {
	eglDisplays.Lock()
	defer eglDisplays.Unlock()
	var ma, mi C.EGLint
	// eglInitialize on an initialized display only returns the version.
	if e := C.tkm_initialize(dpy, &ma, &mi); e != C.EGL_SUCCESS {
		return 0, 0, fmt.Errorf("eglInitialize: %s", eglErrorName(e))
	}
	eglDisplays.refs[dpy]++
	return int(ma), int(mi), nil
}

func eglRelease(dpy C.EGLDisplay) error {
	eglDisplays.Lock()
	defer eglDisplays.Unlock()
	eglDisplays.refs[dpy]--
	if eglDisplays.refs[dpy] > 0 {
		return nil
	}
	delete(eglDisplays.refs, dpy)
	if e := C.tkm_terminate(dpy); e != C.EGL_SUCCESS {
		return fmt.Errorf("eglTerminate: %s", eglErrorName(e))
	}
	return nil
}

// eglContext is a headless context current on the device thread.
type eglContext struct {
	dpy      C.EGLDisplay
	ctx      C.tkm_ctx
	platform string
	dev      *EGLDevice // nil on the surfaceless platform
}

func (c *eglContext) kind() string       { return glenv.ContextEGL }
func (c *eglContext) describe() string   { return c.platform }
func (c *eglContext) robust() bool       { return c.ctx.robust != 0 }
func (c *eglContext) device() *EGLDevice { return c.dev }

func (c *eglContext) procAddr(name string) unsafe.Pointer {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	return C.tkm_proc(cs)
}

func (c *eglContext) release() error {
	var errs []error
	if e := C.tkm_destroy(c.dpy, &c.ctx); e != C.EGL_SUCCESS {
		errs = append(errs, fmt.Errorf("egl: destroy context: %s", eglErrorName(e)))
	}
	if err := eglRelease(c.dpy); err != nil {
		errs = append(errs, fmt.Errorf("egl: %w", err))
	}
	// Drop this thread's EGL state (current API, error); the thread exits
	// with the device anyway.
	C.eglReleaseThread()
	return errors.Join(errs...)
}

// maxEGLDevices bounds the devices asked of eglQueryDevicesEXT.
const maxEGLDevices = 32

// eglDevices lists the EGL devices (EGL_EXT_device_enumeration) with their
// handles. It needs no context and runs on any thread.
func eglDevices() ([]EGLDevice, []unsafe.Pointer, error) {
	client := C.GoString(C.tkm_client_exts())
	if client == "" {
		return nil, nil, errNoEGLVendor
	}
	if !hasToken(client, "EGL_EXT_device_enumeration") && !hasToken(client, "EGL_EXT_device_base") {
		return nil, nil, errors.New("libEGL cannot enumerate devices (no EGL_EXT_device_enumeration)")
	}
	handles := (*[maxEGLDevices]unsafe.Pointer)(C.malloc(C.size_t(maxEGLDevices * unsafe.Sizeof(unsafe.Pointer(nil)))))
	defer C.free(unsafe.Pointer(handles))
	var e C.EGLint
	n := C.tkm_devices(&handles[0], maxEGLDevices, &e)
	if n < 0 {
		return nil, nil, fmt.Errorf("eglQueryDevicesEXT: %s", eglErrorName(e))
	}
	devs := make([]EGLDevice, n)
	ptrs := make([]unsafe.Pointer, n)
	for i := range devs {
		h := handles[i]
		ptrs[i] = h
		exts := C.GoString(C.tkm_device_string(h, C.EGL_EXTENSIONS))
		d := EGLDevice{Index: i, CUDA: -1, Extensions: exts, Software: hasToken(exts, "EGL_MESA_device_software")}
		if hasToken(exts, "EGL_EXT_device_drm") {
			d.DRMNode = C.GoString(C.tkm_device_string(h, C.TKM_DRM_DEVICE_FILE))
		}
		if hasToken(exts, "EGL_EXT_device_drm_render_node") {
			d.RenderNode = C.GoString(C.tkm_device_string(h, C.TKM_DRM_RENDER_NODE_FILE))
		}
		if d.PCIBusID = pciBusID(d.DRMNode); d.PCIBusID == "" {
			d.PCIBusID = pciBusID(d.RenderNode)
		}
		if hasToken(exts, "EGL_EXT_device_query_name") {
			d.Renderer = C.GoString(C.tkm_device_string(h, C.TKM_RENDERER))
			d.Vendor = C.GoString(C.tkm_device_string(h, C.EGL_VENDOR))
		}
		if hasToken(exts, "EGL_NV_device_cuda") {
			d.CUDA = int(C.tkm_device_cuda(h))
		}
		devs[i] = d
	}
	return devs, ptrs, nil
}

// errNoEGLVendor: glvnd's libEGL loaded no vendor library, so it offers no
// client extensions at all.
var errNoEGLVendor = errors.New("libEGL found no EGL driver (no client extensions: glvnd loaded no vendor library)")

// listDevices lists the EGL devices (Devices), or says what the EGL setup
// looks like (glenv.CheckEGL) when EGL cannot enumerate them.
func listDevices() ([]EGLDevice, error) {
	devs, _, err := eglDevices()
	if err != nil {
		return nil, fmt.Errorf("gpu: egl: %v; %s: %w", err, glenv.CheckEGL(), ErrUnavailable)
	}
	return devs, nil
}

// openEGL makes a headless context current on this thread: on the device
// choice picks, else on each EGL device in turn (EGL_EXT_platform_device,
// what NVIDIA's driver offers), then on Mesa's surfaceless platform.
// major == 0 asks for any version (used only to report what a too-old
// driver offers).
func openEGL(major, minor int, choice glenv.Choice) (glContext, error) {
	client := C.GoString(C.tkm_client_exts())
	if client == "" {
		return nil, fmt.Errorf("egl: %v; %s: %w", errNoEGLVendor, glenv.CheckEGL(), ErrUnavailable)
	}
	var tried []string
	var refused error
	try := func(platform C.EGLenum, native unsafe.Pointer, name string, dev *EGLDevice) glContext {
		c, err := eglOn(platform, native, name, major, minor)
		if err == nil {
			c.dev = dev
			return c
		}
		if errors.Is(err, errVersionRefused) && refused == nil {
			refused = err
		}
		tried = append(tried, err.Error())
		return nil
	}
	if hasToken(client, "EGL_EXT_platform_device") {
		devs, handles, err := eglDevices()
		switch {
		case err != nil:
			tried = append(tried, "device platform: "+err.Error())
		case len(devs) == 0:
			tried = append(tried, "device platform: no EGL devices")
		}
		if !choice.IsZero() {
			dev, perr := pickDevice(choice, devs)
			if perr != nil {
				return nil, fmt.Errorf("egl: %w", perr)
			}
			if c := try(C.TKM_PLATFORM_DEVICE, handles[dev.Index], fmt.Sprintf("device #%d (%s)", dev.Index, dev.describe()), &dev); c != nil {
				return c, nil
			}
			if refused != nil {
				return nil, fmt.Errorf("egl: %w", refused)
			}
			return nil, fmt.Errorf("egl: %s: %w", strings.Join(tried, "; "), ErrUnavailable)
		}
		for i := range devs {
			dev := devs[i]
			if c := try(C.TKM_PLATFORM_DEVICE, handles[i], fmt.Sprintf("device #%d (%s)", i, dev.describe()), &dev); c != nil {
				return c, nil
			}
		}
	} else {
		if !choice.IsZero() {
			return nil, fmt.Errorf("egl: EGL device %s chosen, but libEGL has no device platform (EGL_EXT_platform_device); %s: %w", choice, glenv.CheckEGL(), ErrUnavailable)
		}
		tried = append(tried, "no EGL_EXT_platform_device")
	}
	if hasToken(client, "EGL_MESA_platform_surfaceless") {
		if c := try(C.TKM_PLATFORM_SURFACELESS, nil, "surfaceless (Mesa)", nil); c != nil {
			return c, nil
		}
	} else {
		tried = append(tried, "no EGL_MESA_platform_surfaceless")
	}
	if refused != nil {
		// A display works but will not give the version: report that,
		// not "unavailable", so Open can say what the driver offers.
		return nil, fmt.Errorf("egl: %w", refused)
	}
	return nil, fmt.Errorf("egl: %s; %s: %w", strings.Join(tried, "; "), glenv.CheckEGL(), ErrUnavailable)
}

// describe names the device for Info.Platform: its DRM node if it has
// one, else its extension list (Mesa's software device says
// EGL_MESA_device_software).
func (e EGLDevice) describe() string {
	switch {
	case e.DRMNode != "":
		return e.DRMNode
	case e.RenderNode != "":
		return e.RenderNode
	}
	return e.Extensions
}

// errVersionRefused marks a display that works but refused the requested
// context version: Open then asks for any version to say what there is.
var errVersionRefused = errors.New("context version refused")

func eglOn(platform C.EGLenum, native unsafe.Pointer, name string, major, minor int) (*eglContext, error) {
	var e C.EGLint
	dpy := C.tkm_platform_display(platform, native, &e)
	if C.tkm_no_display(dpy) != 0 {
		return nil, fmt.Errorf("%s: eglGetPlatformDisplay: %s", name, eglErrorName(e))
	}
	emaj, emin, err := eglAcquire(dpy)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c := &eglContext{dpy: dpy}
	vendor := C.GoString(C.tkm_display_string(dpy, C.EGL_VENDOR))
	c.platform = fmt.Sprintf("EGL %d.%d (%s) %s", emaj, emin, vendor, name)
	// Ask for reset notification first; a driver without robustness may
	// refuse the attribute, so retry without it.
	egl15 := C.int(0)
	if emaj > 1 || emin >= 5 {
		egl15 = 1
	}
	e = C.tkm_create(dpy, egl15, C.int(major), C.int(minor), 1, &c.ctx)
	if e != C.EGL_SUCCESS {
		e = C.tkm_create(dpy, egl15, C.int(major), C.int(minor), 0, &c.ctx)
	}
	if e != C.EGL_SUCCESS {
		stage := C.GoString(c.ctx.stage)
		_ = eglRelease(dpy)
		C.eglReleaseThread()
		if stage == "eglCreateContext" && major > 0 {
			return nil, fmt.Errorf("%s: %s for OpenGL %d.%d core: %s: %w", name, stage, major, minor, eglErrorName(e), errVersionRefused)
		}
		return nil, fmt.Errorf("%s: %s: %s", name, stage, eglErrorName(e))
	}
	return c, nil
}

func hasToken(list, name string) bool {
	for _, t := range strings.Fields(list) {
		if t == name {
			return true
		}
	}
	return false
}

func eglErrorName(e C.EGLint) string {
	names := map[C.EGLint]string{
		0x3000: "EGL_SUCCESS", 0x3001: "EGL_NOT_INITIALIZED", 0x3002: "EGL_BAD_ACCESS",
		0x3003: "EGL_BAD_ALLOC", 0x3004: "EGL_BAD_ATTRIBUTE", 0x3005: "EGL_BAD_CONFIG",
		0x3006: "EGL_BAD_CONTEXT", 0x3007: "EGL_BAD_CURRENT_SURFACE", 0x3008: "EGL_BAD_DISPLAY",
		0x3009: "EGL_BAD_MATCH", 0x300A: "EGL_BAD_NATIVE_PIXMAP", 0x300B: "EGL_BAD_NATIVE_WINDOW",
		0x300C: "EGL_BAD_PARAMETER", 0x300D: "EGL_BAD_SURFACE", 0x300E: "EGL_CONTEXT_LOST",
		0x322B: "EGL_BAD_DEVICE_EXT",
	}
	if s, ok := names[e]; ok {
		return s
	}
	return fmt.Sprintf("EGL error 0x%04X", int(e))
}
