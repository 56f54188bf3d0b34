package main

import (
	"bytes"
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/tiles"
	"github.com/tilekmeans/tilekmeans/tiles/npy"
)

func TestTileSizeFlag(t *testing.T) {
	for _, tt := range []struct {
		in   string
		w, h int
		bad  bool
	}{{"16", 16, 16, false}, {"10x16", 10, 16, false}, {"1x1", 1, 1, false}, {"0", 0, 0, true}, {"10x", 0, 0, true}, {"x16", 0, 0, true}, {"ax2", 0, 0, true}, {"3x-1", 0, 0, true}} {
		var s tileSize
		err := s.Set(tt.in)
		if (err != nil) != tt.bad || !tt.bad && (s.w != tt.w || s.h != tt.h) {
			t.Errorf("Set(%q): %v %v", tt.in, s, err)
		}
	}
	s := tileSize{16, 16}
	if s.String() != "16" || s.dims() != "16x16" || (&tileSize{10, 16}).String() != "10x16" {
		t.Errorf("String %q dims %q", s.String(), s.dims())
	}
}

// TestSheetFlagErrors: the sheet flags' mistakes are usage errors naming
// the flag.
func TestSheetFlagErrors(t *testing.T) {
	tsx := filepath.Join(t.TempDir(), "a.tsx")
	for _, tt := range []struct{ args, msg string }{
		{"-margin -1", "-margin -1: want >= 0"},
		{"-spacing -2", "-spacing -2: want >= 0"},
		{"-color cmyk", "-color cmyk: want gray or rgb"},
		{"-background pinkish", "-background pinkish: want #rrggbb"},
		{"-labels rows:0", "-labels rows:0: want rows:N"},
		{"-tileset " + tsx + " -images x.png", "-tileset " + tsx + " names its own image: leave -images out"},
		{"-tileset " + tsx + " -tile 8", "-tileset " + tsx + " gives the grid: leave -tile out"},
	} {
		code, _, stderr := runCLI(t, append([]string{"run"}, strings.Fields(tt.args)...)...)
		if code != exitUsage || !strings.Contains(stderr, tt.msg) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("run %s: exit %d, %q, want %q", tt.args, code, stderr, tt.msg)
		}
	}
}

// sheet returns a shared real sheet (../shared/data/sheets), skipping the
// test (failing it under CI=true) when it is absent.
func sheet(t *testing.T, name string) string {
	return sharedtest.Shared(t, filepath.Join("data", "sheets", name))
}

// TestRealSheetsWorkedExamples runs the README's worked examples on the
// three public sheets of ../shared/data/sheets.
func TestRealSheetsWorkedExamples(t *testing.T) {
	t.Run("10x16 font", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "o")
		code, _, stderr := runCLI(t, "run", "-q", "-images", sheet(t, "terminal10x16_gs_ro.png"), "-tile", "10x16", "-k", "16", "-backend", "cpu", "-out", out)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		s := readSummary(t, out)
		if s["tiles"] != 256.0 || s["tile_width"] != 10.0 || s["tile_height"] != 16.0 || s["features"] != 160.0 || s["tile_size"] != nil {
			t.Errorf("summary: %v tiles of %vx%v, %v features, tile_size %v", s["tiles"], s["tile_width"], s["tile_height"], s["features"], s["tile_size"])
		}
		if b := decodePNG(t, filepath.Join(out, "16", "centroid1.png")).Bounds(); b.Dx() != 10 || b.Dy() != 16 {
			t.Errorf("centroid PNG %v, want 10x16", b)
		}
	})
	t.Run("colour sprites with spacing", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "o")
		code, _, stderr := runCLI(t, "run", "-tileset", sheet(t, "roguelikeSheet.tsx"), "-color", "rgb", "-k", "8", "-backend", "cpu", "-export", "npy", "-out", out)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		s := readSummary(t, out)
		if s["tiles"] != 1767.0 || s["color"] != "rgb" || s["features"] != 64.0*64*3 || s["spacing"] != 4.0 || s["background"] != "#ffffff" {
			t.Errorf("summary: %v tiles, color %v, %v features, spacing %v, background %v", s["tiles"], s["color"], s["features"], s["spacing"], s["background"])
		}
		sh := s["sheets"].([]any)[0].(map[string]any)
		if sh["cols"] != 57.0 || sh["rows"] != 31.0 || sh["transparent_pixels"].(float64) == 0 {
			t.Errorf("sheet %v", sh)
		}
		if strings.Count(stderr, "transparent pixels, composited over #ffffff") != 1 {
			t.Errorf("the transparent sheet is not named once: %q", stderr)
		}
		img := decodePNG(t, filepath.Join(out, "8", "centroid1.png"))
		if _, gray := img.(*image.Gray); gray || img.Bounds().Dx() != 64 {
			t.Errorf("centroid PNG %T %v, want 64x64 colour", img, img.Bounds())
		}
		f, err := os.Open(filepath.Join(out, "tiles.npy"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		arr, err := npy.Read[uint8](f)
		if err != nil || len(arr.Shape) != 2 || arr.Shape[0] != 1767 || arr.Shape[1] != 64*64*3 {
			t.Errorf("tiles.npy: %v %v", arr, err)
		}
		// The transparent pixels are counted inside the tiles only (as
		// Pillow counts alpha < 255 over the 1767 tiles), not in gutters.
		if sh["transparent_pixels"] != 2265687.0 {
			t.Errorf("%v transparent pixels, want 2265687", sh["transparent_pixels"])
		}
		// -crop without the spacing cuts across the gutters: a warning,
		// in summary.json too, naming the grid that fits.
		cropOut := filepath.Join(t.TempDir(), "c")
		code, _, stderr = runCLI(t, "run", "-images", sheet(t, "roguelikeSheet_transparent.png"), "-tile", "64", "-crop", "-k", "2", "-iters", "1", "-backend", "cpu", "-out", cropOut)
		cs := readSummary(t, cropOut)
		if code != exitOK || !strings.Contains(stderr, "warning: ") || !strings.Contains(stderr, "-crop trimmed 33x57 pixels, but the sheet shows the gutters of margin 0, spacing 4") ||
			len(cs["warnings"].([]any)) != 1 || cs["sheets"].([]any)[0].(map[string]any)["cropped"] != "33x57" {
			t.Errorf("-crop across gutters: exit %d, %q, warnings %v", code, stderr, cs["warnings"])
		}
		// -images with the tileset's numbers cuts the same tiles; without
		// the spacing the error points at it, not at -crop.
		code, _, stderr = runCLI(t, "run", "-q", "-images", sheet(t, "roguelikeSheet_transparent.png"), "-tile", "64", "-k", "2", "-backend", "cpu", "-out", filepath.Join(t.TempDir(), "p"))
		if code != exitFailure || !strings.Contains(stderr, "(use -margin 0 -spacing 4)") || strings.Contains(stderr, "-crop") {
			t.Errorf("without -spacing 4: exit %d, %q", code, stderr)
		}
	})
	t.Run("digits by grid row", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "o")
		code, _, stderr := runCLI(t, "run", "-q", "-images", sheet(t, "digits.png"), "-tile", "20", "-k", "10", "-init", "kmeans++", "-n-init", "4", "-labels", "rows:5", "-backend", "cpu", "-out", out)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		s := readSummary(t, out)
		r := s["runs"].([]any)[0].(map[string]any)
		// scikit-learn 1.2.1 on the same tiles (SOURCE.md): purity 0.551,
		// NMI 0.480, ARI 0.319; other k-means++ draws land nearby.
		for _, m := range []struct {
			key  string
			want float64
		}{{"purity", 0.551}, {"nmi", 0.480}, {"ari", 0.319}} {
			if got, ok := r[m.key].(float64); !ok || math.Abs(got-m.want) > 0.02 {
				t.Errorf("%s %v, scikit-learn %v", m.key, r[m.key], m.want)
			}
		}
		if s["classes"] != 10.0 || s["labels"] != "rows:5" || len(r["confusion"].([]any)) != 10 {
			t.Errorf("classes %v labels %v", s["classes"], s["labels"])
		}
		page, _ := os.ReadFile(filepath.Join(out, "report.html"))
		if !bytes.Contains(page, []byte("Class &times; cluster")) || !bytes.Contains(page, []byte("grid row / 5 (-labels rows:5)")) {
			t.Error("the report does not show the classes by grid row")
		}
	})
}

// TestLabelFiles: -labels FILE takes TensorBoard metadata (one column, no
// header) and CSV with a header; a wrong count is one clear line; classes
// that are each one tile leave the metrics out with a note.
func TestLabelFiles(t *testing.T) {
	dir := t.TempDir()
	img := writeFile(t, dir, "s.png", pngOf(t, 64, 32)) // 8 tiles
	tsv := writeFile(t, dir, "meta.tsv", []byte("a\na\na\na\nb\nb\nb\nb\n"))
	csv := writeFile(t, dir, "meta.csv", []byte("tile,label\n0,x\n1,x\n2,y\n3,y\n4,x\n5,x\n6,y\n7,y\n"))
	short := writeFile(t, dir, "short.tsv", []byte("a\nb\n"))
	single := writeFile(t, dir, "single.tsv", []byte("0\n1\n2\n3\n4\n5\n6\n7\n"))
	for _, f := range []string{tsv, csv} {
		out := filepath.Join(dir, "o"+filepath.Ext(f))
		code, _, stderr := runCLI(t, "run", "-q", "-images", img, "-k", "2", "-labels", f, "-backend", "cpu", "-out", out)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", f, code, stderr)
		}
		s := readSummary(t, out)
		if r := s["runs"].([]any)[0].(map[string]any); s["classes"] != 2.0 || r["purity"] == nil {
			t.Errorf("%s: classes %v, purity %v", f, s["classes"], r["purity"])
		}
	}
	code, _, stderr := runCLI(t, "run", "-q", "-images", img, "-k", "2", "-labels", short, "-backend", "cpu", "-out", filepath.Join(dir, "x"))
	if code != exitFailure || !strings.Contains(stderr, "-labels "+short) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("short label file: exit %d, %q", code, stderr)
	}
	out := filepath.Join(dir, "single")
	code, _, stderr = runCLI(t, "run", "-images", img, "-k", "2", "-labels", single, "-backend", "cpu", "-out", out)
	s := readSummary(t, out)
	if code != exitOK || s["runs"].([]any)[0].(map[string]any)["purity"] != nil || !strings.Contains(s["quality_note"].(string), "single tile") ||
		!strings.Contains(stderr, "no purity, NMI or ARI: each of the 8 classes holds a single tile") {
		t.Errorf("one tile per class: exit %d, note %v, stderr %q", code, s["quality_note"], stderr)
	}
}

// TestImageCases: ../shared/cases' images are read right or refused with
// one clear line.
func TestImageCases(t *testing.T) {
	cases := func(rel string) string { return sharedtest.Shared(t, filepath.Join("cases", rel)) }
	t.Run("black glyphs on transparency", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "o")
		code, _, stderr := runCLI(t, "run", "-images", cases("alpha_transparent/black_on_transparent.png"), "-tile", "8", "-k", "2", "-backend", "cpu", "-out", out)
		s := readSummary(t, out)
		if code != exitOK || s["blank_tiles"] != 0.0 || strings.Count(stderr, "transparent pixels, composited over #ffffff (-background)") != 1 {
			t.Errorf("exit %d, %v blank tiles, stderr %q", code, s["blank_tiles"], stderr)
		}
	})
	t.Run("EXIF orientation", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "o")
		if code, _, stderr := runCLI(t, "run", "-q", "-images", cases("exif_orientation/exif6.jpg"), "-tile", "8", "-k", "2", "-backend", "cpu", "-out", out); code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		sh := readSummary(t, out)["sheets"].([]any)[0].(map[string]any)
		if sh["width"] != 32.0 || sh["height"] != 40.0 || sh["cols"] != 4.0 || sh["rows"] != 5.0 || sh["orientation"] != "rotated 90° clockwise" {
			t.Errorf("sheet %v, want 32x40 as viewers show it, orientation said", sh)
		}
	})
	t.Run("valid JPEG, unsupported feature", func(t *testing.T) {
		code, _, stderr := runCLI(t, "run", "-images", cases("jpeg_unsupported_message/sub31.jpg"), "-tile", "8", "-k", "2", "-out", filepath.Join(t.TempDir(), "o"))
		if code != exitFailure || !strings.Contains(stderr, "sub31.jpg: valid JPEG image using a feature the decoder does not support") || strings.Contains(stderr, "corrupt") {
			t.Errorf("exit %d, %q", code, stderr)
		}
	})
	t.Run("tiled TIFF", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "o")
		if code, _, stderr := runCLI(t, "run", "-q", "-images", cases("tiff_tiled_gray/tiled16.tif"), "-tile", "8", "-k", "2", "-backend", "cpu", "-export", "npy", "-out", out); code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		want, err := tiles.Load([]string{cases("tiff_tiled_gray/base.png")}, tiles.Options{Size: 8})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(readTilesNpy(t, out), want.Pix) {
			t.Error("tiles.npy of the tiled TIFF differs from base.png's true pixels")
		}
	})
}

// TestOutInsideImages: with -out inside the -images folder (or the same
// folder given again), the run's own files are never read as sheets.
func TestOutInsideImages(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "s.png", pngOf(t, 64, 32))
	out := filepath.Join(dir, "out")
	for range 2 {
		// A quoted glob of the folder sees the lock file beside -out
		// while the run holds it: hidden files are left out, as a shell does.
		code, _, stderr := runCLI(t, "run", "-q", "-images", dir, filepath.Join(dir, "*"), filepath.Join(dir, "*", "*.png"), filepath.Join(dir, "out", "*"), "-k", "2", "-backend", "cpu", "-out", out)
		if code != exitOK && !strings.Contains(stderr, "no image matched") {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	}
	code, _, stderr := runCLI(t, "run", "-q", "-images", dir, "-k", "2", "-backend", "cpu", "-out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if s := readSummary(t, out); len(s["sheets"].([]any)) != 1 || s["tiles"] != 8.0 {
		t.Errorf("the second run read %v sheets, %v tiles: its own outputs", len(s["sheets"].([]any)), s["tiles"])
	}
	// Sheets in a folder that is -out itself: -out holds files it did not
	// write, so it is refused before anything is read.
	code, _, stderr = runCLI(t, "run", "-images", dir, "-k", "2", "-out", dir)
	if code != exitFailure || !strings.Contains(stderr, "not empty and not a tilekmeans output folder") {
		t.Errorf("-out = -images: exit %d, %q", code, stderr)
	}
}
