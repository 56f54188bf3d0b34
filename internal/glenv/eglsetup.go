package glenv

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// EGLSetup is what stands between this process and NVIDIA's EGL driver,
// as CheckEGL finds it. On GPU servers the usual reason EGL offers only
// Mesa (or nothing) is a missing piece here: compute-only driver packages
// without libEGL_nvidia, no glvnd vendor file naming it, or a container
// started without the graphics driver capability.
type EGLSetup struct {
	// VendorSource says where glvnd's EGL loader takes its vendor files
	// from: "__EGL_VENDOR_LIBRARY_FILENAMES" (a list of files),
	// "__EGL_VENDOR_LIBRARY_DIRS" (a list of directories), or "default"
	// (/etc/glvnd/egl_vendor.d, then /usr/share/glvnd/egl_vendor.d).
	VendorSource string `json:"vendor_source"`
	// Searched are those files or directories, in order.
	Searched []string `json:"searched"`
	// Vendors are the vendor files found, each with the library it names.
	Vendors []EGLVendor `json:"vendors"`
	// NVIDIALibrary is NVIDIA's EGL vendor library, libEGL_nvidia.so.0;
	// NVIDIALoadError why the dynamic loader could not load it ("" when it
	// can).
	NVIDIALibrary   string `json:"nvidia_library"`
	NVIDIALoadError string `json:"nvidia_load_error,omitempty"`
	// DriverCapabilities is NVIDIA_DRIVER_CAPABILITIES (the NVIDIA
	// container toolkit's list; a container needs "graphics" or "all" for
	// EGL), DriverCapabilitiesSet whether it is set at all.
	DriverCapabilities    string `json:"nvidia_driver_capabilities"`
	DriverCapabilitiesSet bool   `json:"nvidia_driver_capabilities_set"`
	// KernelDriver is the first line of /proc/driver/nvidia/version: an
	// NVIDIA kernel driver is loaded. Empty when there is none.
	KernelDriver string `json:"nvidia_kernel_driver,omitempty"`
}

// EGLVendor is one glvnd EGL vendor file.
type EGLVendor struct {
	File    string `json:"file"`
	Library string `json:"library,omitempty"` // ICD.library_path
	Error   string `json:"error,omitempty"`   // why the file could not be read
}

// nvidiaEGL is the library NVIDIA's vendor file names.
const nvidiaEGL = "libEGL_nvidia.so.0"

// eglVendorDirs are glvnd's default vendor directories (its sysconfdir and
// datadir as Debian, Ubuntu and NVIDIA's packages build it).
var eglVendorDirs = []string{"/etc/glvnd/egl_vendor.d", "/usr/share/glvnd/egl_vendor.d"}

// CheckEGL looks at what glvnd's EGL loader would find: the vendor files
// (as libglvnd reads __EGL_VENDOR_LIBRARY_FILENAMES, else
// __EGL_VENDOR_LIBRARY_DIRS, else its default directories), whether
// libEGL_nvidia.so.0 can be loaded, NVIDIA_DRIVER_CAPABILITIES and the
// kernel driver. It changes nothing and makes no context.
func CheckEGL() EGLSetup {
	s := EGLSetup{NVIDIALibrary: nvidiaEGL, VendorSource: "default"}
	var files []string
	if v := os.Getenv("__EGL_VENDOR_LIBRARY_FILENAMES"); v != "" {
		s.VendorSource = "__EGL_VENDOR_LIBRARY_FILENAMES"
		s.Searched = splitList(v)
		files = s.Searched
	} else {
		s.Searched = eglVendorDirs
		if v := os.Getenv("__EGL_VENDOR_LIBRARY_DIRS"); v != "" {
			s.VendorSource = "__EGL_VENDOR_LIBRARY_DIRS"
			s.Searched = splitList(v)
		}
		for _, dir := range s.Searched {
			m, _ := filepath.Glob(filepath.Join(dir, "*.json"))
			slices.Sort(m)
			files = append(files, m...)
		}
	}
	for _, f := range files {
		s.Vendors = append(s.Vendors, readVendor(f))
	}
	if err := canLoad(nvidiaEGL); err != nil {
		s.NVIDIALoadError = err.Error()
	}
	s.DriverCapabilities, s.DriverCapabilitiesSet = os.LookupEnv("NVIDIA_DRIVER_CAPABILITIES")
	if b, err := os.ReadFile("/proc/driver/nvidia/version"); err == nil {
		s.KernelDriver = strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
	}
	return s
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ":") {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func readVendor(path string) EGLVendor {
	v := EGLVendor{File: path}
	b, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			v.Error = "missing"
		} else {
			v.Error = err.Error()
		}
		return v
	}
	var j struct {
		ICD struct {
			LibraryPath string `json:"library_path"`
		} `json:"ICD"`
	}
	if err := json.Unmarshal(b, &j); err != nil || j.ICD.LibraryPath == "" {
		v.Error = "not a glvnd vendor file (no ICD.library_path)"
		return v
	}
	v.Library = j.ICD.LibraryPath
	return v
}

// NVIDIAVendor reports whether a readable vendor file names NVIDIA's
// library.
func (s EGLSetup) NVIDIAVendor() bool {
	for _, v := range s.Vendors {
		if v.Error == "" && strings.Contains(v.Library, "nvidia") {
			return true
		}
	}
	return false
}

// String says on one line what was looked for and found (Fixes says what
// to change for NVIDIA's EGL).
func (s EGLSetup) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "EGL vendor files (glvnd, from %s: %s): ", s.VendorSource, strings.Join(s.Searched, ", "))
	if len(s.Vendors) == 0 {
		b.WriteString("none")
	}
	for i, v := range s.Vendors {
		if i > 0 {
			b.WriteString(", ")
		}
		if v.Error != "" {
			fmt.Fprintf(&b, "%s %s", v.File, v.Error)
		} else {
			fmt.Fprintf(&b, "%s -> %s", v.File, v.Library)
		}
	}
	if s.NVIDIALoadError != "" {
		// dlerror repeats the library's name: say it once.
		why := strings.TrimPrefix(s.NVIDIALoadError, s.NVIDIALibrary+": ")
		fmt.Fprintf(&b, "; %s cannot be loaded (%s)", s.NVIDIALibrary, why)
	} else {
		fmt.Fprintf(&b, "; %s loads", s.NVIDIALibrary)
	}
	if s.DriverCapabilitiesSet {
		fmt.Fprintf(&b, "; NVIDIA_DRIVER_CAPABILITIES=%s", s.DriverCapabilities)
	} else {
		b.WriteString("; NVIDIA_DRIVER_CAPABILITIES unset")
	}
	if s.KernelDriver != "" {
		fmt.Fprintf(&b, "; NVIDIA kernel driver: %s", s.KernelDriver)
	}
	return b.String()
}

// Fixes names what to change so that EGL finds NVIDIA's driver, one line
// each; none when every piece is there.
func (s EGLSetup) Fixes() []string {
	var h []string
	if s.NVIDIALoadError != "" {
		h = append(h, "install NVIDIA's EGL library (the driver's libnvidia-gl / libEGL_nvidia package, not only the compute packages)")
	}
	if !s.NVIDIAVendor() {
		h = append(h, "add a glvnd vendor file naming "+nvidiaEGL+" (usually /usr/share/glvnd/egl_vendor.d/10_nvidia.json) or point __EGL_VENDOR_LIBRARY_FILENAMES at one")
	}
	if caps := s.DriverCapabilities; s.DriverCapabilitiesSet && !strings.Contains(caps, "graphics") && !strings.Contains(caps, "all") {
		h = append(h, "in a container, NVIDIA_DRIVER_CAPABILITIES must include graphics (e.g. compute,utility,graphics)")
	} else if !s.DriverCapabilitiesSet && (s.NVIDIALoadError != "" || !s.NVIDIAVendor()) {
		h = append(h, "in a container, start it with NVIDIA_DRIVER_CAPABILITIES including graphics")
	}
	return h
}
