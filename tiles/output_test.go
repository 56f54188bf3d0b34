package tiles_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/tiles"
)

func TestCentroidsRoundTrip(t *testing.T) {
	for _, c := range []struct {
		name  string
		w, h  int
		model tiles.ColorModel
	}{
		{"gray square", 4, 4, tiles.Gray},
		{"gray 3x5", 3, 5, tiles.Gray},
		{"rgb 3x2", 3, 2, tiles.RGB},
	} {
		dir := t.TempDir()
		d := c.w * c.h * c.model.Channels()
		k := 3
		means := make([]float64, k*d)
		for i := range means {
			means[i] = float64((i*37)%256) + 0.3
		}
		means[0], means[1] = -5, 300.2 // clamped
		imgs, err := tiles.WriteCentroids(dir, means, k, c.w, c.h, c.model)
		if err != nil || len(imgs) != k {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, err := tiles.ReadCentroids(dir)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got.K != k || got.Width != c.w || got.Height != c.h || got.Color != c.model || got.D != d || len(got.Values) != k*d {
			t.Fatalf("%s: %+v", c.name, got)
		}
		for i, v := range got.Values {
			want := float32(max(0, min(255, float64(int(means[i]+0.5)))))
			if means[i] < 0 {
				want = 0
			}
			if v != want {
				t.Fatalf("%s: value %d = %v, want %v", c.name, i, v, want)
			}
		}
		// The centroid images decode as the model says.
		data, _ := os.ReadFile(filepath.Join(dir, "centroid2.png"))
		img, _ := png.Decode(bytes.NewReader(data))
		if _, gray := img.(*image.Gray); gray != (c.model == tiles.Gray) {
			t.Errorf("%s: centroid2.png decodes as %T", c.name, img)
		}
	}
}

func TestReadCentroidsErrors(t *testing.T) {
	root := t.TempDir()
	gray := func(w, h int) []byte { return encodePNG(t, image.NewGray(image.Rect(0, 0, w, h))) }
	mk := func(name string, files map[string][]byte) string {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for n, data := range files {
			if err := os.WriteFile(filepath.Join(dir, n), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	run := mk("run", nil)
	mk("run/3", map[string][]byte{"centroid1.png": gray(4, 4)})
	mk("run/10", map[string][]byte{"centroid1.png": gray(4, 4)})
	file := filepath.Join(mk("f", map[string][]byte{"x": nil}), "x")
	for _, c := range []struct {
		dir    string
		msg    string
		folder bool // a *CentroidsError
		noK    bool // wrapping ErrNoCentroids
	}{
		{filepath.Join(root, "missing"), "missing: no such directory", true, false},
		{file, "x: not a directory", true, false},
		{mk("empty", nil), "empty: no centroid1.png..centroidK.png files", true, true},
		{run, "run: no centroid1.png..centroidK.png files", true, true},
		{mk("gap", map[string][]byte{"centroid1.png": gray(4, 4), "centroid3.png": gray(4, 4)}), "gap: centroid2.png is missing but centroid3.png exists", true, false},
		{mk("zero", map[string][]byte{"centroid01.png": gray(4, 4)}), "zero: centroid01.png: want centroid1.png", true, false},
		{mk("size", map[string][]byte{"centroid1.png": gray(4, 4), "centroid2.png": gray(4, 5)}), "centroid2.png: 4x5, but centroid1.png is 4x4", false, false},
		{mk("corrupt", map[string][]byte{"centroid1.png": []byte("\x89PNG\r\n\x1a\nxx")}), "centroid1.png: truncated or corrupt png image", false, false},
	} {
		_, err := tiles.ReadCentroids(c.dir)
		if err == nil || !strings.Contains(err.Error(), c.msg) || strings.Contains(err.Error(), "-centroids") {
			t.Errorf("%s: %v, want an error containing %q and no flag", c.dir, err, c.msg)
			continue
		}
		var ce *tiles.CentroidsError
		if errors.As(err, &ce) != c.folder || errors.Is(err, tiles.ErrNoCentroids) != c.noK {
			t.Errorf("%s: %v: a *CentroidsError %v, ErrNoCentroids %v; want %v, %v", c.dir, err, errors.As(err, &ce), errors.Is(err, tiles.ErrNoCentroids), c.folder, c.noK)
		}
	}
}

// TestParallelLoad: any number of workers gives the same tiles, in order,
// and a failing sheet is reported as the first in path order.
func TestParallelLoad(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := range 12 {
		img := numberedSheet(16+4*(i%3), 8)
		img.Pix[0] = uint8(i)
		p := filepath.Join(dir, fmt.Sprintf("s%02d.png", i))
		if err := os.WriteFile(p, encodePNG(t, img), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	ref, err := tiles.Load(paths, tiles.Options{Size: 4, Workers: 1, SkipBlank: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []int{0, 2, 3, 16} {
		got, err := tiles.Load(paths, tiles.Options{Size: 4, Workers: w, SkipBlank: true})
		if err != nil || !bytes.Equal(got.Pix, ref.Pix) || !slices.Equal(got.Origins, ref.Origins) || !reflect.DeepEqual(got.Sheets, ref.Sheets) {
			t.Errorf("workers %d: differs from one worker (%v)", w, err)
		}
	}
	if ref.Tile(ref.Sheets[0].Rows * ref.Sheets[0].Cols)[0] != 1 {
		t.Error("sheet order lost")
	}
	bad := slices.Clone(paths)
	for _, i := range []int{9, 4} {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("bad%d.png", i)), []byte("junk"), 0o644); err != nil {
			t.Fatal(err)
		}
		bad[i] = filepath.Join(dir, fmt.Sprintf("bad%d.png", i))
	}
	for range 5 {
		_, err := tiles.Load(bad, tiles.Options{Size: 4, Workers: 4})
		if err == nil || !strings.Contains(err.Error(), "bad4.png") {
			t.Fatalf("error %v, want the first bad sheet, bad4.png", err)
		}
	}
}
