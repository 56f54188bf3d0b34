package gpu

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// DeviceChoice says which EGL device Open makes its context on. The zero
// value leaves the choice to Open: the first EGL device that works (then
// Mesa's surfaceless platform), or GLFW's display when a display is
// present. DeviceIndex and CUDADevice pin one device; the context is then
// EGL, on that device and no other.
//
// Its text form, for flags and environment variables (it implements
// encoding.TextUnmarshaler), is "" for the zero value, "N" for DeviceIndex(N)
// and "cuda:N" for CUDADevice(N).
type DeviceChoice struct {
	set  bool
	cuda bool
	n    int
}

// DeviceIndex picks the EGL device at index i of Devices (the order of
// eglQueryDevicesEXT, which CUDA_VISIBLE_DEVICES does not change).
func DeviceIndex(i int) DeviceChoice { return DeviceChoice{set: true, n: i} }

// CUDADevice picks the EGL device whose CUDA device number
// (EGL_CUDA_DEVICE_NV, NVIDIA's driver only) is n: the number CUDA uses
// when CUDA_VISIBLE_DEVICES is unset (fastest first by default; nvidia-smi
// numbers in PCI bus order, so match the two by EGLDevice.PCI).
func CUDADevice(n int) DeviceChoice { return DeviceChoice{set: true, cuda: true, n: n} }

// IsZero reports whether c leaves the choice to Open.
func (c DeviceChoice) IsZero() bool { return !c.set }

// Index returns the chosen number and whether it is a CUDA device number
// (else an index of Devices); ok is false for the zero value.
func (c DeviceChoice) Index() (n int, cuda, ok bool) { return c.n, c.cuda, c.set }

// String returns the text form: "", "N" or "cuda:N".
func (c DeviceChoice) String() string {
	switch {
	case !c.set:
		return ""
	case c.cuda:
		return "cuda:" + strconv.Itoa(c.n)
	}
	return strconv.Itoa(c.n)
}

// MarshalText implements encoding.TextMarshaler.
func (c DeviceChoice) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler: "" (any device), "N"
// or "cuda:N", N a non-negative integer.
func (c *DeviceChoice) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	if s == "" {
		*c = DeviceChoice{}
		return nil
	}
	num, cuda := strings.CutPrefix(s, "cuda:")
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || strings.HasPrefix(num, "+") {
		return fmt.Errorf("device %q: want an EGL device index N or cuda:N (N >= 0)", s)
	}
	*c = DeviceChoice{set: true, cuda: cuda, n: n}
	return nil
}

// ParseDevice parses the text form of a DeviceChoice.
func ParseDevice(s string) (DeviceChoice, error) {
	var c DeviceChoice
	err := c.UnmarshalText([]byte(s))
	return c, err
}

// EGLDevice describes one device of EGL_EXT_device_enumeration, as
// Devices lists it. Only Index is always known; the rest is what the
// driver's device extensions tell.
type EGLDevice struct {
	// Index is the device's position in eglQueryDevicesEXT's list: what
	// DeviceIndex takes.
	Index int `json:"index"`
	// DRMNode and RenderNode are the device's DRM device file
	// (EGL_DRM_DEVICE_FILE_EXT, e.g. /dev/dri/card1) and render node
	// (EGL_DRM_RENDER_NODE_FILE_EXT, e.g. /dev/dri/renderD128), when the
	// driver says.
	DRMNode    string `json:"drm_node,omitempty"`
	RenderNode string `json:"render_node,omitempty"`
	// PCIBusID is the PCI address of the DRM node's device, from sysfs
	// (e.g. 0000:3b:00.0): what nvidia-smi's pci.bus_id shows. Empty when
	// there is no DRM node or sysfs does not say.
	PCIBusID string `json:"pci_bus_id,omitempty"`
	// CUDA is the CUDA device number (EGL_CUDA_DEVICE_NV, NVIDIA only),
	// -1 when the device has none.
	CUDA int `json:"cuda_device"`
	// Renderer and Vendor are the names the device itself reports
	// (EGL_EXT_device_query_name); empty when the driver lacks it. A
	// context's Info.Renderer is GL_RENDERER.
	Renderer string `json:"renderer,omitempty"`
	Vendor   string `json:"vendor,omitempty"`
	// Software is true for Mesa's software device
	// (EGL_MESA_device_software): llvmpipe, which runs shaders on the CPU.
	Software bool `json:"software"`
	// Extensions is the device's extension list, as the driver gives it.
	Extensions string `json:"extensions"`
}

// String describes the device on one line, e.g. "0 (NVIDIA H100, /dev/dri/card1, CUDA 0)".
func (e EGLDevice) String() string {
	var parts []string
	if e.Renderer != "" {
		parts = append(parts, e.Renderer)
	}
	if e.Software {
		parts = append(parts, "Mesa software device")
	}
	switch {
	case e.DRMNode != "":
		parts = append(parts, e.DRMNode)
	case e.RenderNode != "":
		parts = append(parts, e.RenderNode)
	}
	if e.PCIBusID != "" {
		parts = append(parts, "PCI "+e.PCIBusID)
	}
	if e.CUDA >= 0 {
		parts = append(parts, fmt.Sprintf("CUDA %d", e.CUDA))
	}
	if len(parts) == 0 {
		parts = append(parts, e.Extensions)
	}
	return fmt.Sprintf("%d (%s)", e.Index, strings.Join(parts, ", "))
}

// Pick returns the device c chooses among devs (as Devices lists them),
// or an error wrapping ErrNoDevice that names the devices there are. The
// zero choice pins nothing, so it picks nothing: an error too.
func (c DeviceChoice) Pick(devs []EGLDevice) (EGLDevice, error) {
	if !c.set {
		return EGLDevice{}, fmt.Errorf("no EGL device chosen: %w", ErrNoDevice)
	}
	for _, d := range devs {
		if c.cuda && d.CUDA == c.n || !c.cuda && d.Index == c.n {
			return d, nil
		}
	}
	what := strconv.Itoa(c.n)
	if c.cuda {
		what = fmt.Sprintf("with CUDA number %d", c.n)
	}
	if len(devs) == 0 {
		return EGLDevice{}, fmt.Errorf("%w %s: EGL lists none", ErrNoDevice, what)
	}
	names := make([]string, len(devs))
	for i, d := range devs {
		names[i] = d.String()
	}
	return EGLDevice{}, fmt.Errorf("%w %s; EGL lists %s", ErrNoDevice, what, strings.Join(names, "; "))
}

// pciBusID returns the PCI address of the device behind a DRM device file
// (/dev/dri/card1, /dev/dri/renderD128), as sysfs links it:
// /sys/class/drm/card1/device -> ../../../0000:3b:00.0. Empty when sysfs
// does not say.
func pciBusID(node string) string {
	if node == "" {
		return ""
	}
	link, err := os.Readlink(filepath.Join("/sys/class/drm", filepath.Base(node), "device"))
	if err != nil {
		return ""
	}
	id := filepath.Base(link)
	if strings.Count(id, ":") != 2 || !strings.Contains(id, ".") {
		return ""
	}
	return id
}
