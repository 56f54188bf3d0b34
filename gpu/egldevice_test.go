package gpu

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/glenv"
)

// TestPickDevice: Options.Device picks by index or CUDA number, and a
// choice EGL does not list is ErrNoDevice naming the devices there are.
func TestPickDevice(t *testing.T) {
	devs := []EGLDevice{
		{Index: 0, CUDA: 1, DRMNode: "/dev/dri/card1", Renderer: "NVIDIA H100", PCIBusID: "0000:3b:00.0"},
		{Index: 1, CUDA: 0, DRMNode: "/dev/dri/card2"},
		{Index: 2, CUDA: -1, Software: true, Extensions: "EGL_MESA_device_software"},
	}
	choice := func(s string) glenv.Choice {
		c, err := glenv.ParseChoice(s)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, tt := range []struct {
		c    string
		want int
	}{{"0", 0}, {"2", 2}, {"cuda:0", 1}, {"cuda:1", 0}} {
		got, err := pickDevice(choice(tt.c), devs)
		if err != nil || got.Index != tt.want {
			t.Errorf("Pick(%v) = %v, %v; want device %d", tt.c, got, err, tt.want)
		}
	}
	_, err := pickDevice(choice("99"), devs)
	if !errors.Is(err, ErrNoDevice) {
		t.Fatalf("Pick(99): %v, want ErrNoDevice", err)
	}
	for _, want := range []string{"no such EGL device 99; EGL lists ", "0 (NVIDIA H100, /dev/dri/card1, PCI 0000:3b:00.0, CUDA 1)", "1 (/dev/dri/card2, CUDA 0)", "2 (Mesa software device)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Pick(99) error %q lacks %q", err, want)
		}
	}
	if _, err := pickDevice(choice("cuda:5"), devs); !errors.Is(err, ErrNoDevice) || !strings.Contains(err.Error(), "CUDA number 5") {
		t.Errorf("Pick(cuda:5): %v", err)
	}
	if _, err := pickDevice(glenv.Choice{}, devs); !errors.Is(err, ErrNoDevice) {
		t.Errorf("zero choice picked a device: %v", err)
	}
	if _, err := pickDevice(choice("0"), nil); !errors.Is(err, ErrNoDevice) || !strings.Contains(err.Error(), "EGL lists none") {
		t.Errorf("pick with no devices: %v", err)
	}
}

func TestContextOrderWithDevice(t *testing.T) {
	t.Setenv("DISPLAY", ":0")
	order, _, err := contextOrder(Options{Context: "auto", Device: "1"})
	if err != nil || len(order) != 1 || order[0] != "egl" {
		t.Errorf("auto with a device: %v, %v; want egl only", order, err)
	}
	if _, _, err := contextOrder(Options{Context: "glfw", Device: "1"}); err == nil || !strings.Contains(err.Error(), "glfw") {
		t.Errorf("glfw with a device: %v", err)
	}
	if _, _, err := contextOrder(Options{Device: "gpu1"}); err == nil || !strings.Contains(err.Error(), `gpu: device "gpu1": want an EGL device index N or cuda:N`) {
		t.Errorf("a device that does not parse: %v", err)
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
