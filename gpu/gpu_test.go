//go:build cgo && !nogpu

package gpu

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-gl/gl/v4.3-core/gl"

	"github.com/tilekmeans/tilekmeans/internal/glenv"
	"github.com/tilekmeans/tilekmeans/internal/gpuhooks"
	"github.com/tilekmeans/tilekmeans/internal/randdata"
	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/kmeans"
)

// childEnv makes the test binary, re-executed by TestVersionTooOld, open a
// context of the kind it names and report the result instead of testing.
const childEnv = "TILEKMEANS_GPU_TEST_CHILD_OPEN"

func TestMain(m *testing.M) {
	if kind := os.Getenv(childEnv); kind != "" {
		d, err := Open(Options{Context: kind})
		if err == nil {
			fmt.Printf("opened: %s\n", d.Info().Version)
			if cerr := d.Close(); cerr != nil {
				fmt.Printf("close: %v\n", cerr)
			}
		} else {
			fmt.Printf("is-version-error: %v\nis-unavailable: %v\nerror: %v\n", errors.Is(err, ErrVersion), errors.Is(err, ErrUnavailable), err)
		}
		if _, err := Devices(); err != nil {
			fmt.Printf("devices-error: %v\n", err)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestInfo(t *testing.T) {
	forEachContext(t, func(t *testing.T, kind string) {
		in := openDevice(t, kind, nil).Info()
		t.Logf("%+v", in)
		if in.Major < 4 || in.Major == 4 && in.Minor < 3 {
			t.Errorf("version %d.%d below 4.3 accepted", in.Major, in.Minor)
		}
		if in.Renderer == "" || in.Vendor == "" || in.GLSLVersion == "" || in.Platform == "" {
			t.Errorf("empty description fields: %+v", in)
		}
		if in.MaxWorkGroupCount[0] < 65535 || in.MaxSSBOBlockSize < 1<<24 || in.MaxSSBOBindings < 8 || in.SSBOOffsetAlignment < 1 {
			t.Errorf("limits below the GL 4.3 minimums: %+v", in)
		}
		if !in.Canary.Passed {
			t.Errorf("canary: %s", in.Canary)
		}
		if kind == glenv.ContextGLFW && in.Device != nil {
			t.Errorf("a GLFW context on EGL device %v", in.Device)
		}
	})
}

// TestDevices: the EGL devices are listed, a context is made on the one
// chosen by index, and a choice EGL does not list is ErrNoDevice naming
// the devices there are.
func TestDevices(t *testing.T) {
	if !slices.Contains(contextsUnderTest(t), glenv.ContextEGL) {
		t.Skip("egl is not under test")
	}
	devs, err := Devices()
	if err != nil {
		unavailable(t, "EGL devices: %v", err)
	}
	if len(devs) == 0 {
		unavailable(t, "EGL lists no devices")
	}
	for i, dev := range devs {
		t.Logf("%v: %+v", dev, dev)
		if dev.Index != i || dev.Extensions == "" {
			t.Errorf("device %d: %+v", i, dev)
		}
		if dev.Software != strings.Contains(dev.Extensions, "EGL_MESA_device_software") {
			t.Errorf("device %d: Software %v, extensions %q", i, dev.Software, dev.Extensions)
		}
		d := openDevice(t, glenv.ContextEGL, nil, func(o *Options) { o.Device = fmt.Sprint(i) })
		in := d.Info()
		if in.Device == nil || in.Device.Index != i || !strings.Contains(in.Platform, fmt.Sprintf("device #%d", i)) {
			t.Errorf("Device %d opened %+v on %q", i, in.Device, in.Platform)
		}
		if in.Device != nil && in.Device.CUDA >= 0 {
			c := openDevice(t, glenv.ContextEGL, nil, func(o *Options) { o.Device = fmt.Sprintf("cuda:%d", in.Device.CUDA) })
			if got := c.Info().Device; got == nil || got.Index != i {
				t.Errorf("Device cuda:%d opened %+v, want EGL device %d", in.Device.CUDA, got, i)
			}
		}
	}
	// Auto with a device pinned takes EGL even with a display.
	t.Setenv("DISPLAY", ":0")
	a, err := Open(Options{Device: "0"})
	if err != nil {
		t.Fatalf("auto on EGL device 0: %v", err)
	}
	if got := a.Info().Context; got != glenv.ContextEGL {
		t.Errorf("auto with a pinned device opened %q", got)
	}
	a.Close()

	_, err = Open(Options{Context: glenv.ContextEGL, Device: fmt.Sprint(len(devs))})
	if !errors.Is(err, ErrNoDevice) || !strings.Contains(err.Error(), devs[0].String()) {
		t.Fatalf("Open on EGL device %d of %d: %v, want ErrNoDevice naming %v", len(devs), len(devs), err, devs[0])
	}
	t.Logf("%v", err)
	cuda := slices.ContainsFunc(devs, func(e EGLDevice) bool { return e.CUDA == 0 })
	if _, err := Open(Options{Context: glenv.ContextEGL, Device: "cuda:0"}); !cuda && !errors.Is(err, ErrNoDevice) {
		t.Errorf("CUDA device 0 with no NVIDIA EGL device: %v, want ErrNoDevice", err)
	}
	if _, err := Open(Options{Context: glenv.ContextGLFW, Device: "0"}); err == nil || errors.Is(err, ErrUnavailable) {
		t.Errorf("glfw with an EGL device: %v, want a plain argument error", err)
	}
}

func TestParityRandom(t *testing.T) {
	ks := []int{1, 3, 4, 5, 6, 7, 64, 256, 5} // the last k reuses the grown centroid buffer
	type shape struct{ n, dim int }
	var shapes []shape
	for _, dim := range []int{256, 255} {
		for _, n := range []int{1, 63, 65, 1000, 4099} {
			shapes = append(shapes, shape{n, dim})
		}
	}
	for _, dim := range []int{7, 1, 4, 5} {
		for _, n := range []int{1, 65, 1000} {
			shapes = append(shapes, shape{n, dim})
		}
	}
	forEachContext(t, func(t *testing.T, kind string) {
		d := openDevice(t, kind, nil)
		r := rand.New(rand.NewPCG(1, uint64(len(kind))))
		for _, s := range shapes {
			data := randdata.Rows(r, s.n, s.dim, 256)
			a, err := d.NewAssigner(data)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range ks {
				checkParity(t, a, data, randomCentroids(r, data, k), k)
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if n := liveBuffers(t, d); n != 0 {
			t.Fatalf("%d buffers left after closing every assigner", n)
		}
	})
}

func TestParityTies(t *testing.T) {
	forEachContext(t, func(t *testing.T, kind string) {
		d := openDevice(t, kind, nil)
		r := rand.New(rand.NewPCG(2, 2))
		for _, dim := range []int{256, 7, 255} {
			// Tiles exactly between two centroids: m+delta and m-delta
			// give every feature the same square, so the sums are
			// bitwise equal and the lower index must win.
			const n = 130
			m := randdata.Rows(r, 1, dim, 256).X
			data := kmeans.Data{N: n, D: dim, X: make([]uint8, n*dim)}
			for i := range n {
				copy(data.X[i*dim:], m)
			}
			far := make([]float32, dim)
			plus := make([]float32, dim)
			minus := make([]float32, dim)
			for f := range dim {
				delta := float32(r.IntN(20)) + 0.25*float32(r.IntN(4))
				plus[f] = float32(m[f]) + delta
				minus[f] = float32(m[f]) - delta
				far[f] = float32(m[f]) + 300
			}
			var cent []float32
			for _, c := range [][]float32{far, plus, minus, plus, far} {
				cent = append(cent, c...)
			}
			a, err := d.NewAssigner(data)
			if err != nil {
				t.Fatal(err)
			}
			checkParity(t, a, data, cent, 5)
			labels := make([]int32, n)
			dists := make([]float32, n)
			if err := a.Assign(cent, 5, labels, dists); err != nil {
				t.Fatal(err)
			}
			if labels[0] != 1 {
				t.Fatalf("D=%d: equidistant centroids 1, 2, 3: label %d, want 1", dim, labels[0])
			}
			// Swapped order: minus first.
			cent = append(append(append([]float32{}, far...), minus...), plus...)
			checkParity(t, a, data, cent, 3)

			// Duplicate centroid rows taken from the data: tiles equal to
			// a duplicated row are at distance 0 from both copies.
			rdata := randdata.Rows(r, 500, dim, 256)
			rows := rowCentroids(r, rdata, 4)
			var dup []float32
			for _, j := range []int{0, 1, 0, 2, 1, 3, 3, 2} {
				dup = append(dup, rows[j*dim:(j+1)*dim]...)
			}
			b, err := d.NewAssigner(rdata)
			if err != nil {
				t.Fatal(err)
			}
			checkParity(t, b, rdata, dup, 8)
			for _, x := range []*Assigner{a, b} {
				if err := x.Close(); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

func TestParityUSPS(t *testing.T) {
	data := sharedtest.Data(t)
	if data.N != 5610 || data.D != 256 {
		t.Fatalf("USPS: %d rows of %d, want 5610 of 256", data.N, data.D)
	}
	forEachContext(t, func(t *testing.T, kind string) {
		d := openDevice(t, kind, nil)
		a, err := d.NewAssigner(data)
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(3, 3))
		for _, k := range []int{3, 4, 5, 6, 7, 64} {
			checkParity(t, a, data, rowCentroids(r, data, k), k)
		}
	})
}

// TestSplitPath lowers the limits so small data takes the paths a million
// tiles take on real hardware: several tile buffers, several dispatches per
// buffer, output ranges bound at aligned offsets that do not start at the
// slab's first row.
func TestSplitPath(t *testing.T) {
	cases := []struct {
		dim      int
		maxBytes int64
	}{
		{7, 1000},        // 125 rows per slab of 8-byte rows
		{256, 255 * 256}, // 255 rows per slab
		{255, 4000},      // 15 rows per slab, one partial block and dispatch each
	}
	forEachContext(t, func(t *testing.T, kind string) {
		r := rand.New(rand.NewPCG(4, 4))
		for _, c := range cases {
			d := openDevice(t, kind, &gpuhooks.Hooks{MaxTileBytes: c.maxBytes, MaxGroups: 1})
			data := randdata.Rows(r, 1000, c.dim, 256)
			a, err := d.NewAssigner(data)
			if err != nil {
				t.Fatal(err)
			}
			var lay layout
			var p pass
			if err := d.do(func() error { lay, p = a.lay, a.planFor(64); return nil }); err != nil {
				t.Fatal(err)
			}
			multi, offset := len(p.dispatches) > len(lay.slabs), false
			for _, s := range lay.slabs {
				offset = offset || s.outBase != 0
			}
			if len(lay.slabs) < 2 || (c.dim != 255 && !multi) || !offset {
				t.Fatalf("D=%d: plan does not exercise the split path: %d slabs, multi-dispatch %v, unaligned start %v", c.dim, len(lay.slabs), multi, offset)
			}
			t.Logf("D=%d: %d slabs of %d rows, %d buffers", c.dim, len(lay.slabs), lay.rowsPerSlab, liveBuffers(t, d))
			for _, k := range []int{1, 5, 64} {
				checkParity(t, a, data, randomCentroids(r, data, k), k)
			}
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestMillion runs 1,000,000 tiles of 256 features with k=7 on the real
// limits: 256 MB of tiles exceed llvmpipe's 128 MB storage block limit, so
// this splits for real. Every row is compared with the CPU backend.
func TestMillion(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping 1,000,000-tile test")
	}
	r := rand.New(rand.NewPCG(5, 5))
	data := randdata.Rows(r, 1_000_000, 256, 256)
	const k = 7
	cent := randomCentroids(r, data, k)
	want, wantD := reference(data, cent, k)
	forEachContext(t, func(t *testing.T, kind string) {
		d := openDevice(t, kind, nil)
		t0 := time.Now()
		a, err := d.NewAssigner(data)
		if err != nil {
			t.Fatal(err)
		}
		up := time.Since(t0)
		var slabs int
		_ = d.do(func() error { slabs = len(a.lay.slabs); return nil })
		labels := make([]int32, data.N)
		dists := make([]float32, data.N)
		t0 = time.Now()
		if err := a.Assign(cent, k, labels, dists); err != nil {
			t.Fatal(err)
		}
		t.Logf("%d slabs (max block %d bytes); upload %v, assign %v", slabs, d.Info().MaxSSBOBlockSize, up, time.Since(t0))
		bad := 0
		for i := range data.N {
			if labels[i] != want[i] || math.Float32bits(dists[i]) != math.Float32bits(wantD[i]) {
				if bad < 5 {
					t.Errorf("row %d: gpu (%d, %v), cpu (%d, %v)", i, labels[i], dists[i], want[i], wantD[i])
				}
				bad++
			}
		}
		if bad > 0 {
			t.Fatalf("%d of %d rows differ", bad, data.N)
		}
	})
}

func TestBrokenShader(t *testing.T) {
	const src = "#version 430\nlayout(local_size_x = 64) in;\nvoid main() {\n    undeclared_thing = 1;\n}\n"
	for _, kind := range contextsUnderTest(t) {
		for _, prog := range programs {
			t.Run(kind+"/"+prog, func(t *testing.T) {
				d, err := openWithHooks(Options{Context: kind}, &gpuhooks.Hooks{Source: func(name, s string) string {
					if name == prog {
						return src
					}
					return s
				}})
				if err == nil && prog == programSilhouette {
					// Built on its first use: SumDistances fails instead.
					defer d.Close()
					a, aerr := d.NewAssigner(kmeans.Data{N: 2, D: 1, X: []uint8{1, 2}})
					if aerr != nil {
						t.Fatal(aerr)
					}
					err = a.SumDistances(context.Background(), nil, [][]int32{{0, 0}}, []int{1}, [][]float64{make([]float64, 2)})
					if err == nil {
						t.Fatal("SumDistances with a broken shader succeeded")
					}
				} else if err == nil {
					d.Close()
					t.Fatal("Open with a broken shader succeeded")
				}
				if errors.Is(err, ErrUnavailable) {
					unavailable(t, "context %s unavailable: %v", kind, err)
				}
				var se *ShaderError
				if !errors.Is(err, ErrShader) || !errors.As(err, &se) {
					t.Fatalf("error %v is not a *ShaderError", err)
				}
				if se.Stage != "compile" || !strings.Contains(strings.ToLower(se.Log), "error") || !strings.Contains(err.Error(), se.Log[:min(len(se.Log), 20)]) {
					t.Fatalf("error does not carry the info log: stage %q, log %q, error %q", se.Stage, se.Log, err)
				}
				if !strings.Contains(err.Error(), prog+" shader") {
					t.Fatalf("error %q does not name the %s program", err, prog)
				}
				t.Logf("%v", err)
			})
		}
	}
}

// TestVersionTooOld re-runs the test binary with MESA_GL_VERSION_OVERRIDE=3.3,
// which makes Mesa refuse a 4.3 context and report 3.3: Open must fail
// with ErrVersion and name the version the driver offers.
func TestVersionTooOld(t *testing.T) {
	forEachContext(t, func(t *testing.T, kind string) {
		// Only meaningful on Mesa, which honours the override.
		in := openDevice(t, kind, nil).Info()
		if !strings.Contains(in.Version, "Mesa") {
			unavailable(t, "MESA_GL_VERSION_OVERRIDE needs Mesa, driver is %q", in.Version)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+kind, "MESA_GL_VERSION_OVERRIDE=3.3")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		s := string(out)
		t.Logf("child with MESA_GL_VERSION_OVERRIDE=3.3: %s", strings.TrimSpace(s))
		if !strings.Contains(s, "is-version-error: true") || !strings.Contains(s, "offers OpenGL 3.3") {
			t.Fatalf("want an ErrVersion naming OpenGL 3.3, child said:\n%s", s)
		}
	})
}

// TestEGLVendorsMissing re-runs the test binary with glvnd pointed at a
// vendor file that does not exist, so EGL finds no driver at all (glvnd
// reads the variable once per process): Open and Devices must say what
// was looked for and what to check.
func TestEGLVendorsMissing(t *testing.T) {
	if !slices.Contains(contextsUnderTest(t), glenv.ContextEGL) {
		t.Skip("egl is not under test")
	}
	none := filepath.Join(t.TempDir(), "none.json")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+glenv.ContextEGL, "__EGL_VENDOR_LIBRARY_FILENAMES="+none, "DISPLAY=", "WAYLAND_DISPLAY=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	s := string(out)
	t.Logf("child with __EGL_VENDOR_LIBRARY_FILENAMES=%s:\n%s", none, s)
	if !strings.Contains(s, "is-unavailable: true") {
		t.Fatalf("want ErrUnavailable, child said:\n%s", s)
	}
	for _, line := range []string{"error: ", "devices-error: "} {
		i := strings.Index(s, "\n"+line)
		if i < 0 {
			t.Fatalf("child printed no %q line:\n%s", line, s)
		}
		msg := strings.SplitN(s[i+1:], "\n", 2)[0]
		for _, want := range []string{
			"from __EGL_VENDOR_LIBRARY_FILENAMES: " + none, none + " missing",
			"libEGL_nvidia.so.0", "NVIDIA_DRIVER_CAPABILITIES",
		} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s lacks %q", msg, want)
			}
		}
	}
}

func TestFaultInjection(t *testing.T) {
	forEachContext(t, func(t *testing.T, kind string) {
		d, err := openWithHooks(Options{Context: kind}, &gpuhooks.Hooks{MaxTileBytes: 1000, MaxGroups: 1, FailDispatch: 3})
		if err != nil {
			unavailable(t, "context %s: %v", kind, err)
		}
		r := rand.New(rand.NewPCG(6, 6))
		data := randdata.Rows(r, 1000, 7, 256)
		a, err := d.NewAssigner(data)
		if err != nil {
			t.Fatal(err)
		}
		cent := randomCentroids(r, data, 5)
		labels := make([]int32, data.N)
		dists := make([]float32, data.N)
		err = a.Assign(cent, 5, labels, dists)
		if !errors.Is(err, ErrContextLost) {
			t.Fatalf("Assign with a fault at dispatch 3: %v, want ErrContextLost", err)
		}
		t.Logf("%v", err)
		if err := a.Assign(cent, 5, labels, dists); !errors.Is(err, ErrContextLost) {
			t.Fatalf("Assign after the loss: %v, want ErrContextLost", err)
		}
		if _, err := d.NewAssigner(data); !errors.Is(err, ErrContextLost) {
			t.Fatalf("NewAssigner after the loss: %v, want ErrContextLost", err)
		}
		if n := liveBuffers(t, d); n == 0 {
			t.Fatal("no live buffers before Close: the release check below proves nothing")
		}
		if err := d.Close(); err != nil {
			t.Fatalf("Close after a loss: %v", err)
		}
		<-d.done // the device thread has exited
		if d.buffers != 0 || d.livePrograms() != 0 || d.ctx != nil {
			t.Fatalf("after Close: %d buffers, %d programs, context %v", d.buffers, d.livePrograms(), d.ctx)
		}
		if err := d.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if err := a.Assign(cent, 5, labels, dists); !errors.Is(err, ErrClosed) {
			t.Fatalf("Assign after Close: %v, want ErrClosed", err)
		}
		if err := a.Close(); err != nil {
			t.Fatalf("Assigner.Close after Device.Close: %v", err)
		}
		// The process can still make a working device.
		d2 := openDevice(t, kind, nil)
		b, err := d2.NewAssigner(data)
		if err != nil {
			t.Fatal(err)
		}
		checkParity(t, b, data, cent, 5)
	})
}

func TestOutOfMemory(t *testing.T) {
	forEachContext(t, func(t *testing.T, kind string) {
		d := openDevice(t, kind, nil)
		err := d.do(func() error {
			_, err := d.newBuffer(1<<44, nil, gl.STATIC_DRAW) // 16 TiB
			return err
		})
		if !errors.Is(err, ErrOutOfMemory) {
			t.Fatalf("16 TiB buffer: %v, want ErrOutOfMemory", err)
		}
		t.Logf("%v", err)
		if n := liveBuffers(t, d); n != 0 {
			t.Fatalf("failed allocation left %d buffers", n)
		}
		// The device still works.
		r := rand.New(rand.NewPCG(7, 7))
		data := randdata.Rows(r, 300, 9, 256)
		a, err := d.NewAssigner(data)
		if err != nil {
			t.Fatal(err)
		}
		checkParity(t, a, data, randomCentroids(r, data, 4), 4)
	})
}

func TestCloseReleases(t *testing.T) {
	forEachContext(t, func(t *testing.T, kind string) {
		d, err := Open(Options{Context: kind})
		if err != nil {
			unavailable(t, "context %s: %v", kind, err)
		}
		r := rand.New(rand.NewPCG(8, 8))
		data := randdata.Rows(r, 100, 16, 256)
		a, err := d.NewAssigner(data)
		if err != nil {
			t.Fatal(err)
		}
		b, err := d.NewAssigner(data)
		if err != nil {
			t.Fatal(err)
		}
		checkParity(t, b, data, randomCentroids(r, data, 3), 3)
		before := liveBuffers(t, d)
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		if err := a.Close(); err != nil {
			t.Fatal("second Assigner.Close:", err)
		}
		if after := liveBuffers(t, d); after != before-3 { // tiles, labels, dists; a never had centroids
			t.Fatalf("Assigner.Close: %d buffers before, %d after", before, after)
		}
		if err := a.Assign(make([]float32, 16), 1, make([]int32, 100), make([]float32, 100)); !errors.Is(err, ErrClosed) {
			t.Fatalf("Assign on a closed Assigner: %v", err)
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		<-d.done
		if d.buffers != 0 {
			t.Fatalf("Device.Close left %d buffers (b not closed explicitly)", d.buffers)
		}
		if _, err := d.NewAssigner(data); !errors.Is(err, ErrClosed) {
			t.Fatalf("NewAssigner after Close: %v", err)
		}
	})
}

// TestConcurrent hammers two Devices (of each kind under test, all open at
// once) from several goroutines; run with -race.
func TestConcurrent(t *testing.T) {
	var devs []*Device
	for _, kind := range contextsUnderTest(t) {
		devs = append(devs, openDevice(t, kind, nil), openDevice(t, kind, nil))
	}
	r := rand.New(rand.NewPCG(9, 9))
	data := randdata.Rows(r, 2000, 33, 256)
	var cents [][]float32
	for range 4 {
		cents = append(cents, randomCentroids(r, data, 6))
	}
	want := make([][]int32, len(cents))
	for c, cent := range cents {
		want[c], _ = reference(data, cent, 6)
	}
	var wg sync.WaitGroup
	errc := make(chan error, 64)
	for _, d := range devs {
		a, err := d.NewAssigner(data)
		if err != nil {
			t.Fatal(err)
		}
		for g := range 3 {
			wg.Go(func() {
				labels := make([]int32, data.N)
				dists := make([]float32, data.N)
				for it := range 5 {
					c := (g + it) % len(cents)
					if err := a.Assign(cents[c], 6, labels, dists); err != nil {
						errc <- err
						return
					}
					for i := range labels {
						if labels[i] != want[c][i] {
							errc <- fmt.Errorf("%s: row %d: label %d, want %d", d.Info().Context, i, labels[i], want[c][i])
							return
						}
					}
				}
			})
		}
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}

// TestAuto: Open with the zero Options picks what glenv.AutoChoice says.
func TestAuto(t *testing.T) {
	want := glenv.AutoChoice()
	if !strings.Contains(strings.Join(contextsUnderTest(t), ","), want) {
		t.Skipf("auto would pick %s, which is not under test", want)
	}
	d := openDevice(t, want, nil)
	_ = d
	a, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if got := a.Info().Context; got != want {
		t.Fatalf("auto opened %q, AutoChoice says %q", got, want)
	}
}

func TestBadArguments(t *testing.T) {
	if _, err := Open(Options{Context: "vulkan"}); err == nil || !strings.Contains(err.Error(), "vulkan") {
		t.Fatalf("unknown context kind: %v", err)
	}
	forEachContext(t, func(t *testing.T, kind string) {
		d := openDevice(t, kind, nil)
		if _, err := d.NewAssigner(kmeans.Data{N: 3, D: 4, X: make([]uint8, 5)}); err == nil {
			t.Fatal("short data accepted")
		}
		a, err := d.NewAssigner(kmeans.Data{N: 3, D: 4, X: make([]uint8, 12)})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Assign(make([]float32, 7), 2, make([]int32, 3), make([]float32, 3)); err == nil {
			t.Fatal("short centroids accepted")
		}
		if err := a.Assign(make([]float32, 8), 2, make([]int32, 2), make([]float32, 3)); err == nil {
			t.Fatal("short labels accepted")
		}
		big := 1 + int(d.Info().MaxSSBOBlockSize/16)
		if err := a.Assign(make([]float32, big*4), big, make([]int32, 3), make([]float32, 3)); err == nil {
			t.Fatal("centroids beyond the block limit accepted")
		}
		if a.Name() != "gpu" {
			t.Fatalf("Name() = %q", a.Name())
		}
	})
}

// TestGLFWBadDisplay: DISPLAY names no X server. glfw.Init then "succeeds"
// and the next GLFW call panics inside go-gl/glfw; Open must turn that into
// ErrUnavailable, and auto must fall back to EGL.
func TestGLFWBadDisplay(t *testing.T) {
	t.Setenv("DISPLAY", ":12345")
	t.Setenv("WAYLAND_DISPLAY", "")
	d, err := Open(Options{Context: glenv.ContextGLFW})
	if err == nil {
		d.Close()
		t.Fatal("glfw opened on a display with no X server")
	}
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("glfw on a dead display: %v, want ErrUnavailable", err)
	}
	t.Logf("%v", err)
	if !strings.Contains(strings.Join(contextsUnderTest(t), ","), glenv.ContextEGL) {
		return
	}
	d, err = Open(Options{})
	if err != nil {
		unavailable(t, "auto with a dead display did not fall back to egl: %v", err)
	}
	defer d.Close()
	if got := d.Info().Context; got != glenv.ContextEGL {
		t.Fatalf("auto with a dead display opened %q, want egl", got)
	}
}

// TestParitySpecialValues: NaN and infinite centroid values placed in
// different centroid blocks, with the blocks in one work group and split
// over several, follow kmeans.Nearest: a NaN distance never wins, except
// at centroid 0, which then keeps the label; infinite distances tie to the
// lowest index. (The conformance suite has these at k = 4, one block.)
func TestParitySpecialValues(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 43))
	const dim = 37
	data := randdata.Rows(r, 300, dim, 256)
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	set := func(k int, vals map[[2]int]float32) []float32 {
		c := rowCentroids(r, data, k)
		for at, v := range vals {
			c[at[0]*dim+at[1]] = v
		}
		return c
	}
	huge := func(k int) []float32 {
		c := make([]float32, k*dim)
		for i := range c {
			c[i] = 1e30
		}
		return c
	}
	cases := []struct {
		name string
		k    int
		cent []float32
	}{
		{"NaN at centroid 0", 150, set(150, map[[2]int]float32{{0, 3}: nan})},
		{"NaN in other blocks", 150, set(150, map[[2]int]float32{{64, 0}: nan, {140, 36}: nan, {1, 5}: nan})},
		{"infinite values", 150, set(150, map[[2]int]float32{{70, 2}: inf, {0, 0}: -inf})},
		{"every distance infinite", 150, huge(150)},
		{"narrow, NaN at 0 and 5", 10, set(10, map[[2]int]float32{{0, 30}: nan, {5, 1}: nan})},
		{"narrow, NaN at 3", 10, set(10, map[[2]int]float32{{3, 30}: nan})},
	}
	forEachContext(t, func(t *testing.T, kind string) {
		for _, splits := range []int{-1, 3} {
			d := openDevice(t, kind, &gpuhooks.Hooks{Splits: splits})
			a, err := d.NewAssigner(data)
			if err != nil {
				t.Fatal(err)
			}
			labels := make([]int32, data.N)
			dists := make([]float32, data.N)
			for _, c := range cases {
				if err := a.Assign(c.cent, c.k, labels, dists); err != nil {
					t.Fatal(err)
				}
				for i := range data.N {
					wl, wd := kmeans.Nearest(data.Row(i), c.cent, c.k)
					sameD := math.Float32bits(dists[i]) == math.Float32bits(wd) || math.IsNaN(float64(dists[i])) && math.IsNaN(float64(wd))
					if labels[i] != wl || !sameD {
						t.Fatalf("splits %d, %s: row %d: gpu (%d, %v), cpu (%d, %v)", splits, c.name, i, labels[i], dists[i], wl, wd)
					}
				}
			}
		}
	})
}

// TestSoftwareRenderer: which GL_RENDERER strings Info.Software marks.
func TestSoftwareRenderer(t *testing.T) {
	for r, want := range map[string]bool{
		"llvmpipe (LLVM 15.0.6, 256 bits)": true,
		"softpipe":                         true,
		"Mesa swrast":                      true,
		"Software Rasterizer":              true,
		"NVIDIA H100 80GB HBM3/PCIe/SSE2":  false,
		"AMD Radeon RX 7900 XTX (radeonsi, navi31, LLVM 15.0.6, DRM 3.54)": false,
	} {
		if got := softwareRenderer(r); got != want {
			t.Errorf("%q: software %v, want %v", r, got, want)
		}
	}
}
