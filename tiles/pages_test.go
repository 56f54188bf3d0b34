package tiles_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/tiles"
)

// framePal and frameRGB are frame k of the animated test files (gen.py's
// framepal and framergb): frame 1 changes a rectangle of frame 0, frame 2
// another of frame 1, so their encoders wrote frames 1 and 2 as parts of
// the screen at an offset.
func framePal(k int) func(x, y int) rgba16 {
	return func(x, y int) rgba16 {
		i := (x + 2*y) % 16
		switch {
		case k >= 2 && x >= 20 && y >= 10:
			i = (3*x + y) % 16
		case k >= 1 && x >= 5 && x < 20 && y >= 4 && y < 15:
			i = (x + 2*y + 7) % 16
		}
		return eight(16*i, 255-16*i, (37*i)%256, 255)
	}
}

func frameRGB(k int, alpha bool) func(x, y int) rgba16 {
	return func(x, y int) rgba16 {
		c := rgb8(x, y)
		if k >= 2 && x >= 20 && y >= 10 {
			c.g = 0xffff - c.g
		}
		if k >= 1 && x >= 5 && x < 20 && y >= 4 && y < 15 {
			c.r = 0xffff - c.r
		}
		if alpha {
			c.a = alpha8(x, y) * 0x101
		}
		return c
	}
}

// multiImageFiles are the test files that hold several images, written by
// Pillow and libtiff (gen.py), with each page's or frame's true pixels.
var multiImageFiles = []struct {
	file  string
	pages []func(x, y int) rgba16
}{
	{"gif_frames.gif", []func(x, y int) rgba16{framePal(0), framePal(1), framePal(2)}},
	{"apng_frames.png", []func(x, y int) rgba16{frameRGB(0, true), frameRGB(1, true), frameRGB(2, true)}},
	// The default image (gray8) is for viewers that know no APNG: not a frame.
	{"apng_hidden_default.png", []func(x, y int) rgba16{frameRGB(1, true), frameRGB(2, true)}},
	{"webp_frames.webp", []func(x, y int) rgba16{frameRGB(0, false), frameRGB(1, false), frameRGB(2, false)}},
	// The third IFD, a reduced-resolution copy of the second, is no page.
	{"tiff_pages.tif", []func(x, y int) rgba16{gray8, rgb8, palTIFF}},
}

// TestCase_multipage_first_only: ../shared/cases/multipage_first_only holds
// a 3-page TIFF and a 3-frame GIF (page 2 = page 1 negated, page 3 = page 1
// upside down). Every page is a sheet, named path#page; and beyond the
// case, every file of several images that the package reads (TIFF pages;
// GIF, APNG and WebP frames, composited as viewers show them) gives each
// page with its true pixels.
func TestCase_multipage_first_only(t *testing.T) {
	dir := sharedDir(t, "cases", "multipage_first_only")
	for _, f := range []string{"multipage.tif", "anim.gif"} {
		p := filepath.Join(dir, f)
		got, err := tiles.Load([]string{p}, tiles.Options{Size: 8})
		if err != nil {
			t.Fatal(err)
		}
		if got.N() != 60 || len(got.Sheets) != 3 {
			t.Fatalf("%s: %d tiles in %d sheets, want 60 in 3", f, got.N(), len(got.Sheets))
		}
		for i, s := range got.Sheets {
			if s.Path != p || s.Page != i+1 || s.Name() != p+"#"+string(rune('1'+i)) || s.Cols != 5 || s.Rows != 4 {
				t.Errorf("%s: sheet %d is %+v, named %q", f, i, s, s.Name())
			}
		}
		// Page 2 is page 1 negated; page 3 is page 1 with its rows reversed.
		for ti := range 20 {
			r, c := ti/5, ti%5
			for y := range 8 {
				for x := range 8 {
					v := got.Tile(ti)[y*8+x]
					if neg := got.Tile(20 + ti)[y*8+x]; neg != 255-v {
						t.Fatalf("%s: page 2, tile %d (%d,%d) = %d, want 255-%d", f, ti, x, y, neg, v)
					}
					flipped := got.Tile(40 + (3-r)*5 + c)[(7-y)*8+x]
					if flipped != v {
						t.Fatalf("%s: page 3 is not page 1 upside down at tile %d (%d,%d)", f, ti, x, y)
					}
				}
			}
		}
	}
	for _, c := range multiImageFiles {
		t.Run(c.file, func(t *testing.T) {
			data := readFormat(t, c.file)
			pages, err := tiles.DecodePages(c.file, data)
			if err != nil {
				t.Fatal(err)
			}
			if len(pages) != len(c.pages) {
				t.Fatalf("%d pages, want %d", len(pages), len(c.pages))
			}
			for i, img := range pages {
				if msg := comparePixels(img, formatCase{file: c.file, want: c.pages[i]}); msg != "" {
					t.Errorf("page %d: %s", i+1, msg)
				}
			}
			got, err := tiles.LoadSources([]tiles.Source{{Name: c.file, Data: data}}, tiles.Options{Grid: tiles.Grid{TileWidth: fw, TileHeight: fh}, Color: tiles.RGB})
			if err != nil {
				t.Fatal(err)
			}
			if got.N() != len(c.pages) || got.Sheets[1].Page != 2 || got.Sheets[1].Name() != c.file+"#2" {
				t.Errorf("loaded %d tiles, sheet 2 %+v", got.N(), got.Sheets[1])
			}
		})
	}
	// A file of one image keeps its plain name.
	one, err := tiles.LoadSources([]tiles.Source{{Name: "gif_pal.gif", Data: readFormat(t, "gif_pal.gif")}}, tiles.Options{Grid: tiles.Grid{TileWidth: fw, TileHeight: fh}})
	if err != nil || one.Sheets[0].Page != 0 || one.Sheets[0].Name() != "gif_pal.gif" {
		t.Errorf("single image: %v, %+v", err, one)
	}
}

// TestGIFDisposal composites a GIF whose frames use every disposal method
// and a transparent index, checked against the GIF89a rules worked out by
// hand: a frame's transparent pixels keep what is under them; "restore to
// background" clears the frame's area to transparent (as browsers do);
// "restore to previous" brings back what the frame covered.
func TestGIFDisposal(t *testing.T) {
	pal := color.Palette{color.RGBA{0, 0, 0, 255}, color.RGBA{255, 255, 255, 255}, color.RGBA{128, 128, 128, 255}, color.RGBA{}}
	const K, W, G, T = 0, 1, 2, 3 // black, white, gray, transparent
	frame := func(r image.Rectangle, idx uint8) *image.Paletted {
		p := image.NewPaletted(r, pal)
		for i := range p.Pix {
			p.Pix[i] = idx
		}
		return p
	}
	f1 := frame(image.Rect(1, 1, 4, 3), K)
	f1.SetColorIndex(2, 1, T)
	g := &gif.GIF{
		Image:    []*image.Paletted{frame(image.Rect(0, 0, 6, 4), W), f1, frame(image.Rect(3, 0, 5, 2), G), frame(image.Rect(0, 3, 2, 4), K)},
		Delay:    []int{0, 0, 0, 0},
		Disposal: []byte{gif.DisposalNone, gif.DisposalBackground, gif.DisposalPrevious, gif.DisposalNone},
		Config:   image.Config{ColorModel: pal, Width: 6, Height: 4},
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	// The canvases, row by row: W white, K black, G gray, . transparent.
	want := []string{
		"WWWWWW WWWWWW WWWWWW WWWWWW",
		"WWWWWW WKWKWW WKKKWW WWWWWW", // frame 2's transparent pixel shows white
		"WWWGGW W..GGW W...WW WWWWWW", // frame 2's area was cleared after it was shown
		"WWWWWW W...WW W...WW KKWWWW", // frame 3's area was restored after it was shown
	}
	bg := color.RGBA{10, 20, 30, 255}
	got, err := tiles.LoadSources([]tiles.Source{{Name: "disposal.gif", Data: b.Bytes()}}, tiles.Options{Grid: tiles.Grid{TileWidth: 6, TileHeight: 4}, Color: tiles.RGB, Background: bg})
	if err != nil {
		t.Fatal(err)
	}
	if got.N() != 4 {
		t.Fatalf("%d frames, want 4", got.N())
	}
	colors := map[byte][3]uint8{'W': {255, 255, 255}, 'K': {0, 0, 0}, 'G': {128, 128, 128}, '.': {bg.R, bg.G, bg.B}}
	for i, rows := range want {
		rows = strings.ReplaceAll(rows, " ", "")
		transparent := strings.Count(rows, ".")
		for p := range 24 {
			c := colors[rows[p]]
			if px := got.Tile(i)[3*p : 3*p+3]; !slices.Equal(px, c[:]) {
				t.Errorf("frame %d pixel (%d,%d) = %v, want %c", i+1, p%6, p/6, px, rows[p])
			}
		}
		if got.Sheets[i].Transparent != transparent {
			t.Errorf("frame %d: %d transparent pixels, want %d", i+1, got.Sheets[i].Transparent, transparent)
		}
	}
}

// TestCase_gif_frame_offset: ../shared/cases/gif_frame_offset is a valid
// GIF89a whose one frame (16x16 at (8, 8)) covers part of its 40x32 logical
// screen. It is the 40x32 image viewers show: the frame in its place, the
// rest of the screen transparent, so composited over the background and
// counted.
func TestCase_gif_frame_offset(t *testing.T) {
	p := filepath.Join(sharedDir(t, "cases", "gif_frame_offset"), "gifoffset.gif")
	for _, bg := range []color.Color{nil, color.Black} {
		got, err := tiles.Load([]string{p}, tiles.Options{Size: 8, Background: bg})
		if err != nil {
			t.Fatal(err)
		}
		s := got.Sheets[0]
		if got.N() != 20 || s.Width != 40 || s.Height != 32 || s.Page != 0 || s.Transparent != 40*32-16*16 {
			t.Fatalf("%d tiles, sheet %+v", got.N(), s)
		}
		out := uint8(255)
		if bg != nil {
			out = 0
		}
		for i, o := range got.Origins {
			for y := range 8 {
				for x := range 8 {
					X, Y := int(o.Col)*8+x, int(o.Row)*8+y
					want := out
					if X >= 8 && X < 24 && Y >= 8 && Y < 24 {
						// The frame's pixel index i is 1 + i%2: white, gray.
						want = []uint8{255, 128}[((Y-8)*16+X-8)%2]
					}
					if v := got.Tile(i)[y*8+x]; v != want {
						t.Fatalf("background %v: pixel (%d,%d) = %d, want %d", bg, X, Y, v, want)
					}
				}
			}
		}
	}
}

// TestMultiImageErrorsNamePages: a page that fails names itself path#page.
func TestMultiImageErrorsNamePages(t *testing.T) {
	data := readFormat(t, "tiff_pages.tif")
	// 37x29 pages cut into 8x8 tiles do not fit: page 1 is named.
	_, err := tiles.LoadSources([]tiles.Source{{Name: "p.tif", Data: data}}, tiles.Options{Size: 8})
	var ge *tiles.GridError
	if !errors.As(err, &ge) || ge.Path != "p.tif#1" {
		t.Errorf("error %v, want a *GridError for p.tif#1", err)
	}
}
