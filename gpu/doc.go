// Package gpu is the OpenGL 4.3 compute-shader backend of package kmeans:
// an Assigner that labels every tile with its nearest centroid on the GPU,
// bit for bit as cpu.Nearest does (see package kmeans for the arithmetic
// contract and package shaders for the shader).
//
// # Contexts
//
// Open makes one OpenGL context, of the kind Options.Context names:
//
//   - "glfw": an invisible 1x1 GLFW window with a 4.3 core profile, the
//     way the design card runs on a desktop. Needs a display (DISPLAY or
//     WAYLAND_DISPLAY); GLFW's own Init does not fail without one (the next
//     call panics inside go-gl/glfw), so the display is checked first and
//     GLFW panics are turned into errors.
//   - "egl": headless EGL, no window system. First each device of
//     EGL_EXT_platform_device (what NVIDIA's driver offers on a headless
//     server), then Mesa's surfaceless platform. The context is configless
//     and surfaceless where the driver allows, else a 1x1 pbuffer.
//   - "auto" (or ""): GLFW when a display is present, else EGL; if GLFW
//     fails it falls back to EGL. AutoChoice says which comes first; Probe
//     (for a "devices" command) tries both and says which works and why not.
//
// Each kind first asks for reset notification (lose context on reset) and
// retries without it; Info.Robust says whether the driver honours it. A
// driver that refuses a 4.3 core context is asked for any context, to
// report the version it does offer (ErrVersion), or to use it when it is a
// 4.3+ compatibility context.
//
// # Threads
//
// A GL context is current on one thread. Each Device runs one goroutine,
// locked to its OS thread for its whole life, that makes the context, runs
// every GL call, and releases everything before it exits. Public methods
// hand it closures over a channel and wait, so they are safe to call from
// any goroutine; calls on one Device are serialized. Several Devices may be
// open at once, on separate threads: GLFW's process-global state
// (Init/Terminate, window hints, go-gl/glfw's error slot) is behind one
// mutex with Init reference-counted by open windows, EGL displays (also
// process-wide) are reference-counted around eglInitialize/eglTerminate,
// and go-gl's process-wide function table is loaded once.
//
// # Buffers and splitting
//
// NewAssigner uploads the tiles once, as uint8 packed four per uint, each
// row padded to whole words (for D%4 == 0 the caller's bytes are uploaded
// as they are). Labels (int32) and distances (float32) buffers of n entries
// stay resident; the centroid buffer is reallocated only when k*D grows.
// A data set larger than GL_MAX_SHADER_STORAGE_BLOCK_SIZE is stored as
// several tile buffers ("slabs"), each bound whole, while the labels and
// distances ranges covering a slab are bound with glBindBufferRange at an
// offset rounded down to GL_SHADER_STORAGE_BUFFER_OFFSET_ALIGNMENT (the
// shader's uOutBase makes up the difference). A slab with more rows than
// GL_MAX_COMPUTE_WORK_GROUP_COUNT[0] work groups cover is split into
// several dispatches (uBase). On llvmpipe (128 MiB block limit) a million
// 256-feature tiles take two slabs.
//
// The layout is meant to carry a whole Lloyd iteration later: tiles and
// labels already live on the GPU, bindings 4 and up are free for centroid
// sums (integer atomics on uint8 sums, exact like the host's), counts and a
// changed-label counter, dispatched over the same slabs.
//
// # Errors
//
// Failures are returned, never logged or panicked: ErrUnavailable (no
// context of that kind here), ErrVersion (below 4.3 or missing compute
// limits), ErrShader (a *ShaderError with the GL info log), ErrOutOfMemory
// (GL_OUT_OF_MEMORY, checked after every allocation), ErrContextLost
// (GL_CONTEXT_LOST or glGetGraphicsResetStatus after dispatches; the
// Device then refuses further work), ErrClosed, other GL errors as
// *GLError, and ErrNotBuilt from the CPU-only build. Buffers, programs,
// the window or context, and the thread are released on every path; Close
// is idempotent and also releases Assigners not closed by the caller.
//
// # Builds
//
// The OpenGL code needs cgo and is excluded by the nogpu tag; that build
// (and CGO_ENABLED=0) gets nogpu.go, the same API whose Open returns
// ErrNotBuilt, and Built == false. The noglfw tag drops GLFW (and its X11
// libraries); with go-gl's own egl tag as well (-tags 'noglfw egl') the
// binary links only libEGL, for headless servers.
package gpu
