package tiles_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/memcheck"
	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/tiles"
	"github.com/tilekmeans/tilekmeans/tiles/npy"
)

// pngFile writes img as a PNG file dir/name (making its folder) and
// returns its path.
func pngFile(t *testing.T, dir, name string, img image.Image) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, encodePNG(t, img), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// uniform fills an image of each kind with one colour.
func uniform(img interface {
	image.Image
	Set(x, y int, c color.Color)
}, c color.Color) image.Image {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			img.Set(x, y, c)
		}
	}
	return img
}

// TestLoadSamplesMixed: images of mixed sizes and kinds (gray, RGB, RGBA
// with transparency, palette, 16-bit gray) each become one sample of the
// Resize size, in the order given, gray over the background as sheets
// are: a uniform image stays uniform at its gray level.
func TestLoadSamplesMixed(t *testing.T) {
	dir := t.TempDir()
	pal := image.NewPaletted(image.Rect(0, 0, 9, 3), color.Palette{color.RGBA{0, 0, 255, 255}})
	files := []struct {
		img   image.Image
		level uint8
	}{
		{uniform(image.NewGray(image.Rect(0, 0, 20, 10)), color.Gray{100}), 100},
		{uniform(image.NewRGBA(image.Rect(0, 0, 5, 7)), color.RGBA{255, 0, 0, 255}), 76},  // BT.601 luma of red
		{uniform(image.NewNRGBA(image.Rect(0, 0, 30, 12)), color.NRGBA{0, 0, 0, 0}), 255}, // transparent over white
		{pal, 29}, // blue
		{uniform(image.NewGray16(image.Rect(0, 0, 3, 3)), color.Gray16{0x8080}), 0x80},
		{uniform(image.NewGray(image.Rect(0, 0, 8, 8)), color.Gray{7}), 7}, // already the size
	}
	var paths []string
	for i, f := range files {
		paths = append(paths, pngFile(t, dir, string(rune('a'+i))+".png", f.img))
	}
	set, err := tiles.Load(paths, tiles.Options{Resize: image.Pt(8, 8)})
	if err != nil {
		t.Fatal(err)
	}
	if set.N() != len(files) || set.D != 64 || set.Width != 8 || set.Height != 8 || set.Resize != image.Pt(8, 8) {
		t.Fatalf("%d samples of %d (%dx%d), want %d of 64", set.N(), set.D, set.Width, set.Height, len(files))
	}
	for i, f := range files {
		sh := set.Sheets[i]
		if sh.Path != paths[i] || sh.Rows != 1 || sh.Cols != 1 || set.Origins[i] != (tiles.Origin{Sheet: int32(i)}) {
			t.Errorf("sample %d: sheet %+v, origin %+v", i, sh, set.Origins[i])
		}
		if b := f.img.Bounds(); sh.Width != b.Dx() || sh.Height != b.Dy() || sh.Format != "png" {
			t.Errorf("sample %d: %s %dx%d, want png %dx%d", i, sh.Format, sh.Width, sh.Height, b.Dx(), b.Dy())
		}
		for j, v := range set.Tile(i) {
			if v != f.level {
				t.Errorf("sample %d (%T): pixel %d is %d, want %d", i, f.img, j, v, f.level)
				break
			}
		}
	}
	if set.Sheets[2].Transparent != 30*12 || set.Sheets[0].Transparent != 0 {
		t.Errorf("transparent pixels %d and %d, want 360 and 0", set.Sheets[2].Transparent, set.Sheets[0].Transparent)
	}
	if set.Blank != len(files) {
		t.Errorf("%d blank samples, want all %d (each uniform)", set.Blank, len(files))
	}

	// RGB keeps the colour.
	rgb, err := tiles.Load(paths[1:2], tiles.Options{Resize: image.Pt(4, 2), Color: tiles.RGB})
	if err != nil || !slices.Equal(rgb.Tile(0)[:3], []uint8{255, 0, 0}) || rgb.D != 24 {
		t.Errorf("rgb: %v %v", rgb.Tile(0), err)
	}
}

// TestFitRects: stretch, pad and crop put a wide, a tall and a same-shaped
// image where Pillow's ImageOps.pad and ImageOps.fit do (centred; pad's
// rounding half to even as Python's round).
func TestFitRects(t *testing.T) {
	r := image.Rect
	tests := []struct {
		sw, sh, w, h int
		fit          tiles.Fit
		sr, dr       image.Rectangle
	}{
		{20, 10, 8, 8, tiles.FitStretch, r(0, 0, 20, 10), r(0, 0, 8, 8)},
		{20, 10, 8, 8, tiles.FitPad, r(0, 0, 20, 10), r(0, 2, 8, 6)},     // new height round(10/20*8) = 4, y = round(2.0) = 2
		{10, 30, 16, 16, tiles.FitPad, r(0, 0, 10, 30), r(6, 0, 11, 16)}, // width round(5.33) = 5, x = round(5.5) = 6 (half to even)
		{20, 10, 8, 8, tiles.FitCrop, r(5, 0, 15, 10), r(0, 0, 8, 8)},    // the centred 10x10
		{10, 30, 16, 16, tiles.FitCrop, r(0, 10, 10, 20), r(0, 0, 16, 16)},
		{28, 28, 16, 16, tiles.FitCrop, r(0, 0, 28, 28), r(0, 0, 16, 16)},
		{30, 20, 12, 8, tiles.FitPad, r(0, 0, 30, 20), r(0, 0, 12, 8)}, // same aspect ratio
	}
	for _, tt := range tests {
		sr, dr := tiles.FitRects(tt.sw, tt.sh, tt.w, tt.h, tt.fit)
		if sr != tt.sr || dr != tt.dr {
			t.Errorf("%dx%d into %dx%d, fit %d: %v -> %v, want %v -> %v", tt.sw, tt.sh, tt.w, tt.h, tt.fit, sr, dr, tt.sr, tt.dr)
		}
	}
}

// TestResizeFits: a wide black image padded on white keeps white bands
// above and below; cropped, a left-black, right-white image keeps its two
// halves.
func TestResizeFits(t *testing.T) {
	dir := t.TempDir()
	black := pngFile(t, dir, "black.png", uniform(image.NewGray(image.Rect(0, 0, 20, 10)), color.Gray{0}))
	half := image.NewGray(image.Rect(0, 0, 20, 10))
	for y := range 10 {
		for x := 10; x < 20; x++ {
			half.SetGray(x, y, color.Gray{255})
		}
	}
	halves := pngFile(t, dir, "halves.png", half)
	pad, err := tiles.Load([]string{black}, tiles.Options{Resize: image.Pt(8, 8), Fit: tiles.FitPad})
	if err != nil {
		t.Fatal(err)
	}
	for y := range 8 {
		want := uint8(255)
		if y >= 2 && y < 6 {
			want = 0
		}
		if row := pad.Tile(0)[y*8 : y*8+8]; slices.ContainsFunc(row, func(v uint8) bool { return v != want }) {
			t.Errorf("pad row %d: %v, want all %d", y, row, want)
		}
	}
	crop, err := tiles.Load([]string{halves}, tiles.Options{Resize: image.Pt(8, 8), Fit: tiles.FitCrop})
	if err != nil {
		t.Fatal(err)
	}
	row := crop.Tile(0)[:8]
	if row[0] != 0 || row[1] != 0 || row[6] != 255 || row[7] != 255 {
		t.Errorf("crop row %v: want black left, white right", row)
	}
}

// digits returns n random h x w gray images, row-major, one after another.
func digits(n, h, w int) []uint8 {
	r := rand.New(rand.NewPCG(7, 1))
	px := make([]uint8, n*h*w)
	for i := range px {
		px[i] = uint8(r.IntN(256))
	}
	return px
}

// idxFile is an IDX file: magic 00 00 08 dims, big-endian sizes, data.
func idxFile(dims []int, data []uint8) []byte {
	b := []byte{0, 0, 8, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	return append(b, data...)
}

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	z := gzip.NewWriter(&b)
	z.Write(data)
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func npyFile(t *testing.T, data []uint8, shape ...int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := npy.Write(&b, data, shape...); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func write(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestArraysAgree: the same images as a .npy of shape (N, H, W), a .npy of
// (N, D) read with the tile size, an IDX file (plain and gzipped) and
// PNG files give the same tile matrix, byte for byte; an array file is a
// sheet whose rows are its images.
func TestArraysAgree(t *testing.T) {
	const n, h, w = 12, 4, 6
	px := digits(n, h, w)
	dir := t.TempDir()
	var pngs []string
	for i := range n {
		img := &image.Gray{Pix: px[i*h*w : (i+1)*h*w], Stride: w, Rect: image.Rect(0, 0, w, h)}
		pngs = append(pngs, pngFile(t, dir, filepath.Join("png", string(rune('a'+i))+".png"), img))
	}
	cases := []struct {
		name  string
		paths []string
		opts  tiles.Options
	}{
		{"npy (N, H, W)", []string{write(t, dir, "d.npy", npyFile(t, px, n, h, w))}, tiles.Options{}},
		{"npy (N, D)", []string{write(t, dir, "flat.npy", npyFile(t, px, n, h*w))}, tiles.Options{Grid: tiles.Grid{TileWidth: w, TileHeight: h}}},
		{"IDX", []string{write(t, dir, "d-idx3-ubyte", idxFile([]int{n, h, w}, px))}, tiles.Options{}},
		{"IDX gzipped", []string{write(t, dir, "d-idx3-ubyte.gz", gzipped(t, idxFile([]int{n, h, w}, px)))}, tiles.Options{}},
		{"IDX, tile given", []string{write(t, dir, "e.idx3", idxFile([]int{n, h, w}, px))}, tiles.Options{Size: 0, Grid: tiles.Grid{TileWidth: w, TileHeight: h}}},
		{"PNG files at their size", pngs, tiles.Options{Resize: image.Pt(w, h)}},
		{"npy resized to its size", []string{filepath.Join(dir, "d.npy")}, tiles.Options{Resize: image.Pt(w, h)}},
		{"two halves", []string{write(t, dir, "a.npy", npyFile(t, px[:5*h*w], 5, h, w)), write(t, dir, "b-idx3-ubyte", idxFile([]int{n - 5, h, w}, px[5*h*w:]))}, tiles.Options{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set, err := tiles.Load(c.paths, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(set.Pix, px) || set.Width != w || set.Height != h || set.N() != n {
				t.Fatalf("%d samples of %dx%d, pixels equal %v", set.N(), set.Width, set.Height, bytes.Equal(set.Pix, px))
			}
			if len(c.paths) == 1 && set.Sheets[0].Rows == n {
				for i, o := range set.Origins {
					if o != (tiles.Origin{Row: int32(i)}) {
						t.Fatalf("origin %d: %+v, want row %d", i, o, i)
					}
				}
			}
		})
	}

	// In memory: sources by their first bytes.
	set, err := tiles.LoadSources([]tiles.Source{{Name: "mem", Data: gzipped(t, idxFile([]int{n, h, w}, px))}}, tiles.Options{})
	if err != nil || !bytes.Equal(set.Pix, px) || set.Sheets[0].Format != "idx" {
		t.Errorf("in memory: %v", err)
	}

	// RGB: (N, H, W, 3) read as RGB is the bytes; as gray, their luma.
	rgbPx := digits(n, h, w*3)
	rgbFile := write(t, dir, "rgb.npy", npyFile(t, rgbPx, n, h, w, 3))
	set, err = tiles.Load([]string{rgbFile}, tiles.Options{Color: tiles.RGB})
	if err != nil || !bytes.Equal(set.Pix, rgbPx) || set.D != h*w*3 {
		t.Errorf("rgb: %v", err)
	}
	set, err = tiles.Load([]string{rgbFile}, tiles.Options{})
	r, g, b := uint32(rgbPx[0])*0x101, uint32(rgbPx[1])*0x101, uint32(rgbPx[2])*0x101
	if want := uint8((19595*r + 38470*g + 7471*b + 1<<15) >> 24); err != nil || set.Pix[0] != want || set.D != h*w {
		t.Errorf("rgb as gray: %v, first %d, want %d", err, set.Pix[0], want)
	}
	// Gray arrays as RGB: three equal channels.
	set, err = tiles.Load([]string{filepath.Join(dir, "d.npy")}, tiles.Options{Color: tiles.RGB})
	if err != nil || !slices.Equal(set.Pix[:3], []uint8{px[0], px[0], px[0]}) {
		t.Errorf("gray as rgb: %v %v", set.Pix[:3], err)
	}
}

// TestArrayErrors: each broken or refused array is one error naming the
// file and what is wrong, matching ErrCorrupt (broken) or
// errors.ErrUnsupported (valid, but not uint8 images).
func TestArrayErrors(t *testing.T) {
	dir := t.TempDir()
	px := digits(10, 4, 4)
	good := npyFile(t, px, 10, 4, 4)
	idx := idxFile([]int{10, 4, 4}, px)
	floats := bytes.Buffer{}
	npy.Write(&floats, make([]float32, 10*16), 10, 4, 4)
	fortran := bytes.Replace(good, []byte("'fortran_order': False"), []byte("'fortran_order': True "), 1)
	object := bytes.Replace(good, []byte("'|u1'"), []byte("'|O' "), 1)
	tests := []struct {
		name, file string
		data       []byte
		opts       tiles.Options
		corrupt    bool
		msg        string
	}{
		{"truncated npy", "t.npy", good[:len(good)-7], tiles.Options{}, true, "truncated: the NPY header says 10 images of 4x4 (160 bytes of data), the file holds 153"},
		{"npy header cut", "h.npy", good[:20], tiles.Options{}, true, "not a valid .npy file"},
		{"float npy", "f.npy", floats.Bytes(), tiles.Options{}, false, ".npy of dtype float32 (\"<f4\"): want uint8 images"},
		{"fortran npy", "o.npy", fortran, tiles.Options{}, false, "Fortran order: want C order"},
		{"object npy", "x.npy", object, tiles.Options{}, false, "dtype object"},
		{"(N, D) without a size", "flat.npy", npyFile(t, px, 10, 16), tiles.Options{}, false, "holds rows of 16 values: give the image size"},
		{"(N, D) of another size", "flat2.npy", npyFile(t, px, 10, 16), tiles.Options{Size: 5}, false, "rows of 16 values are not 5x5 images"},
		{"1-D npy", "one.npy", npyFile(t, px, 160), tiles.Options{}, false, "want images as (N, H, W)"},
		{"wrong IDX magic", "w-idx3-ubyte", append([]byte{1, 2, 8, 3}, idx[4:]...), tiles.Options{}, true, "not an IDX file: magic 01 02 08 03"},
		{"IDX labels as images", "l-idx1-ubyte", idxFile([]int{10}, px[:10]), tiles.Options{}, false, "holds labels, not images"},
		{"IDX floats", "f-idx3-ubyte", append([]byte{0, 0, 0x0D, 3}, idx[4:]...), tiles.Options{}, false, "IDX data type 0x0d (float)"},
		{"IDX count too large", "c-idx3-ubyte", idxFile([]int{11, 4, 4}, px), tiles.Options{}, true, "truncated: the IDX header says 11 images of 4x4 (176 bytes of data), the file holds 160"},
		{"IDX count too small", "s-idx3-ubyte", idxFile([]int{9, 4, 4}, px), tiles.Options{}, true, "the count does not match the size: the IDX header says 9 images of 4x4 (144 bytes of data), the file holds 160"},
		{"gzipped IDX count too small", "s-idx3-ubyte.gz", gzipped(t, idxFile([]int{9, 4, 4}, px)), tiles.Options{}, true, "the count does not match the size"},
		{"gzipped IDX truncated", "t-idx3-ubyte.gz", gzipped(t, idxFile([]int{11, 4, 4}, px)), tiles.Options{}, true, "truncated: the IDX header says 11 images"},
		{"broken gzip", "b-idx3-ubyte.gz", gzipped(t, idx)[:30], tiles.Options{}, true, "b-idx3-ubyte.gz"},
		{"tile size differs", "d.npy", good, tiles.Options{Size: 5}, false, "10 images of 4x4, not of the tile size 5x5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := write(t, dir, tt.file, tt.data)
			_, err := tiles.Load([]string{p}, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), p) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v, want one line naming %s with %q", err, p, tt.msg)
			}
			if tt.corrupt && !errors.Is(err, tiles.ErrCorrupt) && tt.name != "broken gzip" {
				t.Errorf("%v: want ErrCorrupt", err)
			}
			if !tt.corrupt && !errors.Is(err, errors.ErrUnsupported) && !strings.Contains(tt.name, "size") {
				t.Errorf("%v: want errors.ErrUnsupported", err)
			}
		})
	}
	// An image among arrays, without Resize, is refused.
	img := pngFile(t, dir, "x.png", image.NewGray(image.Rect(0, 0, 4, 4)))
	if _, err := tiles.Load([]string{write(t, dir, "ok.npy", good), img}, tiles.Options{}); err == nil || !strings.Contains(err.Error(), "an image among arrays") {
		t.Errorf("image among arrays: %v", err)
	}
}

// TestSkipBad: a folder of images with one corrupt file fails naming it;
// with SkipBad the others load and Bad names the corrupt one.
func TestSkipBad(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := range 30 {
		paths = append(paths, pngFile(t, dir, filepath.Join("c", string(rune('a'+i%26))+string(rune('a'+i/26))+".png"), uniform(image.NewGray(image.Rect(0, 0, 6, 6)), color.Gray{uint8(i)})))
	}
	full, _ := os.ReadFile(paths[17])
	os.WriteFile(paths[17], full[:len(full)/2], 0o644)
	_, err := tiles.Load(paths, tiles.Options{Resize: image.Pt(3, 3)})
	if err == nil || !errors.Is(err, tiles.ErrCorrupt) || !strings.Contains(err.Error(), paths[17]) {
		t.Fatalf("without SkipBad: %v, want ErrCorrupt naming %s", err, paths[17])
	}
	var calls [][2]int
	set, err := tiles.Load(paths, tiles.Options{Resize: image.Pt(3, 3), SkipBad: true, Workers: 3,
		Progress: func(done, total int) { calls = append(calls, [2]int{done, total}) }})
	if err != nil {
		t.Fatal(err)
	}
	if set.N() != 29 || len(set.Bad) != 1 || set.Bad[0].Path != paths[17] || !errors.Is(set.Bad[0].Err, tiles.ErrCorrupt) {
		t.Fatalf("%d samples, bad %v", set.N(), set.Bad)
	}
	for i, sh := range set.Sheets {
		j := i
		if i >= 17 {
			j++
		}
		if sh.Path != paths[j] || set.Tile(i)[0] != uint8(j) {
			t.Errorf("sample %d: %s with %d, want %s with %d", i, sh.Path, set.Tile(i)[0], paths[j], j)
		}
	}
	if len(calls) == 0 || calls[len(calls)-1] != [2]int{30, 30} || !slices.IsSortedFunc(calls, func(a, b [2]int) int { return a[0] - b[0] }) {
		t.Errorf("progress calls %v: want ascending, ending at 30 of 30", calls)
	}
	// Every file bad: an error, not an empty set.
	if _, err := tiles.Load(paths[17:18], tiles.Options{Resize: image.Pt(3, 3), SkipBad: true}); err == nil || !strings.Contains(err.Error(), "all 1 files were left out") {
		t.Errorf("all bad: %v", err)
	}
}

// TestSamplesRefuseGridOptions: margin, spacing and crop cut sheets; with
// Resize they are an error, not ignored.
func TestSamplesRefuseGridOptions(t *testing.T) {
	p := pngFile(t, t.TempDir(), "a.png", image.NewGray(image.Rect(0, 0, 4, 4)))
	for _, o := range []tiles.Options{
		{Resize: image.Pt(2, 2), Grid: tiles.Grid{TileWidth: 2, TileHeight: 2, Spacing: 1}},
		{Resize: image.Pt(2, 2), Crop: true},
		{Resize: image.Pt(0, 2)},
		{Resize: image.Pt(2, 2), Fit: 7},
	} {
		if _, err := tiles.Load([]string{p}, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	// MaxPixels holds for samples and arrays' images as for sheets.
	arr := write(t, t.TempDir(), "a.npy", npyFile(t, make([]uint8, 2*16), 2, 4, 4))
	for _, paths := range [][]string{{p}, {arr}} {
		if _, err := tiles.Load(paths, tiles.Options{Resize: image.Pt(2, 2), MaxPixels: 8}); !errors.Is(err, tiles.ErrTooLarge) || !strings.Contains(err.Error(), "4x4 pixels is larger than the 8-pixel limit") {
			t.Errorf("%v with MaxPixels 8: %v, want ErrTooLarge", paths, err)
		}
	}
}

// TestResizeAsPillow: -resize's Catmull-Rom is Pillow's bicubic: 200 MNIST
// digits (28x28 PNGs) resized to 16x16 here and by Pillow's
// Image.resize((16, 16)) (Debian's python3-pil 9.4) differ by 0.23 gray
// levels on average, by more than 4 on 0.6% of the pixels (Pillow rounds
// and clips to 8 bits between its horizontal and vertical passes,
// x/image/draw does not: the largest differences, 12, sit on strokes'
// edges).
// A filter that does not average (nearest neighbour) is off by tens.
func TestResizeAsPillow(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import numpy, PIL").Run(); err != nil {
		sharedtest.Missing(t, py+" with numpy and Pillow not found (Debian python3-numpy, python3-pil; .ci/deps installs them)")
	}
	const n = 200
	px := sharedtest.ReadMNIST(t, "train-images-idx3-ubyte.gz")[16:]
	dir := t.TempDir()
	var paths []string
	for i := range n {
		img := &image.Gray{Pix: px[i*784 : (i+1)*784], Stride: 28, Rect: image.Rect(0, 0, 28, 28)}
		paths = append(paths, pngFile(t, dir, fmt.Sprintf("%03d.png", i), img))
	}
	set, err := tiles.Load(paths, tiles.Options{Resize: image.Pt(16, 16)})
	if err != nil {
		t.Fatal(err)
	}
	list := write(t, dir, "files.txt", []byte(strings.Join(paths, "\n")))
	out, err := exec.Command(py, "-c", `
import sys, numpy as np
from PIL import Image
x = np.stack([np.asarray(Image.open(f).convert('L').resize((16, 16))) for f in open(sys.argv[1]).read().split("\n")])
sys.stdout.buffer.write(x.tobytes())
`, list).Output()
	if err != nil || len(out) != len(set.Pix) {
		t.Fatalf("Pillow: %d bytes, %v", len(out), err)
	}
	sum, over4, most := 0, 0, 0
	for i, v := range set.Pix {
		d := int(v) - int(out[i])
		d = max(d, -d)
		sum += d
		most = max(most, d)
		if d > 4 {
			over4++
		}
	}
	mean, share := float64(sum)/float64(len(out)), float64(over4)/float64(len(out))
	if mean > 0.5 || share > 0.02 || most > 16 {
		t.Errorf("against Pillow: mean difference %.3f, %.2f%% of pixels off by more than 4, at most %d; want at most 0.5, 2%%, 16", mean, 100*share, most)
	}
	t.Logf("against Pillow: mean difference %.3f, %.2f%% off by more than 4, at most %d", mean, 100*share, most)
}

// TestSamplesAsSheets: every image of testdata/formats (each format,
// bit depth, palette, alpha, EXIF orientation, Pillow's, ImageMagick's
// and tiffcp's files) loaded as one sample at its own size gives the
// features of the same image loaded as a sheet of one tile, gray and RGB,
// over a coloured background; a file of several images (TIFF pages, GIF,
// APNG and WebP frames) gives a sample per page, named, composited and
// counted as its sheets; a file a sheet cannot be is refused as a sample
// with the same error, and with SkipBad is left out.
func TestSamplesAsSheets(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "formats", "*.*"))
	bg := color.RGBA{30, 200, 90, 255}
	tested, pages := 0, 0
	for _, p := range paths {
		if strings.HasSuffix(p, ".py") || strings.HasSuffix(p, ".md") {
			continue
		}
		for _, model := range []tiles.ColorModel{tiles.Gray, tiles.RGB} {
			probe, err := tiles.Load([]string{p}, tiles.Options{Resize: image.Pt(1, 1)})
			if err != nil {
				_, serr := tiles.Load([]string{p}, tiles.Options{Size: 1})
				if serr == nil || serr.Error() != err.Error() {
					t.Errorf("%s: as a sample %v, as a sheet %v", p, err, serr)
				}
				skipped, err := tiles.Load([]string{p, paths[0]}, tiles.Options{Resize: image.Pt(1, 1), SkipBad: true})
				if err != nil || len(skipped.Bad) != 1 || skipped.Bad[0].Path != p {
					t.Errorf("%s with SkipBad: %v", p, err)
				}
				continue
			}
			sh := probe.Sheets[0]
			w, h := sh.Width, sh.Height
			sheet, err := tiles.Load([]string{p}, tiles.Options{Grid: tiles.Grid{TileWidth: w, TileHeight: h}, Color: model, Background: bg})
			if err != nil {
				t.Fatalf("%s as a sheet: %v", p, err)
			}
			sample, err := tiles.Load([]string{p}, tiles.Options{Resize: image.Pt(w, h), Color: model, Background: bg})
			if err != nil {
				t.Fatalf("%s as a sample: %v", p, err)
			}
			if !bytes.Equal(sample.Pix, sheet.Pix) || len(sample.Sheets) != len(sheet.Sheets) || sample.N() != len(sheet.Sheets) {
				t.Errorf("%s (%v): %d samples from %d sheets differ from the sheet's %d tiles of %d sheets",
					p, model, sample.N(), len(sample.Sheets), sheet.N(), len(sheet.Sheets))
				continue
			}
			for i, s := range sample.Sheets {
				c := sheet.Sheets[i]
				if s.Name() != c.Name() || s.Page != c.Page || s.Orientation != c.Orientation || s.Transparent != c.Transparent || s.Format != c.Format ||
					s.Width != c.Width || s.Height != c.Height || s.Rows != 1 || s.Cols != 1 || sample.Origins[i] != (tiles.Origin{Sheet: int32(i)}) {
					t.Errorf("%s (%v): sample %d's sheet %+v, the sheet's %+v", p, model, i, s, c)
				}
			}
			if len(sample.Sheets) > 1 {
				pages++
			}
			tested++
		}
	}
	if tested < 40 || pages < 10 {
		t.Errorf("only %d images compared, %d of them files of several images", tested, pages)
	}
}

// TestCase_bench_sizes_oom_crash_budget: the tile matrix is asked for
// before it is allocated, with the bytes it and its origins take: a
// budget that refuses (the memory available, by default, or the one the
// context carries) is the error, naming the file, and nothing is
// allocated; a gzipped IDX header is never trusted beyond what the file
// can hold.
func TestCase_bench_sizes_oom_crash_budget(t *testing.T) {
	var b bytes.Buffer
	if err := npy.Write(&b, make([]uint8, 50*16), 50, 4, 4); err != nil {
		t.Fatal(err)
	}
	var asked []memcheck.Load
	ctx := memcheck.WithBudget(context.Background(), func(l memcheck.Load) error {
		asked = append(asked, l)
		return memcheck.Check(memcheck.Need{Bytes: l.Matrix + l.Other, What: l.What}, 1000, "a test", true)
	})
	for _, c := range []struct {
		resize image.Point
		want   memcheck.Load
	}{
		{image.Point{}, memcheck.Load{Matrix: 50 * 16, Other: 50 * 12, What: "50 samples of 16 features from a.npy"}},
		// With the worker's 8x8 RGBA image it is resized into.
		{image.Pt(8, 8), memcheck.Load{Matrix: 50 * 64, Other: 50*12 + 64*4, What: "50 samples of 64 features from a.npy"}},
	} {
		asked = nil
		_, err := tiles.LoadSources([]tiles.Source{{Name: "a.npy", Data: b.Bytes()}}, tiles.Options{Context: ctx, Resize: c.resize})
		var me *memcheck.Error
		if !errors.As(err, &me) || !strings.HasPrefix(err.Error(), "load a.npy: needs ") || len(asked) != 1 || asked[0] != c.want {
			t.Errorf("resize %v: %v, asked %+v, want %+v", c.resize, err, asked, c.want)
		}
	}
	hdr := binary.BigEndian.AppendUint32([]byte{0, 0, 8, 3}, 1<<20)
	hdr = binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(hdr, 28), 28)
	var gz bytes.Buffer
	z := gzip.NewWriter(&gz)
	z.Write(append(hdr, make([]byte, 784)...))
	z.Close()
	_, err := tiles.LoadSources([]tiles.Source{{Name: "x-idx3-ubyte.gz", Data: gz.Bytes()}}, tiles.Options{})
	if !errors.Is(err, tiles.ErrCorrupt) || !strings.Contains(err.Error(), "the IDX header says 1048576 images of 28x28 (822083584 bytes of data), more than a gzipped file of") {
		t.Errorf("a gzipped header that lies: %v", err)
	}
}
