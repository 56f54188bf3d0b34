//go:build cgo && !nogpu

package gpu

import (
	"fmt"

	"github.com/tilekmeans/tilekmeans/gpu/internal/shaders"
	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/kmeans/driver"
)

// runCanary runs the parity canary (canary.go) on the device thread: each
// probe's centroids, repeated over three centroid blocks, against the
// canary rows through every program that assigns: per kernel blocking, the
// assignment program (as Assign runs it) and, when the device loop can run
// here, one device Lloyd iteration (as Step assigns). Of each kernel's two
// programs one takes the three blocks in one work group and the other
// splits them over three, so every kernel and every program runs both
// reductions. It uses an Assigner of its own, freed before it returns,
// and its dispatches do not count for the fault hook. A GL failure is an
// error; a difference is a failed probe.
func (d *Device) runCanary() (Canary, error) {
	d.inCanary = true
	defer func() { d.inCanary = false }()
	data := kmeans.Data{N: len(canaryRows) / canaryDim, D: canaryDim, X: canaryRows}
	a := &Assigner{assigner{dev: d, n: data.N, dim: data.D}}
	if err := a.upload(data); err != nil {
		return Canary{}, fmt.Errorf("parity canary: %w", err)
	}
	defer a.free()
	c := Canary{Passed: true}
	labels := make([]int32, data.N)
	dists := make([]float32, data.N)
	for kern, kp := range shaders.Kernels {
		for pi, prog := range []string{programAssign, programStep} {
			if prog == programStep && d.stepErr != nil {
				continue
			}
			splits := 1
			if (kern+pi)%2 == 1 {
				splits = 3
			}
			a.force = &passChoice{kernel: kern, splits: splits}
			name := programName(prog, kp)
			for _, p := range canaryProbes {
				cent := canaryBlocks(p.cent, kp.Centroids())
				k := len(cent) / canaryDim
				var err error
				if prog == programAssign {
					err = a.assign(cent, k, labels, dists)
				} else {
					err = a.stepOnce(cent, k, labels, dists)
				}
				if err != nil {
					return Canary{}, fmt.Errorf("parity canary, %s probe on the %s shader: %w", p.name, name, err)
				}
				r := judgeProbe(p.name, cent, labels, dists)
				r.Program, r.Splits = name, splits
				c.Passed = c.Passed && r.Passed
				c.Probes = append(c.Probes, r)
			}
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
	if got := a.st.pass.splits; a.force != nil && got != a.force.splits {
		return fmt.Errorf("the pass split the centroids over %d work groups, the canary asked for %d", got, a.force.splits)
	}
	var stats [1]driver.StepStat
	if _, err := a.step(stats[:], false); err != nil {
		return err
	}
	read32(a, &a.st.prev, labels)
	read32(a, &a.st.dists, dists)
	return a.dev.glErr("read back the canary's assignment")
}
