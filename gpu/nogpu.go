//go:build !cgo || nogpu

package gpu

import (
	"fmt"

	"github.com/tilekmeans/tilekmeans/kmeans"
)

// Device is an open OpenGL context; this build cannot make one.
type Device struct{}

// Open fails: the binary was built without GPU support.
func Open(opts Options) (*Device, error) {
	if _, _, err := contextOrder(opts); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("gpu: open: %w", ErrNotBuilt)
}

// Devices fails: this build has no EGL.
func Devices() ([]EGLDevice, error) {
	return nil, fmt.Errorf("gpu: egl: %w", ErrNotBuilt)
}

// Info returns the zero Info.
func (d *Device) Info() Info { return Info{} }

// NewAssigner fails: there is no device.
func (d *Device) NewAssigner(data kmeans.Data) (*Assigner, error) {
	return nil, fmt.Errorf("gpu: new assigner: %w", ErrNotBuilt)
}

// Close does nothing.
func (d *Device) Close() error { return nil }

// Assigner is the GPU kmeans.Assigner; this build cannot make one.
type Assigner struct{}

var _ kmeans.Assigner = (*Assigner)(nil)

// Name implements kmeans.Assigner.
func (a *Assigner) Name() string { return "gpu" }

// Assign fails: there is no device.
func (a *Assigner) Assign(centroids []float32, k int, labels []int32, dists []float32) error {
	return fmt.Errorf("gpu: assign: %w", ErrNotBuilt)
}

// Close does nothing.
func (a *Assigner) Close() error { return nil }
