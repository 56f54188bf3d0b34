package main

import (
	"image"
	"image/color"
	"image/draw"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/tiles/npy"
)

// sharedCase is a file of ../shared/cases (skipped when absent, failing
// under CI=true).
func sharedCase(t *testing.T, rel string) string {
	return sharedtest.Shared(t, filepath.Join("cases", rel))
}

// TestCase_background_number_as_hex: ../shared/cases/background_number_as_hex.
// A bare number is a gray level 0..255 or a usage error, never three hex
// digits: -background 256 was #225566, 300 #330000, 1e2 #11ee22, abc
// #aabbcc. Hex needs the '#'; SVG/CSS colour names are read as ImageMagick
// reads them.
func TestCase_background_number_as_hex(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"0", "#000000"}, {"255", "#ffffff"}, {"100", "#646464"}, {"007", "#070707"}, {" 42 ", "#2a2a2a"},
		{"#fff", "#ffffff"}, {"#FFFFFF", "#ffffff"}, {"#225566", "#225566"}, {"#12a", "#1122aa"},
		{"white", "#ffffff"}, {"Black", "#000000"}, {"magenta", "#ff00ff"}, {"pink", "#ffc0cb"}, {"gray", "#808080"},
	} {
		var b background
		if err := b.UnmarshalText([]byte(c.in)); err != nil || b.String() != c.want {
			t.Errorf("-background %q: %v, %v; want %s", c.in, b, err, c.want)
		}
	}
	for _, c := range []struct{ in, why string }{
		{"256", "a gray level is 0..255"}, {"300", "a gray level is 0..255"}, {"1000", "a gray level is 0..255"},
		{"-1", "a gray level is 0..255"}, {"99999999999999999999", "a gray level is 0..255"},
		{"12a", "hex colours need a '#': #12a"}, {"abc", "hex colours need a '#': #abc"}, {"1e2", "hex colours need a '#': #1e2"},
		{"225566", "a gray level is 0..255"}, {"aabbcc", "hex colours need a '#': #aabbcc"},
		{"#12", "want #rrggbb or #rgb"}, {"#ggg", "want #rrggbb or #rgb"}, {"#1234567", "want #rrggbb or #rgb"},
		{"", "want #rrggbb"}, {"pinkish", "want #rrggbb"}, {"12.5", "want #rrggbb"},
	} {
		var b background
		if err := b.UnmarshalText([]byte(c.in)); err == nil || !strings.Contains(err.Error(), c.why) {
			t.Errorf("-background %q: %v, %v; want an error saying %q", c.in, b, err, c.why)
		}
	}

	img := sharedCase(t, "background_number_as_hex/pal_trns.png")
	for _, v := range []string{"256", "300", "1e2", "abc", "-1"} {
		code, _, stderr := runCLI(t, "run", "-images", img, "-tile", "8", "-k", "2", "-backend", "cpu", "-background", v, "-out", filepath.Join(t.TempDir(), "o"))
		if code != exitUsage || !strings.HasPrefix(stderr, "tilekmeans: -background "+v+": ") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("-background %s: exit %d, %q; want one usage line", v, code, stderr)
		}
	}
	// The transparent pixels (palette index 0, tRNS 0) become the gray
	// level given, and summary.json says which colour.
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	src, _, err := image.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		flag string
		gray uint8
	}{{"255", 255}, {"0", 0}, {"100", 100}, {"#646464", 100}} {
		out := filepath.Join(t.TempDir(), "o")
		code, _, stderr := runCLI(t, "run", "-q", "-images", img, "-tile", "8", "-k", "2", "-backend", "cpu", "-background", c.flag, "-export", "npy", "-out", out)
		if code != exitOK {
			t.Fatalf("-background %s: exit %d: %s", c.flag, code, stderr)
		}
		if got := readSummary(t, out)["background"]; got != (background{c.gray, c.gray, c.gray}).String() {
			t.Errorf("-background %s: summary says %v", c.flag, got)
		}
		tilesNpy, err := os.Open(filepath.Join(out, "tiles.npy"))
		if err != nil {
			t.Fatal(err)
		}
		arr, err := npy.Read[uint8](tilesNpy)
		tilesNpy.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := composite(src, color.Gray{Y: c.gray})
		b := src.Bounds()
		transparent, wrong := 0, 0
		for y := range b.Dy() {
			for x := range b.Dx() {
				tile := (y/8)*(b.Dx()/8) + x/8
				got := arr.Data[tile*64+(y%8)*8+x%8]
				if _, _, _, a := src.At(b.Min.X+x, b.Min.Y+y).RGBA(); a == 0 {
					transparent++
					if got != c.gray {
						wrong++
					}
				}
				if got != want.GrayAt(x, y).Y {
					wrong++
				}
			}
		}
		if transparent != 672 || wrong != 0 {
			t.Errorf("-background %s: %d transparent pixels (want 672), %d pixels off", c.flag, transparent, wrong)
		}
	}
}

// composite draws src over an opaque background and returns its gray
// levels (BT.601 luma, as color.GrayModel).
func composite(src image.Image, bg color.Color) *image.Gray {
	b := src.Bounds()
	rgba := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(rgba, rgba.Bounds(), image.NewUniform(bg), image.Point{}, draw.Src)
	draw.Draw(rgba, rgba.Bounds(), src, b.Min, draw.Over)
	g := image.NewGray(rgba.Bounds())
	draw.Draw(g, g.Bounds(), rgba, image.Point{}, draw.Src)
	return g
}

// TestCase_ninit_explicit_rows: ../shared/cases/ninit_explicit_rows.
// -init rows:... -n-init 4 ran the same start four times and recorded
// n_init 4. Right (scikit-learn warns "Explicit initial center position
// passed: performing only one init"): one run, one note on stderr and in
// summary.json's warnings, n_init 1, the result of -n-init 1. On the USPS
// sheets and the embedded ones, with several row lists.
func TestCase_ninit_explicit_rows(t *testing.T) {
	type job struct {
		images  []string
		k, rows string
	}
	for _, j := range []job{{nil, "5", "rows:0,1,2,3,4"}, {nil, "2", "rows:5609,17"}, {[]string{"usps"}, "3", "rows:0,1,2"}} {
		t.Run(j.rows, func(t *testing.T) { testOneStart(t, j.images, j.k, j.rows) })
	}
	// With random or k-means++ starts -n-init still runs every start.
	_, stderr := runSummary(t, "run", "-backend", "cpu", "-k", "3", "-init", "kmeans++", "-n-init", "3", "-v")
	if !strings.Contains(stderr, "k=3 restart 3 ") || strings.Contains(stderr, "note:") {
		t.Errorf("kmeans++ -n-init 3: %s", stderr)
	}
}

// testOneStart checks that -init rows -n-init 4 on the sheets images
// (the embedded ones when nil, the USPS sheets for "usps") runs once, with
// a note.
func testOneStart(t *testing.T, images []string, k, rows string) {
	if len(images) > 0 {
		images = []string{"-images", sharedtest.SharedDir(t, "data", "usps")}
	}
	base := append(append([]string{"run", "-backend", "cpu", "-k", k, "-init", rows}, images...), "-v")
	once, _ := runSummary(t, base...)
	s, stderr := runSummary(t, append(base, "-n-init", "4")...)
	note := "tilekmeans: note: -init " + rows + " gives the initial centroids: one run instead of -n-init 4"
	if strings.Count(stderr, note) != 1 || strings.Contains(stderr, "restart") || strings.Count(stderr, " iter 1/") != 1 {
		t.Errorf("%s -n-init 4: want one note %q and one start, stderr:\n%s", rows, note, stderr)
	}
	r, w := s.Runs[0], once.Runs[0]
	if s.NInit != 1 || len(s.Warnings) != 1 || !strings.HasPrefix(note, "tilekmeans: note: "+s.Warnings[0][:40]) ||
		r.Inertia != w.Inertia || r.Iterations != w.Iterations || !slices.Equal(r.Sizes, w.Sizes) {
		t.Errorf("%s -n-init 4: n_init %d, warnings %q, %+v; want n_init 1 and the -n-init 1 result %+v", rows, s.NInit, s.Warnings, r, w)
	}
}
