package gpu

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseDevice(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want DeviceChoice
		err  bool
	}{
		{"", DeviceChoice{}, false},
		{"0", DeviceIndex(0), false},
		{" 3 ", DeviceIndex(3), false},
		{"cuda:1", CUDADevice(1), false},
		{"-1", DeviceChoice{}, true},
		{"+1", DeviceChoice{}, true},
		{"cuda:", DeviceChoice{}, true},
		{"cuda:-2", DeviceChoice{}, true},
		{"gpu0", DeviceChoice{}, true},
		{"1.5", DeviceChoice{}, true},
	} {
		got, err := ParseDevice(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseDevice(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
			continue
		}
		if err != nil {
			if !strings.Contains(err.Error(), "cuda:N") {
				t.Errorf("ParseDevice(%q) error %q does not say what is wanted", tt.in, err)
			}
			continue
		}
		back, _ := ParseDevice(got.String())
		if back != got {
			t.Errorf("%q: String %q does not parse back", tt.in, got)
		}
	}
	if n, cuda, ok := CUDADevice(2).Index(); n != 2 || !cuda || !ok {
		t.Errorf("CUDADevice(2).Index() = %d, %v, %v", n, cuda, ok)
	}
	if _, _, ok := (DeviceChoice{}).Index(); ok || !(DeviceChoice{}).IsZero() {
		t.Error("zero DeviceChoice claims a device")
	}
}

func TestDeviceChoicePick(t *testing.T) {
	devs := []EGLDevice{
		{Index: 0, CUDA: 1, DRMNode: "/dev/dri/card1", Renderer: "NVIDIA H100", PCIBusID: "0000:3b:00.0"},
		{Index: 1, CUDA: 0, DRMNode: "/dev/dri/card2"},
		{Index: 2, CUDA: -1, Software: true, Extensions: "EGL_MESA_device_software"},
	}
	for _, tt := range []struct {
		c    DeviceChoice
		want int
	}{{DeviceIndex(0), 0}, {DeviceIndex(2), 2}, {CUDADevice(0), 1}, {CUDADevice(1), 0}} {
		got, err := tt.c.Pick(devs)
		if err != nil || got.Index != tt.want {
			t.Errorf("Pick(%v) = %v, %v; want device %d", tt.c, got, err, tt.want)
		}
	}
	_, err := DeviceIndex(99).Pick(devs)
	if !errors.Is(err, ErrNoDevice) {
		t.Fatalf("Pick(99): %v, want ErrNoDevice", err)
	}
	for _, want := range []string{"no such EGL device 99; EGL lists ", "0 (NVIDIA H100, /dev/dri/card1, PCI 0000:3b:00.0, CUDA 1)", "1 (/dev/dri/card2, CUDA 0)", "2 (Mesa software device)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Pick(99) error %q lacks %q", err, want)
		}
	}
	if _, err := CUDADevice(5).Pick(devs); !errors.Is(err, ErrNoDevice) || !strings.Contains(err.Error(), "CUDA number 5") {
		t.Errorf("Pick(cuda:5): %v", err)
	}
	if _, err := (DeviceChoice{}).Pick(devs); !errors.Is(err, ErrNoDevice) {
		t.Errorf("zero choice picked a device: %v", err)
	}
	if _, err := DeviceIndex(0).Pick(nil); !errors.Is(err, ErrNoDevice) || !strings.Contains(err.Error(), "EGL lists none") {
		t.Errorf("pick with no devices: %v", err)
	}
}

func TestContextOrderWithDevice(t *testing.T) {
	t.Setenv("DISPLAY", ":0")
	order, err := contextOrder(ContextAuto, DeviceIndex(1))
	if err != nil || len(order) != 1 || order[0] != ContextEGL {
		t.Errorf("auto with a device: %v, %v; want egl only", order, err)
	}
	if _, err := contextOrder(ContextGLFW, DeviceIndex(1)); err == nil || !strings.Contains(err.Error(), "glfw") {
		t.Errorf("glfw with a device: %v", err)
	}
}

func TestPCIBusID(t *testing.T) {
	if got := pciBusID(""); got != "" {
		t.Errorf("pciBusID(\"\") = %q", got)
	}
	if got := pciBusID("/dev/dri/card-none"); got != "" {
		t.Errorf("pciBusID of a node sysfs does not have = %q", got)
	}
	// Any DRM node this machine has must resolve to a PCI address or to
	// nothing (virtual devices), never to a stray path element.
	nodes, _ := filepath.Glob("/sys/class/drm/*")
	for _, n := range nodes {
		if id := pciBusID("/dev/dri/" + filepath.Base(n)); id != "" && strings.Count(id, ":") != 2 {
			t.Errorf("%s: %q", n, id)
		}
	}
}
