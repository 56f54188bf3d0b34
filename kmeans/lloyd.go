package kmeans

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
)

// Config says how to run k-means.
type Config struct {
	K          int
	MaxIter    int  // maximum Lloyd iterations, >= 1
	FixedIters bool // run all MaxIter iterations even after convergence
	Init       Init
	NInit      int        // restarts (>= 1); the lowest inertia wins
	Rand       *rand.Rand // drives random and kmeans++ initialisation
	// HostLoop keeps the loop on the host even when the Assigner is a
	// Stepper: every assignment then comes back to the host (what -verify
	// needs, and what a benchmark of the assignment step alone measures).
	HostLoop bool
	// Progress, when not nil, is called after every assignment step.
	Progress func(Progress)
}

// Progress describes one finished assignment step.
type Progress struct {
	K, Restart, Iter int
	Changed          int     // rows whose label changed (all rows on the first step)
	Inertia          float64 // sum of the step's squared distances
}

// Result is the outcome of Run.
type Result struct {
	K, D       int
	Means      []float64 // k*D final centroids: exact means of integer sums
	Centroids  []float32 // Means rounded to float32, as the Assigner sees them
	Labels     []int32   // nearest final centroid of every row
	Dists      []float32 // squared distance to it, as the Assigner computed it
	Sizes      []int     // rows per cluster under Labels
	Inertia    float64   // sum over rows of the float64 squared distance to its mean
	Iterations int       // Lloyd iterations run
	Converged  bool      // whether the centroids reached a fixed point
	History    []float64 // per iteration: the assignment's total squared distance
	InitRows   []int     // the rows that seeded the centroids
	Restart    int       // which restart (0-based) this result came from
	Relocated  int       // empty clusters moved to a far row, summed over iterations
}

// ErrConfig reports an invalid Config for the data.
var ErrConfig = errors.New("bad k-means config")

func (cfg Config) check(data Data) error {
	switch {
	case data.N < 1 || data.D < 1 || len(data.X) != data.N*data.D:
		return fmt.Errorf("%w: data is %d rows x %d features with %d values", ErrConfig, data.N, data.D, len(data.X))
	case cfg.K < 1:
		return fmt.Errorf("%w: k=%d, want k >= 1", ErrConfig, cfg.K)
	case cfg.K > data.N:
		return fmt.Errorf("%w: k=%d is more than the %d tiles", ErrConfig, cfg.K, data.N)
	case cfg.MaxIter < 1:
		return fmt.Errorf("%w: iters=%d, want >= 1", ErrConfig, cfg.MaxIter)
	case cfg.NInit < 1:
		return fmt.Errorf("%w: n-init=%d, want >= 1", ErrConfig, cfg.NInit)
	case cfg.Rand == nil && cfg.Init.Method != InitRows:
		return fmt.Errorf("%w: %s init needs a random source", ErrConfig, cfg.Init)
	}
	return cfg.Init.check(data.N, cfg.K)
}

// Run clusters data into cfg.K clusters with Lloyd's algorithm, using a for
// the assignment step. With explicit rows, every restart starts from them, so
// NInit > 1 only repeats the same run.
func Run(ctx context.Context, data Data, a Assigner, cfg Config) (*Result, error) {
	if err := cfg.check(data); err != nil {
		return nil, err
	}
	var best *Result
	for r := range cfg.NInit {
		rows := cfg.Init.chooseRows(data, cfg.K, cfg.Rand)
		var res *Result
		var err error
		if s, ok := a.(Stepper); ok && !cfg.HostLoop {
			res, err = lloydDevice(ctx, data, s, cfg, rows, r)
		} else {
			res, err = lloyd(ctx, data, a, cfg, rows, r)
		}
		if err != nil {
			return nil, err
		}
		if best == nil || res.Inertia < best.Inertia {
			best = res
		}
	}
	return best, nil
}

// lloyd runs one k-means from the given initial rows.
func lloyd(ctx context.Context, data Data, a Assigner, cfg Config, rows []int, restart int) (*Result, error) {
	n, dim, k := data.N, data.D, cfg.K
	res := &Result{K: k, D: dim, InitRows: rows, Restart: restart}
	u := newUpdater(data, k)
	for c, r := range rows {
		u.setRow(c, r)
	}
	labels := make([]int32, n)
	prev := make([]int32, n)
	dists := make([]float32, n)
	fresh := true // labels do not belong to the current centroids
	for it := 1; it <= cfg.MaxIter; it++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("k=%d iteration %d: %w", k, it, err)
		}
		if err := a.Assign(u.cent32, k, labels, dists); err != nil {
			return nil, fmt.Errorf("k=%d iteration %d: %s assign: %w", k, it, a.Name(), err)
		}
		changed := n
		if it > 1 {
			changed = 0
			for i, l := range labels {
				if l != prev[i] {
					changed++
				}
			}
		}
		copy(prev, labels)
		total := sumFloat32(dists)
		res.History = append(res.History, total)
		if cfg.Progress != nil {
			cfg.Progress(Progress{K: k, Restart: restart, Iter: it, Changed: changed, Inertia: total})
		}
		res.Iterations = it
		moved := u.update(labels, dists)
		res.Relocated += moved
		fresh = moved > 0 || u.changed
		if !fresh {
			// The new centroids equal the old ones bit for bit, so every
			// further iteration would repeat this one: a fixed point.
			res.Converged = true
			if !cfg.FixedIters {
				break
			}
		}
	}
	if fresh {
		// The last update moved the centroids: label against them.
		if err := a.Assign(u.cent32, k, labels, dists); err != nil {
			return nil, fmt.Errorf("k=%d final assignment: %s assign: %w", k, a.Name(), err)
		}
	}
	res.finish(data, u.means, u.cent32, labels, dists)
	return res, nil
}

// finish fills in the final state of a run: centroids, labels against
// them, cluster sizes and the float64 inertia.
func (res *Result) finish(data Data, means []float64, cent32 []float32, labels []int32, dists []float32) {
	res.Means, res.Centroids, res.Labels, res.Dists = means, cent32, labels, dists
	res.Sizes = make([]int, res.K)
	for _, l := range labels {
		res.Sizes[l]++
	}
	res.Inertia = Inertia(data, means, labels)
}

// Inertia returns the float64 sum over rows of the squared distance to the
// mean of its cluster (means is k*D, row-major).
func Inertia(data Data, means []float64, labels []int32) float64 {
	dim := data.D
	total := 0.0
	for i, l := range labels {
		m := means[int(l)*dim : (int(l)+1)*dim]
		for j, v := range data.Row(i) {
			d := float64(v) - m[j]
			total += d * d
		}
	}
	return total
}

func sumFloat32(v []float32) float64 {
	s := 0.0
	for _, x := range v {
		s += float64(x)
	}
	return s
}

// updater holds the exact integer state of the update step. The sums are
// kept from one iteration to the next and only the rows that changed cluster
// move, so once the clustering settles an update costs little more than
// the comparison of the labels.
type updater struct {
	data    Data
	k       int
	sums    []uint64 // k*D integer sums of the rows in each cluster
	counts  []int
	owner   []int32   // the cluster each row's values are summed into; -1 before the first update
	means   []float64 // k*D exact means
	cent32  []float32 // means rounded to float32
	changed bool      // whether the last update changed cent32
}

func newUpdater(data Data, k int) *updater {
	owner := make([]int32, data.N)
	for i := range owner {
		owner[i] = -1
	}
	return &updater{
		data:   data,
		k:      k,
		sums:   make([]uint64, k*data.D),
		counts: make([]int, k),
		owner:  owner,
		means:  make([]float64, k*data.D),
		cent32: make([]float32, k*data.D),
	}
}

// setRow makes centroid c equal to row r.
func (u *updater) setRow(c, r int) {
	dim := u.data.D
	for j, v := range u.data.Row(r) {
		u.means[c*dim+j] = float64(v)
		u.cent32[c*dim+j] = float32(v)
	}
}

// move moves row i's values from the cluster that holds them to cluster to.
func (u *updater) move(i int, to int32) {
	dim := u.data.D
	row := u.data.Row(i)
	if from := u.owner[i]; from >= 0 {
		s := u.sums[int(from)*dim : (int(from)+1)*dim]
		for j, v := range row {
			s[j] -= uint64(v)
		}
		u.counts[from]--
	}
	s := u.sums[int(to)*dim : (int(to)+1)*dim]
	for j, v := range row {
		s[j] += uint64(v)
	}
	u.counts[to]++
	u.owner[i] = to
}

// update recomputes the centroids from labels and returns how many empty
// clusters it relocated. dists[i] is row i's squared distance to its current
// centroid, used to find the farthest rows.
func (u *updater) update(labels []int32, dists []float32) int {
	dim := u.data.D
	for i, l := range labels {
		if u.owner[i] != l {
			u.move(i, l)
		}
	}
	moved := u.relocate(dists)
	u.changed = false
	for c := range u.k {
		cnt := float64(u.counts[c])
		for j := range dim {
			// Sums and counts are exact; the float64 quotient rounded once
			// more to float32 is the correctly rounded float32 mean (double
			// rounding is harmless for division from float64 to float32).
			m := float64(u.sums[c*dim+j]) / cnt
			f := float32(m)
			if f != u.cent32[c*dim+j] {
				u.changed = true
			}
			u.means[c*dim+j] = m
			u.cent32[c*dim+j] = f
		}
	}
	return moved
}

// relocate gives every empty cluster the row farthest from its own centroid
// (see relocation) and returns how many it moved.
func (u *updater) relocate(dists []float32) int {
	rows, to := relocation(u.k, u.counts, u.owner, dists)
	for i, r := range rows {
		u.move(r, to[i])
	}
	return len(rows)
}

// relocation decides the moves that refill empty clusters: each empty
// cluster, in index order, takes the row farthest from its own centroid
// (largest dists, ties to the lowest row) among rows whose cluster keeps at
// least one other row. counts and owner describe the sums before the moves;
// neither is modified.
func relocation(k int, counts []int, owner []int32, dists []float32) (rows []int, to []int32) {
	empty := 0
	for _, c := range counts[:k] {
		if c == 0 {
			empty++
		}
	}
	if empty == 0 {
		return nil, nil
	}
	order := make([]int, len(dists))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case dists[a] > dists[b]:
			return -1
		case dists[a] < dists[b]:
			return 1
		}
		return 0
	})
	left := slices.Clone(counts[:k])
	next := 0
	for c := range k {
		if left[c] != 0 {
			continue
		}
		for left[owner[order[next]]] < 2 {
			next++
		}
		r := order[next]
		next++
		left[owner[r]]--
		left[c] = 1
		rows = append(rows, r)
		to = append(to, int32(c))
	}
	return rows, to
}
