package glenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckEGL(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	mesa := write("50_mesa.json", `{"file_format_version": "1.0.0", "ICD": {"library_path": "libEGL_mesa.so.0"}}`)
	nv := write("10_nvidia.json", `{"file_format_version": "1.0.0", "ICD": {"library_path": "libEGL_nvidia.so.0"}}`)
	bad := write("bad.json", `{"ICD": {}}`)
	missing := filepath.Join(dir, "none.json")

	t.Run("filenames", func(t *testing.T) {
		t.Setenv("__EGL_VENDOR_LIBRARY_FILENAMES", missing+":"+mesa)
		t.Setenv("__EGL_VENDOR_LIBRARY_DIRS", "/ignored")
		t.Setenv("NVIDIA_DRIVER_CAPABILITIES", "compute,utility")
		s := CheckEGL()
		if s.VendorSource != "__EGL_VENDOR_LIBRARY_FILENAMES" || len(s.Vendors) != 2 || s.Vendors[0].Error != "missing" || s.Vendors[1].Library != "libEGL_mesa.so.0" {
			t.Fatalf("%+v", s)
		}
		if s.NVIDIAVendor() {
			t.Error("a Mesa-only list counts as an NVIDIA vendor")
		}
		msg := s.String() + " / " + strings.Join(s.Fixes(), " / ")
		for _, want := range []string{
			"from __EGL_VENDOR_LIBRARY_FILENAMES: " + missing + ", " + mesa,
			missing + " missing", mesa + " -> libEGL_mesa.so.0",
			"libEGL_nvidia.so.0 cannot be loaded (",
			"NVIDIA_DRIVER_CAPABILITIES=compute,utility",
			"must include graphics", "add a glvnd vendor file naming libEGL_nvidia.so.0",
		} {
			if !strings.Contains(msg, want) {
				t.Errorf("message lacks %q:\n%s", want, msg)
			}
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("message spans lines: %q", msg)
		}
	})
	t.Run("dirs", func(t *testing.T) {
		t.Setenv("__EGL_VENDOR_LIBRARY_FILENAMES", "")
		t.Setenv("__EGL_VENDOR_LIBRARY_DIRS", dir+":"+filepath.Join(dir, "nodir"))
		t.Setenv("NVIDIA_DRIVER_CAPABILITIES", "all")
		s := CheckEGL()
		if s.VendorSource != "__EGL_VENDOR_LIBRARY_DIRS" || len(s.Searched) != 2 || len(s.Vendors) != 3 {
			t.Fatalf("%+v", s)
		}
		// Sorted as glvnd loads them: 10_nvidia, 50_mesa, bad.
		if s.Vendors[0].File != nv || s.Vendors[2].File != bad || s.Vendors[2].Error == "" || !s.NVIDIAVendor() {
			t.Fatalf("%+v", s.Vendors)
		}
		msg := s.String()
		if strings.Contains(msg, "vendor file naming") || strings.Contains(msg, "must include graphics") {
			t.Errorf("hints for pieces that are there: %s", msg)
		}
	})
	t.Run("default", func(t *testing.T) {
		t.Setenv("__EGL_VENDOR_LIBRARY_FILENAMES", "")
		t.Setenv("__EGL_VENDOR_LIBRARY_DIRS", "")
		os.Unsetenv("NVIDIA_DRIVER_CAPABILITIES")
		s := CheckEGL()
		if s.VendorSource != "default" || strings.Join(s.Searched, ":") != "/etc/glvnd/egl_vendor.d:/usr/share/glvnd/egl_vendor.d" || s.DriverCapabilitiesSet {
			t.Fatalf("%+v", s)
		}
		if msg := s.String(); !strings.Contains(msg, "NVIDIA_DRIVER_CAPABILITIES unset") {
			t.Errorf("%s", msg)
		}
	})
}
