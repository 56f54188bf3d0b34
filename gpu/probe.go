//go:build cgo && !nogpu

package gpu

import "fmt"

// Probe tries each context kind ("glfw", then "egl") the way Open would —
// context, version check, shader build — and reports what it found,
// marking the one Open with "auto" would use. Each probe makes and closes
// its own context, so it costs a few tens of milliseconds per kind.
func Probe() []ProbeResult {
	res := []ProbeResult{{Context: ContextGLFW}, {Context: ContextEGL}}
	for i := range res {
		d := newDevice(Options{})
		order := []string{res[i].Context}
		if err := d.start(func() error { return d.setup(order, true) }); err != nil {
			res[i].Err = err
			continue
		}
		res[i].Info = d.Info()
		res[i].Available = true
		if err := d.Close(); err != nil {
			res[i].Available = false
			res[i].Err = fmt.Errorf("made, but closing failed: %w", err)
		}
	}
	order, _ := contextOrder(ContextAuto)
	for _, kind := range order {
		for i := range res {
			if res[i].Context == kind && res[i].Available {
				res[i].Auto = true
				return res
			}
		}
	}
	return res
}
