//go:build cgo && !nogpu

package gpu

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/go-gl/gl/v4.3-core/gl"

	"github.com/tilekmeans/tilekmeans/kmeans"
)

// SSBO binding points, as declared in shaders/assign.comp (and, for 4 and
// up, the device Lloyd loop's shaders: see stepper.go).
const (
	bindTiles     = 0
	bindCentroids = 1
	bindLabels    = 2
	bindDists     = 3
)

// Assigner is the GPU kmeans.Assigner for one data set: the tiles are
// uploaded once, and the centroid, label and distance buffers persist across
// calls (the centroid buffer grows only when k*D grows). It is also a
// kmeans.Stepper (stepper.go), with buffers of its own for the device loop.
type Assigner struct {
	dev    *Device
	n, dim int

	closeOnce sync.Once
	closeErr  error

	// Device thread only.
	lay       layout
	maxGroups int      // work groups per dispatch (the driver's limit or the hook's)
	tiles     []uint32 // one buffer per slab
	cent      buffer   // k*D float32 centroids, grown with k*D
	labels    buffer   // n int32, bound per slab with glBindBufferRange
	dists     buffer   // n float32, likewise
	freed     bool
	st        stepState // the device Lloyd loop (stepper.go)
}

var _ kmeans.Assigner = (*Assigner)(nil)

// NewAssigner uploads data's tiles to the GPU, split into as many buffers
// and dispatches as the driver's limits require.
func (d *Device) NewAssigner(data kmeans.Data) (*Assigner, error) {
	if data.N < 1 || data.D < 1 || len(data.X) < data.N*data.D {
		return nil, fmt.Errorf("gpu: new assigner: %d bytes for %d rows of %d features", len(data.X), data.N, data.D)
	}
	a := &Assigner{dev: d, n: data.N, dim: data.D}
	if err := d.do(func() error { return a.upload(data) }); err != nil {
		return nil, fmt.Errorf("gpu: new assigner: %w", err)
	}
	return a, nil
}

// Name implements kmeans.Assigner.
func (a *Assigner) Name() string { return "gpu" }

// Close releases the Assigner's buffers. It is safe to call more than once,
// and after the Device is closed (which already released them).
func (a *Assigner) Close() error {
	a.closeOnce.Do(func() {
		err := a.dev.do(func() error {
			a.free()
			return nil
		})
		if err != nil && err != ErrClosed {
			a.closeErr = fmt.Errorf("gpu: close assigner: %w", err)
		}
	})
	return a.closeErr
}

// Assign implements kmeans.Assigner. It follows the arithmetic contract of
// package kmeans bit for bit (see shaders/assign.comp).
func (a *Assigner) Assign(centroids []float32, k int, labels []int32, dists []float32) error {
	if k < 1 || len(centroids) < k*a.dim {
		return fmt.Errorf("gpu: assign: %d centroid values for k=%d and %d features", len(centroids), k, a.dim)
	}
	if len(labels) < a.n || len(dists) < a.n {
		return fmt.Errorf("gpu: assign: output slices shorter than %d rows", a.n)
	}
	err := a.dev.do(func() error { return a.assign(centroids[:k*a.dim], k, labels[:a.n], dists[:a.n]) })
	if err != nil {
		return fmt.Errorf("gpu: assign: %w", err)
	}
	return nil
}

// upload runs on the device thread.
func (a *Assigner) upload(data kmeans.Data) error {
	d := a.dev
	if d.lost != nil {
		return d.lost
	}
	maxBlock := d.info.MaxSSBOBlockSize
	if h := d.hooks.MaxTileBytes; h > 0 && h < maxBlock {
		maxBlock = h
	}
	maxGroups := d.info.MaxWorkGroupCount[0]
	if h := d.hooks.MaxGroups; h > 0 && h < maxGroups {
		maxGroups = h
	}
	lay, err := planLayout(a.n, a.dim, maxBlock, maxGroups, d.info.WorkGroupSize, d.info.SSBOOffsetAlignment)
	if err != nil {
		return err
	}
	a.lay = lay
	a.maxGroups = maxGroups
	// Registered first, so a failure half way (or a Close of the Device)
	// frees what was allocated.
	d.assigners[a] = struct{}{}
	if err := a.alloc(data); err != nil {
		a.free()
		return err
	}
	return nil
}

func (a *Assigner) alloc(data kmeans.Data) error {
	d, lay := a.dev, a.lay
	var staging []uint8
	if lay.strideBytes != a.dim {
		staging = make([]uint8, lay.rowsPerSlab*lay.strideBytes)
	}
	for _, s := range lay.slabs {
		size := s.rows * lay.strideBytes
		var src []uint8
		if staging == nil {
			// Rows are already whole words: upload the caller's bytes.
			src = data.X[s.first*a.dim : (s.first+s.rows)*a.dim]
		} else {
			src = staging[:size]
			packRows(src, data.X, s.first, s.rows, a.dim, lay.strideBytes)
		}
		b, err := d.newBuffer(size, unsafe.Pointer(&src[0]), gl.STATIC_DRAW)
		if err != nil {
			return fmt.Errorf("tiles %d..%d: %w", s.first, s.first+s.rows, err)
		}
		a.tiles = append(a.tiles, b)
	}
	if err := d.ensure(&a.labels, 4*a.n, gl.DYNAMIC_READ); err != nil {
		return fmt.Errorf("labels: %w", err)
	}
	if err := d.ensure(&a.dists, 4*a.n, gl.DYNAMIC_READ); err != nil {
		return fmt.Errorf("distances: %w", err)
	}
	return nil
}

// free deletes the Assigner's buffers; idempotent, device thread only.
func (a *Assigner) free() {
	d := a.dev
	for i := range a.tiles {
		d.deleteBuffer(&a.tiles[i])
	}
	a.tiles = nil
	d.release(&a.cent)
	d.release(&a.labels)
	d.release(&a.dists)
	a.freeStep()
	delete(d.assigners, a)
	a.freed = true
}

// assign runs on the device thread.
func (a *Assigner) assign(cent []float32, k int, labels []int32, dists []float32) error {
	d := a.dev
	if a.freed {
		return ErrClosed
	}
	if d.lost != nil {
		return d.lost
	}
	need := 4 * len(cent)
	if int64(need) > d.info.MaxSSBOBlockSize {
		return fmt.Errorf("%d centroids of %d features (%d bytes) exceed the shader storage block limit of %d bytes", k, a.dim, need, d.info.MaxSSBOBlockSize)
	}
	if err := d.ensure(&a.cent, need, gl.DYNAMIC_DRAW); err != nil {
		return fmt.Errorf("centroids: %w", err)
	}
	a.cent.write(unsafe.Pointer(&cent[0]), need)
	if err := a.assignPass(&a.cent, &a.labels, &a.dists, k); err != nil {
		return err
	}
	// read32 places the barrier that makes shader writes visible to
	// glGetBufferSubData.
	read32(a, &a.labels, labels)
	read32(a, &a.dists, dists)
	return d.glErr("read back labels and distances")
}

// assignPass runs the assignment shader over every slab against the k
// centroids in cent (its size in use bound), writing the labels and dists
// buffers. Assign uses its own buffers; Finish uses the Stepper's, so the
// two never disturb each other.
func (a *Assigner) assignPass(cent, labels, dists *buffer, k int) error {
	d := a.dev
	gl.UseProgram(d.prog)
	gl.Uniform1ui(d.loc.d, uint32(a.dim))
	gl.Uniform1ui(d.loc.k, uint32(k))
	gl.Uniform1ui(d.loc.stride, uint32(a.lay.strideWords))
	cent.bind(bindCentroids)
	gs := a.lay.rowsPerGroup
	for si, s := range a.lay.slabs {
		gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindTiles, a.tiles[si])
		gl.BindBufferRange(gl.SHADER_STORAGE_BUFFER, bindLabels, labels.id, s.outOffset, s.outSize)
		gl.BindBufferRange(gl.SHADER_STORAGE_BUFFER, bindDists, dists.id, s.outOffset, s.outSize)
		gl.Uniform1ui(d.loc.outBase, uint32(s.outBase))
		for _, dp := range s.dispatches {
			gl.Uniform1ui(d.loc.base, uint32(dp[0]))
			gl.Uniform1ui(d.loc.n, uint32(dp[1]))
			err := d.dispatch((dp[1]+gs-1)/gs, func() string {
				return fmt.Sprintf("rows %d..%d", s.first+dp[0], s.first+dp[0]+dp[1])
			})
			if err != nil {
				return err
			}
		}
	}
	return d.glErr(fmt.Sprintf("dispatch %d rows, k=%d", a.n, k))
}
