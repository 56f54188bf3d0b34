package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/tiles/npy"
)

// The cases of ../shared/cases about reading input (issue 20), run as a
// user runs them.

// runOut runs the command with a fresh -out and returns its summary.json,
// stderr and the -out folder.
func runOut(t *testing.T, args ...string) (s summary, stderr, out string) {
	t.Helper()
	out = filepath.Join(t.TempDir(), "out")
	code, _, stderr := runCLI(t, append(args, "-out", out)...)
	if code != exitOK {
		t.Fatalf("%v: exit %d: %s", args, code, stderr)
	}
	return summaryOf(t, out), stderr, out
}

// summaryOf reads the summary.json of the -out folder out.
func summaryOf(t *testing.T, out string) (s summary) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// readTilesNpy reads a run's tiles.npy (-export npy) from its -out folder.
func readTilesNpy(t *testing.T, out string) []uint8 {
	t.Helper()
	f, err := os.Open(filepath.Join(out, "tiles.npy"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, err := npy.Read[uint8](f)
	if err != nil {
		t.Fatal(err)
	}
	return a.Data
}

// TestCase_multipage_first_only_command: each page of the 3-page TIFF and
// each frame of the 3-frame GIF is a sheet: 60 tiles, summary.json gives
// each sheet's page, labels.csv and the report name it path#page.
func TestCase_multipage_first_only_command(t *testing.T) {
	for _, f := range []string{"multipage.tif", "anim.gif"} {
		p := sharedCase(t, "multipage_first_only/"+f)
		s, stderr, out := runOut(t, "run", "-images", p, "-tile", "8", "-k", "2", "-backend", "cpu")
		if s.Tiles != 60 || len(s.Sheets) != 3 || s.Classes != 3 || !strings.Contains(stderr, "3 sheets, 60 tiles") {
			t.Fatalf("%s: %d tiles, %d sheets, %d classes; stderr %q", f, s.Tiles, len(s.Sheets), s.Classes, stderr)
		}
		for i, sh := range s.Sheets {
			if sh.Path != p || sh.Page != i+1 {
				t.Errorf("%s: sheet %d: %+v", f, i, sh)
			}
		}
		rows := readCSV(t, filepath.Join(out, "labels.csv"))[1:]
		if rows[0][1] != p+"#1" || rows[20][1] != p+"#2" || rows[59][1] != p+"#3" {
			t.Errorf("%s: labels.csv names the sheets %q, %q, %q", f, rows[0][1], rows[20][1], rows[59][1])
		}
		page, err := os.ReadFile(filepath.Join(out, "report.html"))
		if err != nil || !bytes.Contains(page, []byte(">"+f+"#2</td>")) {
			t.Errorf("%s: report.html does not list page 2 (%v)", f, err)
		}
	}
}

// TestCase_gif_frame_offset_command: the valid GIF whose frame covers part
// of its screen loads as 20 tiles, its uncovered pixels named as
// transparent ones.
func TestCase_gif_frame_offset_command(t *testing.T) {
	p := sharedCase(t, "gif_frame_offset/gifoffset.gif")
	s, stderr := runSummary(t, "run", "-images", p, "-tile", "8", "-k", "2", "-backend", "cpu")
	if s.Tiles != 20 || s.Sheets[0].Transparent != 1024 || strings.Contains(stderr, "corrupt") ||
		!strings.Contains(stderr, "gifoffset.gif has 1024 transparent pixels, composited over #ffffff (-background)") {
		t.Errorf("%d tiles, %d transparent; stderr %q", s.Tiles, s.Sheets[0].Transparent, stderr)
	}
}

// TestCase_dir_symlinks_skipped_command: the case's layout (sheets/a.png, and
// sheets/b.png a symbolic link to ../real_b.png; built here with a real
// link, since a copy of ../shared may hold the link as a text file) gives 2
// sheets, 40 tiles, as the glob and naming the link do; so does a nested
// folder whose one sheet is a link to a file elsewhere.
func TestCase_dir_symlinks_skipped_command(t *testing.T) {
	a, err := os.ReadFile(sharedCase(t, "dir_symlinks_skipped/sheets/a.png"))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	dir := filepath.Join(root, "sheets")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "a.png", a)
	real := sharedCase(t, "dir_symlinks_skipped/real_b.png")
	if err := os.Symlink(real, filepath.Join(dir, "b.png")); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{dir}, {filepath.Join(dir, "*.png")}, {filepath.Join(dir, "a.png"), filepath.Join(dir, "b.png")}} {
		s, _ := runSummary(t, append([]string{"run", "-tile", "8", "-k", "2", "-backend", "cpu", "-images"}, args...)...)
		if s.Tiles != 40 || len(s.Sheets) != 2 || filepath.Base(s.Sheets[1].Path) != "b.png" {
			t.Errorf("%v: %d tiles in %d sheets", args, s.Tiles, len(s.Sheets))
		}
	}
	nested := filepath.Join(root, "train", "digits")
	if err := os.MkdirAll(nested, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, filepath.Join(nested, "b.png")); err != nil {
		t.Fatal(err)
	}
	s, _ := runSummary(t, "run", "-images", nested, "-tile", "8", "-k", "2", "-backend", "cpu")
	if s.Tiles != 20 || s.Sheets[0].Path != filepath.Join(nested, "b.png") {
		t.Errorf("a folder holding only a link: %d tiles, sheets %+v", s.Tiles, s.Sheets)
	}
}

// TestCase_tsx_margin_tiled_rule_command: the tileset Tiled wrote loads,
// -margin 1 cuts the same tiles (k=3: inertia 0), and without -margin the
// advice is -margin 1, never -crop.
func TestCase_tsx_margin_tiled_rule_command(t *testing.T) {
	for _, args := range [][]string{
		{"-tileset", sharedCase(t, "tsx_margin_tiled_rule/sheet.tsx")},
		{"-images", sharedCase(t, "tsx_margin_tiled_rule/sheet_tl.png"), "-tile", "8", "-margin", "1"},
	} {
		s, _ := runSummary(t, append([]string{"run", "-k", "3", "-backend", "cpu"}, args...)...)
		if s.Tiles != 20 || s.Runs[0].Inertia != 0 || s.Sheets[0].Cols != 5 || s.Sheets[0].Rows != 4 {
			t.Errorf("%v: %d tiles in %dx%d, inertia %v", args, s.Tiles, s.Sheets[0].Cols, s.Sheets[0].Rows, s.Runs[0].Inertia)
		}
	}
	code, _, stderr := runCLI(t, "run", "-images", sharedCase(t, "tsx_margin_tiled_rule/sheet_tl.png"), "-tile", "8", "-k", "3", "-out", filepath.Join(t.TempDir(), "o"))
	if code != exitFailure || !strings.HasSuffix(stderr, "(use -margin 1 -spacing 0)\n") || strings.Contains(stderr, "-crop") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("without -margin: exit %d, %q", code, stderr)
	}
}

// paddedAtlas draws cols x rows tw-pixel tiles of three kinds (dark,
// striped across, striped down: each tile's pixels tell its kind) on a
// white ground with margin and spacing, padded with white to w x h, as an
// atlas packed to a power of two is.
func paddedAtlas(tw, margin, spacing, cols, rows, w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for r := range rows {
		for c := range cols {
			kind := (r*cols + c) % 3
			for y := range tw {
				for x := range tw {
					v := uint8(30)
					switch {
					case kind == 1 && y%2 == 0, kind == 2 && x%2 == 0:
						v = 130
					case kind != 0:
						v = 200
					}
					img.SetGray(margin+c*(tw+spacing)+x, margin+r*(tw+spacing)+y, color.Gray{v})
				}
			}
		}
	}
	return img
}

// TestCase_tsx_margin_tiled_rule_padded: what is left at the right and
// bottom past a closing margin and one spacing is ignored, as Tiled ignores
// it. A 128x128 atlas of 7x7 16-pixel tiles, margin 1, spacing 1, padded to
// a power of two: its .tsx (columns 7, tilecount 49, Tiled's own count
// (128-1+1)/17) and the same flags cut its 49 tiles, noting the 9x9 pixels
// ignored, never advising the 8x8 grid of 16-pixel tiles without gutters
// (cut across them); a 60x49 sheet of 8-pixel tiles, margin 2, spacing 3,
// 6 pixels left over, loads with those flags, and is answered "use -margin 2
// -spacing 3" without them and warned about with margin 3, spacing 3 (a
// whole grid, 1 pixel off).
func TestCase_tsx_margin_tiled_rule_padded(t *testing.T) {
	dir := t.TempDir()
	p1 := writeFile(t, dir, "p1.png", encodeImage(t, "x.png", paddedAtlas(16, 1, 1, 7, 7, 128, 128)))
	tsx := writeFile(t, dir, "p1.tsx", []byte(`<?xml version="1.0" encoding="UTF-8"?>
<tileset version="1.10" tiledversion="1.10.2" name="p1" tilewidth="16" tileheight="16" spacing="1" margin="1" tilecount="49" columns="7">
 <image source="p1.png" width="128" height="128"/>
</tileset>`))
	for _, args := range [][]string{{"-tileset", tsx}, {"-images", p1, "-tile", "16", "-margin", "1", "-spacing", "1"}} {
		s, stderr := runSummary(t, append([]string{"run", "-k", "3", "-backend", "cpu"}, args...)...)
		sh := s.Sheets[0]
		if s.Tiles != 49 || sh.Cols != 7 || sh.Rows != 7 || sh.Cropped != "9x9" || s.Runs[0].Inertia != 0 ||
			!strings.Contains(stderr, "p1.png: the 9x9 pixels right of and below its 7x7 tiles (16x16, margin 1, spacing 1) are ignored, as Tiled ignores them\n") {
			t.Errorf("%v: %d tiles in %dx%d, cropped %q, inertia %v; stderr %q", args, s.Tiles, sh.Cols, sh.Rows, sh.Cropped, s.Runs[0].Inertia, stderr)
		}
	}
	g4 := writeFile(t, dir, "g4.png", encodeImage(t, "x.png", paddedAtlas(8, 2, 3, 5, 4, 60, 49)))
	s, _ := runSummary(t, "run", "-k", "3", "-backend", "cpu", "-images", g4, "-tile", "8", "-margin", "2", "-spacing", "3")
	if s.Tiles != 20 || s.Sheets[0].Cropped != "6x6" || s.Runs[0].Inertia != 0 {
		t.Errorf("g4.png, margin 2, spacing 3: %d tiles, cropped %q, inertia %v", s.Tiles, s.Sheets[0].Cropped, s.Runs[0].Inertia)
	}
	code, _, stderr := runCLI(t, "run", "-k", "3", "-images", g4, "-tile", "8", "-out", filepath.Join(dir, "o"))
	if code != exitFailure || !strings.HasSuffix(stderr, "(use -margin 2 -spacing 3)\n") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("g4.png without margin and spacing: exit %d, %q", code, stderr)
	}
	s, stderr = runSummary(t, "run", "-k", "3", "-backend", "cpu", "-images", g4, "-tile", "8", "-margin", "3", "-spacing", "3")
	if want := "g4.png: the sheet shows the gutters of margin 2, spacing 3 better than those of margin 3, spacing 3: its tiles are probably cut across them (use -margin 2 -spacing 3)"; !strings.Contains(stderr, "warning: "+filepath.Join(dir, want)) || len(s.Warnings) != 1 {
		t.Errorf("g4.png, margin 3, spacing 3: warnings %q, stderr %q", s.Warnings, stderr)
	}
}

// TestCase_tsx_trans_ignored_command: the tileset's colour key makes its
// magenta pixels transparent, composited over -background, counted in
// summary.json and named on stderr; tiles.npy holds no magenta (rgb) and
// no luma 105 (gray).
func TestCase_tsx_trans_ignored_command(t *testing.T) {
	tsx := sharedCase(t, "tsx_trans_ignored/keyed.tsx")
	for _, c := range []struct {
		color, bg string
		want      []uint8
	}{{"gray", "white", []uint8{0, 100, 200, 255}}, {"rgb", "white", []uint8{0, 100, 200, 255}}, {"gray", "black", []uint8{0, 100, 200}}} {
		s, stderr, out := runOut(t, "run", "-tileset", tsx, "-k", "3", "-export", "npy", "-color", c.color, "-background", c.bg, "-backend", "cpu")
		if s.Sheets[0].Transparent != 960 || !strings.Contains(stderr, "keyed.png has 960 transparent pixels, composited over") || s.Runs[0].Inertia != 0 {
			t.Errorf("-color %s: %d transparent pixels, inertia %v; stderr %q", c.color, s.Sheets[0].Transparent, s.Runs[0].Inertia, stderr)
		}
		values := slices.Compact(slices.Sorted(slices.Values(readTilesNpy(t, out))))
		if !slices.Equal(values, c.want) {
			t.Errorf("-color %s -background %s: tiles.npy holds the values %v, want %v", c.color, c.bg, values, c.want)
		}
	}
	// assign keys the sheet out as the run did: the run's summary.json
	// records the key; the sheet itself is refused (its key would be lost:
	// every distance was 1,080,000), the tileset gives distance 0, and a
	// tileset without the key is refused.
	s, _, out := runOut(t, "run", "-tileset", tsx, "-k", "3", "-backend", "cpu")
	if s.ColorKey != "#ff00ff" {
		t.Errorf("summary.json's color_key %q", s.ColorKey)
	}
	dir := t.TempDir()
	centroids := filepath.Join(out, "3")
	csv := filepath.Join(dir, "a.csv")
	code, _, stderr := runCLI(t, "assign", "-centroids", centroids, "-images", sharedCase(t, "tsx_trans_ignored/imgs/keyed.png"), "-o", csv)
	if code != exitUsage || !strings.Contains(stderr, "whose colour key #ff00ff made pixels transparent") || !strings.Contains(stderr, "give -tileset") {
		t.Errorf("assign -images keyed.png: exit %d, %q", code, stderr)
	}
	if code, _, stderr = runCLI(t, "assign", "-centroids", centroids, "-tileset", tsx, "-o", csv); code != exitOK {
		t.Fatalf("assign -tileset: exit %d, %q", code, stderr)
	}
	data, err := os.ReadFile(csv)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	for _, l := range lines[1:] {
		if f := strings.Split(l, ","); f[len(f)-1] != "0" {
			t.Errorf("assign -tileset: %q, want distance 0", l)
			break
		}
	}
	tsxData, err := os.ReadFile(tsx)
	if err != nil {
		t.Fatal(err)
	}
	png, err := filepath.Abs(sharedCase(t, "tsx_trans_ignored/imgs/keyed.png"))
	if err != nil {
		t.Fatal(err)
	}
	unkeyed := strings.NewReplacer(` trans="ff00ff"`, "", `source="imgs/keyed.png"`, `source="`+png+`"`).Replace(string(tsxData))
	if !strings.Contains(unkeyed, png) || strings.Contains(unkeyed, "trans=") {
		t.Fatalf("keyed.tsx is not as expected: %s", tsxData)
	}
	plain := writeFile(t, dir, "plain.tsx", []byte(unkeyed))
	code, _, stderr = runCLI(t, "assign", "-centroids", centroids, "-tileset", plain, "-o", csv)
	if code != exitUsage || !strings.Contains(stderr, "-tileset "+plain+": its colour key is none, but the run that wrote "+centroids+" had #ff00ff") {
		t.Errorf("assign -tileset plain.tsx: exit %d, %q", code, stderr)
	}
}

// TestCase_labels_utf16_command: the two UTF-16LE label files (with and
// without a final newline) give 3 classes, purity, NMI and ARI 1; a
// UTF-16BE one too; Latin-1 is one line refusing the file.
func TestCase_labels_utf16_command(t *testing.T) {
	img := sharedCase(t, "labels_utf16/base.png")
	dir := t.TempDir()
	le, err := os.ReadFile(sharedCase(t, "labels_utf16/utf16.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	be := make([]byte, len(le))
	for i := 0; i+1 < len(le); i += 2 {
		be[i], be[i+1] = le[i+1], le[i]
	}
	files := []string{sharedCase(t, "labels_utf16/utf16.tsv"), sharedCase(t, "labels_utf16/utf16_noeol.tsv"), writeFile(t, dir, "be.tsv", be)}
	for _, f := range files {
		s, _ := runSummary(t, "run", "-images", img, "-tile", "8", "-k", "3", "-labels", f, "-backend", "cpu")
		r := s.Runs[0]
		if s.Classes != 3 || r.Purity == nil || *r.Purity != 1 || *r.NMI != 1 || *r.ARI != 1 {
			t.Errorf("%s: %d classes, purity %v NMI %v ARI %v", filepath.Base(f), s.Classes, r.Purity, r.NMI, r.ARI)
		}
	}
	latin1 := writeFile(t, dir, "latin1.tsv", []byte(strings.Repeat("caf\xe9\n", 20)))
	code, _, stderr := runCLI(t, "run", "-images", img, "-tile", "8", "-k", "3", "-labels", latin1, "-out", filepath.Join(dir, "o"))
	if code != exitFailure || !strings.Contains(stderr, "-labels "+latin1+": not UTF-8 text (byte 3 is 0xe9") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("Latin-1: exit %d, %q", code, stderr)
	}
}

// TestWebPAndArithmeticJPEGCommand: a WebP sheet is read; an arithmetic
// coded JPEG is named as such, not "unknown marker" nor "corrupt".
func TestWebPAndArithmeticJPEGCommand(t *testing.T) {
	formats := filepath.Join("..", "..", "tiles", "testdata", "formats")
	s, _ := runSummary(t, "run", "-images", filepath.Join(formats, "webp_rgb8.webp"), filepath.Join(formats, "webp_frames.webp"), "-tile", "37x29", "-k", "2", "-color", "rgb", "-backend", "cpu")
	if s.Tiles != 4 || s.Sheets[3].Format != "webp" || s.Sheets[3].Page != 0 || s.Sheets[2].Page != 3 {
		t.Errorf("WebP: %d tiles, sheets %+v", s.Tiles, s.Sheets)
	}
	code, _, stderr := runCLI(t, "run", "-images", filepath.Join(formats, "jpeg_arith.jpg"), "-tile", "37x29", "-k", "2", "-out", filepath.Join(t.TempDir(), "o"))
	if code != exitFailure || !strings.Contains(stderr, "jpeg_arith.jpg: valid JPEG image using a feature the decoder does not support: arithmetic coding (SOF9)\n") {
		t.Errorf("arithmetic JPEG: exit %d, %q", code, stderr)
	}
}

// TestCase_tsx_margin_tiled_rule_framed_sprites: the colour-key case's
// sheet, 8x8 tiles at margin 1, spacing 2, each a gray square framed by 2
// pixels of the gutters' magenta, bears out margin 2 as well as margin 1.
// Cut on its true grid it was warned about ("shows the gutters of margin
// 2, spacing 2 better ... use -margin 2 -spacing 2"), advice that cut
// every tile 1 pixel off. Right: no advice where the pixels cannot tell
// the grids apart; the tiles as drawn (inertia 0 at k = 3).
func TestCase_tsx_margin_tiled_rule_framed_sprites(t *testing.T) {
	png := sharedCase(t, "tsx_trans_ignored/imgs/keyed.png")
	s, stderr, _ := runOut(t, "run", "-images", png, "-tile", "8", "-margin", "1", "-spacing", "2", "-k", "3", "-backend", "cpu")
	if len(s.Warnings) > 0 || strings.Contains(stderr, "warning") || s.Runs[0].Inertia != 0 {
		t.Errorf("warnings %q, inertia %v; stderr %q", s.Warnings, s.Runs[0].Inertia, stderr)
	}
}
