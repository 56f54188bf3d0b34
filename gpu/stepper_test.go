//go:build cgo && !nogpu

package gpu

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/go-gl/gl/v4.3-core/gl"

	"github.com/tilekmeans/tilekmeans/cpu"
	"github.com/tilekmeans/tilekmeans/gpu/internal/shaders"
	"github.com/tilekmeans/tilekmeans/internal/exactsum"
	"github.com/tilekmeans/tilekmeans/internal/gpuhooks"
	"github.com/tilekmeans/tilekmeans/internal/randdata"
	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/internal/verify"
	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/kmeans/driver"
)

// countingStepper is the GPU Assigner with its Step calls counted, to prove
// that kmeans.Run took the device loop.
type countingStepper struct {
	*Assigner
	steps int
}

func (c *countingStepper) Stepper() driver.Stepper { return countedLoop{c.loop(), &c.steps} }

// countedLoop is the device loop with its Step calls counted.
type countedLoop struct {
	*deviceLoop
	steps *int
}

func (l countedLoop) Step(stats []driver.StepStat, stop bool) (int, error) {
	*l.steps++
	return l.deviceLoop.Step(stats, stop)
}

// runDevice runs cfg through the GPU Stepper and checks that the device
// loop was used.
func runDevice(t testing.TB, a *Assigner, data kmeans.Data, cfg kmeans.Config) *kmeans.Result {
	t.Helper()
	cs := &countingStepper{Assigner: a}
	res, err := kmeans.Run(context.Background(), data, cs, cfg)
	if err != nil {
		t.Fatalf("device loop: %v", err)
	}
	if cs.steps == 0 {
		t.Fatal("kmeans.Run did not use the GPU Stepper")
	}
	return res
}

// runHost runs cfg through the host loop on the CPU backend.
func runHost(t testing.TB, data kmeans.Data, cfg kmeans.Config) *kmeans.Result {
	t.Helper()
	res, err := kmeans.Run(context.Background(), data, cpu.New(data, cpu.Options{}), cfg)
	if err != nil {
		t.Fatalf("host loop: %v", err)
	}
	return res
}

// sameResult requires the device loop's result to equal the host loop's:
// everything bit for bit, History included (both are exact sums rounded
// once, exactsum.Sum on the host, fixed-point digits on the device).
func sameResult(t testing.TB, name string, host, dev *kmeans.Result) {
	t.Helper()
	f32 := func(a, b []float32) bool {
		return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
	}
	f64 := func(a, b []float64) bool {
		return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
	}
	var bad []string
	check := func(ok bool, what string, h, d any) {
		if !ok {
			bad = append(bad, fmt.Sprintf("%s: host %v, device %v", what, h, d))
		}
	}
	check(host.Iterations == dev.Iterations, "iterations", host.Iterations, dev.Iterations)
	check(host.Converged == dev.Converged, "converged", host.Converged, dev.Converged)
	check(host.Relocated == dev.Relocated, "relocated", host.Relocated, dev.Relocated)
	check(host.Restart == dev.Restart, "restart", host.Restart, dev.Restart)
	check(slices.Equal(host.InitRows, dev.InitRows), "init rows", host.InitRows, dev.InitRows)
	check(math.Float64bits(host.Inertia) == math.Float64bits(dev.Inertia), "inertia", host.Inertia, dev.Inertia)
	check(slices.Equal(host.Sizes, dev.Sizes), "sizes", host.Sizes, dev.Sizes)
	if !slices.Equal(host.Labels, dev.Labels) {
		n := 0
		for i := range host.Labels {
			if host.Labels[i] != dev.Labels[i] {
				n++
			}
		}
		check(false, "labels", fmt.Sprintf("%d rows differ", n), "")
	}
	check(f32(host.Dists, dev.Dists), "dists (bitwise)", "", "")
	check(f64(host.Means, dev.Means), "means (bitwise)", "", "")
	check(f32(host.Centroids, dev.Centroids), "centroids (bitwise)", "", "")
	check(f64(host.History, dev.History), "history (bitwise)", host.History, dev.History)
	if len(bad) > 0 {
		t.Errorf("%s: device loop differs from the host loop:\n  %s", name, strings.Join(bad, "\n  "))
	}
}

// stepCase is one kmeans.Run configuration; cfg makes a fresh Config (with
// a fresh seeded source) for each of the two runs.
type stepCase struct {
	name string
	cfg  func() kmeans.Config
}

func seeded(k, iters int, fixed bool, method kmeans.InitMethod, ninit int, seed uint64) func() kmeans.Config {
	return func() kmeans.Config {
		return kmeans.Config{K: k, MaxIter: iters, FixedIters: fixed, NInit: ninit,
			Init: method, Rand: rand.New(rand.NewPCG(seed, 99))}
	}
}

// compareCases runs every case through both loops on the given device,
// and returns the relocations the device loop made in all.
func compareCases(t *testing.T, d *Device, data kmeans.Data, cases []stepCase) (relocated int) {
	t.Helper()
	a, err := d.NewAssigner(data)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, c := range cases {
		host := runHost(t, data, c.cfg())
		dev := runDevice(t, a, data, c.cfg())
		t.Logf("%s: %d iterations, converged %v, %d relocated", c.name, dev.Iterations, dev.Converged, dev.Relocated)
		sameResult(t, c.name, host, dev)
		relocated += dev.Relocated
	}
	return relocated
}

// TestStepperUSPS: the real sheets, k=3..7 to convergence and for a fixed
// 100 iterations, then k=64 and k=256 for a few.
func TestStepperUSPS(t *testing.T) {
	data := sharedtest.Data(t)
	var cases []stepCase
	for k := 3; k <= 7; k++ {
		cases = append(cases,
			stepCase{fmt.Sprintf("k=%d converge", k), seeded(k, 300, false, kmeans.InitKMeansPP, 1, uint64(k))},
			stepCase{fmt.Sprintf("k=%d fixed 100", k), seeded(k, 100, true, kmeans.InitRandom, 1, uint64(k))})
	}
	cases = append(cases,
		stepCase{"k=64 5 iterations", seeded(64, 5, false, kmeans.InitRandom, 1, 64)},
		stepCase{"k=256 3 iterations", seeded(256, 3, false, kmeans.InitRandom, 1, 256)},
		stepCase{"k=5 n-init 3", seeded(5, 300, false, kmeans.InitKMeansPP, 3, 5)})
	forEachContext(t, func(t *testing.T, kind string) {
		compareCases(t, openDevice(t, kind, nil), data, cases)
	})
}

// emptyingData has only a few distinct rows, so with more clusters than
// that, clusters empty on every iteration and relocation runs again and
// again; noise adds a few rows that differ in one feature.
func emptyingData(r *rand.Rand, n, dim, distinct int) kmeans.Data {
	proto := randdata.Rows(r, distinct, dim, 256)
	x := make([]uint8, n*dim)
	for i := range n {
		copy(x[i*dim:], proto.Row(r.IntN(distinct)))
		if r.IntN(10) == 0 {
			x[i*dim+r.IntN(dim)] ^= 1
		}
	}
	return kmeans.Data{N: n, D: dim, X: x}
}

// levelsData draws every feature from a few levels: many duplicate rows.
func levelsData(r *rand.Rand, n, dim, levels int) kmeans.Data {
	x := make([]uint8, n*dim)
	for i := range x {
		x[i] = uint8(r.IntN(levels) * 255 / max(levels-1, 1))
	}
	return kmeans.Data{N: n, D: dim, X: x}
}

// TestStepperRandom: shapes with D not a multiple of 4, data that empties
// clusters and relocates many times, k close to n, n-init > 1.
func TestStepperRandom(t *testing.T) {
	forEachContext(t, func(t *testing.T, kind string) {
		d := openDevice(t, kind, nil)
		r := rand.New(rand.NewPCG(21, 21))
		relocated := 0
		for _, tc := range []struct {
			name  string
			data  kmeans.Data
			cases []stepCase
		}{
			{"D=7", randdata.Rows(r, 1000, 7, 256), []stepCase{
				{"k=5", seeded(5, 200, false, kmeans.InitKMeansPP, 2, 1)},
				{"k=9 fixed", seeded(9, 30, true, kmeans.InitRandom, 1, 2)}}},
			{"D=1", randdata.Rows(r, 777, 1, 256), []stepCase{
				{"k=4", seeded(4, 200, false, kmeans.InitRandom, 3, 3)},
				{"k=40", seeded(40, 200, false, kmeans.InitRandom, 1, 4)}}},
			{"D=255", randdata.Rows(r, 500, 255, 256), []stepCase{
				{"k=6", seeded(6, 100, false, kmeans.InitKMeansPP, 1, 5)}}},
			{"D=5 emptying", emptyingData(r, 300, 5, 12), []stepCase{
				{"k=20", seeded(20, 40, false, kmeans.InitRandom, 2, 6)},
				{"k=20 fixed", seeded(20, 40, true, kmeans.InitRandom, 1, 7)},
				{"k=14", seeded(14, 100, false, kmeans.InitKMeansPP, 1, 8)}}},
			{"k near n", levelsData(r, 60, 3, 3), []stepCase{
				{"k=55", seeded(55, 50, false, kmeans.InitRandom, 2, 9)},
				{"k=59 fixed", seeded(59, 25, true, kmeans.InitRandom, 1, 10)}}},
			{"D=6 levels", levelsData(r, 2000, 6, 3), []stepCase{
				{"k=64", seeded(64, 60, false, kmeans.InitRandom, 1, 11)}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a, err := d.NewAssigner(tc.data)
				if err != nil {
					t.Fatal(err)
				}
				defer a.Close()
				for _, c := range tc.cases {
					host := runHost(t, tc.data, c.cfg())
					dev := runDevice(t, a, tc.data, c.cfg())
					relocated += dev.Relocated
					t.Logf("%s: %d iterations, converged %v, %d relocated", c.name, dev.Iterations, dev.Converged, dev.Relocated)
					sameResult(t, c.name, host, dev)
				}
			})
		}
		if relocated < 20 {
			t.Errorf("only %d relocations in all: the emptying cases do not exercise State/Move", relocated)
		}
	})
}

// TestStepperSplit forces several slabs and one work group per dispatch,
// so every pass (assignment, means, moves) takes its split path.
func TestStepperSplit(t *testing.T) {
	forEachContext(t, func(t *testing.T, kind string) {
		r := rand.New(rand.NewPCG(22, 22))
		for _, c := range []struct {
			dim      int
			maxBytes int64
			data     kmeans.Data
		}{
			{7, 1000, emptyingData(r, 1000, 7, 15)},
			{255, 4000, randdata.Rows(r, 700, 255, 256)},
			{16, 16 * 100, levelsData(r, 1000, 16, 2)},
		} {
			d := openDevice(t, kind, &gpuhooks.Hooks{MaxTileBytes: c.maxBytes, MaxGroups: 1})
			a, err := d.NewAssigner(c.data)
			if err != nil {
				t.Fatal(err)
			}
			var slabs int
			_ = d.do(func() error { slabs = len(a.lay.slabs); return nil })
			if slabs < 2 {
				t.Fatalf("D=%d: %d slabs, want several", c.dim, slabs)
			}
			a.Close()
			compareCases(t, d, c.data, []stepCase{
				{fmt.Sprintf("D=%d k=5", c.dim), seeded(5, 100, false, kmeans.InitRandom, 1, 1)},
				{fmt.Sprintf("D=%d k=20", c.dim), seeded(20, 40, false, kmeans.InitRandom, 1, 2)},
				{fmt.Sprintf("D=%d k=70 fixed", c.dim), seeded(70, 10, true, kmeans.InitRandom, 1, 3)},
			})
		}
	})
}

// TestStepperLarge: 561,000 rows (the real tiles 100 times, with seeded
// +-1 noise), a few iterations. On llvmpipe the tiles take two slabs.
func TestStepperLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the 561,000-row device loop")
	}
	data := replicate(sharedtest.Data(t), 100, 23)
	cfg := seeded(5, 3, false, kmeans.InitRandom, 1, 23)
	host := runHost(t, data, cfg())
	forEachContext(t, func(t *testing.T, kind string) {
		d := openDevice(t, kind, nil)
		a, err := d.NewAssigner(data)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		var slabs int
		_ = d.do(func() error { slabs = len(a.lay.slabs); return nil })
		dev := runDevice(t, a, data, cfg())
		t.Logf("%d rows in %d slabs: %d iterations", data.N, slabs, dev.Iterations)
		sameResult(t, "561,000 rows", host, dev)
	})
}

// replicate returns copies of data's rows, each value moved by a seeded
// -1, 0 or +1 (clamped), so the copies are near but not equal.
func replicate(data kmeans.Data, copies int, seed uint64) kmeans.Data {
	r := rand.New(rand.NewPCG(seed, seed))
	x := make([]uint8, copies*len(data.X))
	for c := range copies {
		for i, v := range data.X {
			w := int(v) + r.IntN(3) - 1
			x[c*len(data.X)+i] = uint8(min(max(w, 0), 255))
		}
	}
	return kmeans.Data{N: copies * data.N, D: data.D, X: x}
}

// TestStepperInterleaved calls Assign on the same Assigner between device
// iterations (from the progress callback): neither may disturb the other.
func TestStepperInterleaved(t *testing.T) {
	forEachContext(t, func(t *testing.T, kind string) {
		d := openDevice(t, kind, nil)
		r := rand.New(rand.NewPCG(24, 24))
		data := emptyingData(r, 800, 9, 20)
		a, err := d.NewAssigner(data)
		if err != nil {
			t.Fatal(err)
		}
		other := randomCentroids(r, data, 3)
		labels := make([]int32, data.N)
		dists := make([]float32, data.N)
		want, _ := reference(data, other, 3)
		cfg := seeded(25, 60, false, kmeans.InitRandom, 2, 24)
		host := runHost(t, data, cfg())
		c := cfg()
		calls := 0
		c.Progress = func(kmeans.Progress) {
			calls++
			if err := a.Assign(other, 3, labels, dists); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(labels, want) {
				t.Fatal("Assign between device iterations gave wrong labels")
			}
		}
		dev := runDevice(t, a, data, c)
		if calls == 0 {
			t.Fatal("no progress calls")
		}
		sameResult(t, "interleaved", host, dev)
		checkParity(t, a, data, other, 3)
	})
}

// TestStepMeans runs the means pass alone on many (sum, count) pairs and
// requires float32(float64(sum)/float64(count)) bit for bit: random pairs,
// exact midpoints between float32s and their neighbours, powers of two,
// sums near 2^32, counts up to maxStepRows (past 2^24).
func TestStepMeans(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 25))
	var sums, counts []uint32
	add := func(s uint64, c uint64) {
		if c >= 1 && c < 1<<31 && s < 1<<32 {
			sums = append(sums, uint32(s))
			counts = append(counts, uint32(c))
		}
	}
	for range 1 << 19 {
		add(r.Uint64N(1<<32), 1+r.Uint64N(1<<24-1))
	}
	for range 1 << 18 {
		c := 1 + r.Uint64N(maxStepRows)
		add(r.Uint64N(min(255*c, 1<<32-1)+1), c)
	}
	for range 1 << 17 {
		add(r.Uint64N(1<<32), 1+r.Uint64N(1<<31-1))
	}
	// Exact midpoints (2F+1)*2^(e-1) of two adjacent float32s F*2^e and
	// (F+1)*2^e, written as sum/count with count = c0*2^p, and their
	// neighbours sum-2..sum+2.
	for range 1 << 18 {
		f := 1<<23 + r.Uint64N(1<<23)
		c0 := 2*r.Uint64N(64) + 1
		shift := r.IntN(7 - bitsLen(c0) + 1) // (2F+1)*c0*2^shift < 2^32
		p := r.IntN(24)
		s := (2*f + 1) * c0 << shift
		for dlt := -2; dlt <= 2; dlt++ {
			add(uint64(int64(s)+int64(dlt)), c0<<p)
		}
	}
	// Near-midpoints for arbitrary counts: floor and ceil of mid*count.
	for range 1 << 17 {
		c := 1 + r.Uint64N(1<<24-1)
		f := 1<<23 + r.Uint64N(1<<23)
		m := (2*f + 1) * c // midpoint * count * 2^(1-e)
		e := r.IntN(40) - 30
		var s uint64
		if sh := e - 1; sh >= 0 {
			if sh > 8 {
				continue
			}
			s = m << sh
		} else {
			s = m >> -sh
		}
		for dlt := -1; dlt <= 1; dlt++ {
			add(uint64(int64(s)+int64(dlt)), c)
		}
	}
	// Powers of two and their neighbours, sums near 2^32, tiny quotients.
	for e := range 33 {
		for c := uint64(1); c < 1<<24; c = c*3 + 1 {
			for dlt := int64(-3); dlt <= 3; dlt++ {
				add(uint64(int64(uint64(1)<<e)+dlt), c)
				add(uint64(int64(uint64(1)<<e)*int64(c)+dlt), c)
			}
		}
	}
	for i := range uint64(4096) {
		add(1<<32-1-i, 1+i%1000)
		add(1<<32-1-r.Uint64N(1<<20), 1+r.Uint64N(1<<24-1))
		add(i, 1+r.Uint64N(1<<31-1))
		add(1+i%3, 1<<24-1-i)
	}
	add(0, 1)
	add(1, 1<<31-1)
	add(1<<32-1, 1)
	add(1<<32-1, 2)
	add(1<<32-1, 3)
	add(maxStepRows*255, maxStepRows)
	t.Logf("%d pairs", len(sums))

	forEachContext(t, func(t *testing.T, kind string) {
		d := openDevice(t, kind, nil)
		a, err := d.NewAssigner(kmeans.Data{N: 1, D: 1, X: []uint8{0}})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		const chunk = 1 << 20
		for lo := 0; lo < len(sums); lo += chunk {
			hi := min(lo+chunk, len(sums))
			got, moved, err := runMeans(a, sums[lo:hi], counts[lo:hi])
			if err != nil {
				t.Fatal(err)
			}
			if !moved {
				t.Error("new means did not report a move")
			}
			bad := 0
			for i, g := range got {
				s, c := sums[lo+i], counts[lo+i]
				want := float32(float64(s) / float64(c))
				if math.Float32bits(g) != math.Float32bits(want) {
					if bad < 10 {
						t.Errorf("%d/%d: gpu %v [%08x], want %v [%08x]", s, c, g, math.Float32bits(g), want, math.Float32bits(want))
					}
					bad++
				}
			}
			if bad > 0 {
				t.Fatalf("%d of %d means differ", bad, hi-lo)
			}
			// The same sums again: nothing moves.
			if _, moved, err := runMeans(a, sums[lo:hi], counts[lo:hi]); err != nil || moved {
				t.Fatalf("means repeated: moved %v, err %v; want no move", moved, err)
			}
		}
	})
}

func bitsLen(x uint64) int {
	n := 0
	for ; x != 0; x >>= 1 {
		n++
	}
	return n
}

// runMeans starts a device run with k = len(sums) clusters of a D=1
// Assigner, overwrites its sums and counts, and runs only the means pass.
// The first call after Start compares with zero centroids, later calls with
// the previous means.
func runMeans(a *Assigner, sums, counts []uint32) ([]float32, bool, error) {
	k := len(sums)
	if a.dim != 1 {
		return nil, false, fmt.Errorf("runMeans needs D=1, have %d", a.dim)
	}
	d := a.dev
	var started bool
	if err := d.do(func() error { started = a.st.k == k; return nil }); err != nil {
		return nil, false, err
	}
	if !started {
		// Start a run for its buffers, then leave the loop free: the means
		// pass below works on the Assigner's state directly.
		l := a.loop()
		err := l.Start(k, make([]float32, k))
		l.Close()
		if err != nil {
			return nil, false, err
		}
	}
	cent := make([]float32, k)
	var moved bool
	err := d.do(func() error {
		st := &a.st
		st.sums.write(unsafe.Pointer(&sums[0]), 4*k)
		st.counts.write(unsafe.Pointer(&counts[0]), 4*k)
		gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, st.status.id)
		gl.ClearBufferSubData(gl.SHADER_STORAGE_BUFFER, gl.R32UI, 0, shaders.StatusWork, gl.RED_INTEGER, gl.UNSIGNED_INT, nil)
		a.bindClusters()
		gl.UseProgram(d.updProg)
		gl.Uniform1ui(d.updLoc.d, 1)
		gl.Uniform1ui(d.updLoc.k, uint32(k))
		gl.Uniform1ui(d.updLoc.stop, 0)
		gl.Uniform1ui(d.updLoc.iter, 0)
		if err := a.meansPass(); err != nil {
			return err
		}
		read32(a, &st.cent, cent)
		var slot [1]statusSlot
		_, err := a.readStatus(slot[:])
		moved = slot[0].Moved != 0
		return err
	})
	return cent, moved, err
}

// TestStepFault: a lost context in the middle of a Step surfaces from
// kmeans.Run as ErrContextLost, and the Device still closes cleanly.
func TestStepFault(t *testing.T) {
	forEachContext(t, func(t *testing.T, kind string) {
		r := rand.New(rand.NewPCG(26, 26))
		data := randdata.Rows(r, 1000, 7, 256)
		// Each iteration is two dispatches here (the assignment with the
		// update, then the means): dispatch 5 is the third iteration's
		// assignment, in the second batch.
		for _, fail := range []int{1, 2, 5} {
			d, err := openWithHooks(Options{Context: kind}, &gpuhooks.Hooks{FailDispatch: fail})
			if err != nil {
				unavailable(t, "context %s: %v", kind, err)
			}
			a, err := d.NewAssigner(data)
			if err != nil {
				t.Fatal(err)
			}
			_, err = kmeans.Run(context.Background(), data, a, kmeans.Config{K: 5, MaxIter: 50, FixedIters: true, NInit: 1, Rand: rand.New(rand.NewPCG(1, 1))})
			if !errors.Is(err, ErrContextLost) || !strings.Contains(err.Error(), "step") {
				t.Fatalf("fault at dispatch %d: kmeans.Run error %v, want a step's ErrContextLost", fail, err)
			}
			t.Logf("fault at dispatch %d: %v", fail, err)
			l := a.loop()
			if err := l.Start(5, make([]float32, 35)); !errors.Is(err, ErrContextLost) {
				t.Fatalf("Start after the loss: %v, want ErrContextLost", err)
			}
			if err := d.Close(); err != nil {
				t.Fatalf("Close after a loss: %v", err)
			}
			<-d.done
			if d.buffers != 0 || d.livePrograms() != 0 {
				t.Fatalf("after Close: %d buffers, %d programs", d.buffers, d.livePrograms())
			}
		}
	})
}

// TestStepperArguments: misuse is an error, not a panic or a GL error.
func TestStepperArguments(t *testing.T) {
	forEachContext(t, func(t *testing.T, kind string) {
		d := openDevice(t, kind, nil)
		data := kmeans.Data{N: 4, D: 3, X: []uint8{0, 0, 0, 1, 1, 1, 9, 9, 9, 10, 10, 10}}
		a, err := d.NewAssigner(data)
		if err != nil {
			t.Fatal(err)
		}
		stats := make([]driver.StepStat, 3)
		l := a.loop()
		if _, err := l.Step(stats, true); !errors.Is(err, errNotStarted) {
			t.Fatalf("Step before Start: %v", err)
		}
		if err := l.State(make([]int32, 4), make([]float32, 4), make([]int, 2)); !errors.Is(err, errNotStarted) {
			t.Fatalf("State before Start: %v", err)
		}
		if _, err := l.Move(nil, nil); !errors.Is(err, errNotStarted) {
			t.Fatalf("Move before Start: %v", err)
		}
		if err := l.Start(2, make([]float32, 5)); err == nil {
			t.Fatal("Start with short centroids accepted")
		}
		if err := l.Start(2, []float32{0, 0, 0, 10, 10, 10}); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Move([]int{4}, []int32{0}); err == nil {
			t.Fatal("Move of row 4 of 4 accepted")
		}
		if _, err := l.Move([]int{0}, []int32{2}); err == nil {
			t.Fatal("Move to cluster 2 of 2 accepted")
		}
		if _, err := l.Move([]int{0}, nil); err == nil {
			t.Fatal("Move with mismatched slices accepted")
		}
		if err := l.State(make([]int32, 4), make([]float32, 4), make([]int, 1)); err == nil {
			t.Fatal("State with short counts accepted")
		}
		if err := l.Finish(false, make([]int32, 4), make([]float32, 4), make([]uint64, 5), make([]int, 2), make([]float32, 6)); err == nil {
			t.Fatal("Finish with short sums accepted")
		}
		// A hand-driven run: two iterations, a fixed point at the second.
		ran, err := l.Step(stats, true)
		if err != nil || ran != 2 || stats[0].Changed != 4 || !stats[0].Moved || stats[1].Changed != 0 || stats[1].Moved || stats[0].Empty {
			t.Fatalf("Step: ran %d, %+v, %v", ran, stats[:ran], err)
		}
		if stats[0].Inertia != 6 || stats[1].Inertia != 3 {
			t.Fatalf("inertia %v, %v; want 6, 3", stats[0].Inertia, stats[1].Inertia)
		}
		if got := slotsRun(t, a, 3); !slices.Equal(got, []bool{true, true, false}) {
			t.Fatalf("slots run after a fixed point at the second iteration: %v", got)
		}
		owner := make([]int32, 4)
		counts := make([]int, 2)
		if err := l.State(owner, make([]float32, 4), counts); err != nil || !slices.Equal(owner, []int32{0, 0, 1, 1}) || !slices.Equal(counts, []int{2, 2}) {
			t.Fatalf("State: owner %v counts %v, %v", owner, counts, err)
		}
		// Move row 1 to cluster 1 and back: the means change, then return.
		if moved, err := l.Move([]int{1}, []int32{1}); err != nil || !moved {
			t.Fatalf("Move: %v, %v", moved, err)
		}
		if moved, err := l.Move([]int{1, 1}, []int32{1, 0}); err != nil || !moved {
			t.Fatalf("Move back: %v, %v", moved, err)
		}
		// A move may leave a cluster empty (kmeans.Stepper.Move): it keeps
		// its centroid, the other's mean moves.
		if moved, err := l.Move([]int{0, 1}, []int32{1, 1}); err != nil || !moved {
			t.Fatalf("Move that empties cluster 0: %v, %v", moved, err)
		}
		labels := make([]int32, 4)
		sums := make([]uint64, 6)
		cent := make([]float32, 6)
		if err := l.Finish(false, labels, make([]float32, 4), sums, counts, cent); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(labels, []int32{0, 0, 1, 1}) || !slices.Equal(sums, []uint64{0, 0, 0, 20, 20, 20}) || !slices.Equal(counts, []int{0, 4}) {
			t.Fatalf("Finish: labels %v sums %v counts %v", labels, sums, counts)
		}
		// An empty cluster halts the batch, with or without stop.
		for _, stop := range []bool{false, true} {
			if err := l.Start(3, []float32{0, 0, 0, 100, 100, 100, 10, 10, 10}); err != nil {
				t.Fatal(err)
			}
			ran, err := l.Step(stats, stop)
			if err != nil || ran != 1 || !stats[0].Empty || stats[0].Moved {
				t.Fatalf("Step with an empty cluster: ran %d, %+v, %v", ran, stats[:ran], err)
			}
			if got := slotsRun(t, a, 3); !slices.Equal(got, []bool{true, false, false}) {
				t.Fatalf("slots run after an empty cluster: %v", got)
			}
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Step(stats, true); !errors.Is(err, ErrClosed) {
			t.Fatalf("Step after Close: %v", err)
		}
		if n := liveBuffers(t, d); n != 0 {
			t.Fatalf("%d buffers left after closing the only Assigner", n)
		}
	})
}

// TestStepperReleases: the loop's buffers and programs go with Close, on
// the Assigner and on the Device.
func TestStepperReleases(t *testing.T) {
	forEachContext(t, func(t *testing.T, kind string) {
		d, err := Open(Options{Context: kind})
		if err != nil {
			unavailable(t, "context %s: %v", kind, err)
		}
		r := rand.New(rand.NewPCG(27, 27))
		data := randdata.Rows(r, 300, 10, 256)
		a, err := d.NewAssigner(data)
		if err != nil {
			t.Fatal(err)
		}
		before := liveBuffers(t, d)
		for _, k := range []int{3, 30, 5} { // 30 grows the per-cluster buffers
			runDevice(t, a, data, seeded(k, 20, false, kmeans.InitRandom, 1, uint64(k))())
		}
		if after := liveBuffers(t, d); after != before+8 { // prev, owner, dists, status, sums, cent, counts, status readback
			t.Fatalf("device run: %d buffers before, %d after, want 8 more", before, after)
		}
		b, err := d.NewAssigner(data)
		if err != nil {
			t.Fatal(err)
		}
		runDevice(t, b, data, seeded(4, 20, false, kmeans.InitRandom, 1, 4)())
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		<-d.done
		if d.buffers != 0 || d.livePrograms() != 0 {
			t.Fatalf("after Close: %d buffers, %d programs", d.buffers, d.livePrograms())
		}
	})
}

// TestStepperRowLimit: past the device loop's row limit (lowered by the
// test hook from maxStepRows' 16,843,009 rows), Start says the loop is
// unsupported (errors.ErrUnsupported, so package kmeans runs the host loop)
// and Assign still works; at the limit the device loop runs.
func TestStepperRowLimit(t *testing.T) {
	forEachContext(t, func(t *testing.T, kind string) {
		const limit = 100
		d := openDevice(t, kind, &gpuhooks.Hooks{MaxStepRows: limit})
		r := rand.New(rand.NewPCG(28, 28))
		over := randdata.Rows(r, limit+1, 9, 256)
		a, err := d.NewAssigner(over)
		if err != nil {
			t.Fatal(err)
		}
		cent := rowCentroids(r, over, 3)
		l := a.loop()
		err = l.Start(3, cent)
		if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), fmt.Sprintf("at most %d rows", limit)) {
			t.Fatalf("Start with %d rows over a limit of %d: %v, want errors.ErrUnsupported naming the limit", over.N, limit, err)
		}
		if strings.Count(err.Error(), "gpu:") != 1 {
			t.Errorf("error %q: want the package prefix exactly once", err)
		}
		t.Logf("%v", err)
		checkParity(t, a, over, cent, 3)
		if _, err := l.Step(make([]driver.StepStat, 2), true); !errors.Is(err, errNotStarted) {
			t.Fatalf("Step after a refused Start: %v", err)
		}
		// kmeans.Run sees ErrUnsupported and drives the same Assigner from
		// the host, with the host loop's result.
		cs := &countingStepper{Assigner: a}
		res, err := kmeans.Run(context.Background(), over, cs, seeded(3, 20, false, kmeans.InitRandom, 1, 3)())
		if err != nil {
			t.Fatalf("kmeans.Run past the limit: %v", err)
		}
		if cs.steps != 0 {
			t.Errorf("kmeans.Run stepped the device loop %d times past its row limit", cs.steps)
		}
		sameResult(t, "host path past the limit", runHost(t, over, seeded(3, 20, false, kmeans.InitRandom, 1, 3)()), res)

		at := kmeans.Data{N: limit, D: over.D, X: over.X[:limit*over.D]}
		b, err := d.NewAssigner(at)
		if err != nil {
			t.Fatal(err)
		}
		sameResult(t, "device loop at the limit", runHost(t, at, seeded(3, 20, false, kmeans.InitRandom, 1, 3)()), runDevice(t, b, at, seeded(3, 20, false, kmeans.InitRandom, 1, 3)()))
	})
}

// slotsRun reads which of the first m status slots the last batch ran: a
// halted batch must leave the rest idle.
func slotsRun(t *testing.T, a *Assigner, m int) []bool {
	t.Helper()
	slots := make([]statusSlot, m)
	if err := a.dev.do(func() error {
		_, err := a.readStatus(slots)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	run := make([]bool, m)
	for i, s := range slots {
		run[i] = s.Ran != 0
	}
	return run
}

// TestStepperPassShapes runs the device loop, and Assign, on each shape a
// pass can take, forced by the test hooks on small data: many dispatches
// per iteration (a low work cap, one work group per dispatch), the
// centroids split over work groups or never split, and the status read
// without a persistently mapped buffer. D = 37 spans two staged chunks and
// ends in a partial word; k = 5 runs the narrow kernel, 20 and 150 the
// wide one (150: three centroid blocks).
func TestStepperPassShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 41))
	data := emptyingData(r, 1500, 37, 40)
	cases := []stepCase{
		{"k=5", seeded(5, 60, false, kmeans.InitKMeansPP, 1, 1)},
		{"k=20", seeded(20, 40, false, kmeans.InitRandom, 1, 2)},
		{"k=150 fixed", seeded(150, 6, true, kmeans.InitRandom, 1, 3)},
	}
	for _, hc := range []struct {
		name  string
		hooks gpuhooks.Hooks
		check func(t *testing.T, k int, p pass, persistent bool)
	}{
		{"work cap", gpuhooks.Hooks{MaxDispatchWork: 100 * 37 * 20}, func(t *testing.T, k int, p pass, _ bool) {
			if len(p.dispatches) < 3 {
				t.Errorf("k=%d: %d dispatches under a low work cap", k, len(p.dispatches))
			}
		}},
		{"one group per dispatch, 3 splits", gpuhooks.Hooks{MaxGroups: 1, Splits: 3}, func(t *testing.T, k int, p pass, _ bool) {
			if len(p.dispatches) != p.blocks || k == 150 && p.splits != 3 {
				t.Errorf("k=%d: %d dispatches of %d blocks, %d splits", k, len(p.dispatches), p.blocks, p.splits)
			}
		}},
		{"no splits", gpuhooks.Hooks{Splits: -1}, func(t *testing.T, k int, p pass, _ bool) {
			if p.splits != 1 {
				t.Errorf("k=%d: %d splits, want none", k, p.splits)
			}
		}},
		{"no buffer storage", gpuhooks.Hooks{NoBufferStorage: true}, func(t *testing.T, k int, _ pass, persistent bool) {
			if persistent {
				t.Error("the status is read through a mapped buffer despite the hook")
			}
		}},
	} {
		t.Run(hc.name, func(t *testing.T) {
			forEachContext(t, func(t *testing.T, kind string) {
				h := hc.hooks
				d := openDevice(t, kind, &h)
				compareCases(t, d, data, cases)
				a, err := d.NewAssigner(data)
				if err != nil {
					t.Fatal(err)
				}
				defer a.Close()
				for _, k := range []int{5, 20, 150} {
					var p pass
					var persistent bool
					_ = d.do(func() error { p, persistent = a.planFor(k), d.persistent; return nil })
					hc.check(t, k, p, persistent)
					checkParity(t, a, data, randomCentroids(r, data, k), k)
				}
			})
		})
	}
}

// TestStepperHaltDispatchesNothing: the iteration that halts a batch zeroes
// the group counts of every later dispatch, assignment and means pass (so
// the rest of the batch runs nothing, with no host round trip), and the
// next batch runs again.
func TestStepperHaltDispatchesNothing(t *testing.T) {
	forEachContext(t, func(t *testing.T, kind string) {
		d := openDevice(t, kind, &gpuhooks.Hooks{MaxGroups: 1}) // several dispatches
		data := kmeans.Data{N: 4, D: 3, X: []uint8{0, 0, 0, 1, 1, 1, 9, 9, 9, 10, 10, 10}}
		a, err := d.NewAssigner(data)
		if err != nil {
			t.Fatal(err)
		}
		l := a.loop()
		if err := l.Start(2, []float32{0, 0, 0, 10, 10, 10}); err != nil {
			t.Fatal(err)
		}
		stats := make([]driver.StepStat, 5)
		if ran, err := l.Step(stats, true); err != nil || ran != 2 {
			t.Fatalf("Step: ran %d, %v; want a fixed point at the second iteration", ran, err)
		}
		groups := func() []uint32 {
			var params []uint32
			if err := d.do(func() error {
				st := &a.st
				buf := make([]byte, 4*len(st.indirect))
				a.read(&st.status, shaders.StatusWork+4*st.wl.indirect, buf)
				params = unsafe.Slice((*uint32)(unsafe.Pointer(&buf[0])), len(st.indirect))
				return d.glErr("read the dispatch parameters")
			}); err != nil {
				t.Fatal(err)
			}
			return params
		}
		params := groups()
		if len(params) != 6 || params[0] != 0 || params[1] != 1 || params[2] != 1 || params[3] != 0 {
			t.Fatalf("dispatch parameters after the halt: %v, want an assignment of 0 x 1 x 1 groups and a means pass of 0 x _ x _", params)
		}
		if got := slotsRun(t, a, 5); !slices.Equal(got, []bool{true, true, false, false, false}) {
			t.Fatalf("slots run: %v", got)
		}
		// The next batch starts with the planned groups again.
		if ran, err := l.Step(stats, false); err != nil || ran != 5 || stats[4].Changed != 0 || stats[4].Inertia != 3 {
			t.Fatalf("Step after a halted batch: ran %d, %+v, %v", ran, stats, err)
		}
		if p := groups(); p[0] != 1 {
			t.Fatalf("dispatch parameters after a batch that did not halt: %v", p)
		}
	})
}

// TestStepperSpecialInertia: NaN and infinite distances in the device
// loop give the inertia exactsum.Sum gives on the host (NaN, +Inf), and
// the same labels.
func TestStepperSpecialInertia(t *testing.T) {
	forEachContext(t, func(t *testing.T, kind string) {
		d := openDevice(t, kind, nil)
		r := rand.New(rand.NewPCG(42, 42))
		data := randdata.Rows(r, 200, 9, 256)
		a, err := d.NewAssigner(data)
		if err != nil {
			t.Fatal(err)
		}
		nan, huge := float32(math.NaN()), float32(1e30)
		l := a.loop()
		for _, c := range []struct {
			name string
			k    int
			cent func() []float32
		}{
			{"NaN at centroid 0", 3, func() []float32 { c := rowCentroids(r, data, 3); c[4] = nan; return c }},
			{"infinite distances", 1, func() []float32 { c := make([]float32, 9); c[2] = huge; return c }},
			{"NaN elsewhere", 20, func() []float32 { c := rowCentroids(r, data, 20); c[9*7] = nan; c[9*19+8] = nan; return c }},
		} {
			cent := c.cent()
			var ds [1]driver.StepStat
			if err := l.Start(c.k, cent); err != nil {
				t.Fatal(err)
			}
			if _, err := l.Step(ds[:], false); err != nil {
				t.Fatal(err)
			}
			h, g := firstStep(t, data, c.k, cent), ds[0]
			same := math.Float64bits(h.Inertia) == math.Float64bits(g.Inertia) || math.IsNaN(h.Inertia) && math.IsNaN(g.Inertia)
			if !same || h.Changed != g.Changed || h.Empty != g.Empty || h.Moved != g.Moved {
				t.Errorf("%s: device %+v, host %+v", c.name, g, h)
			}
			t.Logf("%s: %+v", c.name, g)
		}
	})
}

// firstStep is what the first iteration of a run from cent must report,
// computed plainly: every row's label changed, the inertia is the exact sum
// of the reference distances, and, unless a cluster is empty, whether some
// mean rounded to float32 differs from its centroid.
func firstStep(t testing.TB, data kmeans.Data, k int, cent []float32) driver.StepStat {
	t.Helper()
	labels, dists := make([]int32, data.N), make([]float32, data.N)
	if err := (verify.Reference{Data: data}).Assign(cent, k, labels, dists); err != nil {
		t.Fatal(err)
	}
	st := driver.StepStat{Changed: data.N, Inertia: exactsum.Sum(dists)}
	counts, sums := make([]int, k), make([]uint64, k*data.D)
	for i, l := range labels {
		counts[l]++
		for j, v := range data.Row(i) {
			sums[int(l)*data.D+j] += uint64(v)
		}
	}
	if st.Empty = slices.Contains(counts, 0); st.Empty {
		return st
	}
	for i, sum := range sums {
		mean := float32(float64(sum) / float64(counts[i/data.D]))
		st.Moved = st.Moved || math.Float32bits(mean) != math.Float32bits(cent[i])
	}
	return st
}

// TestStepperLargeKAndD: k = 1024 on the real tiles (16 centroid blocks of
// the wide kernel, split over work groups), and colour-sized rows (D =
// 64*64*3 = 12288, 384 staged chunks) at k = 7 and 70 and with relocations,
// through Assign and the device loop, against the CPU. On llvmpipe this is
// also the test of the loop budget: an invocation that looped more than
// 65535 times in all (a work group taking many centroid blocks of such
// rows, one work group computing all the means, one invocation moving
// whole rows) would be stopped there, and the results would differ.
func TestStepperLargeKAndD(t *testing.T) {
	usps := sharedtest.Data(t)
	r := rand.New(rand.NewPCG(44, 44))
	colour := levelsData(r, 400, 64*64*3, 4)
	emptying := emptyingData(r, 300, 64*64*3, 20)
	forEachContext(t, func(t *testing.T, kind string) {
		d := openDevice(t, kind, nil)
		for _, c := range []struct {
			name  string
			data  kmeans.Data
			ks    []int
			cases []stepCase
		}{
			{"USPS", usps, []int{1024}, []stepCase{{"k=1024 fixed 2", seeded(1024, 2, true, kmeans.InitRandom, 1, 44)}}},
			{"D=12288", colour, []int{7, 70}, []stepCase{
				{"k=7", seeded(7, 20, false, kmeans.InitKMeansPP, 1, 45)},
				{"k=70 fixed 3", seeded(70, 3, true, kmeans.InitRandom, 1, 46)}}},
			{"D=12288, 20 distinct rows", emptying, nil, []stepCase{{"k=30", seeded(30, 10, false, kmeans.InitRandom, 1, 47)}}},
		} {
			a, err := d.NewAssigner(c.data)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range c.ks {
				var p pass
				_ = d.do(func() error { p = a.planFor(k); return nil })
				t.Logf("%s k=%d: %d dispatches, %d tile blocks x %d splits of %d centroid blocks", c.name, k, len(p.dispatches), p.blocks, p.splits, p.span)
				checkParity(t, a, c.data, randomCentroids(r, c.data, k), k)
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			relocated := compareCases(t, d, c.data, c.cases)
			if c.ks == nil && relocated == 0 {
				t.Errorf("%s: no relocation: the moves of %d-feature rows are not exercised", c.name, c.data.D)
			}
		}
	})
}
