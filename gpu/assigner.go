//go:build cgo && !nogpu

package gpu

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/go-gl/gl/v4.3-core/gl"

	"github.com/tilekmeans/tilekmeans/gpu/internal/shaders"
	"github.com/tilekmeans/tilekmeans/kmeans"
)

// SSBO binding points, as declared in internal/shaders/assign.comp (and,
// for 4 and up, the device Lloyd loop's shaders: see stepper.go).
const (
	bindTiles     = 0
	bindCentroids = 1
	bindLabels    = 2
	bindDists     = 3
	// bindWork is the split reduction's scratch (Assign), or the status
	// block with the loop's scratch words (Step).
	bindWork = 7
)

// assigner is an Assigner of this build, for one data set: the tiles are
// uploaded once, and the centroid, label and distance buffers persist
// across calls (the centroid buffer grows only when k*D grows). Its device
// Lloyd loop (stepper.go) has buffers of its own.
type assigner struct {
	dev    *Device
	n, dim int

	closeOnce sync.Once
	closeErr  error

	// loopOwner is the session (stepper.go) whose run holds the device
	// Lloyd loop, nil when it is free.
	loopMu    sync.Mutex
	loopOwner *deviceLoop

	// Device thread only.
	lay       layout
	maxGroups int      // work groups per dispatch along the tiles (the driver's limit or the hook's)
	tiles     []uint32 // one buffer per slab
	cent      buffer   // k*D float32 centroids, feature-major, grown with k*D
	labels    buffer   // n int32, bound per slab with glBindBufferRange
	dists     buffer   // n float32, likewise
	work      buffer   // the split reduction's counters and partials
	freed     bool
	st        stepState // the device Lloyd loop (stepper.go)
	// force, when set, fixes the kernel and splits of every pass (the
	// canary runs each blocking and both reductions this way).
	force *passChoice
}

// passChoice is a kernel (index in shaders.Kernels) and a number of splits
// (0: by the data's size).
type passChoice struct{ kernel, splits int }

// newAssigner uploads data on the device thread (Device.NewAssigner).
func (d *Device) newAssigner(data kmeans.Data) (*Assigner, error) {
	a := &Assigner{assigner{dev: d, n: data.N, dim: data.D}}
	if err := d.do(func() error { return a.upload(data) }); err != nil {
		return nil, err
	}
	return a, nil
}

// close frees the buffers on the device thread, once (Assigner.Close).
func (a *Assigner) close() error {
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

// assignAll runs assign on the device thread (Assigner.Assign), under the
// arithmetic contract of package kmeans bit for bit (see
// internal/shaders/assign.comp).
func (a *Assigner) assignAll(cent []float32, k int, labels []int32, dists []float32) error {
	return a.dev.do(func() error { return a.assign(cent, k, labels, dists) })
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
	lay, err := planLayout(a.n, a.dim, maxBlock, d.info.SSBOOffsetAlignment)
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
	d.release(&a.work)
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
	ct := featureMajor(cent, k, a.dim)
	a.cent.write(unsafe.Pointer(&ct[0]), need)
	if err := a.assignPass(&a.cent, &a.labels, &a.dists, k); err != nil {
		return err
	}
	// read32 places the barrier that makes shader writes visible to
	// glGetBufferSubData.
	read32(a, &a.labels, labels)
	read32(a, &a.dists, dists)
	return d.glErr("read back labels and distances")
}

// featureMajor returns the k centroids of dim features (row-major) as the
// shaders read them: feature f of centroid c at f*k+c.
func featureMajor(cent []float32, k, dim int) []float32 {
	t := make([]float32, k*dim)
	for c := range k {
		for f, v := range cent[c*dim : (c+1)*dim] {
			t[f*k+c] = v
		}
	}
	return t
}

// rowMajor is the inverse of featureMajor, into dst.
func rowMajor(dst, t []float32, k, dim int) {
	for c := range k {
		for f := range dim {
			dst[c*dim+f] = t[f*k+c]
		}
	}
}

// kernelFor returns the kernel (index in shaders.Kernels) for k centroids:
// narrow up to its block of centroids (the seed sweep's k = 3..7), wide
// beyond, where it wastes at most a partial block of 64.
func kernelFor(k int) int {
	if k <= shaders.Kernels[0].Centroids() {
		return 0
	}
	return 1
}

// plan returns the kernel and the plan of a pass for k centroids: by k
// and the data's size, unless the canary forces a choice or the test hooks
// force the splits or lower the work per dispatch.
func (a *Assigner) plan(k int) (int, pass) {
	d := a.dev
	kern, splits := kernelFor(k), 0
	switch h := d.hooks.Splits; {
	case h > 0:
		splits = h
	case h < 0:
		splits = 1
	}
	if a.force != nil {
		kern, splits = a.force.kernel, a.force.splits
	}
	maxWork := int64(maxDispatchWork)
	if h := d.hooks.MaxDispatchWork; h > 0 && h < maxWork {
		maxWork = h
	}
	kp := shaders.Kernels[kern]
	maxSpan := loopBudget / loopsPerBlock(kp, a.dim)
	return kern, planPass(a.lay, kp.Tiles(), kp.Centroids(), k, a.maxGroups, d.info.MaxWorkGroupCount[1], maxWork, splits, maxSpan)
}

// assignPass runs the assignment program over every slab against the k
// centroids in cent (feature-major, its size in use bound), writing the
// labels and dists buffers. Assign uses its own buffers; Finish uses the
// Stepper's, so the two never disturb each other. A pass of more than one
// dispatch is flushed after each, so that each reaches the GPU as a
// submission of its own (maxDispatchWork).
func (a *Assigner) assignPass(cent, labels, dists *buffer, k int) error {
	d := a.dev
	kern, p := a.plan(k)
	w := p.work(false)
	if err := d.ensure(&a.work, 4*w.words, gl.DYNAMIC_COPY); err != nil {
		return fmt.Errorf("split reduction: %w", err)
	}
	if p.splits > 1 {
		// The counters start at 0; the last group of each block resets
		// its own.
		gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT | gl.SHADER_STORAGE_BARRIER_BIT)
		gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, a.work.id)
		gl.ClearBufferSubData(gl.SHADER_STORAGE_BUFFER, gl.R32UI, 4*w.counters, 4*p.blocks, gl.RED_INTEGER, gl.UNSIGNED_INT, nil)
	}
	kp := &d.kernels[kern]
	gl.UseProgram(kp.assign)
	loc := &kp.aLoc
	passUniforms(loc, a, k, p, w)
	cent.bind(bindCentroids)
	a.work.bind(bindWork)
	for _, dp := range p.dispatches {
		s := a.lay.slabs[dp.slab]
		gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindTiles, a.tiles[dp.slab])
		gl.BindBufferRange(gl.SHADER_STORAGE_BUFFER, bindLabels, labels.id, s.outOffset, s.outSize)
		gl.BindBufferRange(gl.SHADER_STORAGE_BUFFER, bindDists, dists.id, s.outOffset, s.outSize)
		dispatchUniforms(loc, s, dp)
		err := d.dispatch(dp.groups, p.splits, -1, func() string {
			return fmt.Sprintf("rows %d..%d", s.first+dp.base, s.first+dp.base+dp.rows)
		})
		if err != nil {
			return err
		}
		if len(p.dispatches) > 1 {
			gl.Flush()
		}
	}
	return d.glErr(fmt.Sprintf("dispatch %d rows, k=%d", a.n, k))
}

// passUniforms sets the uniforms that hold for a whole pass.
func passUniforms(loc *uniforms, a *Assigner, k int, p pass, w workLayout) {
	gl.Uniform1ui(loc.d, uint32(a.dim))
	gl.Uniform1ui(loc.k, uint32(k))
	gl.Uniform1ui(loc.stride, uint32(a.lay.strideWords))
	gl.Uniform1ui(loc.blocks, uint32(p.blocks))
	gl.Uniform1ui(loc.splits, uint32(p.splits))
	gl.Uniform1ui(loc.span, uint32(p.span))
	gl.Uniform1ui(loc.partOff, uint32(w.parts))
	gl.Uniform1ui(loc.countOff, uint32(w.counters))
}

// dispatchUniforms sets the uniforms of one dispatch of a pass.
func dispatchUniforms(loc *uniforms, s slab, dp dispatch) {
	gl.Uniform1ui(loc.outBase, uint32(s.outBase))
	gl.Uniform1ui(loc.base, uint32(dp.base))
	gl.Uniform1ui(loc.n, uint32(dp.rows))
	gl.Uniform1ui(loc.blockBase, uint32(dp.blockBase))
}
