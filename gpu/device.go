//go:build cgo && !nogpu

package gpu

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/go-gl/gl/v4.3-core/gl"

	"github.com/tilekmeans/tilekmeans/gpu/internal/shaders"
	"github.com/tilekmeans/tilekmeans/internal/glenv"
	"github.com/tilekmeans/tilekmeans/internal/gpuhooks"
)

// glContext is a context made current on the device thread by GLFW or EGL.
type glContext interface {
	kind() string       // glenv.ContextGLFW or glenv.ContextEGL
	describe() string   // for Info.Platform
	robust() bool       // made with lose-context-on-reset notification
	device() *EGLDevice // the EGL device, or nil
	procAddr(name string) unsafe.Pointer
	release() error // make not current and destroy, on the device thread
}

func makeContext(kind string, major, minor int, dev glenv.Choice) (glContext, error) {
	switch kind {
	case glenv.ContextGLFW:
		return openGLFW(major, minor)
	case glenv.ContextEGL:
		return openEGL(major, minor, dev)
	}
	return nil, fmt.Errorf("unknown context kind %q", kind)
}

// glFuncs guards go-gl's function table. go-gl/gl keeps one process-wide
// table of function pointers, filled by InitWithProcAddrFunc; refilling it
// while another Device's thread calls through it would be a data race. It
// is filled once, from the first context made. That is sound on Linux,
// where GLX and EGL both hand out libglvnd (or Mesa glapi) dispatch stubs
// that route each call to the context current on the calling thread, the
// same for every context and vendor.
var glFuncs struct {
	sync.Mutex
	loaded bool
}

func loadGL(c glContext) error {
	glFuncs.Lock()
	defer glFuncs.Unlock()
	if glFuncs.loaded {
		return nil
	}
	if err := gl.InitWithProcAddrFunc(c.procAddr); err != nil {
		return fmt.Errorf("load OpenGL 4.3 functions: %s is missing", err)
	}
	glFuncs.loaded = true
	return nil
}

// device is a Device of this build: an OpenGL context with the shaders
// built, owned by one OS thread (run). Device's methods hand closures to
// that thread and wait (do).
type device struct {
	info  Info
	calls chan call
	done  chan struct{} // closed when the thread has exited

	closeOnce sync.Once
	closeErr  error

	// Everything below belongs to the device thread.
	hooks       gpuhooks.Hooks
	choice      glenv.Choice
	allow       bool // Options.AllowMismatch
	ctx         glContext
	glReady     bool            // GL functions loaded and a context current
	kernels     []kernelProgram // per shaders.Kernels
	resetStatus func() uint32   // nil when the context cannot report resets
	lost        error           // set once the context is lost; sticky
	dispatches  int             // dispatches issued outside the canary, for the fault hook
	inCanary    bool            // the parity canary is running: its dispatches do not count
	buffers     int             // live buffer objects, for release tests
	assigners   map[*Assigner]struct{}
	quit        bool

	// The device Lloyd loop's update program (the step programs are in
	// kernels), built at Open with the others so that the canary proves
	// them too. stepErr says why the loop cannot run here (wrapping
	// errors.ErrUnsupported), or is nil.
	updProg uint32
	updLoc  uniforms
	stepErr error
	// persistent says whether status readbacks go through a persistently
	// mapped buffer (GL 4.4 or ARB_buffer_storage, and not disabled by the
	// test hook).
	persistent bool
	// silProg is the silhouette's sums program (pairs.go), built on its
	// first use, silLoc its uniforms and silErr its probe's result.
	silProg uint32
	silLoc  silUniforms
	silErr  error
}

// kernelProgram is one kernel blocking's programs: the assignment, and the
// device Lloyd iteration (0 when the loop cannot run here).
type kernelProgram struct {
	kernel     shaders.Kernel
	assign     uint32
	step       uint32
	aLoc, sLoc uniforms
}

// uniforms are the uniform locations of a program (-1 where it lacks one;
// glUniform ignores -1).
type uniforms struct {
	n, d, k, stride, base, outBase                          int32
	blockBase, blocks, splits, span, partOff, countOff      int32
	iter, stop, groups, dispatches, indirectOff, inertiaOff int32
	listOff, maxGroups, pass                                int32
}

func locations(p uint32) uniforms {
	loc := func(name string) int32 { return gl.GetUniformLocation(p, gl.Str(name+"\x00")) }
	return uniforms{
		n: loc("uN"), d: loc("uD"), k: loc("uK"), stride: loc("uStride"), base: loc("uBase"), outBase: loc("uOutBase"),
		blockBase: loc("uBlockBase"), blocks: loc("uBlocks"), splits: loc("uSplits"), span: loc("uSplitSpan"),
		partOff: loc("uPartOff"), countOff: loc("uCountOff"),
		iter: loc("uIter"), stop: loc("uStop"), groups: loc("uGroups"), dispatches: loc("uDispatches"),
		indirectOff: loc("uIndirectOff"), inertiaOff: loc("uInertiaOff"), listOff: loc("uListOff"),
		maxGroups: loc("uMaxGroups"), pass: loc("uPass"),
	}
}

type call struct {
	f    func() error
	errc chan error
}

// open makes the context on a new device thread, trying the context kinds
// in order, builds the shaders and runs the parity canary (Open).
func open(order []string, choice glenv.Choice, allowMismatch bool, hooks *gpuhooks.Hooks) (*Device, error) {
	d := &Device{device{
		calls:     make(chan call),
		done:      make(chan struct{}),
		assigners: map[*Assigner]struct{}{},
		choice:    choice,
		allow:     allowMismatch,
	}}
	if hooks != nil {
		d.hooks = *hooks
	}
	if err := d.start(func() error { return d.setup(order, true) }); err != nil {
		return nil, err
	}
	return d, nil
}

// start runs the device thread and waits for setup. On failure the thread
// has already released whatever setup made, and exited.
func (d *Device) start(setup func() error) error {
	ready := make(chan error, 1)
	go d.run(setup, ready)
	if err := <-ready; err != nil {
		<-d.done
		return err
	}
	return nil
}

// run is the device thread. A context is current on exactly one thread, and
// GLFW and go-gl assume the calling thread stays the same, so the goroutine
// is locked to its OS thread and never unlocked: when it returns, Go ends
// the thread, and the thread-local GL/EGL state goes with it.
func (d *Device) run(setup func() error, ready chan<- error) {
	runtime.LockOSThread()
	defer close(d.done)
	if err := protect(setup); err != nil {
		if rerr := d.teardown(); rerr != nil {
			err = fmt.Errorf("%w (and releasing: %v)", err, rerr)
		}
		ready <- err
		return
	}
	ready <- nil
	for !d.quit {
		c := <-d.calls
		c.errc <- protect(c.f)
	}
}

// protect turns a panic on the device thread into an error, so a bug (or a
// library that panics, as go-gl/glfw does on some errors) cannot leave a
// caller waiting forever or take the process down.
func protect(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error on the device thread: %v", r)
		}
	}()
	return f()
}

// do runs f on the device thread and returns its error, or ErrClosed when
// the device is closed.
func (d *Device) do(f func() error) error {
	if d == nil {
		return ErrClosed
	}
	c := call{f: f, errc: make(chan error, 1)}
	select {
	case d.calls <- c:
		return <-c.errc
	case <-d.done:
		return ErrClosed
	}
}

// close releases everything on the device thread, once (Device.Close).
func (d *Device) close() error {
	d.closeOnce.Do(func() {
		err := d.do(d.teardown)
		if err != nil && !errors.Is(err, ErrClosed) {
			d.closeErr = fmt.Errorf("gpu: close: %w", err)
		}
	})
	return d.closeErr
}

// teardown releases everything the thread holds and makes the loop exit.
// It runs on every exit path (setup failure, Close), so it copes with any
// partial state. GL deletes are valid even on a lost context.
func (d *Device) teardown() error {
	d.quit = true
	var errs []error
	if d.glReady {
		for a := range d.assigners {
			a.free()
		}
		for i := range d.kernels {
			deleteProgram(&d.kernels[i].assign)
			deleteProgram(&d.kernels[i].step)
		}
		d.kernels = nil
		deleteProgram(&d.updProg)
		deleteProgram(&d.silProg)
		d.glReady = false
	}
	if d.ctx != nil {
		if err := d.ctx.release(); err != nil {
			errs = append(errs, err)
		}
		d.ctx = nil
	}
	return errors.Join(errs...)
}

// setup makes the context on the device thread, trying the kinds in order,
// then reads its limits and, when withProgram, builds the shaders and runs
// the parity canary.
func (d *Device) setup(order []string, withProgram bool) error {
	var errs []error
	for _, kind := range order {
		ctx, err := openAtLeast43(kind, d.choice)
		if err == nil {
			d.ctx = ctx
			break
		}
		errs = append(errs, err)
		if errors.Is(err, ErrVersion) {
			// The kind works but is too old: that is the answer, not a
			// reason to try the next kind silently.
			break
		}
	}
	if d.ctx == nil {
		if len(errs) == 1 {
			return errs[0]
		}
		return fmt.Errorf("%w; then %w", errs[0], errs[1])
	}
	if err := loadGL(d.ctx); err != nil {
		return fmt.Errorf("%s: %w", d.ctx.kind(), err)
	}
	d.glReady = true
	if err := d.readInfo(); err != nil {
		return fmt.Errorf("%s: %w", d.ctx.kind(), err)
	}
	if !withProgram {
		return nil
	}
	if err := d.buildPrograms(); err != nil {
		return fmt.Errorf("%s: %w", d.ctx.kind(), err)
	}
	c, err := d.runCanary()
	if err != nil {
		return fmt.Errorf("%s: %w", d.ctx.kind(), err)
	}
	d.info.Canary = c
	if !c.Passed && !d.allow {
		return fmt.Errorf("%s: %w", d.ctx.kind(), &ParityError{Canary: c})
	}
	return nil
}

// buildPrograms builds the assignment programs and, where the driver
// allows it, the device loop's (else stepErr says why not).
func (d *Device) buildPrograms() error {
	for _, k := range shaders.Kernels {
		prog, err := d.build(programName(programAssign, k))
		if err != nil {
			return err
		}
		d.kernels = append(d.kernels, kernelProgram{kernel: k, assign: prog, aLoc: locations(prog)})
	}
	if err := d.glErr("build shader"); err != nil {
		return err
	}
	if err := d.buildStep(); err != nil {
		if !errors.Is(err, errors.ErrUnsupported) {
			return err
		}
		d.stepErr = err
	}
	return nil
}

// livePrograms counts the program objects the Device holds, for release
// tests.
func (d *Device) livePrograms() int {
	n := 0
	for _, k := range d.kernels {
		if k.assign != 0 {
			n++
		}
		if k.step != 0 {
			n++
		}
	}
	if d.updProg != 0 {
		n++
	}
	if d.silProg != 0 {
		n++
	}
	return n
}

func deleteProgram(p *uint32) {
	if *p != 0 {
		gl.DeleteProgram(*p)
		*p = 0
	}
}

// build compiles and links program name, from its source as the test hook
// leaves it.
func (d *Device) build(name string) (uint32, error) {
	src := programSource(name)
	if d.hooks.Source != nil {
		src = d.hooks.Source(name, src)
	}
	prog, err := newProgram(src)
	if err != nil {
		return 0, fmt.Errorf("%s shader: %w", name, err)
	}
	return prog, nil
}

// openAtLeast43 asks for a 4.3 core context. When the driver refuses that
// version, it asks for any context to tell what the driver offers: a
// compatibility context of 4.3 or more is used (compute shaders are there
// too), anything older is an ErrVersion that names the version.
func openAtLeast43(kind string, dev glenv.Choice) (glContext, error) {
	ctx, err := makeContext(kind, 4, 3, dev)
	if err == nil || !errors.Is(err, errVersionRefused) {
		return ctx, err
	}
	anyCtx, anyErr := makeContext(kind, 0, 0, dev)
	if anyErr != nil {
		return nil, fmt.Errorf("%w: %w", ErrVersion, err)
	}
	if lerr := loadGL(anyCtx); lerr != nil {
		return nil, errors.Join(fmt.Errorf("%w: %w", ErrVersion, err), lerr, anyCtx.release())
	}
	version := glString(gl.VERSION)
	renderer := glString(gl.RENDERER)
	if maj, min := parseGLVersion(version); maj > 4 || maj == 4 && min >= 3 {
		return anyCtx, nil
	}
	if rerr := anyCtx.release(); rerr != nil {
		return nil, fmt.Errorf("%s: driver offers OpenGL %s (%s): %w (and releasing: %v)", kind, version, renderer, ErrVersion, rerr)
	}
	return nil, fmt.Errorf("%s: driver offers OpenGL %s (%s), below 4.3: %w", kind, version, renderer, ErrVersion)
}

func glString(name uint32) string {
	if p := gl.GetString(name); p != nil {
		return gl.GoStr(p)
	}
	return ""
}

// parseGLVersion reads "major.minor" at the start of GL_VERSION
// ("4.5 (Core Profile) Mesa 22.3.6", "4.6.0 NVIDIA 550.54").
func parseGLVersion(s string) (major, minor int) {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == ' ' })
	if len(f) < 2 {
		return 0, 0
	}
	major, _ = strconv.Atoi(f[0])
	minor, _ = strconv.Atoi(f[1])
	return major, minor
}

// readInfo fills d.info and checks the version and the limits the shader
// needs.
func (d *Device) readInfo() error {
	in := &d.info
	in.Context = d.ctx.kind()
	in.Platform = d.ctx.describe()
	in.Device = d.ctx.device()
	in.Renderer = glString(gl.RENDERER)
	in.Software = softwareRenderer(in.Renderer)
	in.Vendor = glString(gl.VENDOR)
	in.Version = glString(gl.VERSION)
	in.GLSLVersion = glString(gl.SHADING_LANGUAGE_VERSION)
	in.Major, in.Minor = parseGLVersion(in.Version)
	in.WorkGroupSize = shaders.GroupSize
	if in.Major < 4 || in.Major == 4 && in.Minor < 3 {
		return fmt.Errorf("context is OpenGL %s (%s), below 4.3: %w", in.Version, in.Renderer, ErrVersion)
	}
	geti := func(pname uint32) int {
		var v int32
		gl.GetIntegerv(pname, &v)
		return int(v)
	}
	for i := range 3 {
		var v int32
		gl.GetIntegeri_v(gl.MAX_COMPUTE_WORK_GROUP_COUNT, uint32(i), &v)
		in.MaxWorkGroupCount[i] = int(v)
		gl.GetIntegeri_v(gl.MAX_COMPUTE_WORK_GROUP_SIZE, uint32(i), &v)
		in.MaxWorkGroupSize[i] = int(v)
	}
	in.MaxInvocations = geti(gl.MAX_COMPUTE_WORK_GROUP_INVOCATIONS)
	gl.GetInteger64v(gl.MAX_SHADER_STORAGE_BLOCK_SIZE, &in.MaxSSBOBlockSize)
	in.MaxSSBOBindings = geti(gl.MAX_SHADER_STORAGE_BUFFER_BINDINGS)
	in.MaxComputeSSBOs = geti(gl.MAX_COMPUTE_SHADER_STORAGE_BLOCKS)
	in.SSBOOffsetAlignment = geti(gl.SHADER_STORAGE_BUFFER_OFFSET_ALIGNMENT)

	exts := map[string]bool{}
	for i := range geti(gl.NUM_EXTENSIONS) {
		if p := gl.GetStringi(gl.EXTENSIONS, uint32(i)); p != nil {
			exts[gl.GoStr(p)] = true
		}
	}
	// Which entry point reports resets: core since 4.5, else the
	// extensions. Only call one the driver has: go-gl's table holds
	// dispatch stubs for every name, supported or not.
	switch {
	case in.Major > 4 || in.Major == 4 && in.Minor >= 5:
		d.resetStatus = gl.GetGraphicsResetStatus
	case exts["GL_KHR_robustness"]:
		d.resetStatus = gl.GetGraphicsResetStatusKHR
	case exts["GL_ARB_robustness"]:
		d.resetStatus = gl.GetGraphicsResetStatusARB
	}
	// Status readbacks through a persistently mapped buffer need
	// glBufferStorage: core since 4.4, else the extension.
	d.persistent = (in.Major > 4 || in.Major == 4 && in.Minor >= 4 || exts["GL_ARB_buffer_storage"]) && !d.hooks.NoBufferStorage
	if d.resetStatus != nil && d.ctx.robust() {
		in.Robust = geti(gl.RESET_NOTIFICATION_STRATEGY) == gl.LOSE_CONTEXT_ON_RESET
	}
	if err := d.glErr("read limits"); err != nil {
		return err
	}
	switch {
	case in.MaxWorkGroupSize[0] < in.WorkGroupSize || in.MaxInvocations < in.WorkGroupSize:
		return fmt.Errorf("work groups of %d invocations unsupported (max size %d, invocations %d): %w", in.WorkGroupSize, in.MaxWorkGroupSize[0], in.MaxInvocations, ErrVersion)
	case in.MaxComputeSSBOs < 5:
		return fmt.Errorf("compute shaders may use %d storage blocks, the assignment shader needs 5: %w", in.MaxComputeSSBOs, ErrVersion)
	case in.MaxWorkGroupCount[0] < 1 || in.MaxSSBOBlockSize < 4 || in.SSBOOffsetAlignment < 1:
		return fmt.Errorf("implausible limits (work groups %d, block %d bytes, alignment %d): %w", in.MaxWorkGroupCount[0], in.MaxSSBOBlockSize, in.SSBOOffsetAlignment, ErrVersion)
	}
	return nil
}

// glErr drains glGetError after op and checks for a context reset. A lost
// context is remembered: the Device refuses further work with that error.
func (d *Device) glErr(op string) error {
	if d.lost != nil {
		return d.lost
	}
	var first uint32
	// Bounded: a lost context may keep returning GL_CONTEXT_LOST.
	for range 32 {
		code := gl.GetError()
		if code == gl.NO_ERROR {
			break
		}
		if first == 0 || code == gl.CONTEXT_LOST {
			first = code
		}
		if code == gl.CONTEXT_LOST {
			break
		}
	}
	if d.resetStatus != nil {
		if st := d.resetStatus(); st != gl.NO_ERROR {
			d.lost = fmt.Errorf("%s: %s: %w", op, resetName(st), ErrContextLost)
			return d.lost
		}
	}
	if first == 0 {
		return nil
	}
	err := &glError{op: op, code: first}
	if first == gl.CONTEXT_LOST {
		d.lost = err
	}
	return err
}

func resetName(st uint32) string {
	switch st {
	case gl.GUILTY_CONTEXT_RESET:
		return "GPU reset caused by this context"
	case gl.INNOCENT_CONTEXT_RESET:
		return "GPU reset caused by another context"
	case gl.UNKNOWN_CONTEXT_RESET:
		return "GPU reset of unknown cause"
	}
	return fmt.Sprintf("reset status 0x%04X", st)
}

// compileShader compiles one shader stage; a failure carries the GL info log.
func compileShader(src string, stage uint32) (uint32, error) {
	sh := gl.CreateShader(stage)
	if sh == 0 {
		return 0, fmt.Errorf("glCreateShader returned 0")
	}
	csrc, free := gl.Strs(src + "\x00")
	gl.ShaderSource(sh, 1, csrc, nil)
	free()
	gl.CompileShader(sh)
	var ok int32
	gl.GetShaderiv(sh, gl.COMPILE_STATUS, &ok)
	if ok == gl.FALSE {
		var n int32
		gl.GetShaderiv(sh, gl.INFO_LOG_LENGTH, &n)
		log := infoLog(n, func(buf *uint8) { gl.GetShaderInfoLog(sh, n, nil, buf) })
		gl.DeleteShader(sh)
		return 0, &ShaderError{Stage: "compile", Log: log}
	}
	return sh, nil
}

// newProgram compiles and links a compute program from src.
func newProgram(src string) (uint32, error) {
	sh, err := compileShader(src, gl.COMPUTE_SHADER)
	if err != nil {
		return 0, err
	}
	prog := gl.CreateProgram()
	gl.AttachShader(prog, sh)
	gl.LinkProgram(prog)
	// The program keeps the compiled code; the shader object can go.
	gl.DetachShader(prog, sh)
	gl.DeleteShader(sh)
	var ok int32
	gl.GetProgramiv(prog, gl.LINK_STATUS, &ok)
	if ok == gl.FALSE {
		var n int32
		gl.GetProgramiv(prog, gl.INFO_LOG_LENGTH, &n)
		log := infoLog(n, func(buf *uint8) { gl.GetProgramInfoLog(prog, n, nil, buf) })
		gl.DeleteProgram(prog)
		return 0, &ShaderError{Stage: "link", Log: log}
	}
	return prog, nil
}

func infoLog(n int32, get func(*uint8)) string {
	if n <= 1 {
		return "(no info log)"
	}
	buf := make([]uint8, n+1)
	get(&buf[0])
	return strings.TrimRight(gl.GoStr(&buf[0]), "\x00")
}

// newBuffer allocates a shader storage buffer of size bytes, filled from
// data when it is not nil. GL reports an allocation failure only through
// glGetError, so it is checked here, every time.
func (d *Device) newBuffer(size int, data unsafe.Pointer, usage uint32) (uint32, error) {
	var b uint32
	gl.GenBuffers(1, &b)
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, b)
	gl.BufferData(gl.SHADER_STORAGE_BUFFER, size, data, usage)
	if err := d.glErr(fmt.Sprintf("allocate a %d-byte buffer", size)); err != nil {
		gl.DeleteBuffers(1, &b)
		return 0, err
	}
	d.buffers++
	return b, nil
}

// dispatch issues one glDispatchCompute of x by y work groups, or, when
// indirect >= 0, a glDispatchComputeIndirect reading the group counts at
// that byte offset of the buffer bound to GL_DISPATCH_INDIRECT_BUFFER. It
// is the one place dispatches are counted, so the fault hook reaches every
// pass; what describes the dispatch for the hook's error.
func (d *Device) dispatch(x, y int, indirect int, what func() string) error {
	if !d.inCanary {
		d.dispatches++
		if f := d.hooks.FailDispatch; f > 0 && d.dispatches == f {
			d.lost = fmt.Errorf("dispatch %d (%s): injected fault: %w", f, what(), ErrContextLost)
			return d.lost
		}
	}
	if indirect >= 0 {
		gl.DispatchComputeIndirect(indirect)
	} else {
		gl.DispatchCompute(uint32(x), uint32(y), 1)
	}
	return nil
}

func (d *Device) deleteBuffer(b *uint32) {
	if *b != 0 {
		gl.DeleteBuffers(1, b)
		*b = 0
		d.buffers--
	}
}
