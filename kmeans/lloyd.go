package kmeans

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/tilekmeans/tilekmeans/kmeans/driver"
)

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
	// Empty is how many clusters ended with no row. That happens only when
	// every row equals its centroid (inertia 0) and there are fewer
	// distinct rows than K: each such cluster keeps the last centroid it
	// had, a copy of another centroid or a point no row is nearest to.
	Empty int
}

// Run clusters data into cfg.K clusters with Lloyd's algorithm, using a for
// the assignment step. Zero fields of cfg take their documented defaults;
// an invalid cfg returns a *ConfigError (see Validate) before any work.
//
// When a keeps the loop on its device (it offers a driver.Stepper, see
// package kmeans/driver) and cfg.HostLoop is false, the iterations run
// there; a device that cannot take this data (its Start returns an error
// wrapping errors.ErrUnsupported) is driven from the host instead, as any
// other Assigner is, with the same result. Errors from a are returned with
// the k and iteration they happened at in front.
func Run(ctx context.Context, data Data, a Assigner, cfg Config) (*Result, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(data); err != nil {
		return nil, err
	}
	if err := checkMadeFor(data, a); err != nil {
		return nil, fmt.Errorf("kmeans: %w", err)
	}
	var device driver.Stepper
	if d, ok := a.(deviceAssigner); ok && !cfg.HostLoop {
		device = d.Stepper()
		if c, ok := device.(io.Closer); ok {
			defer c.Close() // the run's session ends with Run, whatever happened
		}
	}
	var host driver.Stepper
	var best *Result
	for r := range cfg.NInit {
		rows := cfg.chooseRows(data)
		s := device
		if s == nil {
			if host == nil {
				host = newHostStepper(data, a)
			}
			s = host
		}
		res, err := lloyd(ctx, data, s, cfg, rows, r)
		if device != nil && errors.Is(err, errUnsupportedStart) {
			// The device cannot hold this run: the host drives a instead,
			// for this restart and the rest.
			device, host = nil, newHostStepper(data, a)
			res, err = lloyd(ctx, data, host, cfg, rows, r)
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

// errUnsupportedStart marks a Start that failed with errors.ErrUnsupported.
var errUnsupportedStart = errors.New("stepper cannot start this run")

// stepBatch is the most iterations lloyd asks of a Stepper at once. Past a
// fixed point the device idles through the rest of a batch, so a batch
// trades a little wasted work for fewer host round trips.
const stepBatch = 16

// lloyd runs one k-means from the given initial rows. It is the only Lloyd
// loop: the iterations themselves run in s (on a device, or on the host),
// and everything decided between them — progress, history, relocation of
// empty clusters, convergence, the final assignment — is decided here.
func lloyd(ctx context.Context, data Data, s driver.Stepper, cfg Config, rows []int, restart int) (*Result, error) {
	n, dim, k := data.N, data.D, cfg.K
	res := &Result{K: k, D: dim, InitRows: rows, Restart: restart}
	cent := make([]float32, k*dim)
	for c, r := range rows {
		for j, v := range data.Row(r) {
			cent[c*dim+j] = float32(v)
		}
	}
	fail := func(what string, err error) (*Result, error) {
		return nil, fmt.Errorf("k=%d %s: %w", k, what, err)
	}
	if err := s.Start(k, cent); err != nil {
		if errors.Is(err, errors.ErrUnsupported) {
			err = fmt.Errorf("%w: %w", errUnsupportedStart, err)
		}
		return fail("start", err)
	}
	var (
		stats  [stepBatch]driver.StepStat
		owner  []int32
		dists  = make([]float32, n)
		counts = make([]int, k)
		fresh  = true // the last update moved the centroids: labels are stale
		batch  = 2    // grows: short runs stop soon, long ones sync rarely
	)
loop:
	for res.Iterations < cfg.MaxIter {
		if err := ctx.Err(); err != nil {
			return fail(fmt.Sprintf("iteration %d", res.Iterations+1), err)
		}
		want := min(batch, cfg.MaxIter-res.Iterations)
		batch = min(2*batch, stepBatch)
		ran, err := s.Step(stats[:want], !cfg.FixedIters)
		if err == nil && (ran < 1 || ran > want) {
			err = fmt.Errorf("Step ran %d iterations of %d asked", ran, want)
		}
		if err != nil {
			return fail(fmt.Sprintf("iteration %d", res.Iterations+1), err)
		}
		for _, st := range stats[:ran] {
			res.Iterations++
			res.History = append(res.History, st.Inertia)
			if cfg.Progress != nil {
				cfg.Progress(Progress{K: k, Restart: restart, Iter: res.Iterations, Changed: st.Changed, Inertia: st.Inertia})
			}
			moved := st.Moved
			if st.Empty {
				if owner == nil {
					owner = make([]int32, n)
				}
				if err := s.State(owner, dists, counts); err != nil {
					return fail("relocation", err)
				}
				rs, to := relocation(k, counts, owner, dists)
				changed, err := s.Move(rs, to)
				if err != nil {
					return fail("relocation", err)
				}
				res.Relocated += len(rs)
				// A relocation that moves nothing changes nothing: with
				// no centroid changed either, this is the fixed point.
				moved = changed || len(rs) > 0
			}
			fresh = moved
			if !fresh {
				// The new centroids equal the old ones bit for bit, so
				// every further iteration would repeat this one.
				res.Converged = true
				if !cfg.FixedIters {
					break loop
				}
			}
		}
	}
	labels := make([]int32, n)
	sums := make([]uint64, k*dim)
	cent32 := make([]float32, k*dim)
	if err := s.Finish(fresh, labels, dists, sums, counts, cent32); err != nil {
		return fail("final assignment", err)
	}
	means := make([]float64, k*dim)
	for c := range k {
		for j := range dim {
			if counts[c] == 0 {
				// An empty cluster's centroid is the one it kept.
				means[c*dim+j] = float64(cent32[c*dim+j])
				continue
			}
			means[c*dim+j] = float64(sums[c*dim+j]) / float64(counts[c])
		}
	}
	for _, cnt := range counts {
		if cnt == 0 {
			res.Empty++
		}
	}
	res.Means, res.Centroids, res.Labels, res.Dists = means, cent32, labels, dists
	res.Sizes = make([]int, k)
	for _, l := range labels {
		res.Sizes[l]++
	}
	res.Inertia = inertia(data, means, labels, cfg.Workers)
	return res, nil
}

// Inertia returns the float64 sum over rows of the squared distance to the
// mean of its cluster (means is k*D, row-major): scikit-learn's inertia_.
// The sum is taken in a fixed order whatever the number of cores: rows in
// chunks of 4096 rows, each row's features in four interleaved partial
// sums (features j mod 4), the chunks' sums added in row order; chunks run
// on up to GOMAXPROCS goroutines (Run's uses Config.Workers). Each square is
// rounded before it is added (never fused), so every build and machine
// gives the same bits.
func Inertia(data Data, means []float64, labels []int32) float64 {
	return inertia(data, means, labels, 0)
}

// inertia is Inertia on up to workers goroutines (< 1: GOMAXPROCS).
func inertia(data Data, means []float64, labels []int32, workers int) float64 {
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	n := len(labels)
	chunks := (n + inertiaChunk - 1) / inertiaChunk
	part := make([]float64, chunks)
	var next atomic.Int64
	work := func() {
		for {
			c := int(next.Add(1) - 1)
			if c >= chunks {
				return
			}
			part[c] = inertiaRows(data, means, labels, c*inertiaChunk, min((c+1)*inertiaChunk, n))
		}
	}
	var wg sync.WaitGroup
	for range min(workers, chunks) - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
	total := 0.0
	for _, p := range part {
		total += p
	}
	return total
}

// inertiaChunk is how many rows Inertia sums as one part.
const inertiaChunk = 4096

// inertiaRows is Inertia's sum over rows lo..hi-1.
func inertiaRows(data Data, means []float64, labels []int32, lo, hi int) float64 {
	dim := data.D
	total := 0.0
	for i := lo; i < hi; i++ {
		m := means[int(labels[i])*dim : (int(labels[i])+1)*dim]
		row := data.Row(i)
		m = m[:len(row)]
		var s [4]float64
		j := 0
		for ; j+4 <= len(row); j += 4 {
			d0 := float64(row[j]) - m[j]
			d1 := float64(row[j+1]) - m[j+1]
			d2 := float64(row[j+2]) - m[j+2]
			d3 := float64(row[j+3]) - m[j+3]
			s[0] += float64(d0 * d0)
			s[1] += float64(d1 * d1)
			s[2] += float64(d2 * d2)
			s[3] += float64(d3 * d3)
		}
		for ; j < len(row); j++ {
			d := float64(row[j]) - m[j]
			s[j&3] += float64(d * d)
		}
		total += (s[0] + s[1]) + (s[2] + s[3])
	}
	return total
}
