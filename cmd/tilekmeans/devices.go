package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"

	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/gpudiag"
	"github.com/tilekmeans/tilekmeans/gpu"
	"github.com/tilekmeans/tilekmeans/internal/glenv"
)

// devicesReport is `devices -json`.
type devicesReport struct {
	GPUBuilt bool `json:"gpu_built"`
	// EGLDevices are the EGL devices (what -device counts), or why EGL
	// cannot list them.
	EGLDevices      []gpu.EGLDevice `json:"egl_devices"`
	EGLDevicesError string          `json:"egl_devices_error,omitempty"`
	// Contexts are the contexts probed: GLFW, then EGL on each device, each
	// with its info and parity canary.
	Contexts []gpudiag.Result `json:"contexts"`
	// EGLSetup is what glvnd's EGL loader finds, when EGL offers no
	// hardware device: what to check for NVIDIA's EGL.
	EGLSetup *glenv.EGLSetup `json:"egl_setup,omitempty"`
	// EGLFixes says what to change so that EGL finds NVIDIA's driver.
	EGLFixes []string `json:"egl_fixes,omitempty"`
	Auto     string   `json:"auto"` // what -backend auto would run on: "gpu (egl device 0)" or "cpu (why)"
}

func (a *app) devicesCommand(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("devices", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	var g gpuFlags
	g.addDevice(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: tilekmeans devices [-json] [-device N|cuda:N]\n\nTries each OpenGL context (GLFW window, headless EGL on each EGL device) and\nreports renderer, version, compute limits and the parity canary, and what\n-backend auto would use. -device shows that EGL device only.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, nil, a.stderr); err != nil {
		return err
	}
	if err := g.check(fs, glenv.ContextEGL); err != nil {
		return err
	}
	rep := devicesReport{GPUBuilt: glenv.BuiltWithGPU, Auto: backendCPU}
	devs, err := gpu.Devices()
	if err != nil {
		rep.EGLDevicesError = err.Error()
	}
	rep.EGLDevices = devs
	hardware := false
	for _, r := range gpudiag.Probe() {
		if !g.device.IsZero() {
			if r.Device == nil {
				continue
			}
			if _, err := g.pick([]gpu.EGLDevice{*r.Device}); err != nil {
				continue
			}
		}
		if r.Available && !r.Info.Software {
			hardware = true
		}
		if r.Auto {
			rep.Auto = fmt.Sprintf("gpu (%s)", r.Name())
			switch {
			case !r.Info.Canary.Passed:
				rep.Auto = fmt.Sprintf("cpu (%s failed its parity canary; -allow-mismatch uses it)", r.Name())
			case r.Info.Software && !a.softwareGPU:
				rep.Auto = fmt.Sprintf("cpu (%s offers only the software renderer %s; -backend gpu uses it)", r.Name(), r.Info.Renderer)
			}
		}
		rep.Contexts = append(rep.Contexts, r)
	}
	if glenv.BuiltWithGPU && !hardware {
		s := glenv.CheckEGL()
		rep.EGLSetup, rep.EGLFixes = &s, s.Fixes()
	}
	if *asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	w := a.stdout
	if !rep.GPUBuilt {
		fmt.Fprintln(w, "GPU support: not built in (CGO_ENABLED=0 or -tags nogpu)")
	}
	if rep.GPUBuilt && rep.EGLDevicesError != "" {
		fmt.Fprintf(w, "EGL devices: none listed: %s\n", rep.EGLDevicesError)
	} else if rep.GPUBuilt {
		fmt.Fprintf(w, "EGL devices (-device N, or cuda:N by CUDA number):\n")
		if len(rep.EGLDevices) == 0 {
			fmt.Fprintln(w, "  none")
		}
		for _, d := range rep.EGLDevices {
			fmt.Fprintf(w, "  %s\n", deviceLine(d))
		}
	}
	for _, r := range rep.Contexts {
		mark := ""
		switch {
		case r.Auto && strings.HasPrefix(rep.Auto, "gpu"):
			mark = " [auto]"
		case r.Auto:
			mark = " [the context auto opens, then leaves for the CPU]"
		}
		if !r.Available {
			// The error names the context itself ("glfw: no display").
			fmt.Fprintf(w, "%s%s: unavailable: %v\n", r.Name(), mark, strings.TrimPrefix(fmt.Sprint(r.Err), r.Context+": "))
			continue
		}
		i := r.Info
		fmt.Fprintf(w, "%s%s: %s\n", r.Name(), mark, i.Renderer)
		fmt.Fprintf(w, "  vendor %s, OpenGL %s, GLSL %s\n", i.Vendor, i.Version, i.GLSLVersion)
		fmt.Fprintf(w, "  platform %s, reset notification %v\n", i.Platform, i.Robust)
		fmt.Fprintf(w, "  compute: work groups up to %d x %d x %d of up to %d x %d x %d (%d invocations); shader uses %d\n",
			i.MaxWorkGroupCount[0], i.MaxWorkGroupCount[1], i.MaxWorkGroupCount[2],
			i.MaxWorkGroupSize[0], i.MaxWorkGroupSize[1], i.MaxWorkGroupSize[2], i.MaxInvocations, i.WorkGroupSize)
		fmt.Fprintf(w, "  storage: blocks up to %d MiB, %d bindings (%d per compute shader), offset alignment %d\n",
			i.MaxSSBOBlockSize>>20, i.MaxSSBOBindings, i.MaxComputeSSBOs, i.SSBOOffsetAlignment)
		fmt.Fprintf(w, "  parity canary: %s\n", i.Canary)
	}
	if rep.EGLSetup != nil {
		fmt.Fprintf(w, "no hardware OpenGL found; %s\n", rep.EGLSetup)
		if len(rep.EGLFixes) > 0 {
			fmt.Fprintln(w, "to use an NVIDIA GPU:")
			for _, f := range rep.EGLFixes {
				fmt.Fprintf(w, "  - %s\n", f)
			}
		}
	}
	fmt.Fprintf(w, "-backend auto would use: %s\n", rep.Auto)
	return nil
}

// deviceLine describes an EGL device with what a user matches against
// nvidia-smi: index, name, DRM nodes, PCI bus ID, CUDA number.
func deviceLine(d gpu.EGLDevice) string {
	var parts []string
	if d.Renderer != "" {
		parts = append(parts, d.Renderer)
	}
	if d.Software {
		parts = append(parts, "Mesa software renderer")
	}
	nodes := strings.TrimSpace(d.DRMNode + " " + d.RenderNode)
	if nodes == "" {
		nodes = "no DRM node"
	}
	parts = append(parts, nodes)
	if d.PCIBusID != "" {
		parts = append(parts, "PCI "+d.PCIBusID)
	}
	if d.CUDA >= 0 {
		parts = append(parts, fmt.Sprintf("CUDA device %d", d.CUDA))
	} else {
		parts = append(parts, "no CUDA device")
	}
	return fmt.Sprintf("%d: %s", d.Index, strings.Join(parts, ", "))
}
