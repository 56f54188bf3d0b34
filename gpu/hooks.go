package gpu

import (
	"fmt"
	_ "unsafe" // go:linkname

	"github.com/tilekmeans/tilekmeans/internal/gpuhooks"
)

// openWithHooks is Open with this module's test hooks (nil: none; see
// package internal/gpuhooks). It is the one way in for them: package gpu's
// tests call it, and the command's tests link to it (the directive below
// marks it for that; cmd/tilekmeans/gpu_test.go), so the hooks are neither
// part of the API nor in a variable anyone can set.
//
//go:linkname openWithHooks
func openWithHooks(opts Options, hooks *gpuhooks.Hooks) (*Device, error) {
	order, choice, err := contextOrder(opts)
	if err != nil {
		return nil, err
	}
	d, err := open(order, choice, opts.AllowMismatch, hooks)
	if err != nil {
		return nil, fmt.Errorf("gpu: open: %w", err)
	}
	return d, nil
}
