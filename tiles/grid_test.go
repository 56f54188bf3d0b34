package tiles_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/tiles"
)

func TestGridFit(t *testing.T) {
	kenney := tiles.Grid{TileWidth: 64, TileHeight: 64, Spacing: 4}
	tests := []struct {
		name          string
		g             tiles.Grid
		w, h          int
		crop          bool
		cols, rows    int
		right, bottom int // of a *GridError
		errPart       string
	}{
		{"edge to edge", tiles.Grid{TileWidth: 16, TileHeight: 16}, 528, 544, false, 33, 34, 0, 0, ""},
		{"non-square", tiles.Grid{TileWidth: 10, TileHeight: 16}, 160, 256, false, 16, 16, 0, 0, ""},
		// 57*64 + 56*4 = 3872: the 1-pixel column left is part of a
		// trailing spacing, as Tiled draws it.
		{"kenney, trailing gutter", kenney, 3873, 2105, false, 57, 31, 0, 0, ""},
		{"kenney, exact", kenney, 3872, 2104, false, 57, 31, 0, 0, ""},
		{"margin", tiles.Grid{TileWidth: 8, TileHeight: 8, Margin: 2, Spacing: 1}, 2 + 3*8 + 2*1 + 2, 2 + 8 + 2, false, 3, 1, 0, 0, ""},
		{"remainder", tiles.Grid{TileWidth: 10, TileHeight: 10}, 32, 32, false, 3, 3, 2, 2, "32x32 is not a multiple of the 10-pixel tile"},
		{"remainder cropped", tiles.Grid{TileWidth: 10, TileHeight: 10}, 32, 32, true, 3, 3, 0, 0, ""},
		{"kenney remainder past the gutter", kenney, 3873 + 10, 2105, false, 57, 31, 11, 1, "not a whole grid of 64x64 spacing 4 tiles: 57x31 tiles leave 11x1 pixels"},
		{"too small", tiles.Grid{TileWidth: 40, TileHeight: 40}, 32, 32, true, 0, 0, 32, 32, "32x32 is smaller than one 40x40 tile"},
		// Tiled takes the margin off the top and left only: 5 + 8 = 13; a
		// closing margin of 5 may follow, not part of one.
		{"margin at the top and left", tiles.Grid{TileWidth: 8, TileHeight: 8, Margin: 5}, 13, 13, false, 1, 1, 0, 0, ""},
		{"closing margin", tiles.Grid{TileWidth: 8, TileHeight: 8, Margin: 5}, 18, 18, false, 1, 1, 0, 0, ""},
		{"part of a closing margin", tiles.Grid{TileWidth: 8, TileHeight: 8, Margin: 5}, 16, 16, false, 1, 1, 3, 3, "1x1 tiles leave 3x3 pixels"},
		{"margin eats the sheet", tiles.Grid{TileWidth: 8, TileHeight: 8, Margin: 9}, 16, 16, false, 0, 0, 16, 16, "smaller than one 8x8 margin 9 tile"},
	}
	for _, tt := range tests {
		cols, rows, err := tiles.GridFit(tt.g, "s.png", tt.w, tt.h, tt.crop)
		if tt.errPart == "" {
			if err != nil || cols != tt.cols || rows != tt.rows {
				t.Errorf("%s: %dx%d, %v; want %dx%d", tt.name, cols, rows, err, tt.cols, tt.rows)
			}
			continue
		}
		var ge *tiles.GridError
		if !errors.As(err, &ge) || !strings.Contains(err.Error(), tt.errPart) || !strings.HasPrefix(err.Error(), "s.png: ") {
			t.Errorf("%s: error %v, want a *GridError containing %q", tt.name, err, tt.errPart)
			continue
		}
		if ge.Cols != tt.cols || ge.Rows != tt.rows || ge.Right != tt.right || ge.Bottom != tt.bottom {
			t.Errorf("%s: %+v, want %dx%d tiles and %dx%d left", tt.name, ge, tt.cols, tt.rows, tt.right, tt.bottom)
		}
	}
	for _, bad := range []tiles.Grid{{}, {TileWidth: 4}, {TileWidth: 4, TileHeight: 4, Margin: -1}, {TileWidth: 4, TileHeight: 4, Spacing: -2}} {
		if _, _, err := tiles.GridFit(bad, "s", 100, 100, false); err == nil {
			t.Errorf("grid %+v: no error", bad)
		}
	}
}

// gutterSheet draws cols x rows tiles of tw x th with margin and spacing on
// a transparent background; tile pixels are opaque and numbered, and pixel
// (x, y) of tile n is gray (n*7 + x + 3y) mod 251 + 1 (never the gutter).
func gutterSheet(g tiles.Grid, cols, rows, extraW, extraH int) *image.NRGBA {
	w := 2*g.Margin + cols*g.TileWidth + (cols-1)*g.Spacing + extraW
	h := 2*g.Margin + rows*g.TileHeight + (rows-1)*g.Spacing + extraH
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for r := range rows {
		for c := range cols {
			n := r*cols + c
			for y := range g.TileHeight {
				for x := range g.TileWidth {
					v := uint8((n*7+x+3*y)%251 + 1)
					img.SetNRGBA(g.Margin+c*(g.TileWidth+g.Spacing)+x, g.Margin+r*(g.TileHeight+g.Spacing)+y, color.NRGBA{v, v, v, 255})
				}
			}
		}
	}
	return img
}

// TestSpacingHint: a sheet drawn with 4-pixel gutters, cut as if edge to
// edge, is not answered with "crop" but with the spacing that fits; and cut
// with the right spacing every tile holds exactly its own pixels.
func TestSpacingHint(t *testing.T) {
	g := tiles.Grid{TileWidth: 16, TileHeight: 12, Spacing: 4}
	img := gutterSheet(g, 5, 3, 1, 0)
	src := []tiles.Source{{Name: "gutters.png", Data: encodePNG(t, img)}}
	_, err := tiles.LoadSources(src, tiles.Options{Grid: tiles.Grid{TileWidth: 16, TileHeight: 12}})
	var ge *tiles.GridError
	if !errors.As(err, &ge) || !slices.Contains(ge.Fits, g) {
		t.Fatalf("error %v: want a *GridError whose Fits hold %+v and that does not suggest cropping", err, g)
	}
	if !strings.Contains(err.Error(), "its pixels show the gutters of margin 0, spacing 4 (5x3 tiles)") {
		t.Errorf("error %q does not say what fits", err)
	}
	got, err := tiles.LoadSources(src, tiles.Options{Grid: g})
	if err != nil {
		t.Fatal(err)
	}
	if got.N() != 15 || got.D != 16*12 || got.Width != 16 || got.Height != 12 {
		t.Fatalf("N=%d D=%d %dx%d", got.N(), got.D, got.Width, got.Height)
	}
	for i, o := range got.Origins {
		n := int(o.Row)*5 + int(o.Col)
		for y := range 12 {
			for x := range 16 {
				if v, want := got.Tile(i)[y*16+x], uint8((n*7+x+3*y)%251+1); v != want {
					t.Fatalf("tile %d pixel (%d,%d) = %d, want %d", i, x, y, v, want)
				}
			}
		}
	}
	// A plain remainder is answered with cropping.
	plain := []tiles.Source{{Name: "plain.png", Data: encodePNG(t, numberedSheet(35, 18))}}
	_, err = tiles.LoadSources(plain, tiles.Options{Size: 16})
	if !errors.As(err, &ge) || ge.Cols == 0 || ge.Rows == 0 || len(ge.Fits) != 0 || ge.Right != 3 || ge.Bottom != 2 {
		t.Errorf("plain remainder: %v", err)
	}
}

// TestRealSheetsGrid cuts the public sheets in ../shared/data/sheets.
func TestRealSheetsGrid(t *testing.T) {
	dir := sharedDir(t, "data", "sheets")
	t.Run("terminal10x16", func(t *testing.T) {
		got, err := tiles.Load([]string{filepath.Join(dir, "terminal10x16_gs_ro.png")}, tiles.Options{Grid: tiles.Grid{TileWidth: 10, TileHeight: 16}})
		if err != nil {
			t.Fatal(err)
		}
		s := got.Sheets[0]
		if got.N() != 256 || got.D != 160 || s.Cols != 16 || s.Rows != 16 {
			t.Errorf("N=%d D=%d grid %dx%d, want 256 tiles of 10x16 in 16x16", got.N(), got.D, s.Cols, s.Rows)
		}
		// Glyph 'A' (65) differs from glyph 'B' (66), and space (32) is blank.
		if bytes.Equal(got.Tile(65), got.Tile(66)) || slices.ContainsFunc(got.Tile(32), func(v uint8) bool { return v != got.Tile(32)[0] }) {
			t.Error("glyphs A and B equal, or space not blank")
		}
	})
	t.Run("digits", func(t *testing.T) {
		got, err := tiles.Load([]string{filepath.Join(dir, "digits.png")}, tiles.Options{Size: 20})
		if err != nil {
			t.Fatal(err)
		}
		s := got.Sheets[0]
		if got.N() != 5000 || s.Cols != 100 || s.Rows != 50 || s.Transparent != 0 || s.Format != "png" {
			t.Errorf("N=%d grid %dx%d transparent %d", got.N(), s.Cols, s.Rows, s.Transparent)
		}
	})
	t.Run("kenney", func(t *testing.T) {
		path := filepath.Join(dir, "roguelikeSheet_transparent.png")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		g := tiles.Grid{TileWidth: 64, TileHeight: 64, Spacing: 4}
		bg := color.RGBA{R: 1, G: 2, B: 3, A: 255}
		got, err := tiles.Load([]string{path}, tiles.Options{Grid: g, Color: tiles.RGB, Background: bg})
		if err != nil {
			t.Fatal(err)
		}
		s := got.Sheets[0]
		if got.N() != 1767 || s.Cols != 57 || s.Rows != 31 || got.D != 64*64*3 || s.Transparent == 0 {
			t.Fatalf("N=%d grid %dx%d D=%d transparent %d; want 1767 in 57x31, 12288, some transparent", got.N(), s.Cols, s.Rows, got.D, s.Transparent)
		}
		// Every tile holds exactly the pixels at its Tiled position,
		// composited over the background: no gutter pixel (x or y mod 68
		// in 64..67) inside any tile.
		for i, o := range got.Origins {
			tile := got.Tile(i)
			for y := range 64 {
				for x := range 64 {
					c := color.NRGBAModel.Convert(raw.At(int(o.Col)*68+x, int(o.Row)*68+y)).(color.NRGBA)
					want := [3]uint8{c.R, c.G, c.B}
					if c.A == 0 {
						want = [3]uint8{1, 2, 3}
					} else if c.A != 255 {
						continue // translucent: rounding is TestFormatsTiles's business
					}
					if p := tile[(y*64+x)*3:]; [3]uint8{p[0], p[1], p[2]} != want {
						t.Fatalf("tile %d (row %d col %d) pixel (%d,%d) = %v, want %v", i, o.Row, o.Col, x, y, p[:3], want)
					}
				}
			}
		}
		// Cut edge to edge, it is answered with the spacing, not cropping.
		_, err = tiles.Load([]string{path}, tiles.Options{Size: 64})
		var ge *tiles.GridError
		if !errors.As(err, &ge) || len(ge.Fits) == 0 || ge.Fits[0] != g {
			t.Errorf("edge to edge: %v; want a hint at spacing 4", err)
		}
	})
	t.Run("tileset", func(t *testing.T) {
		got, err := tiles.LoadTileset(filepath.Join(dir, "roguelikeSheet.tsx"), tiles.Options{Color: tiles.RGB})
		if err != nil {
			t.Fatal(err)
		}
		if got.N() != 1767 || got.Sheets[0].Cols != 57 || got.Grid != (tiles.Grid{TileWidth: 64, TileHeight: 64, Spacing: 4}) ||
			got.Sheets[0].Path != filepath.Join(dir, "roguelikeSheet_transparent.png") {
			t.Errorf("N=%d sheet %+v grid %+v", got.N(), got.Sheets[0], got.Grid)
		}
	})
}

// TestAlphaCases is ../shared/cases/alpha_transparent: black glyphs on a
// transparent background must not become blank tiles. The right values are
// Pillow's: alpha_composite over white, then convert("L").
func TestAlphaCases(t *testing.T) {
	dir := sharedDir(t, "cases", "alpha_transparent")
	for _, c := range []struct {
		file            string
		sum, white      int
		blank           int
		transparentPix  int
		opaqueNonWhites bool
	}{
		{"black_on_transparent.png", 280500, 1100, 0, 1100, true},
		{"la_garbage.png", 316014, 1109, 1, 1100, true},
	} {
		got, err := tiles.Load([]string{filepath.Join(dir, c.file)}, tiles.Options{Size: 8})
		if err != nil {
			t.Fatal(err)
		}
		sum, white := 0, 0
		for _, v := range got.Pix {
			sum += int(v)
			if v == 255 {
				white++
			}
		}
		if got.N() != 20 || sum != c.sum || white != c.white || got.Blank != c.blank || got.Sheets[0].Transparent != c.transparentPix {
			t.Errorf("%s: %d tiles, sum %d white %d blank %d transparent %d; want 20, %d %d %d %d",
				c.file, got.N(), sum, white, got.Blank, got.Sheets[0].Transparent, c.sum, c.white, c.blank, c.transparentPix)
		}
		// Over black, the glyphs of black_on_transparent vanish: the
		// background is what decides, and it is a parameter.
		black := color.RGBA{A: 255}
		got, err = tiles.Load([]string{filepath.Join(dir, c.file)}, tiles.Options{Size: 8, Background: black})
		if err != nil {
			t.Fatal(err)
		}
		if c.file == "black_on_transparent.png" && got.Blank != 20 {
			t.Errorf("over black: %d blank tiles, want 20", got.Blank)
		}
	}
}

func TestReadTileset(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.tsx", `<?xml version="1.0" encoding="UTF-8"?>
<tileset version="1.10" name="t" tilewidth="8" tileheight="6" margin="1" spacing="2" tilecount="6" columns="3">
 <image source="img/sheet.png" width="30" height="16"/>
</tileset>`)
	ts, err := tiles.ReadTileset(good)
	if err != nil {
		t.Fatal(err)
	}
	want := tiles.Tileset{Path: good, Name: "t", TileWidth: 8, TileHeight: 6, Margin: 1, Spacing: 2, Columns: 3, TileCount: 6,
		Image: filepath.Join(dir, "img", "sheet.png"), ImageWidth: 30, ImageHeight: 16}
	if *ts != want {
		t.Errorf("tileset %+v, want %+v", *ts, want)
	}
	// Load it: a 30x16 sheet with margin 1 and spacing 2 holds 3x2 tiles.
	if err := os.Mkdir(filepath.Join(dir, "img"), 0o755); err != nil {
		t.Fatal(err)
	}
	g := tiles.Grid{TileWidth: 8, TileHeight: 6, Margin: 1, Spacing: 2}
	sheet := gutterSheet(g, 3, 2, 0, 0)
	if sheet.Rect.Dx() != 30 || sheet.Rect.Dy() != 16 {
		t.Fatalf("test sheet %v", sheet.Rect)
	}
	if err := os.WriteFile(ts.Image, encodePNG(t, sheet), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := tiles.LoadTileset(good, tiles.Options{Size: 99})
	if err != nil || got.N() != 6 || got.Tile(4)[0] != uint8(4*7+1) {
		t.Errorf("LoadTileset: %v", err)
	}
	for _, bad := range []struct{ name, text, msg string }{
		{"notxml.tsx", "hello", "not a Tiled tileset"},
		{"map.tsx", `<map/>`, "not a Tiled tileset"},
		{"noimage.tsx", `<tileset tilewidth="8" tileheight="8"/>`, "no <image> element"},
		{"collection.tsx", `<tileset tilewidth="8" tileheight="8"><tile id="0"><image source="a.png"/></tile></tileset>`, "image collection"},
		{"zero.tsx", `<tileset tilewidth="0" tileheight="8"><image source="a.png"/></tileset>`, "tilewidth 0"},
		{"neg.tsx", `<tileset tilewidth="8" tileheight="8" spacing="-1"><image source="a.png"/></tileset>`, "want >= 0"},
		{"cols.tsx", `<tileset tilewidth="8" tileheight="8" columns="5"><image source="a.png" width="32" height="8"/></tileset>`, "columns=5, but 8x8 tiles make 4 columns"},
		{"count.tsx", `<tileset tilewidth="8" tileheight="8" tilecount="9"><image source="a.png" width="32" height="16"/></tileset>`, "tilecount=9"},
		{"ref.tsx", `<tileset firstgid="1" source="other.tsx"/>`, "refers to another tileset file"},
		{"url.tsx", `<tileset tilewidth="8" tileheight="8"><image source="http://x/a.png"/></tileset>`, "is a URL"},
	} {
		_, err := tiles.ReadTileset(write(bad.name, bad.text))
		var te *tiles.TilesetError
		if !errors.As(err, &te) || !strings.Contains(err.Error(), bad.msg) || !strings.Contains(err.Error(), bad.name) {
			t.Errorf("%s: %v, want a *TilesetError naming the file and containing %q", bad.name, err, bad.msg)
		}
	}
	if _, err := tiles.ReadTileset(filepath.Join(dir, "missing.tsx")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	// The image contradicts the file: 40x16 where the tileset says 30x16.
	if err := os.WriteFile(ts.Image, encodePNG(t, gutterSheet(g, 4, 2, 0, 0)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := tiles.LoadTileset(good, tiles.Options{}); err == nil || !strings.Contains(err.Error(), "the image is 30x16, but") {
		t.Errorf("image size mismatch: %v", err)
	}
}

func FuzzParseTileset(f *testing.F) {
	f.Add([]byte(`<tileset tilewidth="64" tileheight="64" spacing="4" tilecount="1767" columns="57"><image source="a.png" width="3873" height="2105"/></tileset>`))
	f.Add([]byte(`<tileset tilewidth="8" tileheight="8"><tile id="0"><image source="a.png"/></tile></tileset>`))
	f.Add([]byte(`<?xml version="1.0"?><tileset`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, err := tiles.ParseTileset("f.tsx", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.tsx: ") {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		if ts.TileWidth < 1 || ts.TileHeight < 1 || ts.Margin < 0 || ts.Spacing < 0 || ts.Image == "" {
			t.Errorf("accepted an unusable tileset %+v", ts)
		}
	})
}

// TestCase_tsx_margin_tiled_rule_advice: following any advice the loader
// gives leads to the tiles the sheet was drawn with. Sheets of random
// tiles on one gutter colour, with random tile sizes, margins, spacings and
// pixels left at the right and bottom (of the gutter colour, as an atlas
// padded to a power of two, or of noise: Tiled ignores them either way),
// are loaded with the grid they were drawn with and with wrong ones. The
// true grid always loads, its remainder ignored as Tiled ignores it; a
// wrong one is either refused with advice (Fits[0], or -crop for a grid
// without gutters), which is followed, or with none; and whatever loads
// after advice, or by the pixels bearing a grid out, holds exactly the
// true tiles.
func TestCase_tsx_margin_tiled_rule_advice(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 1))
	for trial := range 400 {
		tw, th := 4+rng.IntN(7), 4+rng.IntN(7)
		limit := min(tw, th)
		truth := tiles.Grid{TileWidth: tw, TileHeight: th, Margin: rng.IntN(min(5, limit)), Spacing: rng.IntN(min(5, limit))}
		if trial%5 == 0 {
			truth.Margin, truth.Spacing = 0, 0
		}
		cols, rows := 2+rng.IntN(4), 2+rng.IntN(4)
		extraW, extraH := rng.IntN(tw+truth.Spacing), rng.IntN(th+truth.Spacing)
		w := truth.Margin + cols*tw + (cols-1)*truth.Spacing + extraW
		h := truth.Margin + rows*th + (rows-1)*truth.Spacing + extraH
		gutter := uint8(rng.IntN(256))
		noiseRest := rng.IntN(2) == 0
		img := image.NewGray(image.Rect(0, 0, w, h))
		for i := range img.Pix {
			img.Pix[i] = gutter
		}
		var want []uint8
		for r := range rows {
			for c := range cols {
				for y := range th {
					for x := range tw {
						v := uint8(rng.IntN(256))
						img.SetGray(truth.Margin+c*(tw+truth.Spacing)+x, truth.Margin+r*(th+truth.Spacing)+y, color.Gray{v})
						want = append(want, v)
					}
				}
			}
		}
		if noiseRest {
			for y := range h {
				for x := range w {
					if x >= w-extraW || y >= h-extraH {
						img.SetGray(x, y, color.Gray{uint8(rng.IntN(256))})
					}
				}
			}
		}
		src := []tiles.Source{{Name: "s.png", Data: encodePNG(t, img)}}
		starts := []tiles.Grid{truth, {TileWidth: tw, TileHeight: th},
			{TileWidth: tw, TileHeight: th, Margin: truth.Margin + 1, Spacing: truth.Spacing},
			{TileWidth: tw, TileHeight: th, Margin: truth.Margin, Spacing: truth.Spacing + 1},
			{TileWidth: tw, TileHeight: th, Margin: max(0, truth.Margin-1), Spacing: max(0, truth.Spacing-1)},
			{TileWidth: tw, TileHeight: th, Margin: rng.IntN(limit), Spacing: rng.IntN(limit)}}
		for si, g := range starts {
			name := fmt.Sprintf("trial %d: %dx%d tiles, %dx%d of margin %d spacing %d, %dx%d left (noise %v), from margin %d spacing %d",
				trial, tw, th, cols, rows, truth.Margin, truth.Spacing, extraW, extraH, noiseRest, g.Margin, g.Spacing)
			crop, advised := false, []string{}
			for step := 0; ; step++ {
				if step > 3 {
					t.Fatalf("%s: advice goes round in circles: %v", name, advised)
				}
				got, err := tiles.LoadSources(src, tiles.Options{Grid: g, Crop: crop})
				var ge *tiles.GridError
				switch {
				case errors.As(err, &ge) && len(ge.Fits) > 0:
					g = ge.Fits[0]
					advised = append(advised, fmt.Sprintf("-margin %d -spacing %d", g.Margin, g.Spacing))
					continue
				case errors.As(err, &ge) && ge.Cols > 0 && ge.Rows > 0 && ge.Grid.Margin == 0 && ge.Grid.Spacing == 0 && !crop:
					crop = true
					advised = append(advised, "-crop")
					continue
				case err != nil:
					if si == 0 {
						t.Errorf("%s: the true grid is refused: %v", name, err)
					}
				case si == 0 && truth.Margin+truth.Spacing > 0 && len(advised) > 0:
					t.Errorf("%s: the true grid loads only after advice %v", name, advised)
				case len(advised) > 0 || got.Sheets[0].Cropped != (image.Point{}) && !crop || si == 0:
					if got.N() != rows*cols || !bytes.Equal(got.Pix, want) {
						t.Errorf("%s: after advice %v, %d tiles of margin %d spacing %d, not the %d drawn", name, advised, got.N(), got.Grid.Margin, got.Grid.Spacing, rows*cols)
					}
				}
				break
			}
		}
	}
}
