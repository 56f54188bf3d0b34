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
	"slices"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/tiles"
)

// TestCase_tsx_margin_tiled_rule: ../shared/cases/tsx_margin_tiled_rule's
// sheet_tl.png is a 40x32 sheet of 8x8 tiles with a 1-pixel line added at
// the top and left only, and sheet.tsx what Tiled writes for it (margin 1,
// columns 5). Tiled takes the margin off the top/left only
// (src/libtiled/tileset.cpp: columns = (width - margin + spacing) / (tile +
// spacing), tiles at margin + i*(tile + spacing)): 20 tiles cut at (1+8c,
// 1+8r). Without -margin the error names the margin that fits, so no advice
// leads to misaligned tiles. Beyond the case: another margin and spacing,
// with and without the closing margin and trailing spacing, and with more
// left at the right and bottom, which Tiled ignores (Cropped).
func TestCase_tsx_margin_tiled_rule(t *testing.T) {
	dir := sharedDir(t, "cases", "tsx_margin_tiled_rule")
	sheetPath := filepath.Join(dir, "sheet_tl.png")
	f, err := os.Open(sheetPath)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	gray := tiles.ToGray(img)
	ts, err := tiles.LoadTileset(filepath.Join(dir, "sheet.tsx"), tiles.Options{})
	if err != nil {
		t.Fatal(err)
	}
	byFlag, err := tiles.Load([]string{sheetPath}, tiles.Options{Grid: tiles.Grid{TileWidth: 8, TileHeight: 8, Margin: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if ts.N() != 20 || ts.Sheets[0].Cols != 5 || !bytes.Equal(ts.Pix, byFlag.Pix) {
		t.Fatalf("tileset: %d tiles, %d columns; -margin 1 gives the same pixels: %v", ts.N(), ts.Sheets[0].Cols, bytes.Equal(ts.Pix, byFlag.Pix))
	}
	distinct := map[string]bool{}
	for i, o := range ts.Origins {
		distinct[string(ts.Tile(i))] = true
		for y := range 8 {
			for x := range 8 {
				if v, want := ts.Tile(i)[y*8+x], gray.GrayAt(1+8*int(o.Col)+x, 1+8*int(o.Row)+y).Y; v != want {
					t.Fatalf("tile %d pixel (%d,%d) = %d, want %d (cut at (1+8c, 1+8r))", i, x, y, v, want)
				}
			}
		}
	}
	if len(distinct) != 3 {
		t.Errorf("%d distinct tiles, want 3", len(distinct))
	}
	// Without the margin: the error says the margin that fits (not -crop),
	// and a forced crop is warned about.
	_, err = tiles.Load([]string{sheetPath}, tiles.Options{Size: 8})
	var ge *tiles.GridError
	if !errors.As(err, &ge) || len(ge.Fits) == 0 || ge.Fits[0] != (tiles.Grid{TileWidth: 8, TileHeight: 8, Margin: 1}) ||
		!strings.Contains(err.Error(), "its pixels show the gutters of margin 1, spacing 0 (5x4 tiles)") {
		t.Errorf("without -margin: %v, want the margin that fits", err)
	}
	cropped, err := tiles.Load([]string{sheetPath}, tiles.Options{Size: 8, Crop: true})
	if err != nil || len(cropped.Sheets[0].Misaligned) == 0 || cropped.Sheets[0].Misaligned[0].Margin != 1 {
		t.Errorf("-crop: %v, %+v: want the misalignment named", err, cropped)
	}

	// Another grid: 5x4 tiles, margin 3, spacing 2, 4 columns and 3 rows:
	// 3 + 4*5 + 3*2 = 29 by 3 + 3*4 + 2*2 = 19 at least; a closing margin
	// and a trailing spacing may follow, nothing more.
	g := tiles.Grid{TileWidth: 5, TileHeight: 4, Margin: 3, Spacing: 2}
	full := gutterSheet(g, 4, 3, g.Spacing+3, g.Spacing+3)   // 3 + ... + 3 + 2 + 3
	for extra := 0; extra <= g.Margin+g.Spacing+1; extra++ { // 7 more columns make a 5th column
		sub := full.SubImage(image.Rect(0, 0, 29+extra, 19+min(extra, 5))) // 6 more rows of pixels make a 4th row
		data := encodePNG(t, sub)
		got, err := tiles.LoadSources([]tiles.Source{{Name: "g.png", Data: data}}, tiles.Options{Grid: g})
		if err != nil {
			t.Fatalf("%d pixels past the tiles: %v", extra, err)
		}
		// Past a closing margin and a trailing spacing, the rest is
		// ignored as Tiled ignores it: the gutters are of one colour.
		if want := (image.Point{}); extra > g.Margin+g.Spacing {
			want = image.Pt(extra, 5)
			if got.Sheets[0].Cropped != want {
				t.Errorf("%d pixels past the tiles: Cropped %v, want %v", extra, got.Sheets[0].Cropped, want)
			}
		}
		if got.N() != 12 || got.Sheets[0].Cols != 4 || got.Sheets[0].Rows != 3 {
			t.Fatalf("%d pixels past the tiles: %d tiles in %dx%d", extra, got.N(), got.Sheets[0].Cols, got.Sheets[0].Rows)
		}
		for i := range 12 {
			for y := range 4 {
				for x := range 5 {
					if v, want := got.Tile(i)[y*5+x], uint8((i*7+x+3*y)%251+1); v != want {
						t.Fatalf("%d past: tile %d pixel (%d,%d) = %d, want %d", extra, i, x, y, v, want)
					}
				}
			}
		}
		// What Tiled writes for it: columns by its rule.
		tdir := t.TempDir()
		if err := os.WriteFile(filepath.Join(tdir, "g.png"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		tsx := filepath.Join(tdir, "g.tsx")
		text := fmt.Sprintf(`<tileset name="g" tilewidth="5" tileheight="4" spacing="2" margin="3" tilecount="12" columns="%d"><image source="g.png" width="%d" height="%d"/></tileset>`,
			(29+extra-3+2)/7, 29+extra, 19+min(extra, 5))
		if err := os.WriteFile(tsx, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if got, err := tiles.LoadTileset(tsx, tiles.Options{}); err != nil || got.N() != 12 {
			t.Errorf("%d past: the tileset Tiled writes: %v", extra, err)
		}
	}
}

// TestCase_tsx_trans_ignored: ../shared/cases/tsx_trans_ignored's
// keyed.tsx names imgs/keyed.png (RGB, no alpha) with trans="ff00ff": each
// of its 20 tiles is a 4x4 gray square (0, 100 or 200) on magenta. The
// magenta pixels are transparent, as Tiled shows them: composited over the
// background and counted, in gray and in RGB. Beyond the case: other
// colours keys on paletted, gray and 16-bit images, a translucent pixel of
// the key colour left as it is (Tiled keys opaque pixels), a bad trans;
// Resize, which would make the image one sample without its key, refused.
func TestCase_tsx_trans_ignored(t *testing.T) {
	tsx := filepath.Join(sharedDir(t, "cases", "tsx_trans_ignored"), "keyed.tsx")
	for _, c := range []struct {
		model tiles.ColorModel
		bg    color.Color
		out   uint8
	}{{tiles.Gray, nil, 255}, {tiles.RGB, nil, 255}, {tiles.Gray, color.Black, 0}, {tiles.RGB, color.Black, 0}} {
		got, err := tiles.LoadTileset(tsx, tiles.Options{Color: c.model, Background: c.bg})
		if err != nil {
			t.Fatal(err)
		}
		if got.N() != 20 || got.Sheets[0].Transparent != 20*(64-16) {
			t.Fatalf("%v over %v: %d tiles, %d transparent pixels, want 20 and 960", c.model, c.bg, got.N(), got.Sheets[0].Transparent)
		}
		ch := c.model.Channels()
		for i := range got.N() {
			tile := got.Tile(i)
			square := tile[(2*8+2)*ch]
			for p := range 64 {
				x, y := p%8, p/8
				want := c.out
				if x >= 2 && x < 6 && y >= 2 && y < 6 {
					want = square
				}
				for k := range ch {
					if tile[p*ch+k] != want {
						t.Fatalf("%v over %v: tile %d pixel (%d,%d) = %v, want %d", c.model, c.bg, i, x, y, tile[p*ch:p*ch+ch], want)
					}
				}
			}
			if square != 0 && square != 100 && square != 200 {
				t.Errorf("tile %d: square of %d", i, square)
			}
		}
	}

	// Other images and keys: each 2x1 tile's first pixel is the key, its
	// second not.
	dir := t.TempDir()
	pal := image.NewPaletted(image.Rect(0, 0, 4, 1), color.Palette{color.RGBA{0, 255, 0, 255}, color.RGBA{0, 254, 0, 255}, color.RGBA{0, 255, 0, 128}})
	pal.Pix = []uint8{0, 1, 2, 1} // key, near the key, the key colour translucent, near
	g := image.NewGray(image.Rect(0, 0, 4, 1))
	g.Pix = []uint8{128, 127, 128, 129}
	g16 := image.NewRGBA64(image.Rect(0, 0, 4, 1))
	g16.SetRGBA64(0, 0, color.RGBA64{0x1234, 0x5678, 0x9abc, 0xffff}) // 8-bit 12 56 9a
	g16.SetRGBA64(1, 0, color.RGBA64{0x1334, 0x5678, 0x9abc, 0xffff})
	g16.SetRGBA64(2, 0, color.RGBA64{0x12ff, 0x5600, 0x9a00, 0xffff})
	g16.SetRGBA64(3, 0, color.RGBA64{0, 0, 0, 0xffff})
	for _, c := range []struct {
		name, trans string
		img         image.Image
		keyed       []bool
	}{
		{"pal.png", "00ff00", pal, []bool{true, false, false, false}},
		{"gray.png", "#808080", g, []bool{true, false, true, false}},
		{"rgb16.png", "12569A", g16, []bool{true, false, true, false}},
	} {
		if err := os.WriteFile(filepath.Join(dir, c.name), encodePNG(t, c.img), 0o644); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, c.name+".tsx")
		text := fmt.Sprintf(`<tileset tilewidth="2" tileheight="1"><image source="%s" trans="%s"/></tileset>`, c.name, c.trans)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		bg := color.RGBA{1, 2, 3, 255}
		keyed, err := tiles.LoadTileset(p, tiles.Options{Color: tiles.RGB, Background: bg})
		if err != nil {
			t.Fatal(err)
		}
		plain, err := tiles.LoadSources([]tiles.Source{{Name: c.name, Data: encodePNG(t, c.img)}}, tiles.Options{Grid: tiles.Grid{TileWidth: 2, TileHeight: 1}, Color: tiles.RGB, Background: bg})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for i, k := range c.keyed {
			got, want := keyed.Pix[3*i:3*i+3], plain.Pix[3*i:3*i+3]
			if k {
				want = []uint8{1, 2, 3}
				n++
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s trans=%s: pixel %d = %v, want %v", c.name, c.trans, i, got, want)
			}
		}
		if keyed.Sheets[0].Transparent != n+plain.Sheets[0].Transparent {
			t.Errorf("%s: %d transparent pixels, want %d", c.name, keyed.Sheets[0].Transparent, n+plain.Sheets[0].Transparent)
		}
	}
	bad := filepath.Join(dir, "bad.tsx")
	if err := os.WriteFile(bad, []byte(`<tileset tilewidth="2" tileheight="1"><image source="gray.png" trans="pink"/></tileset>`), 0o644); err != nil {
		t.Fatal(err)
	}
	var te *tiles.TilesetError
	if _, err := tiles.LoadTileset(bad, tiles.Options{}); !errors.As(err, &te) || !strings.Contains(err.Error(), `bad.tsx: <image trans="pink">: want a colour rrggbb`) {
		t.Errorf("bad trans: %v", err)
	}
	// A colour key keys a grid's tiles: a tileset with Resize (every
	// image one sample, the key silently dropped before) is refused.
	if _, err := tiles.LoadTileset(tsx, tiles.Options{Resize: image.Pt(8, 8)}); !errors.As(err, &te) || !strings.Contains(err.Error(), "keyed.tsx: a tileset is cut into tiles on its grid, with its colour key; Resize makes every image one sample") {
		t.Errorf("tileset with Resize: %v", err)
	}
}
