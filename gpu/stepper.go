//go:build cgo && !nogpu

package gpu

import (
	"errors"
	"fmt"
	"io"
	"unsafe"

	"github.com/go-gl/gl/v4.3-core/gl"

	"github.com/tilekmeans/tilekmeans/gpu/internal/shaders"
	"github.com/tilekmeans/tilekmeans/kmeans/driver"
)

// This file is the device Lloyd loop: an Assigner as a driver.Stepper. See
// package internal/shaders' documentation ("Host: the device Lloyd loop")
// for the design.

// Binding points of the loop beyond the assignment's four, as declared in
// internal/shaders/step.glsl, status.glsl and update.comp. The update
// passes take the relocation moves at binding 2, which they do not use for
// labels.
const (
	bindOwner  = 4
	bindSums   = 5
	bindCounts = 6
	bindStatus = bindWork
	bindMoves  = bindLabels
	// stepBlocks is how many storage blocks the Step programs declare:
	// exactly GL 4.3's minimum for compute shaders.
	stepBlocks = 8
)

// The passes of shaders.Update (uniform uPass).
const (
	passMeans          = 0 // every cluster's means (a relocation)
	passMove           = 1 // a run of moves: owners and counts
	passMoveSums       = 2 // a run of moves: the sums
	passIterationMeans = 3 // the means of an iteration's dirty clusters
)

// deviceLoop is one run's session of an Assigner's device Lloyd loop, the
// driver.Stepper that kmeans.Run drives (see Assigner.Stepper): the loop's
// methods, kept out of the Assigner's own method set. The loop's buffers
// belong to the Assigner, so it runs one session's run at a time: the
// session that starts a run owns the loop until Finish or Close; a Start
// from another session meanwhile fails with an error wrapping
// errors.ErrUnsupported, and kmeans.Run drives that run from the host over
// Assign (which serves any number of goroutines), with the same result.
type deviceLoop struct{ a *Assigner }

var (
	_ driver.Stepper = (*deviceLoop)(nil)
	_ io.Closer      = (*deviceLoop)(nil)
)

// stepper is a new session of a's device Lloyd loop (Assigner.Stepper).
func (a *Assigner) stepper() driver.Stepper { return &deviceLoop{a: a} }

// errLoopBusy: Start while another session owns the device loop.
var errLoopBusy = fmt.Errorf("the Assigner's device loop is running another run: %w", errors.ErrUnsupported)

// claim makes l the owner of the device loop, unless another session owns
// it (errLoopBusy).
func (l *deviceLoop) claim() error {
	a := l.a
	a.loopMu.Lock()
	defer a.loopMu.Unlock()
	if a.loopOwner != nil && a.loopOwner != l {
		return errLoopBusy
	}
	a.loopOwner = l
	return nil
}

// owner returns l's Assigner when l owns the device loop, else
// errNotStarted.
func (l *deviceLoop) owner() (*Assigner, error) {
	a := l.a
	a.loopMu.Lock()
	defer a.loopMu.Unlock()
	if a.loopOwner != l {
		return nil, errNotStarted
	}
	return a, nil
}

// Close implements io.Closer: it ends l's run, if it has one, so that
// another session may start. kmeans.Run closes every session it gets.
func (l *deviceLoop) Close() error {
	a := l.a
	a.loopMu.Lock()
	defer a.loopMu.Unlock()
	if a.loopOwner == l {
		a.loopOwner = nil
	}
	return nil
}

// errNotStarted: a Stepper method other than Start before a successful Start.
var errNotStarted = errors.New("no device run started (Start first)")

// stepState is the device Lloyd loop's part of an Assigner, on the device
// thread only. Its buffers are separate from Assign's (labels, dists,
// centroids), so plain Assign calls and a device run never disturb each
// other. They persist across runs: the per-row ones are made on the first
// Start, the others grow (never shrink) with what a run needs.
type stepState struct {
	k    int // clusters of the current run; 0 before a successful Start
	kern int // the run's kernel, index in shaders.Kernels and Device.kernels
	pass pass
	wl   workLayout
	// indirect holds the group counts of every dispatch of an iteration
	// (x, y, z), as a batch starts with them: the assignment's, then the
	// means pass's (set on the device by each iteration's last work
	// group); the iteration that halts a batch zeroes the x of each.
	indirect []uint32

	// Per row, n int32/float32 each, bound per slab like Assign's outputs.
	prev  buffer // labels of the last Step assignment (-1 after Start)
	owner buffer // cluster whose sums hold the row (-1 after Start)
	dists buffer // distances of the last assignment
	// status is the status block (statusHeader, StatusSlots statusSlot)
	// then wl.words scratch words.
	status buffer
	sums   buffer // k*D uint32 exact sums
	cent   buffer // k*D float32 centroids, feature-major, device-resident between iterations
	counts buffer // k uint32 rows per cluster, then k dirty flags
	moves  buffer // relocation moves: int32 triples (row in slab, target cluster, the cluster it leaves)
	rb     readback
}

// buildStep compiles the loop's programs (at Open). An error wrapping
// errors.ErrUnsupported means the driver cannot run the loop.
func (d *Device) buildStep() error {
	if d.info.MaxComputeSSBOs < stepBlocks {
		return fmt.Errorf("compute shaders may use %d storage blocks, the device loop needs %d: %w", d.info.MaxComputeSSBOs, stepBlocks, errors.ErrUnsupported)
	}
	for i := range d.kernels {
		kp := &d.kernels[i]
		prog, err := d.build(programName(programStep, kp.kernel))
		if err != nil {
			return err
		}
		kp.step, kp.sLoc = prog, locations(prog)
		if err := statusLayout(prog); err != nil {
			return fmt.Errorf("%s shader: %w", programName(programStep, kp.kernel), err)
		}
	}
	upd, err := d.build(programUpdate)
	if err != nil {
		return err
	}
	d.updProg, d.updLoc = upd, locations(upd)
	if err := statusLayout(upd); err != nil {
		return fmt.Errorf("%s shader: %w", programUpdate, err)
	}
	return d.glErr("build the device loop's shaders")
}

// statusLayout checks the status block's layout as the driver laid it out
// against the offsets the host decodes by (statusFields, from the Go
// structs that mirror status.glsl), so a change to status.glsl that the Go
// side missed is an error, not garbage stats.
func statusLayout(prog uint32) error {
	for _, v := range statusFields() {
		idx := gl.GetProgramResourceIndex(prog, gl.BUFFER_VARIABLE, gl.Str(v.name+"\x00"))
		if idx == gl.INVALID_INDEX {
			return fmt.Errorf("status block: no %s", v.name)
		}
		props := [3]uint32{gl.OFFSET, gl.TOP_LEVEL_ARRAY_STRIDE, gl.ARRAY_STRIDE}
		var got [3]int32
		gl.GetProgramResourceiv(prog, gl.BUFFER_VARIABLE, idx, 3, &props[0], 3, nil, &got[0])
		if int(got[0]) != v.offset || v.topStride >= 0 && int(got[1]) != v.topStride || v.array >= 0 && int(got[2]) != v.array {
			return fmt.Errorf("status block: %s at byte %d (strides %d, %d), the host reads it at %d (strides %d, %d)", v.name, got[0], got[1], got[2], v.offset, v.topStride, v.array)
		}
	}
	return nil
}

// ready says why the Assigner cannot run GL work, or nil.
func (a *Assigner) ready() error {
	if a.freed {
		return ErrClosed
	}
	return a.dev.lost
}

// Start implements driver.Stepper: it uploads the k centroids and resets
// the labels, owners, sums and counts. The tiles stay where NewAssigner put
// them, for every k. An Assigner holds one device run at a time: Start
// abandons the previous one.
//
// When the device loop cannot run here, Start fails with an error that
// wraps errors.ErrUnsupported, and the Assigner still assigns: more than
// maxStepRows rows, or a driver with fewer than 8 storage blocks per
// compute shader or too small a block for the status.
func (l *deviceLoop) Start(k int, centroids []float32) error {
	a := l.a
	if k < 1 || len(centroids) < k*a.dim {
		return fmt.Errorf("gpu: start: %d centroid values for k=%d and %d features", len(centroids), k, a.dim)
	}
	if err := l.claim(); err != nil {
		return fmt.Errorf("gpu: start: %w", err)
	}
	if err := a.dev.do(func() error { return a.start(k, centroids[:k*a.dim]) }); err != nil {
		return fmt.Errorf("gpu: start: %w", err)
	}
	return nil
}

// maxStepRows is the most rows the device Lloyd loop takes (16,843,009):
// its cluster sums are exact uint32, and 255 * maxStepRows == 2^32 - 1.
// Start refuses more with an error that wraps errors.ErrUnsupported, the
// sign for package kmeans to run the host loop (GPU assignment, host
// update) instead; Assign has no such limit.
const maxStepRows = (1<<32 - 1) / 255

// stepRowLimit is maxStepRows, or the test hook's lower limit.
func (d *Device) stepRowLimit() int {
	if h := d.hooks.MaxStepRows; h > 0 && h < maxStepRows {
		return h
	}
	return maxStepRows
}

func (a *Assigner) start(k int, cent []float32) error {
	if err := a.ready(); err != nil {
		return err
	}
	d, st := a.dev, &a.st
	st.k = 0
	if limit := d.stepRowLimit(); a.n > limit {
		return fmt.Errorf("%d rows: the device loop's exact uint32 cluster sums hold at most %d rows of uint8 features: %w", a.n, limit, errors.ErrUnsupported)
	}
	if need := int64(4 * len(cent)); need > d.info.MaxSSBOBlockSize {
		return fmt.Errorf("%d centroids of %d features (%d bytes) exceed the shader storage block limit of %d bytes", k, a.dim, need, d.info.MaxSSBOBlockSize)
	}
	if d.stepErr != nil {
		return d.stepErr
	}
	st.kern, st.pass = a.plan(k)
	st.wl = st.pass.work(true)
	st.indirect = st.indirect[:0]
	for _, dp := range st.pass.dispatches {
		st.indirect = append(st.indirect, uint32(dp.groups), uint32(st.pass.splits), 1)
	}
	st.indirect = append(st.indirect, 0, 1, 1) // the means pass
	if err := a.allocStep(k); err != nil {
		a.freeStep()
		return err
	}
	// Earlier shader writes to these buffers land before the clears.
	gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT | gl.SHADER_STORAGE_BARRIER_BIT)
	minusOne := int32(-1)
	for _, b := range []*buffer{&st.prev, &st.owner} {
		gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, b.id)
		gl.ClearBufferSubData(gl.SHADER_STORAGE_BUFFER, gl.R32I, 0, b.size, gl.RED_INTEGER, gl.INT, unsafe.Pointer(&minusOne))
	}
	// Sums, counts and dirty flags, the status and the counters of the
	// split reduction start at 0.
	for _, b := range []*buffer{&st.sums, &st.counts, &st.status} {
		gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, b.id)
		gl.ClearBufferSubData(gl.SHADER_STORAGE_BUFFER, gl.R32UI, 0, b.size, gl.RED_INTEGER, gl.UNSIGNED_INT, nil)
	}
	ct := featureMajor(cent, k, a.dim)
	st.cent.write(unsafe.Pointer(&ct[0]), 4*len(ct))
	if err := d.glErr("reset the device loop's buffers"); err != nil {
		return err
	}
	st.k = k
	return nil
}

// allocStep makes the per-row buffers and the status readback on the
// first Start and sizes the others for k and the pass. On error the caller
// frees every step buffer.
func (a *Assigner) allocStep(k int) error {
	d, st := a.dev, &a.st
	statusBytes := shaders.StatusWork + 4*st.wl.words
	if int64(statusBytes) > d.info.MaxSSBOBlockSize {
		return fmt.Errorf("status block of %d bytes for %d tile blocks exceeds the shader storage block limit of %d bytes: %w", statusBytes, st.pass.blocks, d.info.MaxSSBOBlockSize, errors.ErrUnsupported)
	}
	if st.prev.id == 0 {
		for _, b := range []struct {
			b    *buffer
			size int
			what string
		}{
			{&st.prev, 4 * a.n, "labels"},
			{&st.owner, 4 * a.n, "owners"},
			{&st.dists, 4 * a.n, "distances"},
		} {
			if err := d.ensure(b.b, b.size, gl.DYNAMIC_COPY); err != nil {
				return fmt.Errorf("device loop %s: %w", b.what, err)
			}
		}
		if err := d.allocReadback(&st.rb, shaders.StatusWork); err != nil {
			return fmt.Errorf("device loop status readback: %w", err)
		}
	}
	kd := k * a.dim
	for _, b := range []struct {
		b    *buffer
		size int
		what string
	}{
		{&st.status, statusBytes, "status"},
		{&st.sums, 4 * kd, "cluster sums"},
		{&st.cent, 4 * kd, "device centroids"},
		{&st.counts, 8 * k, "cluster counts"},
	} {
		if err := d.ensure(b.b, b.size, gl.DYNAMIC_COPY); err != nil {
			return fmt.Errorf("%s: %w", b.what, err)
		}
	}
	return nil
}

// freeStep deletes the loop's buffers; idempotent, device thread only.
func (a *Assigner) freeStep() {
	d, st := a.dev, &a.st
	for _, b := range []*buffer{&st.prev, &st.owner, &st.dists, &st.status, &st.sums, &st.cent, &st.counts, &st.moves} {
		d.release(b)
	}
	d.freeReadback(&st.rb)
	*st = stepState{}
}

// Step implements driver.Stepper. Each iteration is one indirect dispatch
// of the step program per planned dispatch of the pass (one, unless the
// data needs several slabs or more work than maxDispatchWork) and one of
// the means pass, separated by barriers; nothing is read back until the
// batch ends, when a copy of the status block (a few words per iteration)
// fills stats.
func (l *deviceLoop) Step(stats []driver.StepStat, stopAtFixedPoint bool) (int, error) {
	a, err := l.owner()
	if err != nil {
		return 0, fmt.Errorf("gpu: step: %w", err)
	}
	if len(stats) == 0 {
		return 0, nil
	}
	var ran int
	err = a.dev.do(func() error {
		var err error
		ran, err = a.step(stats, stopAtFixedPoint)
		return err
	})
	if err != nil {
		return ran, fmt.Errorf("gpu: step: %w", err)
	}
	return ran, nil
}

func (a *Assigner) step(stats []driver.StepStat, stop bool) (int, error) {
	if err := a.ready(); err != nil {
		return 0, err
	}
	if a.st.k == 0 {
		return 0, errNotStarted
	}
	done := 0
	for done < len(stats) {
		m := min(len(stats)-done, shaders.StatusSlots)
		ran, halted, err := a.batch(stats[done:done+m], stop)
		done += ran
		if err != nil || halted {
			return done, err
		}
	}
	return done, nil
}

// batch runs up to len(stats) <= StatusSlots iterations with one status
// readback, and reports how many ran and whether the run halted (an empty
// cluster, or a fixed point under stop).
func (a *Assigner) batch(stats []driver.StepStat, stop bool) (ran int, halted bool, err error) {
	d, st := a.dev, &a.st
	k, m := st.k, len(stats)
	p, wl := &st.pass, st.wl
	// The previous batch's writes to the status land before the clear of
	// its header and slots and the reset of the dispatch parameters.
	gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT | gl.SHADER_STORAGE_BARRIER_BIT | gl.COMMAND_BARRIER_BIT)
	head := shaders.StatusHeaderBytes + m*shaders.StatusSlotBytes
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, st.status.id)
	gl.ClearBufferSubData(gl.SHADER_STORAGE_BUFFER, gl.R32UI, 0, head, gl.RED_INTEGER, gl.UNSIGNED_INT, nil)
	indirect := shaders.StatusWork + 4*wl.indirect
	gl.BufferSubData(gl.SHADER_STORAGE_BUFFER, indirect, 4*len(st.indirect), unsafe.Pointer(&st.indirect[0]))
	gl.BindBuffer(gl.DISPATCH_INDIRECT_BUFFER, st.status.id)
	a.bindClusters()
	stopFlag := uint32(0)
	if stop {
		stopFlag = 1
	}
	kp := &d.kernels[st.kern]
	for _, u := range []struct {
		prog uint32
		loc  *uniforms
	}{{kp.step, &kp.sLoc}, {d.updProg, &d.updLoc}} {
		gl.UseProgram(u.prog)
		passUniforms(u.loc, a, k, *p, wl)
		gl.Uniform1ui(u.loc.stop, stopFlag)
		gl.Uniform1ui(u.loc.dispatches, uint32(len(p.dispatches)+1))
		gl.Uniform1ui(u.loc.indirectOff, uint32(wl.indirect))
		gl.Uniform1ui(u.loc.listOff, uint32(wl.list))
	}
	gl.Uniform1ui(d.updLoc.pass, passIterationMeans)
	gl.UseProgram(kp.step)
	gl.Uniform1ui(kp.sLoc.groups, uint32(p.blocks*p.splits))
	gl.Uniform1ui(kp.sLoc.inertiaOff, uint32(wl.inertia))
	gl.Uniform1ui(kp.sLoc.maxGroups, uint32(a.maxGroups))
	for it := range m {
		if err := a.iteration(it, indirect); err != nil {
			return 0, false, fmt.Errorf("iteration %d of a batch of %d: %w", it+1, m, err)
		}
	}
	if err := d.glErr(fmt.Sprintf("%d iterations of %d rows, k=%d", m, a.n, k)); err != nil {
		return 0, false, err
	}
	slots := make([]statusSlot, m)
	hdr, err := a.readStatus(slots)
	if err != nil {
		return 0, false, err
	}
	halted = hdr.Halted != 0
	for it, s := range slots {
		if s.Ran == 0 {
			return ran, true, nil // halted before this iteration
		}
		stats[it] = driver.StepStat{
			Changed: int(s.Changed),
			Empty:   s.Empty != 0,
			Moved:   s.Moved != 0,
			Inertia: s.inertia(),
		}
		ran++
		if stats[it].Empty || stop && !stats[it].Moved {
			return ran, true, nil
		}
	}
	return ran, halted, nil
}

// iteration issues the dispatches of one iteration (slot it): the
// assignment's, then the means pass, each with the group counts at its
// place in the indirect parameters (a halted batch has zeroed them:
// nothing runs), and the barriers that make each one's writes, the
// parameters included, visible to the next.
func (a *Assigner) iteration(it int, indirect int) error {
	d, st := a.dev, &a.st
	p := &st.pass
	kp := &d.kernels[st.kern]
	gl.UseProgram(kp.step)
	gl.Uniform1ui(kp.sLoc.iter, uint32(it))
	for di, dp := range p.dispatches {
		s := a.lay.slabs[dp.slab]
		a.bindRows(dp.slab, s)
		dispatchUniforms(&kp.sLoc, s, dp)
		err := d.dispatch(0, 0, indirect+12*di, func() string {
			return fmt.Sprintf("step rows %d..%d", s.first+dp.base, s.first+dp.base+dp.rows)
		})
		if err != nil {
			return err
		}
		if len(p.dispatches) > 1 {
			gl.Flush()
		}
	}
	gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT | gl.COMMAND_BARRIER_BIT)
	gl.UseProgram(d.updProg)
	gl.Uniform1ui(d.updLoc.iter, uint32(it))
	if err := d.dispatch(0, 0, indirect+12*len(p.dispatches), func() string { return "means" }); err != nil {
		return err
	}
	gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT | gl.COMMAND_BARRIER_BIT)
	return nil
}

// meansPass dispatches the Update program's means pass over the k*D
// centroid values (every cluster's), split by the work group count limit
// (the Update program is current).
func (a *Assigner) meansPass() error {
	d := a.dev
	total := a.st.k * a.dim
	gs := shaders.GroupSize
	per := a.maxGroups * gs
	gl.Uniform1ui(d.updLoc.pass, passMeans)
	gl.Uniform1ui(d.updLoc.n, uint32(total))
	for base := 0; base < total; base += per {
		gl.Uniform1ui(d.updLoc.base, uint32(base))
		cnt := min(per, total-base)
		if err := d.dispatch((cnt+gs-1)/gs, 1, -1, func() string { return fmt.Sprintf("means %d..%d", base, base+cnt) }); err != nil {
			return err
		}
	}
	return nil
}

// readStatus reads the status header and the first len(slots) slots back,
// through the readback's mapped buffer.
func (a *Assigner) readStatus(slots []statusSlot) (statusHeader, error) {
	d, st := a.dev, &a.st
	buf := make([]byte, shaders.StatusHeaderBytes+len(slots)*shaders.StatusSlotBytes)
	r, err := d.startReadback(&st.rb, st.status.id, len(buf))
	if err != nil {
		return statusHeader{}, err
	}
	if err := d.waitReadback(&st.rb, r, buf); err != nil {
		return statusHeader{}, err
	}
	return decodeStatus(buf, slots)
}

// bindClusters binds the per-cluster buffers and the status, each as large
// as the run's k uses.
func (a *Assigner) bindClusters() {
	st := &a.st
	st.cent.bind(bindCentroids)
	st.sums.bind(bindSums)
	st.counts.bind(bindCounts)
	st.status.bind(bindStatus)
}

// bindRows binds slab si's tiles and the ranges of the per-row buffers
// that cover it, as Assign binds its outputs.
func (a *Assigner) bindRows(si int, s slab) {
	st := &a.st
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindTiles, a.tiles[si])
	gl.BindBufferRange(gl.SHADER_STORAGE_BUFFER, bindLabels, st.prev.id, s.outOffset, s.outSize)
	gl.BindBufferRange(gl.SHADER_STORAGE_BUFFER, bindDists, st.dists.id, s.outOffset, s.outSize)
	gl.BindBufferRange(gl.SHADER_STORAGE_BUFFER, bindOwner, st.owner.id, s.outOffset, s.outSize)
}

// read copies len(dst) bytes at offset of buffer b into dst, after the
// barrier that makes shader writes visible to glGetBufferSubData.
func (a *Assigner) read(b *buffer, offset int, dst []byte) {
	if len(dst) == 0 {
		return
	}
	gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT)
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, b.id)
	gl.GetBufferSubData(gl.SHADER_STORAGE_BUFFER, offset, len(dst), unsafe.Pointer(&dst[0]))
}

// read32 reads len(dst) 32-bit values (int32, uint32 or float32) from the
// start of buffer b.
func read32[T int32 | uint32 | float32](a *Assigner, b *buffer, dst []T) {
	if len(dst) == 0 {
		return
	}
	a.read(b, 0, unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), 4*len(dst)))
}

// State implements driver.Stepper.
func (l *deviceLoop) State(owner []int32, dists []float32, counts []int) error {
	a, err := l.owner()
	if err != nil {
		return fmt.Errorf("gpu: state: %w", err)
	}
	if len(owner) < a.n || len(dists) < a.n {
		return fmt.Errorf("gpu: state: owner and distance slices shorter than %d rows", a.n)
	}
	err = a.dev.do(func() error {
		if err := a.ready(); err != nil {
			return err
		}
		k := a.st.k
		if k == 0 {
			return errNotStarted
		}
		if len(counts) < k {
			return fmt.Errorf("%d counts for k=%d", len(counts), k)
		}
		c := make([]uint32, k)
		read32(a, &a.st.owner, owner[:a.n])
		read32(a, &a.st.dists, dists[:a.n])
		read32(a, &a.st.counts, c)
		for i, v := range c {
			counts[i] = int(v)
		}
		return a.dev.glErr("read back owners, distances and counts")
	})
	if err != nil {
		return fmt.Errorf("gpu: state: %w", err)
	}
	return nil
}

// Move implements driver.Stepper: the moves go up as (row in its slab,
// target cluster, cluster left) triples; per run of moves within a slab,
// one dispatch applies the owners and counts in order and a second moves
// every feature's sums; then the means pass recomputes every cluster's
// centroid and the dirty flags are cleared (every mean is now current).
func (l *deviceLoop) Move(rows []int, to []int32) (bool, error) {
	a, err := l.owner()
	if err != nil {
		return false, fmt.Errorf("gpu: move: %w", err)
	}
	if len(rows) != len(to) {
		return false, fmt.Errorf("gpu: move: %d rows for %d targets", len(rows), len(to))
	}
	var moved bool
	err = a.dev.do(func() error {
		var err error
		moved, err = a.move(rows, to)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("gpu: move: %w", err)
	}
	return moved, nil
}

func (a *Assigner) move(rows []int, to []int32) (bool, error) {
	if err := a.ready(); err != nil {
		return false, err
	}
	d, st := a.dev, &a.st
	if st.k == 0 {
		return false, errNotStarted
	}
	// Triples (row in its slab, target, and the cluster it leaves, which
	// the move pass fills in).
	moves := make([]int32, 3*len(rows))
	for i, r := range rows {
		if r < 0 || r >= a.n || to[i] < 0 || int(to[i]) >= st.k {
			return false, fmt.Errorf("move %d: row %d to cluster %d, want a row below %d and a cluster below %d", i, r, to[i], a.n, st.k)
		}
		moves[3*i] = int32(r % a.lay.rowsPerSlab) // slab r/rowsPerSlab starts there
		moves[3*i+1] = to[i]
	}
	gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT | gl.SHADER_STORAGE_BARRIER_BIT)
	if len(rows) > 0 {
		if err := d.ensure(&st.moves, 4*len(moves), gl.DYNAMIC_DRAW); err != nil {
			return false, fmt.Errorf("relocation moves: %w", err)
		}
		st.moves.write(unsafe.Pointer(&moves[0]), 4*len(moves))
	}
	head := shaders.StatusHeaderBytes + shaders.StatusSlotBytes
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, st.status.id)
	gl.ClearBufferSubData(gl.SHADER_STORAGE_BUFFER, gl.R32UI, 0, head, gl.RED_INTEGER, gl.UNSIGNED_INT, nil)
	a.bindClusters()
	gl.UseProgram(d.updProg)
	gl.Uniform1ui(d.updLoc.d, uint32(a.dim))
	gl.Uniform1ui(d.updLoc.k, uint32(st.k))
	gl.Uniform1ui(d.updLoc.stride, uint32(a.lay.strideWords))
	gl.Uniform1ui(d.updLoc.iter, 0)
	for i := 0; i < len(rows); {
		si := rows[i] / a.lay.rowsPerSlab
		j := i + 1
		for j < len(rows) && rows[j]/a.lay.rowsPerSlab == si {
			j++
		}
		s := a.lay.slabs[si]
		a.bindRows(si, s)
		st.moves.bind(bindMoves)
		gl.Uniform1ui(d.updLoc.outBase, uint32(s.outBase))
		gl.Uniform1ui(d.updLoc.base, uint32(i))
		gl.Uniform1ui(d.updLoc.n, uint32(j-i))
		// Owners and counts in order, then every feature of every move
		// at once.
		gl.Uniform1ui(d.updLoc.pass, passMove)
		if err := d.dispatch(1, 1, -1, func() string { return fmt.Sprintf("move rows %v", rows[i:j]) }); err != nil {
			return false, err
		}
		gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
		gl.Uniform1ui(d.updLoc.pass, passMoveSums)
		groups := ((j-i)*a.dim + shaders.GroupSize - 1) / shaders.GroupSize
		x := min(groups, a.maxGroups)
		if err := d.dispatch(x, (groups+x-1)/x, -1, func() string { return fmt.Sprintf("move the sums of rows %v", rows[i:j]) }); err != nil {
			return false, err
		}
		gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
		i = j
	}
	// No empty check: a cluster may stay empty (driver.Stepper.Move), and
	// the means pass keeps its centroid.
	if err := a.meansPass(); err != nil {
		return false, err
	}
	// Every mean is current now: no cluster is dirty.
	gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT | gl.SHADER_STORAGE_BARRIER_BIT)
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, st.counts.id)
	gl.ClearBufferSubData(gl.SHADER_STORAGE_BUFFER, gl.R32UI, 4*st.k, 4*st.k, gl.RED_INTEGER, gl.UNSIGNED_INT, nil)
	if err := d.glErr(fmt.Sprintf("move %d rows", len(rows))); err != nil {
		return false, err
	}
	var slot [1]statusSlot
	if _, err := a.readStatus(slot[:]); err != nil {
		return false, err
	}
	return slot[0].Moved != 0, nil
}

// Finish implements driver.Stepper; once it succeeds, the session's run
// has ended and the loop is free for another.
func (l *deviceLoop) Finish(reassign bool, labels []int32, dists []float32, sums []uint64, counts []int, centroids []float32) error {
	a, err := l.owner()
	if err != nil {
		return fmt.Errorf("gpu: finish: %w", err)
	}
	if len(labels) < a.n || len(dists) < a.n {
		return fmt.Errorf("gpu: finish: label and distance slices shorter than %d rows", a.n)
	}
	err = a.dev.do(func() error {
		if err := a.ready(); err != nil {
			return err
		}
		d, st := a.dev, &a.st
		k := st.k
		if k == 0 {
			return errNotStarted
		}
		kd := k * a.dim
		if len(sums) < kd || len(counts) < k || len(centroids) < kd {
			return fmt.Errorf("%d sums, %d counts, %d centroid values for k=%d and %d features", len(sums), len(counts), len(centroids), k, a.dim)
		}
		if reassign {
			// The plain assignment, into the loop's labels and distances:
			// the sums keep the last update, as on the host.
			gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
			if err := a.assignPass(&st.cent, &st.prev, &st.dists, k); err != nil {
				return err
			}
		}
		s32 := make([]uint32, kd+k)
		ct := make([]float32, kd)
		read32(a, &st.prev, labels[:a.n])
		read32(a, &st.dists, dists[:a.n])
		read32(a, &st.sums, s32[:kd])
		read32(a, &st.counts, s32[kd:])
		read32(a, &st.cent, ct)
		rowMajor(centroids[:kd], ct, k, a.dim)
		for i, v := range s32[:kd] {
			sums[i] = uint64(v)
		}
		for i, v := range s32[kd:] {
			counts[i] = int(v)
		}
		return d.glErr("read back the run's results")
	})
	if err != nil {
		return fmt.Errorf("gpu: finish: %w", err)
	}
	return l.Close()
}
