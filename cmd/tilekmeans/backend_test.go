package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/cpu"
	"github.com/tilekmeans/tilekmeans/gpu"
	"github.com/tilekmeans/tilekmeans/internal/glenv"
	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/kmeans"
)

// childEnv makes the test binary act as the tilekmeans command, so a test
// can run it in a process whose environment has no OpenGL at all.
const childEnv = "TILEKMEANS_TEST_RUN_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(cli(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// runChild runs the command in a child process without a display and with
// an EGL vendor list that names no driver: neither GLFW nor EGL can make a
// context there, for real.
func runChild(t *testing.T, args ...string) (code int, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "DISPLAY=") && !strings.HasPrefix(e, "WAYLAND_DISPLAY=") {
			env = append(env, e)
		}
	}
	cmd.Env = append(env, childEnv+"=1", "__EGL_VENDOR_LIBRARY_FILENAMES="+filepath.Join(t.TempDir(), "none.json"))
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), errb.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, errb.String()
}

// sameResults checks that two output folders hold the same clustering: the
// same PNG and labels.csv bytes, and the same per-k summary numbers.
func sameResults(t *testing.T, a, b string) {
	t.Helper()
	fa, fb := outputFiles(t, a), outputFiles(t, b)
	if len(fa) != len(fb) {
		t.Errorf("%d files vs %d", len(fa), len(fb))
	}
	for name, data := range fa {
		// summary.json and report.html also record the backend: they differ.
		if name != "summary.json" && name != "report.html" && !bytes.Equal(data, fb[name]) {
			t.Errorf("%s differs", name)
		}
	}
	ra, rb := readSummary(t, a)["runs"].([]any), readSummary(t, b)["runs"].([]any)
	if len(ra) != len(rb) {
		t.Fatalf("%d runs vs %d", len(ra), len(rb))
	}
	for i := range ra {
		x, y := ra[i].(map[string]any), rb[i].(map[string]any)
		for _, key := range []string{"k", "inertia", "iterations", "converged", "sizes", "init_rows", "purity", "nmi", "ari", "confusion",
			"silhouette", "cluster_silhouette", "davies_bouldin", "calinski_harabasz", "indices_note", "silhouette_note"} {
			if !reflect.DeepEqual(x[key], y[key]) {
				t.Errorf("run %d %s: %v vs %v", i, key, x[key], y[key])
			}
		}
	}
	sa, sb := readSummary(t, a), readSummary(t, b)
	for _, key := range []string{"recommended_k", "recommended_rule"} {
		if !reflect.DeepEqual(sa[key], sb[key]) {
			t.Errorf("%s: %v vs %v", key, sa[key], sb[key])
		}
	}
}

func TestAutoFallsBackWithoutAnyContext(t *testing.T) {
	paths := sharedtest.Paths(t)
	dir := t.TempDir()
	auto, cpuOut := filepath.Join(dir, "auto"), filepath.Join(dir, "cpu")
	code, stderr := runChild(t, append([]string{"run", "-k", "3,4", "-out", auto, "-images"}, paths...)...)
	if code != exitOK {
		t.Fatalf("auto without a context: exit %d: %s", code, stderr)
	}
	first := strings.SplitN(stderr, "\n", 2)[0]
	if !glenv.BuiltWithGPU {
		// A build that cannot have a GPU says nothing of it unless asked
		// (TestCase_cpu_only_build_gpu_line).
		if strings.Contains(stderr, "GPU") || readSummary(t, auto)["gpu_error"] != nil {
			t.Errorf("a CPU-only build spoke of the GPU: %q", stderr)
		}
	} else if !strings.HasPrefix(first, "tilekmeans: GPU unavailable, using the CPU: ") || !strings.Contains(first, "egl: ") {
		t.Errorf("first stderr line %q does not say why the GPU was not used", first)
	}
	if glenv.BuiltWithGPU {
		// EGL found no driver: the line names what was looked for.
		for _, want := range []string{"EGL vendor files (glvnd, from __EGL_VENDOR_LIBRARY_FILENAMES: ", "none.json missing", "libEGL_nvidia.so.0", "NVIDIA_DRIVER_CAPABILITIES"} {
			if !strings.Contains(first, want) {
				t.Errorf("first stderr line %q lacks %q", first, want)
			}
		}
	}
	s := readSummary(t, auto)
	if s["backend"] != "cpu" || (s["gpu_error"] == nil) == glenv.BuiltWithGPU {
		t.Errorf("summary backend %v gpu_error %v", s["backend"], s["gpu_error"])
	}
	if code, _, stderr := runCLI(t, append([]string{"run", "-q", "-backend", "cpu", "-k", "3,4", "-out", cpuOut, "-images"}, paths...)...); code != exitOK {
		t.Fatalf("cpu run: %s", stderr)
	}
	sameResults(t, auto, cpuOut)

	// -backend gpu must fail there instead, with one line and no output.
	out := filepath.Join(dir, "gpu")
	code, stderr = runChild(t, append([]string{"run", "-backend", "gpu", "-k", "3", "-out", out, "-images"}, paths...)...)
	if code != exitFailure || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "-backend gpu: ") {
		t.Errorf("-backend gpu without a context: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("-backend gpu failure left %s", out)
	}

	// devices says so too.
	cmd := exec.Command(os.Args[0], "devices")
	cmd.Env = append(os.Environ(), childEnv+"=1", "DISPLAY=", "__EGL_VENDOR_LIBRARY_FILENAMES=/nonexistent.json")
	txt, err := cmd.Output()
	if err != nil || !strings.Contains(string(txt), "-backend auto would use: cpu") {
		t.Errorf("devices without contexts: %v\n%s", err, txt)
	}
}

// fakeGPU is a GPU backend that computes with the CPU and can misbehave.
type fakeGPU struct {
	kmeans.Assigner
	failAt  int   // fail this call (1-based), 0: never
	failErr error // with this error
	corrupt bool  // give tile 0 a wrong label
	calls   int
}

func (f *fakeGPU) Name() string { return "gpu" }

func (f *fakeGPU) Assign(c []float32, k int, l []int32, d []float32) error {
	f.calls++
	if f.calls == f.failAt {
		return f.failErr
	}
	if err := f.Assigner.Assign(c, k, l, d); err != nil {
		return err
	}
	if f.corrupt && k > 1 {
		l[0] = (l[0] + 1) % int32(k)
	}
	return nil
}

// appWith returns an app whose GPU is made by mk (or fails with openErr).
func appWith(stdout, stderr *bytes.Buffer, openErr error, mk func(kmeans.Data) kmeans.Assigner) *app {
	return &app{stdout: stdout, stderr: stderr, openGPU: func(opts gpu.Options, data kmeans.Data) (*gpuBackend, error) {
		if openErr != nil {
			return nil, openErr
		}
		return &gpuBackend{assigner: mk(data), info: gpu.Info{Context: "egl", Renderer: "fake", Version: "4.3"}, close: func() error { return nil }}, nil
	}}
}

func TestGPUFaultsUnderAutoAndGPU(t *testing.T) {
	paths := sharedtest.Paths(t)
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref")
	if code, _, stderr := runCLI(t, append([]string{"run", "-q", "-backend", "cpu", "-k", "3-5", "-out", ref, "-images"}, paths...)...); code != exitOK {
		t.Fatal(stderr)
	}
	lost := fmt.Errorf("gpu: assign: dispatch 7: %w", gpu.ErrContextLost)
	shader := fmt.Errorf("gpu: open: %w", &gpu.ShaderError{Stage: "compile", Log: "0:12(3): error: syntax error, unexpected IDENTIFIER"})
	oom := fmt.Errorf("gpu: upload tiles: %w", gpu.ErrOutOfMemory)
	tests := []struct {
		name    string
		openErr error
		failAt  int
		failErr error
		notice  string
	}{
		{"shader fails to compile", shader, 0, nil, "GPU unavailable, using the CPU: gpu: open: compute shader compile failed: 0:12(3): error: syntax error"},
		{"driver refuses the allocation", oom, 0, nil, "GPU unavailable, using the CPU: gpu: upload tiles: out of GPU memory"},
		{"context lost mid-run", nil, 40, lost, "GPU failed, continuing on the CPU: k=4 iteration 11: gpu: assign: dispatch 7: OpenGL context lost"},
		{"context lost on the first step", nil, 1, lost, "GPU failed, continuing on the CPU"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, mode := range []string{"auto", "gpu"} {
				out := filepath.Join(t.TempDir(), mode)
				var stdout, stderr bytes.Buffer
				a := appWith(&stdout, &stderr, tt.openErr, func(d kmeans.Data) kmeans.Assigner {
					return &fakeGPU{Assigner: cpu.New(d, cpu.Options{}), failAt: tt.failAt, failErr: tt.failErr}
				})
				code := a.run(context.Background(), append([]string{"run", "-backend", mode, "-k", "3-5", "-out", out, "-images"}, paths...))
				if mode == "gpu" {
					if code != exitFailure || strings.Count(stderr.String(), "tilekmeans: ") < 1 {
						t.Errorf("-backend gpu: exit %d, stderr %q", code, stderr.String())
					}
					if _, err := os.Stat(filepath.Join(out, "summary.json")); err == nil {
						t.Error("-backend gpu failure wrote output")
					}
					continue
				}
				if code != exitOK || !strings.Contains(stderr.String(), tt.notice) {
					t.Fatalf("auto: exit %d, stderr %q, want notice %q", code, stderr.String(), tt.notice)
				}
				sameResults(t, out, ref)
				if s := readSummary(t, out); s["backend"] != "cpu" || !strings.Contains(fmt.Sprint(s["gpu_error"]), "gpu: ") {
					t.Errorf("summary backend %v gpu_error %v", s["backend"], s["gpu_error"])
				}
			}
		})
	}
}

func TestVerifyCatchesMismatch(t *testing.T) {
	paths := sharedtest.Paths(t)
	var stdout, stderr bytes.Buffer
	a := appWith(&stdout, &stderr, nil, func(d kmeans.Data) kmeans.Assigner {
		return &fakeGPU{Assigner: cpu.New(d, cpu.Options{}), corrupt: true}
	})
	out := filepath.Join(t.TempDir(), "o")
	code := a.run(context.Background(), append([]string{"run", "-backend", "gpu", "-verify", "-k", "3", "-out", out, "-images"}, paths...))
	msg := stderr.String()
	if code != exitFailure || !strings.Contains(msg, "k=3 iteration 1: verify: gpu differs from the reference arithmetic in 1 of 5610 rows (first: row 0") {
		t.Errorf("exit %d, stderr %q", code, msg)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed verify left output")
	}
	// An honest backend passes and reports its counts.
	stderr.Reset()
	a = appWith(&stdout, &stderr, nil, func(d kmeans.Data) kmeans.Assigner { return &fakeGPU{Assigner: cpu.New(d, cpu.Options{})} })
	code = a.run(context.Background(), append([]string{"run", "-backend", "gpu", "-verify", "-k", "3", "-out", out, "-images"}, paths...))
	if code != exitOK || !strings.Contains(stderr.String(), "verify k=3: ") || !strings.Contains(stderr.String(), " 0 mismatches") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	v := readSummary(t, out)["runs"].([]any)[0].(map[string]any)["verify"].(map[string]any)
	if v["mismatches"] != 0.0 || v["rows"].(float64) < 5610 {
		t.Errorf("verify summary %v", v)
	}
}

func TestVerifyCountsExactTies(t *testing.T) {
	// Two blank sheets' worth of identical tiles and explicit rows that are
	// identical: every tile is exactly tied between centroids 1 and 2.
	dir := t.TempDir()
	img := writeFile(t, dir, "flat.png", pngOf(t, 32, 16))
	out := filepath.Join(dir, "o")
	code, _, stderr := runCLI(t, "run", "-backend", "cpu", "-verify", "-k", "2", "-init", "rows:0,1", "-iters", "1", "-fixed-iters", "-out", out, "-images", img)
	if code != exitOK {
		t.Fatal(stderr)
	}
	v := readSummary(t, out)["runs"].([]any)[0].(map[string]any)["verify"].(map[string]any)
	if v["assignments"].(float64) < 1 || v["mismatches"] != 0.0 {
		t.Errorf("verify %v", v)
	}
}

// TestBenchLeavesOutUnavailableGPU: bench's default -backends times the CPU
// alone, with one line saying why, when no GPU context can be made (none in
// a CPU-only build, which cannot have one); an explicit -backends gpu makes
// that an error.
func TestBenchLeavesOutUnavailableGPU(t *testing.T) {
	paths := sharedtest.Paths(t)
	args := append([]string{"bench", "-sizes", "1", "-k", "3", "-iters", "2", "-reps", "1", "-images"}, paths...)
	code, stderr := runChild(t, args...)
	if code != exitOK {
		t.Fatalf("default -backends without a context: exit %d: %s", code, stderr)
	}
	first := strings.SplitN(stderr, "\n", 2)[0]
	if !glenv.BuiltWithGPU {
		// A CPU-only build times the CPU without a word
		// (TestCase_cpu_only_build_gpu_line).
		if stderr != "" {
			t.Errorf("CPU-only build: stderr %q, want nothing", stderr)
		}
	} else if !strings.HasPrefix(first, "tilekmeans: bench: GPU unavailable, timing the CPU only (-backends gpu insists): ") {
		t.Errorf("first stderr line %q does not say the GPU was left out", first)
	}
	code, stderr = runChild(t, append([]string{"bench", "-backends", "cpu,gpu", "-sizes", "1", "-k", "3", "-iters", "2", "-reps", "1", "-images"}, paths...)...)
	if code == exitOK || !strings.Contains(stderr, "tilekmeans: bench: ") || strings.Contains(stderr, "timing the CPU only") {
		t.Errorf("-backends cpu,gpu without a context: exit %d, stderr %q; want an error", code, stderr)
	}
}
