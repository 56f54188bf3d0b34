package tiles_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
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
		dir  string
		msg  string
		noK  bool
		runs []string
	}{
		{filepath.Join(root, "missing"), "missing: no such directory", false, nil},
		{file, "x: not a directory", false, nil},
		{mk("empty", nil), "empty: no centroid1.png..centroidK.png files", true, nil},
		{run, "run: no centroid1.png..centroidK.png files, but its folders [3 10] hold some: name one k", true, []string{"3", "10"}},
		{mk("gap", map[string][]byte{"centroid1.png": gray(4, 4), "centroid3.png": gray(4, 4)}), "centroid2.png is missing but centroid3.png exists", false, nil},
		{mk("zero", map[string][]byte{"centroid01.png": gray(4, 4)}), "centroid01.png: want centroid1.png", false, nil},
		{mk("size", map[string][]byte{"centroid1.png": gray(4, 4), "centroid2.png": gray(4, 5)}), "centroid2.png: 4x5, but centroid1.png is 4x4", false, nil},
		{mk("corrupt", map[string][]byte{"centroid1.png": []byte("\x89PNG\r\n\x1a\nxx")}), "centroid1.png: truncated or corrupt png image", false, nil},
	} {
		_, err := tiles.ReadCentroids(c.dir)
		if err == nil || !strings.Contains(err.Error(), c.msg) || strings.Contains(err.Error(), "-centroids") {
			t.Errorf("%s: %v, want an error containing %q and no flag", c.dir, err, c.msg)
			continue
		}
		var ce *tiles.CentroidsError
		if c.noK && (!errors.Is(err, tiles.ErrNoCentroids) || !errors.As(err, &ce) || !slices.Equal(ce.Runs, c.runs)) {
			t.Errorf("%s: %v: want ErrNoCentroids with runs %v", c.dir, err, c.runs)
		}
	}
}

// oldMontage is the montage of earlier versions (one row), kept here as the
// reference for byte-identical output.
func oldMontage(imgs []*image.Gray, scale, gap int) *image.Gray {
	w, h := imgs[0].Rect.Dx()*scale, imgs[0].Rect.Dy()*scale
	out := image.NewGray(image.Rect(0, 0, len(imgs)*w+(len(imgs)-1)*gap, h))
	for i := range out.Pix {
		out.Pix[i] = 128
	}
	for n, img := range imgs {
		for y := range h {
			for x := range w {
				out.Pix[y*out.Stride+n*(w+gap)+x] = img.Pix[(y/scale)*img.Stride+x/scale]
			}
		}
	}
	return out
}

func TestMontageLayout(t *testing.T) {
	grays := func(k, size int) []*image.Gray {
		out := make([]*image.Gray, k)
		for i := range out {
			out[i] = numberedSheet(size, size)
			out[i].Pix[0] = uint8(i)
		}
		return out
	}
	// k = 3..7 of 16x16 at scale 8, gap 8: one row, the same bytes as before.
	for k := 3; k <= 7; k++ {
		imgs := grays(k, 16)
		got, want := montageGrays(imgs, 8, 8), oldMontage(imgs, 8, 8)
		if got.Rect != want.Rect || !bytes.Equal(got.Pix, want.Pix) {
			t.Errorf("k=%d: montage %v differs from the one-row montage %v", k, got.Rect, want.Rect)
		}
	}
	if s := tiles.MontageScale(16, 16); s != 8 {
		t.Errorf("MontageScale(16,16) = %d, want 8", s)
	}
	// k = 256 of 8x8: no longer an 18424-pixel strip.
	imgs := grays(256, 8)
	m := montageGrays(imgs, 8, 8)
	if m.Rect.Dx() > tiles.DefaultMontageWidth || m.Rect.Dx() != 26*72-8 || m.Rect.Dy() != 10*72-8 {
		t.Fatalf("k=256 montage %v, want 1864x712 (26 columns, 10 rows)", m.Rect)
	}
	// Image n sits at column n%26, row n/26; cells past 256 are gray.
	for _, n := range []int{0, 25, 26, 255} {
		x0, y0 := (n%26)*72, (n/26)*72
		if v := m.GrayAt(x0, y0).Y; v != uint8(n) {
			t.Errorf("image %d: top-left pixel %d, want %d", n, v, n)
		}
	}
	if v := m.GrayAt(1863, 711); v.Y != tiles.MontageGray {
		t.Errorf("unused cell: %d, want gray", v.Y)
	}
	cols, rows := tiles.MontageLayout{Scale: 8, Gap: 8, MaxWidth: 500}.Grid(5, 128)
	if cols != 3 || rows != 2 {
		t.Errorf("Grid(5) within 500 px: %dx%d, want 3x2", cols, rows)
	}
	// Colour: an RGB montage, gray gaps.
	c := image.NewRGBA(image.Rect(0, 0, 2, 1))
	c.Pix = []uint8{255, 0, 0, 255, 0, 0, 255, 255}
	rgb := tiles.Montage([]image.Image{c, c}, tiles.MontageLayout{Scale: 2, Gap: 1})
	if rgb.Bounds() != image.Rect(0, 0, 9, 2) {
		t.Fatalf("rgb montage %v", rgb.Bounds())
	}
	for _, p := range []struct {
		x, y int
		want color.RGBA
	}{{0, 0, color.RGBA{255, 0, 0, 255}}, {3, 1, color.RGBA{0, 0, 255, 255}}, {4, 0, color.RGBA{128, 128, 128, 255}}, {5, 1, color.RGBA{255, 0, 0, 255}}} {
		if got := color.RGBAModel.Convert(rgb.At(p.x, p.y)); got != p.want {
			t.Errorf("rgb montage (%d,%d) = %v, want %v", p.x, p.y, got, p.want)
		}
	}
}

func TestExpandExclusions(t *testing.T) {
	root := t.TempDir()
	mk := func(rel ...string) {
		for _, r := range rel {
			p := filepath.Join(root, r)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	mk("sheets/a.png", "sheets/b.png",
		"sheets/out/"+tiles.OutputMarker, "sheets/out/elbow.png", "sheets/out/3/montage.png", "sheets/out/3/centroid1.png",
		"legacy/summary.json", "legacy/labels.csv", "legacy/elbow.png", "legacy/5/centroid1.png",
		"proj/summary.json", "proj/data/sheets/c.png")
	base := func(ps []string) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i], _ = filepath.Rel(root, p)
		}
		return out
	}
	if !tiles.IsOutputDir(filepath.Join(root, "sheets/out")) || !tiles.IsOutputDir(filepath.Join(root, "legacy")) ||
		tiles.IsOutputDir(filepath.Join(root, "proj")) || tiles.IsOutputDir(filepath.Join(root, "sheets")) {
		t.Error("IsOutputDir")
	}
	glob := filepath.Join(root, "sheets", "*", "*.png")
	all := []string{filepath.Join(root, "sheets"), filepath.Join(root, "sheets", "out"), filepath.Join(root, "legacy", "*.png"), glob}
	got, err := tiles.Expand(all)
	if err != nil || len(got) != 4 {
		t.Fatalf("no options: %v %v", base(got), err)
	}
	var ee *tiles.ExcludedError
	_, err = tiles.Expand([]string{filepath.Join(root, "sheets"), glob}, tiles.SkipOutputDirs())
	if !errors.As(err, &ee) || ee.Arg != glob || ee.Dir != filepath.Join(root, "sheets", "out") || !errors.Is(err, tiles.ErrNoImages) {
		t.Errorf("glob of output files only: %v", err)
	}
	got, err = tiles.Expand([]string{filepath.Join(root, "sheets"), filepath.Join(root, "proj/data/sheets"), glob}[:2], tiles.SkipOutputDirs())
	if want := []string{"sheets/a.png", "sheets/b.png", "proj/data/sheets/c.png"}; err != nil || !slices.Equal(base(got), want) {
		t.Errorf("skip output dirs: %v %v, want %v", base(got), err, want)
	}
	// ExcludeTree: the -out being written, whether or not it is marked yet.
	mk("sheets/new/x.png", "sheets/more/d.png")
	got, err = tiles.Expand([]string{filepath.Join(root, "sheets"), filepath.Join(root, "sheets", "*", "*.png")},
		tiles.ExcludeTree(filepath.Join(root, "sheets", "new")), tiles.SkipOutputDirs())
	if want := []string{"sheets/a.png", "sheets/b.png", "sheets/more/d.png"}; err != nil || !slices.Equal(base(got), want) {
		t.Errorf("exclude tree: %v %v, want %v", base(got), err, want)
	}
	// Through a symbolic link to the excluded tree.
	link := filepath.Join(root, "link")
	if err := os.Symlink(filepath.Join(root, "sheets", "more"), link); err != nil {
		t.Fatal(err)
	}
	if _, err := tiles.Expand([]string{link}, tiles.ExcludeTree(filepath.Join(root, "sheets", "more"))); !errors.As(err, &ee) {
		t.Errorf("symlinked tree: %v", err)
	}
	// Everything excluded: -images d -out d.
	d := filepath.Join(root, "sheets", "out")
	_, err = tiles.Expand([]string{d}, tiles.ExcludeTree(d))
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "never read as sheets") {
		t.Errorf("all excluded: %v", err)
	}
	// A file named outright inside an output folder is left out too.
	_, err = tiles.Expand([]string{filepath.Join(d, "elbow.png")}, tiles.SkipOutputDirs())
	if !errors.As(err, &ee) {
		t.Errorf("named output file: %v", err)
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

// montageGrays lays gray images out with Montage.
func montageGrays(imgs []*image.Gray, scale, gap int) *image.Gray {
	in := make([]image.Image, len(imgs))
	for i, g := range imgs {
		in[i] = g
	}
	return tiles.Montage(in, tiles.MontageLayout{Scale: scale, Gap: gap}).(*image.Gray)
}

// TestExpandLeavesHiddenFilesOut: a folder listing and a glob skip files
// whose names start with a dot (a run's lock and staging files beside its
// -out among them), as a shell does; a hidden file named outright, or a
// pattern that starts with a dot, still finds it.
func TestExpandLeavesHiddenFilesOut(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.png", ".out.tilekmeans-lock", ".hidden.png"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		arg  string
		want []string
	}{
		{dir, []string{"a.png"}},
		{filepath.Join(dir, "*"), []string{"a.png"}},
		{filepath.Join(dir, ".*.png"), []string{".hidden.png"}},
		{filepath.Join(dir, ".hidden.png"), []string{".hidden.png"}},
	} {
		got, err := tiles.Expand([]string{tt.arg})
		var names []string
		for _, g := range got {
			names = append(names, filepath.Base(g))
		}
		if err != nil || !slices.Equal(names, tt.want) {
			t.Errorf("Expand(%s) = %v, %v; want %v", tt.arg, names, err, tt.want)
		}
	}
}
