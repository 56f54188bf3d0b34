package kmeans

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
)

// refAssigner is the scalar reference assignment, written here so the
// package's own tests need no backend.
type refAssigner struct{ data Data }

func (r refAssigner) Name() string { return "ref" }

func (r refAssigner) Assign(cent []float32, k int, labels []int32, dists []float32) error {
	dim := r.data.D
	for i := range r.data.N {
		best, bestD := int32(0), float32(0)
		for c := range k {
			var s float32
			for j, v := range r.data.Row(i) {
				d := float32(v) - cent[c*dim+j]
				s += float32(d * d)
			}
			if c == 0 || s < bestD {
				best, bestD = int32(c), s
			}
		}
		labels[i], dists[i] = best, bestD
	}
	return nil
}

// hostStepper implements Stepper on the host with the updater, as a model
// of what a device must do; it lets the tests check that the device loop
// and the host loop agree.
type hostStepper struct {
	refAssigner
	k      int
	u      *updater
	labels []int32
	prev   []int32
	dists  []float32
	calls  int // Step calls, to see batching
}

func (h *hostStepper) Start(k int, cent []float32) error {
	h.k = k
	h.u = newUpdater(h.data, k)
	copy(h.u.cent32, cent)
	h.labels = make([]int32, h.data.N)
	h.prev = make([]int32, h.data.N)
	for i := range h.prev {
		h.prev[i] = -1
	}
	h.dists = make([]float32, h.data.N)
	return nil
}

func (h *hostStepper) Step(stats []StepStat, stop bool) (int, error) {
	h.calls++
	for i := range stats {
		if err := h.Assign(h.u.cent32, h.k, h.labels, h.dists); err != nil {
			return i, err
		}
		st := StepStat{Inertia: sumFloat32(h.dists)}
		for r, l := range h.labels {
			if l != h.prev[r] {
				st.Changed++
			}
		}
		copy(h.prev, h.labels)
		for r, l := range h.labels {
			if h.u.owner[r] != l {
				h.u.move(r, l)
			}
		}
		if slices.Contains(h.u.counts, 0) {
			st.Empty = true
			stats[i] = st
			return i + 1, nil
		}
		st.Moved = h.means()
		stats[i] = st
		if stop && !st.Moved {
			return i + 1, nil
		}
	}
	return len(stats), nil
}

// means recomputes the float32 centroids and reports a change.
func (h *hostStepper) means() bool {
	dim := h.data.D
	changed := false
	for c := range h.k {
		for j := range dim {
			f := float32(float64(h.u.sums[c*dim+j]) / float64(h.u.counts[c]))
			if f != h.u.cent32[c*dim+j] {
				changed = true
			}
			h.u.cent32[c*dim+j] = f
		}
	}
	return changed
}

func (h *hostStepper) State(owner []int32, dists []float32, counts []int) error {
	copy(owner, h.u.owner)
	copy(dists, h.dists)
	copy(counts, h.u.counts)
	return nil
}

func (h *hostStepper) Move(rows []int, to []int32) (bool, error) {
	for i, r := range rows {
		h.u.move(r, to[i])
	}
	return h.means(), nil
}

func (h *hostStepper) Finish(reassign bool, labels []int32, dists []float32, sums []uint64, counts []int, cent []float32) error {
	if reassign {
		if err := h.Assign(h.u.cent32, h.k, h.labels, h.dists); err != nil {
			return err
		}
	}
	copy(labels, h.labels)
	copy(dists, h.dists)
	copy(sums, h.u.sums)
	copy(counts, h.u.counts)
	copy(cent, h.u.cent32)
	return nil
}

// TestDeviceLoopEqualsHostLoop runs the same configurations through the
// host loop and through a Stepper and requires identical results, on data
// that converges, data that never converges in the budget, and data that
// empties clusters again and again.
func TestDeviceLoopEqualsHostLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	random := func(n, dim, levels int) Data {
		x := make([]uint8, n*dim)
		for i := range x {
			x[i] = uint8(rng.IntN(levels))
		}
		return Data{N: n, D: dim, X: x}
	}
	dup := random(60, 3, 256)
	for i := 0; i < 45*3; i++ {
		dup.X[i] = 7 // 45 identical rows: ties and empty clusters
	}
	cases := []struct {
		name string
		data Data
		k    int
	}{
		{"random", random(300, 5, 256), 4},
		{"few levels", random(200, 4, 3), 6},
		{"duplicates", dup, 9},
		{"one cluster", random(50, 2, 256), 1},
	}
	for _, tc := range cases {
		for _, fixed := range []bool{false, true} {
			for _, iters := range []int{1, 2, 3, 17, 40} {
				cfg := Config{K: tc.k, MaxIter: iters, FixedIters: fixed, NInit: 2}
				cfg.Rand = rand.New(rand.NewPCG(1, 2))
				host, err := Run(context.Background(), tc.data, refAssigner{tc.data}, cfg)
				if err != nil {
					t.Fatal(err)
				}
				cfg.Rand = rand.New(rand.NewPCG(1, 2))
				var prog []Progress
				cfg.Progress = func(p Progress) { prog = append(prog, p) }
				st := &hostStepper{refAssigner: refAssigner{tc.data}}
				dev, err := Run(context.Background(), tc.data, st, cfg)
				if err != nil {
					t.Fatal(err)
				}
				name := tc.name
				if fixed {
					name += "/fixed"
				}
				if st.calls == 0 {
					t.Fatalf("%s: the Stepper was not used", name)
				}
				if host.Iterations != dev.Iterations || host.Converged != dev.Converged || host.Relocated != dev.Relocated ||
					host.Inertia != dev.Inertia || !slices.Equal(host.Labels, dev.Labels) || !slices.Equal(host.Dists, dev.Dists) ||
					!slices.Equal(host.Means, dev.Means) || !slices.Equal(host.Centroids, dev.Centroids) ||
					!slices.Equal(host.Sizes, dev.Sizes) || !slices.Equal(host.History, dev.History) || host.Restart != dev.Restart {
					t.Errorf("%s iters=%d: host %+v\ndevice %+v", name, iters, summary(host), summary(dev))
				}
				if len(prog) < dev.Iterations {
					t.Errorf("%s: %d progress calls for %d iterations", name, len(prog), dev.Iterations)
				}
			}
		}
	}
}

func summary(r *Result) map[string]any {
	return map[string]any{"iters": r.Iterations, "conv": r.Converged, "reloc": r.Relocated, "inertia": r.Inertia, "sizes": r.Sizes}
}

func TestHostLoopFlagBypassesStepper(t *testing.T) {
	data := Data{N: 4, D: 1, X: []uint8{0, 1, 10, 11}}
	st := &hostStepper{refAssigner: refAssigner{data}}
	_, err := Run(context.Background(), data, st, Config{K: 2, MaxIter: 5, NInit: 1, HostLoop: true, Init: Init{Method: InitRows, Rows: []int{0, 2}}})
	if err != nil || st.calls != 0 {
		t.Errorf("HostLoop: err %v, %d Step calls", err, st.calls)
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
