//go:build cgo && !nogpu

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/gpu"
	"github.com/tilekmeans/tilekmeans/gpu/gputest"
	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/tiles/tilestest"
)

// TestGPUSweepMatchesCPU runs the whole k = 3..7 sweep, plus k = 64, on the
// real sheets through each OpenGL context under test, with -verify, and
// requires the same numbers and the same PNG and CSV bytes as the CPU.
func TestGPUSweepMatchesCPU(t *testing.T) {
	paths := tilestest.Paths(t)
	dir := t.TempDir()
	for _, ks := range []string{"3-7", "64"} {
		ref := filepath.Join(dir, "cpu"+ks)
		args := []string{"run", "-q", "-k", ks, "-iters", "30", "-images"}
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
				sameResults(t, out, ref)
			})
		}
	}
}

// TestGPUColourAndNonSquareMatchCPU: colour tiles (D = 64*64*3, not a
// multiple of the GPU's packing alone) and non-square 10x16 tiles on the
// real sheets give, on the GPU with -verify, the CPU's bytes and numbers.
func TestGPUColourAndNonSquareMatchCPU(t *testing.T) {
	sheets := tilestest.Shared(t, filepath.Join("data", "sheets"))
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

// TestRealGPUFailureMidRunFallsBack makes a real GPU assigner fail part-way
// through the sweep, as a lost context would, and checks that auto finishes
// the run on the CPU with the same output.
func TestRealGPUFailureMidRunFallsBack(t *testing.T) {
	paths := tilestest.Paths(t)
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
			a := &app{stdout: &stdout, stderr: &stderr, softwareGPU: true, openGPU: func(k string, data kmeans.Data) (*gpuBackend, error) {
				g, err := openGPU(kind, data)
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
	for _, kind := range gputest.Contexts(t) {
		if !strings.Contains(txt, kind+": ") && !strings.Contains(txt, kind+" [auto]: ") {
			t.Errorf("devices does not list %s:\n%s", kind, txt)
		}
		if strings.Contains(txt, kind+": unavailable") || strings.Contains(txt, kind+" [auto]: unavailable") {
			gputest.Unavailable(t, "devices says %s is unavailable:\n%s", kind, txt)
		}
	}
	if !strings.Contains(txt, "-backend auto would use: gpu (") || !strings.Contains(txt, "compute: work groups up to") {
		t.Errorf("devices output:\n%s", txt)
	}
	stdout.Reset()
	if code := a.run(context.Background(), []string{"devices", "-json"}); code != exitOK || !strings.Contains(stdout.String(), `"gpu_built": true`) {
		t.Errorf("devices -json: exit %d\n%s", code, stdout.String())
	}
	// Without softwareGPU, auto says it would not use a software renderer.
	stdout.Reset()
	a.softwareGPU = false
	if code := a.run(context.Background(), []string{"devices"}); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	software := strings.Contains(stdout.String(), "llvmpipe") || strings.Contains(stdout.String(), "softpipe")
	if want := "-backend auto would use: cpu (egl offers only the software renderer"; software && gputest.Contexts(t)[0] == gputest.EGL && !strings.Contains(stdout.String(), want) {
		t.Errorf("devices on a software renderer: want %q in\n%s", want, stdout.String())
	}
	if _, err := openGPU("bogus", kmeans.Data{}); err == nil || errors.Is(err, gpu.ErrUnavailable) {
		t.Errorf("unknown context kind: %v", err)
	}
}
