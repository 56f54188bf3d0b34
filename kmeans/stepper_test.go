package kmeans

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// countStepper counts the calls Run makes.
type countStepper struct {
	Stepper
	starts, steps, assigns int
	startErr               error // returned by Start when set
}

func (c *countStepper) Start(k int, cent []float32) error {
	c.starts++
	if c.startErr != nil {
		return c.startErr
	}
	return c.Stepper.Start(k, cent)
}

func (c *countStepper) Step(stats []StepStat, stop bool) (int, error) {
	c.steps++
	return c.Stepper.Step(stats, stop)
}

func (c *countStepper) Assign(cent []float32, k int, l []int32, d []float32) error {
	c.assigns++
	return c.Stepper.Assign(cent, k, l, d)
}

func TestHostLoopFlagBypassesStepper(t *testing.T) {
	data := Data{N: 4, D: 1, X: []uint8{0, 1, 10, 11}}
	st := &countStepper{Stepper: NewHostStepper(data, Reference{data})}
	_, err := Run(context.Background(), data, st, Config{K: 2, MaxIter: 5, HostLoop: true, Init: Init{Method: InitRows, Rows: []int{0, 2}}})
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
	data := Data{N: 200, D: 4, X: x}
	want, err := Run(context.Background(), data, Reference{data}, Config{K: 5, NInit: 3})
	if err != nil {
		t.Fatal(err)
	}
	st := &countStepper{Stepper: NewHostStepper(data, Reference{data}),
		startErr: fmt.Errorf("device: too many rows: %w", errors.ErrUnsupported)}
	got, err := Run(context.Background(), data, st, Config{K: 5, NInit: 3})
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
	st = &countStepper{Stepper: NewHostStepper(data, Reference{data}), startErr: boom}
	if _, err := Run(context.Background(), data, st, Config{K: 5}); !errors.Is(err, boom) {
		t.Errorf("Start error: got %v, want boom", err)
	}
}

func TestHostStepperRunsOneIterationPerStep(t *testing.T) {
	data := Data{N: 6, D: 1, X: []uint8{1, 2, 3, 200, 201, 205}}
	var progress []Progress
	st := &countStepper{Stepper: NewHostStepper(data, Reference{data})}
	res, err := Run(context.Background(), data, st, Config{K: 2, Init: Init{Method: InitRows, Rows: []int{0, 1}},
		Progress: func(p Progress) { progress = append(progress, p) }})
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

func TestRelocationDecisions(t *testing.T) {
	// Clusters 1 and 3 empty. Farthest rows: 4 (9.0, its cluster 0 has 3
	// rows), then 2 and 5 (tied at 8.0; 2 is lower but alone in cluster 2,
	// so 5 goes).
	counts := []int{3, 0, 1, 0, 2}
	owner := []int32{0, 0, 2, 4, 0, 4}
	dists := []float32{1, 2, 8, 3, 9, 8}
	rows, to := relocation(5, counts, owner, dists)
	if !slices.Equal(rows, []int{4, 5}) || !slices.Equal(to, []int32{1, 3}) {
		t.Errorf("relocation moves rows %v to %v, want [4 5] to [1 3]", rows, to)
	}
	if !slices.Equal(counts, []int{3, 0, 1, 0, 2}) {
		t.Errorf("relocation modified counts: %v", counts)
	}
}

// TestRelocationTiesAndZeros: among rows equally far, the lowest row index
// moves first; rows at distance 0 never move, so an empty cluster that
// only such rows could fill stays empty.
func TestRelocationTiesAndZeros(t *testing.T) {
	for _, tt := range []struct {
		name   string
		counts []int
		owner  []int32
		dists  []float32
		rows   []int
		to     []int32
	}{
		{"three-way tie", []int{0, 4, 0}, []int32{1, 1, 1, 1}, []float32{5, 7, 7, 7}, []int{1, 2}, []int32{0, 2}},
		{"all at zero", []int{3, 0}, []int32{0, 0, 0}, []float32{0, 0, 0}, nil, nil},
		{"one far, then zeros", []int{0, 3, 0, 0}, []int32{1, 1, 1}, []float32{0, 2.5, 0}, []int{1}, []int32{0}},
		{"negative zero", []int{2, 0}, []int32{0, 0}, []float32{float32(math.Copysign(0, -1)), 0}, nil, nil},
	} {
		rows, to := relocation(len(tt.counts), tt.counts, tt.owner, tt.dists)
		if !slices.Equal(rows, tt.rows) || !slices.Equal(to, tt.to) {
			t.Errorf("%s: moves rows %v to %v, want %v to %v", tt.name, rows, to, tt.rows, tt.to)
		}
	}
}
