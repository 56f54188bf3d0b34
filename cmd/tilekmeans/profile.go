package main

import (
	"fmt"
	"runtime/pprof"

	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/outdir"
)

// startProfile starts a CPU profile into path ("" does nothing) and returns
// the function that stops it. The profile is staged beside path and renamed
// into place by stop, so an interrupted command leaves no partial profile.
func startProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := outdir.Create(path)
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile %s: %w", path, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Abort()
		return nil, fmt.Errorf("-cpuprofile %s: %w", path, err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Commit(); err != nil {
			return fmt.Errorf("-cpuprofile %s: %w", path, err)
		}
		return nil
	}, nil
}
