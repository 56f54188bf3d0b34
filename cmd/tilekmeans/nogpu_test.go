//go:build !cgo || nogpu

package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// In a build without GPU support, -backend gpu says so and auto runs on the CPU.
func TestBuiltWithoutGPU(t *testing.T) {
	dir := t.TempDir()
	img := writeFile(t, dir, "s.png", pngOf(t, 64, 32))
	code, _, stderr := runCLI(t, "run", "-backend", "gpu", "-k", "2", "-out", filepath.Join(dir, "g"), "-images", img)
	if code != exitFailure || !strings.Contains(stderr, "built without GPU support") {
		t.Errorf("-backend gpu: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCLI(t, "run", "-k", "2", "-out", filepath.Join(dir, "a"), "-images", img)
	if code != exitOK || !strings.Contains(stderr, "GPU unavailable, using the CPU: gpu: open: built without GPU support") {
		t.Errorf("auto: exit %d, stderr %q", code, stderr)
	}
	code, stdout, _ := runCLI(t, "devices")
	if code != exitOK || !strings.Contains(stdout, "GPU support: not built in") || !strings.Contains(stdout, "-backend auto would use: cpu") {
		t.Errorf("devices: exit %d\n%s", code, stdout)
	}
}
