//go:build cgo && !nogpu

package gpu

import (
	"fmt"

	"github.com/tilekmeans/tilekmeans/kmeans"
)

// runCanary runs the parity canary (canary.go) on the device thread: each
// probe's centroids against the canary rows through the assignment program
// (as Assign runs it), and, when the device loop can run here, through one
// device Lloyd iteration (as Step assigns). It uses an Assigner of its own,
// freed before it returns, and its dispatches do not count for the fault
// hook. A GL failure is an error; a difference is a failed probe.
func (d *Device) runCanary() (Canary, error) {
	d.inCanary = true
	defer func() { d.inCanary = false }()
	data := kmeans.Data{N: len(canaryRows) / canaryDim, D: canaryDim, X: canaryRows}
	a := &Assigner{dev: d, n: data.N, dim: data.D}
	if err := a.upload(data); err != nil {
		return Canary{}, fmt.Errorf("parity canary: %w", err)
	}
	defer a.free()
	c := Canary{Passed: true}
	labels := make([]int32, data.N)
	dists := make([]float32, data.N)
	for _, prog := range []string{programAssign, programStep} {
		if prog == programStep && d.stepErr != nil {
			continue
		}
		for _, p := range canaryProbes {
			k := len(p.cent) / canaryDim
			var err error
			if prog == programAssign {
				err = a.assign(p.cent, k, labels, dists)
			} else {
				err = a.stepOnce(p.cent, k, labels, dists)
			}
			if err != nil {
				return Canary{}, fmt.Errorf("parity canary, %s probe on the %s shader: %w", p.name, prog, err)
			}
			r := judgeProbe(p.name, p.cent, labels, dists)
			r.Program = prog
			c.Passed = c.Passed && r.Passed
			c.Probes = append(c.Probes, r)
		}
	}
	return c, nil
}

// stepOnce runs one device Lloyd iteration from the k centroids and reads
// back its assignment: labels and distances.
func (a *Assigner) stepOnce(cent []float32, k int, labels []int32, dists []float32) error {
	if err := a.start(k, cent); err != nil {
		return err
	}
	var stats [1]kmeans.StepStat
	if _, err := a.step(stats[:], false); err != nil {
		return err
	}
	read32(a, &a.st.prev, labels)
	read32(a, &a.st.dists, dists)
	return a.dev.glErr("read back the canary's assignment")
}
