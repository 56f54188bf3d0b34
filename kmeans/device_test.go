package kmeans_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/verify"
	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/kmeans/driver"
)

// countStepper is an Assigner with a device loop (the host loop over the
// reference, as a driver.Stepper) that counts the calls kmeans.Run makes.
type countStepper struct {
	loop                   driver.Stepper
	ref                    verify.Reference
	starts, steps, assigns int
	startErr               error // returned by Start when set
}

func newCountStepper(data kmeans.Data) *countStepper {
	ref := verify.Reference{Data: data}
	return &countStepper{loop: kmeans.NewHostStepper(data, ref), ref: ref}
}

func (c *countStepper) Name() string { return "count" }

func (c *countStepper) Stepper() driver.Stepper { return c }

func (c *countStepper) Start(k int, cent []float32) error {
	c.starts++
	if c.startErr != nil {
		return c.startErr
	}
	return c.loop.Start(k, cent)
}

func (c *countStepper) Step(stats []driver.StepStat, stop bool) (int, error) {
	c.steps++
	return c.loop.Step(stats, stop)
}

func (c *countStepper) State(owner []int32, dists []float32, counts []int) error {
	return c.loop.State(owner, dists, counts)
}

func (c *countStepper) Move(rows []int, to []int32) (bool, error) { return c.loop.Move(rows, to) }

func (c *countStepper) Finish(reassign bool, labels []int32, dists []float32, sums []uint64, counts []int, cent []float32) error {
	return c.loop.Finish(reassign, labels, dists, sums, counts, cent)
}

func (c *countStepper) Assign(cent []float32, k int, l []int32, d []float32) error {
	c.assigns++
	return c.ref.Assign(cent, k, l, d)
}

func TestHostLoopFlagBypassesStepper(t *testing.T) {
	data := kmeans.Data{N: 4, D: 1, X: []uint8{0, 1, 10, 11}}
	st := newCountStepper(data)
	_, err := kmeans.Run(context.Background(), data, st, kmeans.Config{K: 2, MaxIter: 5, HostLoop: true, InitRows: []int{0, 2}})
	if err != nil || st.starts != 0 || st.steps != 0 || st.assigns == 0 {
		t.Errorf("HostLoop: err %v, %d Start, %d Step, %d Assign calls; want only Assign", err, st.starts, st.steps, st.assigns)
	}
}

// TestUnsupportedStepperFallsBackToHost: a Stepper whose Start says
// ErrUnsupported is driven from the host, with the host loop's result.
func TestUnsupportedStepperFallsBackToHost(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	x := make([]uint8, 200*4)
	for i := range x {
		x[i] = uint8(rng.IntN(256))
	}
	data := kmeans.Data{N: 200, D: 4, X: x}
	want, err := kmeans.Run(context.Background(), data, verify.Reference{Data: data}, kmeans.Config{K: 5, NInit: 3})
	if err != nil {
		t.Fatal(err)
	}
	st := newCountStepper(data)
	st.startErr = fmt.Errorf("device: too many rows: %w", errors.ErrUnsupported)
	got, err := kmeans.Run(context.Background(), data, st, kmeans.Config{K: 5, NInit: 3})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if st.starts != 1 || st.steps != 0 || st.assigns == 0 {
		t.Errorf("%d Start, %d Step, %d Assign calls; want one Start, then Assign only", st.starts, st.steps, st.assigns)
	}
	if got.Inertia != want.Inertia || got.Iterations != want.Iterations || !slices.Equal(got.Labels, want.Labels) {
		t.Errorf("fallback result differs: inertia %v/%v, iterations %d/%d", got.Inertia, want.Inertia, got.Iterations, want.Iterations)
	}
	// Any other Start error is the run's error.
	boom := errors.New("boom")
	st = newCountStepper(data)
	st.startErr = boom
	if _, err := kmeans.Run(context.Background(), data, st, kmeans.Config{K: 5}); !errors.Is(err, boom) {
		t.Errorf("Start error: got %v, want boom", err)
	}
}

func TestHostStepperRunsOneIterationPerStep(t *testing.T) {
	data := kmeans.Data{N: 6, D: 1, X: []uint8{1, 2, 3, 200, 201, 205}}
	var progress []kmeans.Progress
	st := newCountStepper(data)
	res, err := kmeans.Run(context.Background(), data, st, kmeans.Config{K: 2, InitRows: []int{0, 1},
		Progress: func(p kmeans.Progress) { progress = append(progress, p) }})
	if err != nil {
		t.Fatal(err)
	}
	if st.steps != res.Iterations || len(progress) != res.Iterations {
		t.Errorf("%d iterations, %d Step calls, %d progress calls", res.Iterations, st.steps, len(progress))
	}
	for i, p := range progress {
		if p.Iter != i+1 || p.K != 2 {
			t.Errorf("progress %d: %+v", i, p)
		}
	}
	if progress[0].Changed != data.N {
		t.Errorf("first iteration changed %d labels, want all %d", progress[0].Changed, data.N)
	}
}
