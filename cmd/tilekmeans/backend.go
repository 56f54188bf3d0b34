package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/tilekmeans/tilekmeans/cpu"
	"github.com/tilekmeans/tilekmeans/gpu"
	"github.com/tilekmeans/tilekmeans/internal/glenv"
	"github.com/tilekmeans/tilekmeans/internal/verify"
	"github.com/tilekmeans/tilekmeans/kmeans"
)

// Backend names, the values of -backend.
const (
	backendAuto = "auto"
	backendGPU  = "gpu"
	backendCPU  = "cpu"
)

// gpuBackend is an open GPU assigner with the facts of its context.
type gpuBackend struct {
	assigner kmeans.Assigner
	info     gpu.Info
	close    func() error
}

// openGPU opens an OpenGL context as opts asks and uploads data.
func openGPU(opts gpu.Options, data kmeans.Data) (*gpuBackend, error) {
	dev, err := gpu.Open(opts)
	if err != nil {
		return nil, err
	}
	a, err := dev.NewAssigner(data)
	if err != nil {
		dev.Close()
		return nil, err
	}
	return &gpuBackend{
		assigner: a,
		info:     dev.Info(),
		close: func() error {
			return errors.Join(a.Close(), dev.Close())
		},
	}, nil
}

// backend is what a run assigns with.
type backend struct {
	assigner kmeans.Assigner // the GPU's, or the CPU's
	// cpu assigns when there is no GPU or it failed, and sums distances
	// for the indices. Its copy of the tiles is made at its first Assign
	// (a GPU run that never falls back never makes it), and dropped once
	// the clustering is done (dropLayout).
	cpu     *cpu.Assigner
	cpuOpts cpu.Options
	gpu     *gpuBackend // nil when the GPU was never opened
	auto    bool        // -backend auto: fall back to the CPU
	// gpuErr is why auto did not get a GPU or stopped using it.
	gpuErr error
	logw   io.Writer
}

func (b *backend) close() error {
	if b.gpu != nil {
		return b.gpu.close()
	}
	return nil
}

// name is the backend that produced the results: "gpu", or "cpu" when the
// run was on the CPU or switched to it.
func (b *backend) name() string {
	if b.gpu == nil || b.gpuErr != nil {
		return backendCPU
	}
	return backendGPU
}

// openBackend makes the backend -backend asks for. Under auto, a GPU that
// cannot be opened is reported on logw and the CPU is used.
func (a *app) openBackend(o *runOptions, data kmeans.Data, logw io.Writer) (*backend, error) {
	opts := cpuOptions(o.workers, o.prune)
	opts.DeferLayout = true
	b := &backend{cpu: cpu.New(data, opts), cpuOpts: opts, auto: o.backend == backendAuto, logw: logw}
	b.assigner = b.cpu
	if o.backend == backendCPU || !glenv.BuiltWithGPU && !gpuAsked(o.sheets.set) {
		// A CPU-only build that no GPU flag asked for has nothing to say.
		return b, nil
	}
	g, err := a.openGPU(o.gpu.options(o.context), data)
	if err != nil {
		if o.backend == backendGPU {
			return nil, fmt.Errorf("-backend gpu: %w", openHint(err))
		}
		// A failed parity canary lands here too: the line says what
		// differed.
		if errors.Is(err, gpu.ErrUnavailable) {
			err = fmt.Errorf("%w ('tilekmeans devices' says what to fix)", err)
		}
		fmt.Fprintf(logw, "tilekmeans: GPU unavailable, using the CPU: %v\n", err)
		b.gpuErr = err
		return b, nil
	}
	if b.auto && !a.softwareGPU && g.info.Software {
		// Mesa's llvmpipe and its kin run the shaders on the CPU, many times
		// slower than the CPU backend: auto is after speed, not a GPU as such.
		err := fmt.Errorf("only a software OpenGL renderer here (%s; -backend gpu uses it anyway)", g.info.Renderer)
		// The line on every run stays short (a machine without a GPU
		// meets it every time); summary.json's gpu_error keeps what EGL
		// found, which on a GPU server usually means NVIDIA's EGL is
		// missing, and devices says it too.
		line := fmt.Sprintf("%v; 'tilekmeans devices' says why no hardware GPU was found", err)
		if g.info.Context == glenv.ContextEGL {
			err = fmt.Errorf("%w; %s ('tilekmeans devices' says what to fix)", err, glenv.CheckEGL())
		}
		if cerr := g.close(); cerr != nil {
			err = errors.Join(err, cerr)
			line = err.Error()
		}
		fmt.Fprintf(logw, "tilekmeans: GPU unavailable, using the CPU: %s\n", line)
		b.gpuErr = err
		return b, nil
	}
	if c := g.info.Canary; len(c.Probes) > 0 && !c.Passed {
		fmt.Fprintf(logw, "tilekmeans: the GPU's parity canary %s; running on it anyway (-allow-mismatch): results may differ from the CPU's\n", c)
	}
	b.gpu, b.assigner = g, g.assigner
	return b, nil
}

// dropLayout replaces the CPU assigner with a new one that has made no
// copy of the tiles, once no more assigning is to come: the copy (as large
// as the tile matrix) is then garbage before the indices and the outputs
// make theirs. The new assigner sums distances as the old one did.
func (b *backend) dropLayout(data kmeans.Data) {
	fresh := cpu.New(data, b.cpuOpts)
	if b.assigner == kmeans.Assigner(b.cpu) {
		b.assigner = fresh
	}
	b.cpu = fresh
}

// fallBack decides, after a k-means run failed with err, whether to redo it
// on the CPU: under auto, for a failure of the GPU (not an interrupt, a
// configuration error or a -verify mismatch). k-means is deterministic for
// a given seed and k, and both backends follow the same arithmetic
// contract, so the redone run gives exactly what the GPU would have.
func (b *backend) fallBack(err error) bool {
	if !b.auto || b.gpu == nil || b.gpuErr != nil ||
		errors.Is(err, context.Canceled) || errors.Is(err, verify.ErrMismatch) ||
		errors.Is(err, kmeans.ErrConfig) {
		return false
	}
	b.gpuErr = err
	b.assigner = b.cpu
	fmt.Fprintf(b.logw, "tilekmeans: GPU failed, continuing on the CPU: %v\n", err)
	return true
}

// gpuAsked reports whether the command line (set: the flags given) asked
// for a GPU or named one.
func gpuAsked(set map[string]bool) bool {
	return set["backend"] || set["backends"] || set["context"] || set["device"] || set["allow-mismatch"]
}
