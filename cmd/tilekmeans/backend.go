package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"

	"github.com/tilekmeans/tilekmeans/cpu"
	"github.com/tilekmeans/tilekmeans/gpu"
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

// openGPU opens an OpenGL context of the given kind and uploads data.
func openGPU(kind string, data kmeans.Data) (*gpuBackend, error) {
	dev, err := gpu.Open(gpu.Options{Context: kind})
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
	assigner kmeans.Assigner
	gpu      *gpuBackend       // nil on the CPU
	fallback *fallbackAssigner // set under -backend auto with a GPU
	// unavailable is why auto did not get a GPU at all.
	unavailable error
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
	if b.gpu == nil || (b.fallback != nil && b.fallback.err != nil) {
		return backendCPU
	}
	return backendGPU
}

// gpuError is why the GPU was not used or stopped being used, or nil.
func (b *backend) gpuError() error {
	if b.unavailable != nil {
		return b.unavailable
	}
	if b.fallback != nil {
		return b.fallback.err
	}
	return nil
}

// openBackend makes the backend -backend asks for. Under auto, a GPU that
// cannot be opened is reported on logw and the CPU is used.
func (a *app) openBackend(o *runOptions, data kmeans.Data, logw io.Writer) (*backend, error) {
	cpuA := cpu.New(data, o.workers)
	if o.backend == backendCPU {
		return &backend{assigner: cpuA}, nil
	}
	g, err := a.openGPU(o.context, data)
	if err != nil {
		if o.backend == backendGPU {
			return nil, fmt.Errorf("-backend gpu: %w", err)
		}
		fmt.Fprintf(logw, "tilekmeans: GPU unavailable, using the CPU: %v\n", err)
		return &backend{assigner: cpuA, unavailable: err}, nil
	}
	if o.backend == backendGPU {
		return &backend{assigner: g.assigner, gpu: g}, nil
	}
	fb := &fallbackAssigner{gpu: g.assigner, cpu: cpuA, notice: func(err error) {
		fmt.Fprintf(logw, "tilekmeans: GPU failed, continuing on the CPU: %v\n", err)
	}}
	return &backend{assigner: fb, gpu: g, fallback: fb}, nil
}

// fallbackAssigner assigns on the GPU until it fails, then on the CPU for
// the rest of the run. Both follow the same arithmetic contract, so the
// switch changes no result: the failed step is simply redone on the CPU.
type fallbackAssigner struct {
	gpu, cpu kmeans.Assigner
	err      error // the GPU's failure, once it happened
	notice   func(error)
}

func (f *fallbackAssigner) Name() string {
	if f.err != nil {
		return f.cpu.Name()
	}
	return f.gpu.Name()
}

func (f *fallbackAssigner) Assign(centroids []float32, k int, labels []int32, dists []float32) error {
	if f.err == nil {
		err := f.gpu.Assign(centroids, k, labels, dists)
		if err == nil {
			return nil
		}
		f.err = err
		f.notice(err)
	}
	return f.cpu.Assign(centroids, k, labels, dists)
}

// verifyStats counts what -verify saw for one k.
type verifyStats struct {
	Assignments int `json:"assignments"`
	Rows        int `json:"rows"`
	Mismatches  int `json:"mismatches"`
	Ties        int `json:"exact_ties"` // rows with two or more nearest centroids at exactly the same distance
}

// errMismatch reports a backend result that differs from the reference.
var errMismatch = errors.New("verify: backend differs from the CPU reference")

// verifyAssigner recomputes every assignment with the scalar reference
// (cpu.Distance, row by row) and compares labels and distances bit for bit.
type verifyAssigner struct {
	kmeans.Assigner
	data  kmeans.Data
	stats verifyStats
}

func (v *verifyAssigner) Assign(centroids []float32, k int, labels []int32, dists []float32) error {
	if err := v.Assigner.Assign(centroids, k, labels, dists); err != nil {
		return err
	}
	n := v.data.N
	workers := runtime.GOMAXPROCS(0)
	chunk := (n + workers - 1) / workers
	type part struct {
		bad, ties, first int
	}
	parts := make([]part, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*chunk, min((w+1)*chunk, n)
		wg.Go(func() {
			p := part{first: -1}
			dim := v.data.D
			for i := lo; i < hi; i++ {
				row := v.data.Row(i)
				best, bestD, tie := 0, cpu.Distance(row, centroids[:dim]), false
				for c := 1; c < k; c++ {
					d := cpu.Distance(row, centroids[c*dim:(c+1)*dim])
					switch {
					case d < bestD:
						best, bestD, tie = c, d, false
					case d == bestD:
						tie = true
					}
				}
				if tie {
					p.ties++
				}
				if labels[i] != int32(best) || math.Float32bits(dists[i]) != math.Float32bits(bestD) {
					if p.first < 0 {
						p.first = i
					}
					p.bad++
				}
			}
			parts[w] = p
		})
	}
	wg.Wait()
	v.stats.Assignments++
	v.stats.Rows += n
	first := -1
	bad := 0
	for _, p := range parts {
		v.stats.Ties += p.ties
		bad += p.bad
		if first < 0 && p.first >= 0 {
			first = p.first
		}
	}
	v.stats.Mismatches += bad
	if bad > 0 {
		wl, wd := cpu.Nearest(v.data.Row(first), centroids, k)
		return fmt.Errorf("%w: %s gave %d of %d rows differently (first: tile %d: %s label %d distance %v, reference label %d distance %v)",
			errMismatch, v.Assigner.Name(), bad, n, first, v.Assigner.Name(), labels[first], dists[first], wl, wd)
	}
	return nil
}

// takeStats returns the counts so far and starts afresh (one k each).
func (v *verifyAssigner) takeStats() verifyStats {
	s := v.stats
	v.stats = verifyStats{}
	return s
}
