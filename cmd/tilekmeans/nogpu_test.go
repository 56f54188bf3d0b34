//go:build !cgo || nogpu

package main

import (
	"os"
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
	code, stdout, _ := runCLI(t, "devices")
	if code != exitOK || !strings.Contains(stdout, "GPU support: not built in") || !strings.Contains(stdout, "-backend auto would use: cpu") {
		t.Errorf("devices: exit %d\n%s", code, stdout)
	}
}

// TestCase_cpu_only_build_gpu_line: a CPU-only build (CGO_ENABLED=0 or
// -tags nogpu) printed a "GPU unavailable" line on every run, repeated in
// summary.json and the report. Right: nothing at all when no flag asked
// for a GPU (the build cannot have one), and one short line, once in the
// report, when one did (-backend auto, -context, -device, bench -backends
// cpu,gpu).
func TestCase_cpu_only_build_gpu_line(t *testing.T) {
	dir := t.TempDir()
	img := writeFile(t, dir, "s.png", pngOf(t, 64, 32))
	run := func(extra ...string) (stderr, summary, page string) {
		t.Helper()
		out := filepath.Join(t.TempDir(), "o")
		code, _, stderr := runCLI(t, append([]string{"run", "-k", "2", "-images", img, "-out", out}, extra...)...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", extra, code, stderr)
		}
		s, err := os.ReadFile(filepath.Join(out, "summary.json"))
		if err != nil {
			t.Fatal(err)
		}
		p, err := os.ReadFile(filepath.Join(out, "report.html"))
		if err != nil {
			t.Fatal(err)
		}
		return stderr, string(s), string(p)
	}
	stderr, summary, page := run()
	if strings.Contains(stderr, "GPU") || strings.Contains(summary, "gpu_error") || strings.Contains(page, "GPU not used") {
		t.Errorf("no GPU flag: stderr %q, summary has gpu_error %v, report says GPU not used %v",
			stderr, strings.Contains(summary, "gpu_error"), strings.Contains(page, "GPU not used"))
	}
	for _, flags := range [][]string{{"-backend", "auto"}, {"-context", "egl"}} {
		stderr, summary, page = run(flags...)
		var lines []string
		for _, l := range strings.Split(stderr, "\n") {
			if strings.Contains(l, "GPU") {
				lines = append(lines, l)
			}
		}
		if len(lines) != 1 || len(lines[0]) > 120 || !strings.Contains(lines[0], "built without GPU support") ||
			strings.Count(summary, "built without GPU support") != 1 || strings.Count(page, "built without GPU support") != 1 {
			t.Errorf("%v: GPU lines %q (want one, at most 120 characters), in summary %d, in report %d", flags, lines,
				strings.Count(summary, "built without GPU support"), strings.Count(page, "built without GPU support"))
		}
	}
	code, stdout, stderr := runCLI(t, "bench", "-images", img, "-k", "2", "-sizes", "1", "-reps", "1", "-iters", "1")
	if code != exitOK || stderr != "" || strings.Contains(stdout, "gpu") {
		t.Errorf("bench: exit %d, stderr %q, table\n%s", code, stderr, stdout)
	}
	code, _, stderr = runCLI(t, "bench", "-images", img, "-k", "2", "-sizes", "1", "-reps", "1", "-iters", "1", "-backends", "cpu,gpu")
	if code != exitFailure || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "built without GPU support") {
		t.Errorf("bench -backends cpu,gpu: exit %d, stderr %q", code, stderr)
	}
}
