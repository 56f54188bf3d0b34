//go:build cgo && !nogpu

package gpu

import "fmt"

// Probe tries each context the way Open would — context, version check,
// shaders, parity canary — and reports what it found: GLFW, then EGL on
// each EGL device (Devices' order), or Mesa's surfaceless platform when
// EGL lists no device. It marks the one Open with the zero Options would
// use (whose canary must also pass for Open to succeed). A failed canary
// does not make a context unavailable: Info.Canary records it. Each probe makes and closes its own context, so it costs a
// few tens of milliseconds each.
func Probe() []ProbeResult {
	res := []ProbeResult{probe(ContextGLFW, nil)}
	devs, err := Devices()
	switch {
	case err != nil:
		res = append(res, ProbeResult{Context: ContextEGL, Err: err})
	case len(devs) == 0:
		res = append(res, probe(ContextEGL, nil))
	}
	for i := range devs {
		res = append(res, probe(ContextEGL, &devs[i]))
	}
	order, _ := contextOrder(ContextAuto, DeviceChoice{})
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

// probe opens and closes one context of kind, on dev when not nil.
func probe(kind string, dev *EGLDevice) ProbeResult {
	r := ProbeResult{Context: kind, Device: dev}
	opts := Options{Context: kind, AllowMismatch: true}
	if dev != nil {
		opts.Device = DeviceIndex(dev.Index)
	}
	order, err := contextOrder(kind, opts.Device)
	if err != nil {
		r.Err = err
		return r
	}
	d := newDevice(opts)
	if err := d.start(func() error { return d.setup(order, true) }); err != nil {
		r.Err = err
		return r
	}
	r.Info = d.Info()
	r.Available = true
	if err := d.Close(); err != nil {
		r.Available = false
		r.Err = fmt.Errorf("made, but closing failed: %w", err)
	}
	return r
}
