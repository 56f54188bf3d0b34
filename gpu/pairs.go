//go:build cgo && !nogpu

package gpu

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"unsafe"

	"github.com/go-gl/gl/v4.3-core/gl"

	"github.com/tilekmeans/tilekmeans/gpu/internal/shaders"
	"github.com/tilekmeans/tilekmeans/internal/exactsum"
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
type silUniforms struct{ n, k, stride, first, end, seg int32 }

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
	d.silLoc = silUniforms{n: loc("uN"), k: loc("uK"), stride: loc("uStride"), first: loc("uFirst"), end: loc("uEnd"), seg: loc("uSeg")}
	d.silErr = d.silProbe()
	return d.silErr
}

// silProbe is the silhouette program's parity canary: the sums of 200 rows
// of 2 random features (squared distances a² + b², mostly not squares, so
// that their roots round up or down) for k = 1 and 3, compared bit for bit
// with kmeans.SumDistances. A driver whose double sqrt is not correctly
// rounded fails it: an error wrapping ErrParity, unless
// Options.AllowMismatch (the sums then come within the bound the package
// documentation gives).
func (d *Device) silProbe() error {
	const n = 200
	rng := rand.New(rand.NewPCG(0x73696c, 1))
	data := kmeans.Data{N: n, D: 2, X: make([]uint8, 2*n)}
	words := make([]uint32, n)
	for i := range n {
		data.X[2*i], data.X[2*i+1] = uint8(rng.IntN(256)), uint8(rng.IntN(256))
		words[i] = uint32(data.X[2*i]) | uint32(data.X[2*i+1])<<8
	}
	tiles, err := d.newBuffer(4*n, unsafe.Pointer(&words[0]), gl.STATIC_DRAW)
	if err != nil {
		return fmt.Errorf("silhouette probe: %w", err)
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
	if err := d.runSums(context.Background(), tiles, 1, 2, list, labels, ks, got); err != nil {
		return fmt.Errorf("silhouette probe: %w", err)
	}
	for l := range want {
		for i, w := range want[l] {
			if g := got[l][i]; math.Float64bits(g) != math.Float64bits(w) && !d.allow {
				return fmt.Errorf("silhouette probe: row %d's sum of distances for cluster %d is %v, the CPU's %v: the driver's double sqrt is not correctly rounded: %w",
					i/ks[l], i%ks[l], g, w, ErrParity)
			}
		}
	}
	return nil
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
