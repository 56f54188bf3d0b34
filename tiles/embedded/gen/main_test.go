package main

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/tilekmeans/tilekmeans/tiles/embedded"
)

// gray builds a w x h image from row-major values.
func gray(w, h int, v ...uint8) *image.Gray {
	if len(v) != w*h {
		panic("gray: wrong number of values")
	}
	return &image.Gray{Pix: v, Stride: w, Rect: image.Rect(0, 0, w, h)}
}

func fill(w, h int, c uint8) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = c
	}
	return g
}

func TestScaleArea(t *testing.T) {
	const eps = 1e-9
	// A 3x3 -> 2x2 case worked by hand. Along each axis, output pixel 0
	// covers source pixels 0 and 1 with weights 1 and 1/2 (of a source
	// pixel), output pixel 1 covers 1 and 2 with weights 1/2 and 1. So
	// out(0,0) = (4*10 + 2*20 + 2*40 + 1*50) / 9 = 210/9, and so on.
	g3 := gray(3, 3,
		10, 20, 30,
		40, 50, 60,
		70, 80, 90)
	// A sub-image whose Min is not the origin, to check offsets: the box
	// (1,1)-(3,3) of this 4x4 holds 1 2 / 3 4 (sum 10, mean 2.5).
	g4 := gray(4, 4,
		9, 9, 9, 9,
		9, 1, 2, 9,
		9, 3, 4, 9,
		9, 9, 9, 9)
	tests := []struct {
		name   string
		src    *image.Gray
		r      image.Rectangle
		dw, dh int
		want   []float64 // unrounded means
		wantPx []uint8   // after rounding and clamping
	}{
		{"2x2 to 1x1", gray(2, 2, 0, 255, 255, 255), image.Rect(0, 0, 2, 2), 1, 1,
			[]float64{765.0 / 4}, []uint8{191}},
		{"half rounds up", gray(2, 1, 0, 1), image.Rect(0, 0, 2, 1), 1, 1,
			[]float64{0.5}, []uint8{1}},
		{"quarter rounds down", gray(2, 2, 0, 1, 0, 0), image.Rect(0, 0, 2, 2), 1, 1,
			[]float64{0.25}, []uint8{0}},
		{"3x3 to 2x2 fractional", g3, g3.Bounds(), 2, 2,
			[]float64{210.0 / 9, 330.0 / 9, 570.0 / 9, 690.0 / 9}, []uint8{23, 37, 63, 77}},
		{"3x1 to 2x1", gray(3, 1, 0, 90, 255), image.Rect(0, 0, 3, 1), 2, 1,
			// (2*0 + 1*90)/3 and (1*90 + 2*255)/3
			[]float64{30, 200}, []uint8{30, 200}},
		{"1x1 to 2x2 upscale", gray(1, 1, 77), image.Rect(0, 0, 1, 1), 2, 2,
			[]float64{77, 77, 77, 77}, []uint8{77, 77, 77, 77}},
		{"2x1 to 3x1 upscale", gray(2, 1, 0, 255), image.Rect(0, 0, 2, 1), 3, 1,
			// middle output straddles both sources equally
			[]float64{0, 127.5, 255}, []uint8{0, 128, 255}},
		{"offset box", g4, image.Rect(1, 1, 3, 3), 1, 1,
			[]float64{2.5}, []uint8{3}},
		{"offset box identity", g4, image.Rect(1, 1, 3, 3), 2, 2,
			[]float64{1, 2, 3, 4}, []uint8{1, 2, 3, 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := scaleAreaFloat(tc.src, tc.r, tc.dw, tc.dh)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d values, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if math.Abs(got[i]-tc.want[i]) > eps {
					t.Errorf("mean[%d] = %v, want %v", i, got[i], tc.want[i])
				}
			}
			img, err := scaleArea(tc.src, tc.r, tc.dw, tc.dh)
			if err != nil {
				t.Fatal(err)
			}
			if img.Bounds() != image.Rect(0, 0, tc.dw, tc.dh) {
				t.Fatalf("bounds %v, want %dx%d", img.Bounds(), tc.dw, tc.dh)
			}
			if !bytes.Equal(img.Pix, tc.wantPx) {
				t.Errorf("pixels %v, want %v", img.Pix, tc.wantPx)
			}
		})
	}
}

// Area averaging must keep a constant image constant at any size, and
// conserve total intensity (mean of output == mean of input) for any image.
func TestScaleAreaConstantAndMean(t *testing.T) {
	for _, c := range []uint8{0, 1, 128, 255} {
		src := fill(32, 32, c)
		got, err := scaleArea(src, src.Bounds(), 16, 16)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range got.Pix {
			if v != c {
				t.Fatalf("constant %d: pixel %d = %d", c, i, v)
			}
		}
	}
	src := image.NewGray(image.Rect(0, 0, 19, 23))
	for i := range src.Pix {
		src.Pix[i] = uint8(i * 37 % 256)
	}
	var inSum float64
	for _, v := range src.Pix {
		inSum += float64(v)
	}
	for _, d := range [][2]int{{16, 16}, {7, 5}, {19, 23}, {40, 30}} {
		got, err := scaleAreaFloat(src, src.Bounds(), d[0], d[1])
		if err != nil {
			t.Fatal(err)
		}
		var outSum float64
		for _, v := range got {
			outSum += v
		}
		inMean, outMean := inSum/float64(len(src.Pix)), outSum/float64(len(got))
		if math.Abs(inMean-outMean) > 1e-9 {
			t.Errorf("%dx%d: mean %v, want %v", d[0], d[1], outMean, inMean)
		}
	}
}

func TestScaleAreaErrors(t *testing.T) {
	src := fill(4, 4, 1)
	for _, tc := range []struct {
		name   string
		r      image.Rectangle
		dw, dh int
	}{
		{"empty box", image.Rect(1, 1, 1, 3), 2, 2},
		{"box outside", image.Rect(2, 2, 5, 5), 2, 2},
		{"zero width", src.Bounds(), 0, 2},
		{"negative height", src.Bounds(), 2, -1},
	} {
		if _, err := scaleArea(src, tc.r, tc.dw, tc.dh); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func TestAxisWeights(t *testing.T) {
	// Every output pixel's weights must sum to the source size (its
	// footprint, in scaled units), and every source pixel's weights must
	// sum to the output size (all of it is used exactly once).
	for sn := 1; sn <= 30; sn++ {
		for _, dn := range []int{1, 2, 3, 7, 16, 31} {
			w := axisWeights(sn, dn)
			used := make([]int, sn)
			for o, spans := range w {
				total := 0
				for _, s := range spans {
					if s.weight <= 0 {
						t.Fatalf("sn=%d dn=%d out %d: weight %d", sn, dn, o, s.weight)
					}
					total += s.weight
					used[s.src] += s.weight
				}
				if total != sn {
					t.Fatalf("sn=%d dn=%d out %d: weights sum %d, want %d", sn, dn, o, total, sn)
				}
			}
			for s, u := range used {
				if u != dn {
					t.Fatalf("sn=%d dn=%d src %d: used %d, want %d", sn, dn, s, u, dn)
				}
			}
		}
	}
}

func TestBBox(t *testing.T) {
	tests := []struct {
		name string
		img  *image.Gray
		want image.Rectangle
	}{
		{"single pixel", gray(3, 3, 0, 0, 0, 0, 5, 0, 0, 0, 0), image.Rect(1, 1, 2, 2)},
		{"full", fill(2, 3, 9), image.Rect(0, 0, 2, 3)},
		{"corners", gray(4, 3,
			0, 1, 0, 0,
			0, 0, 0, 0,
			0, 0, 0, 1), image.Rect(1, 0, 4, 3)},
		{"faint ink counts", gray(3, 2, 0, 0, 0, 0, 0, 1), image.Rect(2, 1, 3, 2)},
		{"sub-image keeps coordinates",
			gray(4, 4,
				7, 0, 0, 0,
				0, 0, 3, 0,
				0, 0, 0, 0,
				0, 0, 0, 0).SubImage(image.Rect(1, 1, 4, 4)).(*image.Gray),
			image.Rect(2, 1, 3, 2)},
	}
	for _, tc := range tests {
		got, err := bbox(tc.img)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestBBoxBlank(t *testing.T) {
	for _, img := range []*image.Gray{fill(28, 28, 0), image.NewGray(image.Rect(0, 0, 0, 0))} {
		if _, err := bbox(img); !errors.Is(err, errBlank) {
			t.Errorf("%v: err = %v, want errBlank", img.Bounds(), err)
		}
	}
	// buildSheet must surface it, naming the image.
	imgs := make([]*image.Gray, perSheet)
	for i := range imgs {
		imgs[i] = fill(28, 28, 200)
	}
	imgs[7] = fill(28, 28, 0)
	if _, err := buildSheet(imgs); !errors.Is(err, errBlank) {
		t.Errorf("buildSheet with a blank image: err = %v, want errBlank", err)
	}
}

func TestBuildSheetLayout(t *testing.T) {
	// Tile i is a constant image of value i%250+1; it must land at column
	// i%33, row i/33 and fill the whole tile.
	imgs := make([]*image.Gray, perSheet)
	for i := range imgs {
		imgs[i] = fill(5+i%7, 3+i%11, uint8(i%250+1))
	}
	sheet, err := buildSheet(imgs)
	if err != nil {
		t.Fatal(err)
	}
	if sheet.Bounds() != image.Rect(0, 0, 528, 544) {
		t.Fatalf("bounds %v", sheet.Bounds())
	}
	for i := range imgs {
		x0, y0 := (i%sheetCols)*tileSize, (i/sheetCols)*tileSize
		want := uint8(i%250 + 1)
		for y := range tileSize {
			for x := range tileSize {
				if v := sheet.GrayAt(x0+x, y0+y).Y; v != want {
					t.Fatalf("tile %d (%d,%d): %d, want %d", i, x, y, v, want)
				}
			}
		}
	}
	if _, err := buildSheet(imgs[:10]); err == nil {
		t.Error("buildSheet with 10 images: no error")
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.png")
	for _, data := range [][]byte{[]byte("one"), []byte("second")} {
		if err := writeFileAtomic(p, data); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("got %q, want %q", got, data)
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 {
		t.Errorf("left %d files, want 1 (temp file not cleaned up?)", len(ents))
	}
	if err := writeFileAtomic(filepath.Join(dir, "missing", "b.png"), nil); err == nil {
		t.Error("write into missing dir: no error")
	}
}

// TestReproducesEmbedded runs the generator into a temp dir and checks that
// it reproduces the embedded sheets byte for byte: the checked-in files are
// exactly what `go generate` makes, and the generator is deterministic.
func TestReproducesEmbedded(t *testing.T) {
	if testing.Short() {
		t.Skip("reads all of MNIST; skipped with -short")
	}
	out := t.TempDir()
	if err := run(out); err != nil {
		t.Fatal(err)
	}
	sheets := embedded.Sheets()
	ents, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != len(sheets) {
		t.Errorf("generator wrote %d files, %d are embedded", len(ents), len(sheets))
	}
	for _, s := range sheets {
		got, err := os.ReadFile(filepath.Join(out, s.Name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, s.Data) {
			t.Errorf("%s: regenerated file (%d bytes) differs from embedded (%d bytes); run go generate in tiles/embedded", s.Name, len(got), len(s.Data))
		}
	}
	// The layout of gen and of package embedded agree (embedded's test
	// checks its sheets against its own constants).
	cfg, err := png.DecodeConfig(bytes.NewReader(sheets[0].Data))
	if err != nil || cfg.Width != sheetCols*tileSize || cfg.Height != sheetRows*tileSize || len(sheets) != lastDig-firstDig+1 {
		t.Errorf("embedded: %d sheets of %dx%d (%v); gen: %d of %dx%d", len(sheets), cfg.Width, cfg.Height, err,
			lastDig-firstDig+1, sheetCols*tileSize, sheetRows*tileSize)
	}
}
