//go:build cgo && !nogpu

package gpu

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"unsafe"

	"github.com/go-gl/gl/v4.3-core/gl"

	"github.com/tilekmeans/tilekmeans/gpu/internal/shaders"
	"github.com/tilekmeans/tilekmeans/internal/exactsum"
	"github.com/tilekmeans/tilekmeans/internal/randdata"
	"github.com/tilekmeans/tilekmeans/kmeans"
)

// The silhouette's sums of distances on the GPU (SumDistances), on the
// tiles the Assigner uploaded: per labelling the host sorts the listed
// rows by cluster (order, as data rows) and cuts that order into segments,
// one per cluster, and the program (internal/shaders/silhouette.comp) runs
// with one invocation per listed row over ranges of the sorted columns,
// adding the exact integers of each square root (exactsum.Roots) to the
// row's sums per cluster, which come back as 64-bit H and L.

// Silhouette program bindings, as silhouette.comp declares them.
const (
	bindSilTiles = 0
	bindSilOrder = 1
	bindSilSegs  = 2
	bindSilSums  = 3
	bindSilList  = 4
)

// silUniforms are the silhouette program's uniform locations.
type silUniforms struct{ n, k, stride, first, end, seg, probe int32 }

// maxSilWork is the most row x column x feature terms of one dispatch:
// 16 times maxDispatchWork, for terms that cost one float operation each
// (a subtraction and a fused multiply-add per feature), not three.
const maxSilWork = 16 * maxDispatchWork

// silColumns returns how many columns one dispatch over n rows of dim
// features takes: within maxWork terms, and within loopBudget loop
// iterations per invocation (llvmpipe's limit; see loopBudget), counting
// per staged chunk of columns its feature chunks (staging loop and word
// loop) and its column loop.
func silColumns(n, dim int, maxWork int64) int {
	words := (dim + 3) / 4
	chunks := (words + 15) / 16
	perChunk := chunks*(shaders.SilhouetteColumns*16/64+16) + shaders.SilhouetteColumns + 1
	byLoops := max(1, loopBudget/perChunk) * shaders.SilhouetteColumns
	byWork := max(shaders.SilhouetteColumns, int(maxWork/int64(n*4*words))/shaders.SilhouetteColumns*shaders.SilhouetteColumns)
	return min(byLoops, byWork)
}

// sumDistances runs SumDistances on the device thread; the arguments are
// checked, and n is the number of rows listed.
func (a *Assigner) sumDistances(ctx context.Context, n int, rows []int32, labels [][]int32, ks []int, sums [][]float64) error {
	list := make([]uint32, n) // the data row of each listed row
	for i := range list {
		list[i] = uint32(i)
		if rows != nil {
			list[i] = uint32(rows[i])
		}
	}
	d := a.dev
	return d.do(func() error {
		if a.freed {
			return ErrClosed
		}
		if d.lost != nil {
			return d.lost
		}
		if len(a.tiles) != 1 {
			return fmt.Errorf("the silhouette's sums need the tiles in one storage block; these take %d: %w", len(a.tiles), errors.ErrUnsupported)
		}
		if err := d.silhouetteProgram(); err != nil {
			return err
		}
		return d.runSums(ctx, a.tiles[0], a.lay.strideWords, a.dim, list, labels, ks, sums)
	})
}

// silhouetteProgram builds the silhouette program on its first use and
// runs its probe (silProbe); later calls return the probe's result.
func (d *Device) silhouetteProgram() error {
	if d.silProg != 0 {
		return d.silErr
	}
	prog, err := d.build(programSilhouette)
	if err != nil {
		return err
	}
	d.silProg = prog
	loc := func(name string) int32 { return gl.GetUniformLocation(prog, gl.Str(name+"\x00")) }
	d.silLoc = silUniforms{n: loc("uN"), k: loc("uK"), stride: loc("uStride"), first: loc("uFirst"), end: loc("uEnd"), seg: loc("uSeg"), probe: loc("uProbe")}
	d.silErr = d.silProbe()
	return d.silErr
}

// silProbe is the silhouette program's parity canary, in two parts. The
// roots: the program's square root (root in silhouette.comp) of each of
// probeRoots' integers, compared bit for bit with the host's correctly
// rounded math.Sqrt. The sums: those of 200 rows of 2 random features
// (squared distances a² + b², mostly not squares) and of the 8 extreme rows
// of 70,001 features (randdata.Extreme: distances up to 4.6e9, past 2^32),
// for k = 1 and 3, compared bit for bit with kmeans.SumDistances. A driver
// that fails either fails the probe: an error wrapping ErrParity, unless
// Options.AllowMismatch (the sums then come within the bound the package
// documentation gives).
func (d *Device) silProbe() error {
	if err := d.probeRootValues(); err != nil {
		return fmt.Errorf("silhouette probe: %w", err)
	}
	rng := rand.New(rand.NewPCG(0x73696c, 1))
	for _, data := range []kmeans.Data{randdata.Rows(rng, 200, 2, 256), randdata.Extreme(70001)} {
		if err := d.probeSums(data, rng); err != nil {
			return fmt.Errorf("silhouette probe: %w", err)
		}
	}
	return nil
}

// probeRootValues runs the program's probe pass over probeRoots.
func (d *Device) probeRootValues() error {
	values := probeRoots()
	in := make([]uint32, 2*len(values))
	for i, v := range values {
		in[2*i], in[2*i+1] = uint32(v), uint32(v>>32)
	}
	var list, out buffer
	defer d.release(&list)
	defer d.release(&out)
	if err := d.ensure(&list, 4*len(in), gl.STATIC_DRAW); err != nil {
		return err
	}
	list.write(unsafe.Pointer(&in[0]), 4*len(in))
	if err := d.ensure(&out, 4*len(in), gl.DYNAMIC_READ); err != nil {
		return err
	}
	gl.UseProgram(d.silProg)
	gl.Uniform1ui(d.silLoc.n, uint32(len(values)))
	gl.Uniform1ui(d.silLoc.probe, 1)
	list.bind(bindSilList)
	out.bind(bindSilSums)
	if err := d.dispatch((len(values)+63)/64, 1, -1, func() string { return "silhouette probe: roots" }); err != nil {
		return err
	}
	got := make([]uint32, len(in))
	gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT)
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, out.id)
	gl.GetBufferSubData(gl.SHADER_STORAGE_BUFFER, 0, 4*len(got), unsafe.Pointer(&got[0]))
	if err := d.glErr("read back the probe's roots"); err != nil {
		return err
	}
	for i, v := range values {
		g := math.Float64frombits(uint64(got[2*i+1])<<32 | uint64(got[2*i]))
		if w := math.Sqrt(float64(v)); math.Float64bits(g) != math.Float64bits(w) && !d.allow {
			return fmt.Errorf("the square root of %d is %v, correctly rounded %v: the driver's double sqrt is not correctly rounded: %w", v, g, w, ErrParity)
		}
	}
	return nil
}

// probeSums compares the program's sums of distances on data (labellings
// of k = 1 and 3 drawn from rng) with kmeans.SumDistances.
func (d *Device) probeSums(data kmeans.Data, rng *rand.Rand) error {
	n := data.N
	stride := (data.D + 3) / 4
	words := make([]uint32, n*stride)
	for i := range n {
		for j, v := range data.Row(i) {
			words[i*stride+j/4] |= uint32(v) << (8 * (j % 4))
		}
	}
	tiles, err := d.newBuffer(4*len(words), unsafe.Pointer(&words[0]), gl.STATIC_DRAW)
	if err != nil {
		return err
	}
	defer d.deleteBuffer(&tiles)
	list := make([]uint32, n)
	labels := [][]int32{make([]int32, n), make([]int32, n)}
	for i := range n {
		list[i], labels[1][i] = uint32(i), int32(rng.IntN(3))
	}
	ks := []int{1, 3}
	want, got := [][]float64{make([]float64, n), make([]float64, 3*n)}, [][]float64{make([]float64, n), make([]float64, 3*n)}
	if err := kmeans.SumDistances(context.Background(), data, nil, labels, ks, want); err != nil {
		return err
	}
	if err := d.runSums(context.Background(), tiles, stride, data.D, list, labels, ks, got); err != nil {
		return err
	}
	for l := range want {
		for i, w := range want[l] {
			if g := got[l][i]; math.Float64bits(g) != math.Float64bits(w) && !d.allow {
				return fmt.Errorf("%d rows of %d features: row %d's sum of distances for cluster %d is %v, the CPU's %v: %w",
					n, data.D, i/ks[l], i%ks[l], g, w, ErrParity)
			}
		}
	}
	return nil
}

// probeRoots returns the integers whose square roots the probe checks, all
// below 2^40 (the squared distances SumDistances takes): 0 to 64; every
// power of two and its neighbours; perfect squares and their neighbours
// (k² - 1, k², k² + 1 for k = 2^j - 1, 2^j, 2^j + 1 and 512 seeded random
// k), where a square root computed from a reciprocal estimate tends to
// miss the exact result; 1,024 seeded random integers spread over every
// magnitude; and the 256 integers, of 65,536 seeded random ones, whose
// square roots lie nearest a midpoint between two doubles (hardest to
// round: see nearMidpoint).
func probeRoots() []uint64 {
	const top = 1 << 40
	rng := rand.New(rand.NewPCG(0x726f6f74, 2))
	var v []uint64
	add := func(x uint64) {
		if x < top {
			v = append(v, x)
		}
	}
	for x := range uint64(65) {
		add(x)
	}
	around := func(x uint64) {
		add(x - 1)
		add(x)
		add(x + 1)
	}
	var ks []uint64
	for j := range 41 {
		around(1 << j)
		if j <= 20 {
			ks = append(ks, 1<<j-1, 1<<j, 1<<j+1)
		}
	}
	for range 512 {
		ks = append(ks, 1+rng.Uint64N(1<<20-1))
	}
	for _, k := range ks {
		around(k * k)
	}
	for range 1024 {
		add(rng.Uint64N(1 << (1 + rng.IntN(40))))
	}
	cand := make([]uint64, 1<<16)
	for i := range cand {
		cand[i] = 1 + rng.Uint64N(top-1)
	}
	slices.SortFunc(cand, func(a, b uint64) int { return cmp.Compare(nearMidpoint(a), nearMidpoint(b)) })
	return append(v, cand[:256]...)
}

// nearMidpoint returns how near sqrt(x) lies to a midpoint between two
// doubles, for 0 < x < 2^40: |m² - x| / m² for the midpoint m nearest the
// correctly rounded root v (v ± half an ulp), exact up to the final
// division. The nearer, the more a square root that is not correctly
// rounded tends to round x the wrong way.
func nearMidpoint(x uint64) float64 {
	v := math.Sqrt(float64(x))
	frac, exp := math.Frexp(v) // v = frac * 2^exp, frac in [0.5, 1)
	m := uint64(frac * (1 << 53))
	best := math.Inf(1)
	for _, twice := range []uint64{2*m - 1, 2*m + 1} {
		// midpoint = twice * 2^(exp-54), so midpoint² - x = (twice² -
		// x*2^(108-2exp)) * 2^(2exp-108), both terms below 2^108, and
		// x*2^(108-2exp) = (x << (44-2exp)) * 2^64 (exp is 1..20).
		hi, lo := bits.Mul64(twice, twice)
		xhi := x << (44 - 2*exp) // below 2^44: x is below (2^exp)²
		dhi, dlo := hi-xhi, lo
		if int64(dhi) < 0 { // negate the 128-bit difference
			var borrow uint64
			dlo, borrow = bits.Sub64(0, dlo, 0)
			dhi, _ = bits.Sub64(0, dhi, borrow)
		}
		diff := math.Ldexp(float64(dhi), 64) + float64(dlo)
		best = min(best, diff/math.Ldexp(float64(hi), 64))
	}
	return best
}

// runSums computes the sums on the device thread, with the silhouette
// program built: the data's rows in the buffer tiles (stride words each,
// dim features), the listed rows' data rows in list.
func (d *Device) runSums(ctx context.Context, tiles uint32, stride, dim int, list []uint32, labels [][]int32, ks []int, sums [][]float64) error {
	n, kmax := len(list), slices.Max(ks)
	if sumBytes := int64(n) * int64(kmax) * 16; sumBytes > d.info.MaxSSBOBlockSize {
		return fmt.Errorf("the sums of %d rows for k=%d (%d bytes) exceed the shader storage block limit of %d bytes: %w",
			n, kmax, sumBytes, d.info.MaxSSBOBlockSize, errors.ErrUnsupported)
	}
	var listBuf, order, segs, out buffer
	defer func() {
		for _, b := range []*buffer{&listBuf, &order, &segs, &out} {
			d.release(b)
		}
	}()
	upload := func(b *buffer, data []uint32) error {
		if err := d.ensure(b, 4*len(data), gl.DYNAMIC_DRAW); err != nil {
			return err
		}
		b.write(unsafe.Pointer(&data[0]), 4*len(data))
		return nil
	}
	if err := upload(&listBuf, list); err != nil {
		return fmt.Errorf("silhouette rows: %w", err)
	}
	maxWork := int64(maxSilWork)
	if h := d.hooks.MaxDispatchWork; h > 0 && h < maxWork {
		maxWork = h
	}
	step := silColumns(n, dim, maxWork)
	words := make([]uint32, 4*n*kmax)
	for l, k := range ks {
		ord, seg := sortByCluster(labels[l])
		for p, i := range ord {
			ord[p] = list[i]
		}
		if err := upload(&order, ord); err != nil {
			return fmt.Errorf("silhouette order: %w", err)
		}
		if err := upload(&segs, seg); err != nil {
			return fmt.Errorf("silhouette segments: %w", err)
		}
		if err := d.ensure(&out, 16*n*k, gl.DYNAMIC_READ); err != nil {
			return fmt.Errorf("silhouette sums: %w", err)
		}
		gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, out.id)
		gl.ClearBufferSubData(gl.SHADER_STORAGE_BUFFER, gl.R32UI, 0, out.size, gl.RED_INTEGER, gl.UNSIGNED_INT, nil)
		gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT | gl.SHADER_STORAGE_BARRIER_BIT)
		gl.UseProgram(d.silProg)
		loc := &d.silLoc
		gl.Uniform1ui(loc.n, uint32(n))
		gl.Uniform1ui(loc.k, uint32(k))
		gl.Uniform1ui(loc.stride, uint32(stride))
		gl.Uniform1ui(loc.probe, 0)
		gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindSilTiles, tiles)
		order.bind(bindSilOrder)
		segs.bind(bindSilSegs)
		out.bind(bindSilSums)
		listBuf.bind(bindSilList)
		s := 0
		for first := 0; first < n; first += step {
			if err := ctx.Err(); err != nil {
				return err
			}
			for int(seg[2*s]) <= first {
				s++
			}
			end := min(n, first+step)
			gl.Uniform1ui(loc.first, uint32(first))
			gl.Uniform1ui(loc.end, uint32(end))
			gl.Uniform1ui(loc.seg, uint32(s))
			err := d.dispatch((n+63)/64, 1, -1, func() string {
				return fmt.Sprintf("silhouette sums, k=%d, columns %d..%d", k, first, end)
			})
			if err != nil {
				return err
			}
			// Each dispatch adds to the sums the previous one wrote.
			gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
			gl.Flush()
		}
		if err := d.glErr(fmt.Sprintf("silhouette sums of %d rows, k=%d", n, k)); err != nil {
			return err
		}
		w := words[:4*n*k]
		gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT)
		gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, out.id)
		gl.GetBufferSubData(gl.SHADER_STORAGE_BUFFER, 0, 4*len(w), unsafe.Pointer(&w[0]))
		if err := d.glErr("read back the silhouette sums"); err != nil {
			return err
		}
		for i := range n * k {
			h := int64(uint64(w[4*i+1])<<32 | uint64(w[4*i]))
			lo := int64(uint64(w[4*i+3])<<32 | uint64(w[4*i+2]))
			sums[l][i] = exactsum.Roots{H: h, L: lo}.Float64()
		}
	}
	return nil
}

// sortByCluster returns the positions 0..n-1 of labels sorted by cluster
// (stably), and its segments: per cluster that has rows, in cluster order,
// the position after its last row and the cluster.
func sortByCluster(labels []int32) (order, segs []uint32) {
	order = make([]uint32, len(labels))
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortStableFunc(order, func(x, y uint32) int { return int(labels[x] - labels[y]) })
	for p := range order {
		if p+1 == len(order) || labels[order[p+1]] != labels[order[p]] {
			segs = append(segs, uint32(p+1), uint32(labels[order[p]]))
		}
	}
	return order, segs
}
