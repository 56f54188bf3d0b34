package gpu

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tilekmeans/tilekmeans/internal/glenv"
)

// EGLDevice describes one device of EGL_EXT_device_enumeration, as
// Devices lists it. Only Index is always known; the rest is what the
// driver's device extensions tell.
type EGLDevice struct {
	// Index is the device's position in eglQueryDevicesEXT's list: what
	// Options.Device "N" picks.
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

// pickDevice returns the device c chooses among devs, or an error wrapping
// ErrNoDevice that names the devices there are.
func pickDevice(c glenv.Choice, devs []EGLDevice) (EGLDevice, error) {
	return glenv.Pick(c, devs, EGLDevice.id, ErrNoDevice)
}

// id is the device's index and CUDA device number, what a choice matches.
func (e EGLDevice) id() (index, cuda int) { return e.Index, e.CUDA }

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
