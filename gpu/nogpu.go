//go:build !cgo || nogpu

package gpu

import (
	"context"
	"errors"
	"fmt"

	"github.com/tilekmeans/tilekmeans/internal/glenv"
	"github.com/tilekmeans/tilekmeans/internal/gpuhooks"
	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/kmeans/driver"
)

// This file is the build without GPU support (CGO_ENABLED=0 or the nogpu
// tag): the same API (api.go), whose Open and Devices fail with
// ErrNotBuilt, so no Device or Assigner is ever made.

// device is a Device of this build: none can be opened, so Info is zero.
type device struct{ info Info }

// assigner is an Assigner of this build; n and dim are the shape MadeFor
// reports (none is ever made).
type assigner struct{ n, dim int }

func open([]string, glenv.Choice, bool, *gpuhooks.Hooks) (*Device, error) {
	return nil, ErrNotBuilt
}

func listDevices() ([]EGLDevice, error) {
	return nil, fmt.Errorf("gpu: egl: %w", ErrNotBuilt)
}

func (d *Device) newAssigner(kmeans.Data) (*Assigner, error) { return nil, ErrNotBuilt }

func (d *Device) close() error { return nil }

func (a *Assigner) assignAll([]float32, int, []int32, []float32) error { return ErrNotBuilt }

func (a *Assigner) sumDistances(context.Context, int, []int32, [][]int32, []int, [][]float64) error {
	return fmt.Errorf("%w (%w)", ErrNotBuilt, errors.ErrUnsupported)
}

// stepper is nil: kmeans.Run drives the host loop.
func (a *Assigner) stepper() driver.Stepper { return nil }

func (a *Assigner) close() error { return nil }
