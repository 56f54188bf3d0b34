//go:build !cgo || nogpu

package gpu

import (
	"errors"
	"testing"
)

func TestOpenNotBuilt(t *testing.T) {
	d, err := Open(Options{})
	if d != nil || !errors.Is(err, ErrNotBuilt) {
		t.Fatalf("Open = %v, %v; want nil, ErrNotBuilt", d, err)
	}
	if _, err := Devices(); !errors.Is(err, ErrNotBuilt) {
		t.Fatalf("Devices: %v, want ErrNotBuilt", err)
	}
}
