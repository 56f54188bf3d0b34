//go:build !cgo || nogpu

package gpu

import (
	"errors"
	"testing"
)

func TestOpenNotBuilt(t *testing.T) {
	if Built {
		t.Fatal("Built must be false in this build")
	}
	d, err := Open(Options{})
	if d != nil || !errors.Is(err, ErrNotBuilt) {
		t.Fatalf("Open = %v, %v; want nil, ErrNotBuilt", d, err)
	}
	for _, r := range Probe() {
		if r.Available || !errors.Is(r.Err, ErrNotBuilt) {
			t.Fatalf("Probe %+v; want unavailable with ErrNotBuilt", r)
		}
	}
}
