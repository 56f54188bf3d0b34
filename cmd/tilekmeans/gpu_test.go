//go:build cgo && !nogpu

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/cpu"
	"github.com/tilekmeans/tilekmeans/gpu"
	"github.com/tilekmeans/tilekmeans/internal/glenv"
	"github.com/tilekmeans/tilekmeans/internal/gpuhooks"
	"github.com/tilekmeans/tilekmeans/internal/gputest"
	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/kmeans"
)

// TestGPUSweepMatchesCPU runs the whole k = 3..7 sweep, plus k = 64, on the
// real sheets through each OpenGL context under test, with -verify, and
// requires the same numbers and the same PNG and CSV bytes as the CPU,
// the indices included (their silhouette on a sample of 1,500 tiles, the
// same on both, which llvmpipe computes in seconds).
func TestGPUSweepMatchesCPU(t *testing.T) {
	paths := sharedtest.Paths(t)
	dir := t.TempDir()
	for _, ks := range []string{"3-7", "64"} {
		ref := filepath.Join(dir, "cpu"+ks)
		args := []string{"run", "-q", "-k", ks, "-iters", "30", "-silhouette", "sample:1500", "-images"}
		args = append(args, paths...)
		if code, _, stderr := runCLI(t, append(args, "-backend", "cpu", "-out", ref)...); code != exitOK {
			t.Fatal(stderr)
		}
		for _, kind := range gputest.Contexts(t) {
			t.Run(kind+"/k="+ks, func(t *testing.T) {
				out := filepath.Join(dir, kind+ks)
				code, _, stderr := runCLI(t, append(args, "-backend", "gpu", "-context", kind, "-verify", "-out", out)...)
				if code != exitOK {
					if strings.Contains(stderr, "OpenGL context unavailable") {
						gputest.Unavailable(t, "context %s: %s", kind, stderr)
					}
					t.Fatalf("exit %d: %s", code, stderr)
				}
				s := readSummary(t, out)
				if s["backend"] != "gpu" || s["context"] != kind || s["renderer"] == "" || s["gl_version"] == "" || s["gpu_error"] != nil {
					t.Errorf("summary: backend %v context %v renderer %v gl_version %v gpu_error %v",
						s["backend"], s["context"], s["renderer"], s["gl_version"], s["gpu_error"])
				}
				for _, r := range s["runs"].([]any) {
					if v := r.(map[string]any)["verify"].(map[string]any); v["mismatches"] != 0.0 || v["rows"].(float64) == 0 {
						t.Errorf("verify %v", v)
					}
				}
				// The silhouette's sums ran on the GPU, checked against the
				// CPU's: equal bit for bit (the indices, compared by
				// sameResults, then are too).
				ind := s["indices"].(map[string]any)
				if v, _ := ind["verify"].(map[string]any); ind["backend"] != "gpu" || v == nil || v["mismatches"] != 0.0 || v["sums"].(float64) == 0 {
					t.Errorf("indices %v", ind)
				}
				sameResults(t, out, ref)
			})
		}
	}
}

// TestGPUColourAndNonSquareMatchCPU: colour tiles (D = 64*64*3, not a
// multiple of the GPU's packing alone) and non-square 10x16 tiles on the
// real sheets give, on the GPU with -verify, the CPU's bytes and numbers.
func TestGPUColourAndNonSquareMatchCPU(t *testing.T) {
	sheets := sharedtest.Shared(t, filepath.Join("data", "sheets"))
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"font 10x16", []string{"-images", filepath.Join(sheets, "terminal10x16_gs_ro.png"), "-tile", "10x16", "-k", "5,16"}},
		{"sprites rgb", []string{"-tileset", filepath.Join(sheets, "roguelikeSheet.tsx"), "-color", "rgb", "-k", "3", "-iters", "12"}},
		{"font rgb odd D", []string{"-images", filepath.Join(sheets, "terminal10x16_gs_ro.png"), "-tile", "5x3", "-crop", "-color", "rgb", "-k", "7"}},
	} {
		ref := filepath.Join(dir, tc.name, "cpu")
		args := append([]string{"run", "-q"}, tc.args...)
		if code, _, stderr := runCLI(t, append(args, "-backend", "cpu", "-out", ref)...); code != exitOK {
			t.Fatalf("%s: %s", tc.name, stderr)
		}
		for _, kind := range gputest.Contexts(t) {
			t.Run(tc.name+"/"+kind, func(t *testing.T) {
				out := filepath.Join(dir, tc.name, kind)
				code, _, stderr := runCLI(t, append(args, "-backend", "gpu", "-context", kind, "-verify", "-out", out)...)
				if code != exitOK {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				sameResults(t, out, ref)
			})
		}
	}
}

// TestGPUWideSamplesMatchCPU: 8 images of 260x260 (67,600 features, whose
// squared distances pass 2^32: 4 black, 4 white, each with a little
// noise) give on the GPU, with -verify, the CPU's silhouette and bytes;
// and on a software renderer the run says, before the pairwise pass, that
// it may take long.
func TestGPUWideSamplesMatchCPU(t *testing.T) {
	dir := t.TempDir()
	imgs := filepath.Join(dir, "images")
	if err := os.Mkdir(imgs, 0o755); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(260, 8))
	for i := range 8 {
		img := image.NewGray(image.Rect(0, 0, 260, 260))
		for p := range img.Pix {
			img.Pix[p] = uint8(255 * (i % 2))
			if rng.IntN(50) == 0 {
				img.Pix[p] = uint8(rng.IntN(256))
			}
		}
		writeFile(t, imgs, fmt.Sprintf("i%d.png", i), encodeImage(t, "i.png", img))
	}
	args := []string{"run", "-images", imgs, "-resize", "260x260", "-k", "2,3", "-silhouette", "exact"}
	ref := filepath.Join(dir, "cpu")
	if code, _, stderr := runCLI(t, append(args, "-q", "-backend", "cpu", "-out", ref)...); code != exitOK {
		t.Fatal(stderr)
	}
	for _, kind := range gputest.Contexts(t) {
		t.Run(kind, func(t *testing.T) {
			out := filepath.Join(dir, kind)
			code, _, stderr := runCLI(t, append(args, "-backend", "gpu", "-context", kind, "-verify", "-out", out)...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			s := readSummary(t, out)
			if ind := s["indices"].(map[string]any); ind["backend"] != "gpu" {
				t.Errorf("indices %v", ind)
			}
			software := strings.Contains(stderr, "a software renderer that runs the shaders on the CPU")
			if llvmpipe := strings.Contains(s["renderer"].(string), "llvmpipe"); software != llvmpipe {
				t.Errorf("renderer %v; stderr %q", s["renderer"], stderr)
			}
			sameResults(t, out, ref)
		})
	}
}

// TestRealGPUFailureMidRunFallsBack makes a real GPU assigner fail part-way
// through the sweep, as a lost context would, and checks that auto finishes
// the run on the CPU with the same output.
func TestRealGPUFailureMidRunFallsBack(t *testing.T) {
	paths := sharedtest.Paths(t)
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref")
	args := append([]string{"run", "-k", "3-5", "-images"}, paths...)
	if code, _, stderr := runCLI(t, append(args, "-q", "-backend", "cpu", "-out", ref)...); code != exitOK {
		t.Fatal(stderr)
	}
	for _, kind := range gputest.Contexts(t) {
		t.Run(kind, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			var real *gpuBackend
			a := &app{stdout: &stdout, stderr: &stderr, softwareGPU: true, openGPU: func(opts gpu.Options, data kmeans.Data) (*gpuBackend, error) {
				opts.Context = kind
				g, err := openGPU(opts, data)
				if err != nil {
					return nil, err
				}
				real = g
				lost := fmt.Errorf("gpu: assign: %w", gpu.ErrContextLost)
				g.assigner = &fakeGPU{Assigner: g.assigner, failAt: 50, failErr: lost}
				return g, nil
			}}
			out := filepath.Join(dir, kind)
			code := a.run(context.Background(), append(args, "-out", out))
			if real == nil {
				if code != exitOK || !strings.Contains(stderr.String(), "GPU unavailable") {
					t.Fatalf("exit %d: %s", code, stderr.String())
				}
				gputest.Unavailable(t, "context %s: %s", kind, stderr.String())
			}
			if code != exitOK || !strings.Contains(stderr.String(), "GPU failed, continuing on the CPU: k=4 iteration 21: gpu: assign: OpenGL context lost") {
				t.Fatalf("exit %d, stderr %q", code, stderr.String())
			}
			sameResults(t, out, ref)
			if s := readSummary(t, out); s["backend"] != "cpu" || s["context"] != kind {
				t.Errorf("summary backend %v context %v", s["backend"], s["context"])
			}
		})
	}
}

func TestDevices(t *testing.T) {
	var stdout, stderr bytes.Buffer
	a := &app{stdout: &stdout, stderr: &stderr, openGPU: openGPU, softwareGPU: true}
	if code := a.run(context.Background(), []string{"devices"}); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	txt := stdout.String()
	t.Logf("devices:\n%s", txt)
	for _, kind := range gputest.Contexts(t) {
		name := kind
		if kind == glenv.ContextEGL {
			name = "egl device 0"
		}
		if !strings.Contains(txt, name+": ") && !strings.Contains(txt, name+" [auto]: ") {
			t.Errorf("devices does not list %s:\n%s", name, txt)
		}
		if strings.Contains(txt, name+": unavailable") || strings.Contains(txt, name+" [auto]: unavailable") {
			gputest.Unavailable(t, "devices says %s is unavailable:\n%s", name, txt)
		}
	}
	for _, want := range []string{"-backend auto would use: gpu (", "compute: work groups up to", "EGL devices (-device N", "  0: ", "parity canary: passed (ties, fma, order, denormals; assign-narrow, step-narrow, assign-wide, step-wide shaders)"} {
		if !strings.Contains(txt, want) {
			t.Errorf("devices output lacks %q", want)
		}
	}
	if strings.Contains(txt, "llvmpipe") && !strings.Contains(txt, "no hardware OpenGL found; EGL vendor files (glvnd, from ") {
		t.Errorf("devices on a software renderer does not say what EGL found:\n%s", txt)
	}

	// -json: snake_case, the device indices and each context's canary.
	stdout.Reset()
	if code := a.run(context.Background(), []string{"devices", "-json"}); code != exitOK {
		t.Fatalf("devices -json: exit %d: %s", code, stderr.String())
	}
	var rep struct {
		GPUBuilt   bool `json:"gpu_built"`
		EGLDevices []struct {
			Index int  `json:"index"`
			CUDA  *int `json:"cuda_device"`
		} `json:"egl_devices"`
		Contexts []struct {
			Context   string          `json:"context"`
			Device    *map[string]any `json:"egl_device"`
			Available bool            `json:"available"`
			Info      *struct {
				Renderer string `json:"renderer"`
				Canary   struct {
					Passed bool             `json:"passed"`
					Probes []map[string]any `json:"probes"`
				} `json:"canary"`
			} `json:"info"`
		} `json:"contexts"`
		Auto string `json:"auto"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.GPUBuilt || len(rep.EGLDevices) == 0 || rep.EGLDevices[0].Index != 0 || rep.EGLDevices[0].CUDA == nil {
		t.Errorf("devices -json: egl_devices %+v", rep.EGLDevices)
	}
	egl := 0
	for _, c := range rep.Contexts {
		if c.Context == glenv.ContextEGL && c.Available {
			egl++
			if c.Device == nil || c.Info == nil || !c.Info.Canary.Passed || len(c.Info.Canary.Probes) != 16 { // 4 probes x (assign, step) x 2 kernels
				t.Errorf("devices -json: egl context %+v", c)
			}
		}
	}
	if egl != len(rep.EGLDevices) {
		t.Errorf("devices -json: %d available EGL contexts for %d EGL devices", egl, len(rep.EGLDevices))
	}
	if strings.Contains(stdout.String(), "MaxWorkGroupCount") || !strings.Contains(stdout.String(), `"max_work_group_count"`) {
		t.Error("devices -json mixes Go field names into its keys")
	}
	if strings.Contains(stdout.String(), "llvmpipe") && !strings.Contains(stdout.String(), `"egl_setup": {`) {
		t.Error("devices -json on a software renderer has no egl_setup")
	}

	// Without softwareGPU, auto says it would not use a software renderer.
	stdout.Reset()
	a.softwareGPU = false
	if code := a.run(context.Background(), []string{"devices"}); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	software := strings.Contains(stdout.String(), "llvmpipe") || strings.Contains(stdout.String(), "softpipe")
	if want := "-backend auto would use: cpu (egl device 0 offers only the software renderer"; software && gputest.Contexts(t)[0] == glenv.ContextEGL && !strings.Contains(stdout.String(), want) {
		t.Errorf("devices on a software renderer: want %q in\n%s", want, stdout.String())
	}
	if _, err := openGPU(gpu.Options{Context: "bogus"}, kmeans.Data{}); err == nil || errors.Is(err, gpu.ErrUnavailable) {
		t.Errorf("unknown context kind: %v", err)
	}
}

// TestDeviceFlag: -device and TILEKMEANS_DEVICE pick the EGL device for
// run, bench and devices; one EGL does not list is a usage error (exit 2)
// naming the devices there are, before any sheet is read.
func TestDeviceFlag(t *testing.T) {
	if !slices.Contains(gputest.Contexts(t), glenv.ContextEGL) {
		t.Skip("egl is not under test")
	}
	devs, err := gpu.Devices()
	if err != nil || len(devs) == 0 {
		gputest.Unavailable(t, "no EGL devices: %v", err)
	}
	dir := t.TempDir()
	img := writeFile(t, dir, "s.png", pngOf(t, 64, 32))
	missing := filepath.Join(dir, "missing.png") // never read: the device is checked first
	bad := fmt.Sprint(len(devs) + 98)
	for _, tt := range []struct {
		args []string
		env  string
		want string
	}{
		{[]string{"run", "-device", bad, "-images", missing}, "", "-device " + bad + ": no such EGL device " + bad + "; EGL lists " + devs[0].String()},
		{[]string{"run", "-images", missing}, bad, deviceEnv + "=" + bad + ": no such EGL device"},
		{[]string{"run", "-images", missing}, "gpu1", deviceEnv + `="gpu1": want an EGL device index N or cuda:N`},
		{[]string{"run", "-device", "cuda:7", "-images", missing}, "", "-device cuda:7: no such EGL device with CUDA number 7"},
		{[]string{"run", "-device", "0", "-context", "glfw", "-images", missing}, "", "-device 0: an EGL device needs -context egl or auto"},
		{[]string{"run", "-device", "-1", "-images", missing}, "", "-device -1: want an EGL device index"},
		{[]string{"bench", "-device", bad, "-images", missing}, "", "-device " + bad + ": no such EGL device"},
		{[]string{"devices", "-device", bad}, "", "-device " + bad + ": no such EGL device"},
	} {
		t.Setenv(deviceEnv, tt.env)
		code, _, stderr := runCLI(t, tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v (%s=%q): exit %d, stderr %q; want exit 2 and %q", tt.args, deviceEnv, tt.env, code, stderr, tt.want)
		}
	}
	// A valid flag overrides a bad environment variable; -backend cpu
	// ignores the device.
	t.Setenv(deviceEnv, bad)
	if code, _, stderr := runCLI(t, "run", "-q", "-backend", "cpu", "-k", "2", "-out", filepath.Join(dir, "cpu"), "-images", img); code != exitOK {
		t.Errorf("-backend cpu with %s=%s: exit %d: %s", deviceEnv, bad, code, stderr)
	}
	last := fmt.Sprint(len(devs) - 1)
	out := filepath.Join(dir, "gpu")
	code, _, stderr := runCLI(t, "run", "-q", "-backend", "gpu", "-device", last, "-k", "2", "-out", out, "-images", img)
	if code != exitOK {
		t.Fatalf("-device %s: exit %d: %s", last, code, stderr)
	}
	s := readSummary(t, out)
	dev, _ := s["egl_device"].(map[string]any)
	if s["context"] != "egl" || dev == nil || dev["index"] != float64(len(devs)-1) || s["canary"].(map[string]any)["passed"] != true {
		t.Errorf("summary of a run on EGL device %s: context %v egl_device %v canary %v", last, s["context"], s["egl_device"], s["canary"])
	}
	t.Setenv(deviceEnv, last)
	var stdout bytes.Buffer
	a := &app{stdout: &stdout, stderr: &bytes.Buffer{}, openGPU: openGPU}
	if code := a.run(context.Background(), []string{"devices"}); code != exitOK || !strings.Contains(stdout.String(), "egl device "+last) || strings.Contains(stdout.String(), "\nglfw") {
		t.Errorf("devices with %s=%s: exit %d\n%s", deviceEnv, last, code, stdout.String())
	}
}

// TestCanaryFailure: a GPU whose parity canary failed, for each arithmetic
// fault the canary looks for (gpu's TestCanaryCatchesFaults injects each
// into the real shaders and checks that the canary catches it; here the
// device is one that reports such a failure): auto uses the CPU with one
// line saying what differed, -backend gpu refuses, and -allow-mismatch
// runs on that GPU anyway with the failure in summary.json. (It needs no
// OpenGL context, but a build that can have a GPU: one without never tries
// it under auto.)
func TestCanaryFailure(t *testing.T) {
	dir := t.TempDir()
	img := writeFile(t, dir, "s.png", pngOf(t, 64, 32))
	ref := filepath.Join(dir, "ref")
	args := []string{"run", "-k", "2", "-iters", "5", "-images", img}
	if code, _, stderr := runCLI(t, append(args, "-q", "-backend", "cpu", "-out", ref)...); code != exitOK {
		t.Fatal(stderr)
	}
	const kind = "egl"
	for _, fault := range gpuhooks.Faults {
		t.Run(fault, func(t *testing.T) {
			detail := "row 2: label 1 distance 3 [40400000], reference label 0 distance 3 [40400000]"
			canary := gpu.Canary{Probes: []gpu.CanaryProbe{
				{Name: fault, Program: "assign-narrow", Detail: detail},
				{Name: fault, Program: "step-narrow", Detail: detail},
			}}
			var stdout, stderr bytes.Buffer
			a := &app{stdout: &stdout, stderr: &stderr, softwareGPU: true, openGPU: func(opts gpu.Options, data kmeans.Data) (*gpuBackend, error) {
				if !opts.AllowMismatch {
					return nil, fmt.Errorf("gpu: open: %s: %w", kind, &gpu.ParityError{Canary: canary})
				}
				return &gpuBackend{
					assigner: cpu.New(data, cpu.Options{}), // the mismatching GPU's results are not the point here
					info:     gpu.Info{Context: kind, Renderer: "a GPU whose canary failed", Canary: canary},
					close:    func() error { return nil },
				}, nil
			}}
			run := func(extra ...string) (int, string, string) {
				stderr.Reset()
				out := filepath.Join(t.TempDir(), "out")
				code := a.run(context.Background(), append(append(args, "-out", out), extra...))
				return code, stderr.String(), out
			}

			code, msg, out := run()
			first := strings.SplitN(msg, "\n", 2)[0]
			prefix := "tilekmeans: GPU unavailable, using the CPU: gpu: open: " + kind + ": parity canary failed: "
			what := fault + " probe (assign-narrow, step-narrow"
			if code != exitOK || !strings.HasPrefix(first, prefix) || !strings.Contains(first, what) || !strings.Contains(first, "reference label") {
				t.Fatalf("auto: exit %d, first line %q, want %q and %q", code, first, prefix, what)
			}
			sameResults(t, out, ref)
			if s := readSummary(t, out); s["backend"] != "cpu" || !strings.Contains(fmt.Sprint(s["gpu_error"]), "parity canary failed") {
				t.Errorf("auto summary: backend %v gpu_error %v", s["backend"], s["gpu_error"])
			}

			code, msg, out = run("-backend", "gpu")
			if code != exitFailure || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, "-backend gpu: gpu: open: "+kind+": parity canary failed: ") || !strings.Contains(msg, what) || !strings.Contains(msg, "(-allow-mismatch uses this GPU anyway") {
				t.Errorf("-backend gpu: exit %d, stderr %q", code, msg)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("-backend gpu refused, yet wrote %s", out)
			}

			code, msg, out = run("-backend", "gpu", "-allow-mismatch")
			if code != exitOK || !strings.Contains(msg, "the GPU's parity canary failed: ") || !strings.Contains(msg, what) {
				t.Fatalf("-allow-mismatch: exit %d, stderr %q", code, msg)
			}
			s := readSummary(t, out)
			if c, _ := s["canary"].(map[string]any); s["backend"] != "gpu" || s["allow_mismatch"] != true || c == nil || c["passed"] != false {
				t.Errorf("-allow-mismatch summary: backend %v allow_mismatch %v canary %v", s["backend"], s["allow_mismatch"], s["canary"])
			}
		})
	}
}

// TestAutoSkipsSoftwareRenderer: under -backend auto a GPU whose renderer
// is a software rasterizer (gpu.Info.Software) gives way to the CPU with a
// notice, unless the test says software renderers count; a hardware one
// is used. (A build without GPU support never opens one under auto.)
func TestAutoSkipsSoftwareRenderer(t *testing.T) {
	dir := t.TempDir()
	img := writeFile(t, dir, "s.png", pngOf(t, 64, 32))
	for _, tt := range []struct {
		renderer, backend string
		software          bool
	}{
		{"llvmpipe (LLVM 15.0.6, 256 bits)", "cpu", false},
		{"softpipe", "cpu", false},
		{"llvmpipe (LLVM 15.0.6, 256 bits)", "gpu", true},
		{"NVIDIA H100 80GB HBM3/PCIe/SSE2", "gpu", false},
	} {
		var stdout, stderr bytes.Buffer
		a := appWith(&stdout, &stderr, nil, func(d kmeans.Data) kmeans.Assigner { return &fakeGPU{Assigner: cpu.New(d, cpu.Options{})} })
		a.softwareGPU = tt.software
		inner := a.openGPU
		a.openGPU = func(opts gpu.Options, d kmeans.Data) (*gpuBackend, error) {
			g, err := inner(opts, d)
			if g != nil {
				g.info.Renderer = tt.renderer
				g.info.Software = tt.renderer != "NVIDIA H100 80GB HBM3/PCIe/SSE2" // as gpu.Open sets it
			}
			return g, err
		}
		out := filepath.Join(dir, fmt.Sprint(tt.renderer, tt.software))
		if code := a.run(context.Background(), []string{"run", "-k", "2", "-out", out, "-images", img}); code != exitOK {
			t.Fatalf("%s: exit %d: %s", tt.renderer, code, stderr.String())
		}
		if got := readSummary(t, out)["backend"]; got != tt.backend {
			t.Errorf("%s (softwareGPU %v): backend %v, want %s", tt.renderer, tt.software, got, tt.backend)
		}
		if notice := strings.Contains(stderr.String(), "only a software OpenGL renderer here"); notice != (tt.backend == "cpu") {
			t.Errorf("%s: stderr %q", tt.renderer, stderr.String())
		}
		// The line, on every run of a machine without a GPU, stays short:
		// what EGL found is in gpu_error and devices' output.
		for _, l := range strings.Split(stderr.String(), "\n") {
			if strings.Contains(l, "only a software OpenGL renderer here") && (len(l) > 240 || !strings.HasSuffix(l, "'tilekmeans devices' says why no hardware GPU was found")) {
				t.Errorf("%s: the line is %d bytes: %q", tt.renderer, len(l), l)
			}
		}
	}
}
