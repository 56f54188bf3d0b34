package tiles_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/tiles"
)

// mnistSet is MNIST's 60,000 training images as PNG files and as IDX.
type mnistSet struct {
	idx, idxGz string
	files      []string // in natural order, folder by folder
}

// mnistPNGs writes MNIST's 60,000 training images (from the module
// cache's IDX file) as 28x28 gray PNGs in ten class folders under dir,
// and the uncompressed IDX file beside them.
func mnistPNGs(b *testing.B, dir string) mnistSet {
	b.Helper()
	data := sharedtest.MNIST(b)
	images, labels := sharedtest.ReadMNIST(b, "train-images-idx3-ubyte.gz"), sharedtest.ReadMNIST(b, "train-labels-idx1-ubyte.gz")[8:]
	m := mnistSet{idx: filepath.Join(dir, "train-images-idx3-ubyte"), idxGz: filepath.Join(data, "train-images-idx3-ubyte.gz")}
	if err := os.WriteFile(m.idx, images, 0o644); err != nil {
		b.Fatal(err)
	}
	px := images[16:]
	for c := range 10 {
		os.MkdirAll(filepath.Join(dir, "png", strconv.Itoa(c)), 0o755)
	}
	var buf bytes.Buffer
	for i, l := range labels {
		buf.Reset()
		img := &image.Gray{Pix: px[i*784 : (i+1)*784], Stride: 28, Rect: image.Rect(0, 0, 28, 28)}
		if err := png.Encode(&buf, img); err != nil {
			b.Fatal(err)
		}
		p := filepath.Join(dir, "png", strconv.Itoa(int(l)), fmt.Sprintf("%05d.png", i))
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for c := range 10 {
		names, _ := filepath.Glob(filepath.Join(dir, "png", strconv.Itoa(c), "*.png"))
		m.files = append(m.files, names...)
	}
	return m
}

// pillowLoop is the usual Python loop, timed inside Python over the same
// files (its start-up and imports left out); it prints the seconds per
// pass, the fastest of reps.
const pillowLoop = `
import sys, time
import numpy as np
from PIL import Image
files = open(sys.argv[1]).read().split("\n")
best = None
for _ in range(int(sys.argv[2])):
    t = time.perf_counter()
    x = np.stack([np.asarray(Image.open(f).convert('L').resize((16, 16))) for f in files])
    d = time.perf_counter() - t
    best = d if best is None else min(best, d)
assert x.shape == (len(files), 16, 16)
print(best)
`

// BenchmarkLoadMNIST loads MNIST's 60,000 training images, in one run on
// the same files: the PNG folder resized to 16x16 (one image, one
// sample) and at 28x28 (no resizing), the IDX file gzipped as shipped and
// uncompressed, and the usual Pillow loop (Debian's python3-pil) that
// resizes the PNGs to 16x16, timed in Python over b.N passes. It reports
// the peak Go heap as a multiple of the tile matrix. BENCHMARKS.md has the
// figures:
//
//	go test -run '^$' -bench LoadMNIST -benchtime 3x ./tiles/
func BenchmarkLoadMNIST(b *testing.B) {
	m := mnistPNGs(b, b.TempDir())
	load := func(name string, paths []string, opts tiles.Options) {
		b.Run(name, func(b *testing.B) {
			var heap uint64
			var matrix int
			for b.Loop() {
				p := startPeak()
				t, err := tiles.Load(paths, opts)
				if err != nil {
					b.Fatal(err)
				}
				h, _ := p.end()
				heap, matrix = max(heap, h), len(t.Pix)
			}
			b.ReportMetric(float64(heap)/float64(matrix), "peak-heap/matrix")
			b.ReportMetric(float64(matrix)/1e6, "matrix-MB")
		})
	}
	load("png-folder/resize=16x16", m.files, tiles.Options{Resize: image.Pt(16, 16)})
	load("png-folder/resize=28x28", m.files, tiles.Options{Resize: image.Pt(28, 28)})
	load("idx-gz", []string{m.idxGz}, tiles.Options{})
	load("idx", []string{m.idx}, tiles.Options{})
	load("idx/resize=16x16", []string{m.idx}, tiles.Options{Resize: image.Pt(16, 16)})
	b.Run("pillow-loop/resize=16x16", func(b *testing.B) {
		py := "/usr/bin/python3"
		if err := exec.Command(py, "-c", "import numpy, PIL").Run(); err != nil {
			sharedtest.Missing(b, py+" with numpy and Pillow not found (Debian python3-numpy, python3-pil)")
		}
		list := filepath.Join(b.TempDir(), "files.txt")
		os.WriteFile(list, []byte(strings.Join(m.files, "\n")), 0o644)
		n := 0
		for b.Loop() {
			n++
		}
		n = min(n, 5) // with no -benchtime Nx, b.Loop ramps an empty loop up
		out, err := exec.Command(py, "-c", pillowLoop, list, strconv.Itoa(n)).CombinedOutput()
		if err != nil {
			b.Fatalf("%v: %s", err, out)
		}
		secs, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
		if err != nil {
			b.Fatalf("python printed %q", out)
		}
		b.ReportMetric(secs*1e9, "ns/op")
	})
}
