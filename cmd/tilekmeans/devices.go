package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"github.com/tilekmeans/tilekmeans/gpu"
)

// deviceEntry is one context kind in `devices -json`.
type deviceEntry struct {
	Context   string    `json:"context"`
	Available bool      `json:"available"`
	Auto      bool      `json:"auto"`
	Error     string    `json:"error,omitempty"`
	Info      *gpu.Info `json:"info,omitempty"`
}

// devicesReport is `devices -json`.
type devicesReport struct {
	GPUBuilt bool          `json:"gpu_built"`
	Contexts []deviceEntry `json:"contexts"`
	Auto     string        `json:"auto"` // what -backend auto would run on: "gpu (egl)" or "cpu"
}

func (a *app) devicesCommand(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("devices", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: tilekmeans devices [-json]\n\nTries each OpenGL context kind (GLFW window, headless EGL) and reports\nrenderer, version and compute limits, and what -backend auto would use.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, nil, a.stderr); err != nil {
		return err
	}
	rep := devicesReport{GPUBuilt: gpu.Built, Auto: backendCPU}
	for _, r := range gpu.Probe() {
		e := deviceEntry{Context: r.Context, Available: r.Available, Auto: r.Auto}
		if r.Available {
			info := r.Info
			e.Info = &info
		} else if r.Err != nil {
			e.Error = r.Err.Error()
		}
		if r.Auto {
			rep.Auto = fmt.Sprintf("gpu (%s)", r.Context)
			if softwareRenderer(r.Info.Renderer) && !a.softwareGPU {
				rep.Auto = fmt.Sprintf("cpu (%s offers only the software renderer %s; -backend gpu uses it)", r.Context, r.Info.Renderer)
			}
		}
		rep.Contexts = append(rep.Contexts, e)
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
	for _, e := range rep.Contexts {
		mark := ""
		if e.Auto {
			mark = " [auto]"
		}
		if !e.Available {
			fmt.Fprintf(w, "%s%s: unavailable: %s\n", e.Context, mark, e.Error)
			continue
		}
		i := e.Info
		fmt.Fprintf(w, "%s%s: %s\n", e.Context, mark, i.Renderer)
		fmt.Fprintf(w, "  vendor %s, OpenGL %s, GLSL %s\n", i.Vendor, i.Version, i.GLSLVersion)
		fmt.Fprintf(w, "  platform %s, reset notification %v\n", i.Platform, i.Robust)
		fmt.Fprintf(w, "  compute: work groups up to %d x %d x %d of up to %d x %d x %d (%d invocations); shader uses %d\n",
			i.MaxWorkGroupCount[0], i.MaxWorkGroupCount[1], i.MaxWorkGroupCount[2],
			i.MaxWorkGroupSize[0], i.MaxWorkGroupSize[1], i.MaxWorkGroupSize[2], i.MaxInvocations, i.WorkGroupSize)
		fmt.Fprintf(w, "  storage: blocks up to %d MiB, %d bindings (%d per compute shader), offset alignment %d\n",
			i.MaxSSBOBlockSize>>20, i.MaxSSBOBindings, i.MaxComputeSSBOs, i.SSBOOffsetAlignment)
	}
	fmt.Fprintf(w, "-backend auto would use: %s\n", rep.Auto)
	return nil
}
