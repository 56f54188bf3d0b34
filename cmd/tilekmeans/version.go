package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/tilekmeans/tilekmeans/internal/glenv"
)

// versionInfo is `version -json`.
type versionInfo struct {
	Module    string            `json:"module"`
	Version   string            `json:"version"` // "(devel)" for a build from a work tree
	GoVersion string            `json:"go_version"`
	Platform  string            `json:"platform"`
	GPUBuilt  bool              `json:"gpu_built"`
	Settings  map[string]string `json:"settings"` // debug.BuildInfo settings: -tags, CGO_ENABLED, GOAMD64, vcs.revision, ...
}

// versionCommand prints the module version and build settings, as
// `go version -m` would for the binary.
func (a *app) versionCommand(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: tilekmeans version [-json]\n\nPrints the module version, the Go version and the build settings.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, nil, a.stderr); err != nil {
		return err
	}
	v := versionInfo{Version: "unknown", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH,
		GPUBuilt: glenv.BuiltWithGPU, Settings: map[string]string{}}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v.Module, v.Version = bi.Main.Path, bi.Main.Version
		for _, s := range bi.Settings {
			v.Settings[s.Key] = s.Value
		}
	}
	if *asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	fmt.Fprintf(a.stdout, "tilekmeans %s (%s) %s %s, GPU support %v\n", v.Version, v.Module, v.GoVersion, v.Platform, v.GPUBuilt)
	for _, k := range []string{"-tags", "CGO_ENABLED", "GOAMD64", "vcs.revision", "vcs.time", "vcs.modified"} {
		if val, ok := v.Settings[k]; ok {
			fmt.Fprintf(a.stdout, "  %s=%s\n", k, val)
		}
	}
	return nil
}
