package gpu

import (
	"fmt"

	"github.com/tilekmeans/tilekmeans/internal/gpuhooks"
)

// openWithHooks is Open with this module's test hooks (nil: none; see
// package internal/gpuhooks). It is the one way in for them, unexported:
// only package gpu's own tests call it, so the hooks are neither part of
// the API nor in a variable anyone can set. (The command's tests use a
// backend of their own where they need a GPU that misbehaves.)
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
