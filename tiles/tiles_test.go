package tiles_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/tiles"
	"github.com/tilekmeans/tilekmeans/tiles/embedded"
)

// numberedSheet is a w x h gray sheet whose pixel (x, y) is (x + 3y) mod 256,
// so every tile's contents identify its position.
func numberedSheet(w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetGray(x, y, color.Gray{uint8(x + 3*y)})
		}
	}
	return img
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCutPixelPositions(t *testing.T) {
	// Two sheets of different sizes: 3x2 tiles of 4x4, then 1x2.
	srcs := []tiles.Source{
		{Name: "a.png", Data: encodePNG(t, numberedSheet(12, 8))},
		{Name: "b.png", Data: encodePNG(t, numberedSheet(8, 4))},
	}
	got, err := tiles.LoadSources(srcs, tiles.Options{Size: 4})
	if err != nil {
		t.Fatal(err)
	}
	if got.N() != 6+2 || got.D != 16 {
		t.Fatalf("N=%d D=%d, want 8 tiles of 16", got.N(), got.D)
	}
	for i, org := range got.Origins {
		wantSheet, r, c := int32(0), int32(i/3), int32(i%3)
		if i >= 6 {
			wantSheet, r, c = 1, 0, int32(i-6)
		}
		if org != (tiles.Origin{Sheet: wantSheet, Row: r, Col: c}) {
			t.Errorf("tile %d origin %+v, want sheet %d row %d col %d", i, org, wantSheet, r, c)
		}
		for y := range 4 {
			for x := range 4 {
				want := uint8(int(c)*4 + x + 3*(int(r)*4+y))
				if v := got.Tile(i)[y*4+x]; v != want {
					t.Fatalf("tile %d pixel (%d,%d) = %d, want %d", i, x, y, v, want)
				}
			}
		}
	}
	if got.Sheets[1].Rows != 1 || got.Sheets[1].Cols != 2 || got.Sheets[0].Width != 12 {
		t.Errorf("sheets %+v", got.Sheets)
	}
}

func TestGrayConversion(t *testing.T) {
	rgba := image.NewRGBA(image.Rect(0, 0, 2, 2))
	rgba.Set(0, 0, color.RGBA{255, 0, 0, 255})
	rgba.Set(1, 0, color.RGBA{0, 255, 0, 255})
	rgba.Set(0, 1, color.RGBA{0, 0, 255, 255})
	rgba.Set(1, 1, color.RGBA{200, 100, 50, 255})
	g16 := image.NewGray16(image.Rect(0, 0, 2, 2))
	g16.SetGray16(0, 0, color.Gray16{0xABCD})
	g16.SetGray16(1, 1, color.Gray16{0xFFFF})
	pal := image.NewPaletted(image.Rect(0, 0, 2, 2), color.Palette{color.Black, color.RGBA{0, 255, 0, 255}})
	pal.SetColorIndex(1, 0, 1)
	tests := []struct {
		name string
		img  image.Image
		want []uint8
	}{
		// BT.601 luma: 0.299 R + 0.587 G + 0.114 B.
		{"rgba", rgba, []uint8{76, 150, 29, 124}},
		{"gray16 keeps high byte", g16, []uint8{0xAB, 0, 0, 0xFF}},
		{"paletted", pal, []uint8{0, 150, 0, 0}},
	}
	for _, tt := range tests {
		g := tiles.ToGray(tt.img)
		if !slices.Equal(g.Pix, tt.want) {
			t.Errorf("%s: gray %v, want %v", tt.name, g.Pix, tt.want)
		}
	}
	// A sub-image keeps its own pixels, re-based at (0, 0).
	sub := numberedSheet(8, 8).SubImage(image.Rect(4, 4, 8, 8))
	if g := tiles.ToGray(sub); g.Rect != image.Rect(0, 0, 4, 4) || g.Pix[0] != 4+12 {
		t.Errorf("sub-image: rect %v first %d", g.Rect, g.Pix[0])
	}
}

func TestFormats(t *testing.T) {
	src := numberedSheet(8, 8)
	var jb, gb bytes.Buffer
	if err := jpeg.Encode(&jb, src, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	pal := image.NewPaletted(src.Rect, color.Palette{color.Black, color.White})
	pal.SetColorIndex(3, 3, 1)
	if err := gif.Encode(&gb, pal, nil); err != nil {
		t.Fatal(err)
	}
	for _, s := range []tiles.Source{{"x.jpg", jb.Bytes()}, {"x.gif", gb.Bytes()}, {"x.png", encodePNG(t, src)}} {
		got, err := tiles.LoadSources([]tiles.Source{s}, tiles.Options{Size: 4})
		if err != nil || got.N() != 4 {
			t.Errorf("%s: %v, %d tiles", s.Name, err, got.N())
		}
	}
}

func TestBrokenInputs(t *testing.T) {
	good := encodePNG(t, numberedSheet(32, 32))
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, numberedSheet(32, 32), nil); err != nil {
		t.Fatal(err)
	}
	corrupt := slices.Clone(good)
	copy(corrupt[40:], bytes.Repeat([]byte{0xff}, 30))
	tests := []struct {
		name    string
		data    []byte
		opts    tiles.Options
		wantIs  error
		wantMsg string
	}{
		{"empty file", nil, tiles.Options{Size: 16}, tiles.ErrNotImage, "x: not a JPEG, PNG"},
		{"text file", []byte("hello, not an image\n"), tiles.Options{Size: 16}, tiles.ErrNotImage, "x: not a JPEG"},
		{"truncated png", good[:len(good)/2], tiles.Options{Size: 16}, tiles.ErrCorrupt, "x: truncated or corrupt png image"},
		{"truncated jpeg", jb.Bytes()[:jb.Len()/2], tiles.Options{Size: 16}, tiles.ErrCorrupt, "x: truncated or corrupt jpeg image"},
		{"corrupt png", corrupt, tiles.Options{Size: 16}, tiles.ErrCorrupt, "x: truncated or corrupt png image"},
		{"not a multiple", good, tiles.Options{Size: 10}, nil, "x: 32x32 is not a multiple of the 10-pixel tile"},
		{"smaller than a tile", good, tiles.Options{Size: 40, Crop: true}, nil, "x: 32x32 is smaller than one 40x40 tile"},
	}
	for _, tt := range tests {
		_, err := tiles.LoadSources([]tiles.Source{{Name: "x", Data: tt.data}}, tt.opts)
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
			t.Errorf("%s: %v is not %v", tt.name, err, tt.wantIs)
		}
		if !strings.Contains(err.Error(), tt.wantMsg) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %q, want one line containing %q", tt.name, err, tt.wantMsg)
		}
	}
	var ge *tiles.GridError
	_, err := tiles.LoadSources([]tiles.Source{{Name: "x", Data: good}}, tiles.Options{Size: 10})
	if !errors.As(err, &ge) || ge.Width != 32 || ge.Grid != (tiles.Grid{TileWidth: 10, TileHeight: 10}) || ge.Cols != 3 || len(ge.Fits) != 0 || ge.Right != 2 || ge.Bottom != 2 {
		t.Errorf("size error %v is not a *GridError with the sizes", err)
	}
	if strings.Contains(err.Error(), "-crop") {
		t.Errorf("library error %q names a CLI flag", err)
	}
}

func TestCropAndBlank(t *testing.T) {
	img := numberedSheet(35, 18) // 2x1 tiles of 16 with a 3x2 remainder
	for x := range 16 {
		for y := range 16 {
			img.SetGray(x, y, color.Gray{9}) // first tile blank
		}
	}
	src := []tiles.Source{{Name: "s.png", Data: encodePNG(t, img)}}
	kept, err := tiles.LoadSources(src, tiles.Options{Size: 16, Crop: true})
	if err != nil {
		t.Fatal(err)
	}
	if kept.N() != 2 || kept.Blank != 1 || kept.Skipped != 0 || kept.Sheets[0].Blank != 1 {
		t.Errorf("kept: N=%d blank=%d skipped=%d", kept.N(), kept.Blank, kept.Skipped)
	}
	skip, err := tiles.LoadSources(src, tiles.Options{Size: 16, Crop: true, SkipBlank: true})
	if err != nil {
		t.Fatal(err)
	}
	if skip.N() != 1 || skip.Skipped != 1 || skip.Origins[0] != (tiles.Origin{Sheet: 0, Row: 0, Col: 1}) {
		t.Errorf("skipped: N=%d skipped=%d origins %v", skip.N(), skip.Skipped, skip.Origins)
	}
	allBlank := []tiles.Source{{Name: "b.png", Data: encodePNG(t, image.NewGray(image.Rect(0, 0, 16, 16)))}}
	if _, err := tiles.LoadSources(allBlank, tiles.Options{Size: 16, SkipBlank: true}); err == nil {
		t.Error("all blank with skip: no error")
	}
}

func TestRealSheets(t *testing.T) {
	got := sharedtest.USPS(t)
	if got.N() != 5610 || got.D != 256 || got.Blank != 110 || len(got.Sheets) != 5 {
		t.Fatalf("N=%d D=%d blank=%d sheets=%d; want 5610 256 110 5", got.N(), got.D, got.Blank, len(got.Sheets))
	}
	for _, s := range got.Sheets {
		if s.Width != 528 || s.Height != 544 || s.Rows != 34 || s.Cols != 33 || s.Blank != 22 {
			t.Errorf("%s: %+v", s.Path, s)
		}
	}
	// SOURCE.md: the blank tiles are rows 12..33 of column 32 on every sheet.
	for i, org := range got.Origins {
		tile := got.Tile(i)
		blank := !slices.ContainsFunc(tile, func(v uint8) bool { return v != tile[0] })
		if want := org.Col == 32 && org.Row >= 12; blank != want {
			t.Errorf("tile %d at %+v: blank=%v, want %v", i, org, blank, want)
		}
	}
}

func TestCentroidImageRoundsAndClamps(t *testing.T) {
	mean := []float64{-3, 0.49, 0.5, 1.5, 254.5, 255.4, 300, 127.5, 0, 0, 0, 0, 0, 0, 0, 0}
	img := tiles.CentroidImage(mean, 4, 4, tiles.Gray).(*image.Gray)
	want := []uint8{0, 0, 1, 2, 255, 255, 255, 128, 0, 0, 0, 0, 0, 0, 0, 0}
	if !slices.Equal(img.Pix, want) {
		t.Errorf("pixels %v, want %v", img.Pix, want)
	}
	// RGB: three values a pixel, opaque.
	rgb := tiles.CentroidImage(mean[:6], 2, 1, tiles.RGB).(*image.RGBA)
	if want := []uint8{0, 0, 1, 255, 2, 255, 255, 255}; !slices.Equal(rgb.Pix, want) {
		t.Errorf("rgb pixels %v, want %v", rgb.Pix, want)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(encodePNG(f, numberedSheet(16, 16)))
	f.Add([]byte("GIF89a"))
	f.Add([]byte{0xff, 0xd8, 0xff})
	for _, c := range multiImageFiles { // pages and frames: TIFF IFD chains, GIF blocks, APNG and WebP chunks
		f.Add(readFormat(f, c.file))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if smallEnough(data) != nil {
			return
		}
		got, err := tiles.LoadSources([]tiles.Source{{Name: "f", Data: data}}, tiles.Options{Size: 4, Crop: true})
		if err != nil {
			if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "f") {
				t.Errorf("error %q is not one line naming the input", err)
			}
			return
		}
		if len(got.Pix) != got.N()*16 || len(got.Origins) != got.N() {
			t.Errorf("inconsistent tiles: %d pixels, %d tiles", len(got.Pix), got.N())
		}
	})
}

// oldGrayTiles cuts sheets as earlier versions did (image.Decode, then
// color.GrayModel pixel by pixel, square tiles edge to edge): the reference
// for byte-identical gray tiles.
func oldGrayTiles(t *testing.T, srcs []tiles.Source, size int) []uint8 {
	t.Helper()
	var out []uint8
	for _, s := range srcs {
		img, _, err := image.Decode(bytes.NewReader(s.Data))
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		for r := range b.Dy() / size {
			for c := range b.Dx() / size {
				for y := range size {
					for x := range size {
						out = append(out, color.GrayModel.Convert(img.At(b.Min.X+c*size+x, b.Min.Y+r*size+y)).(color.Gray).Y)
					}
				}
			}
		}
	}
	return out
}

// TestGrayByteIdentical: the default path (gray, square, opaque sheets)
// gives the bytes earlier versions gave, on the embedded sheets, the real
// USPS JPEGs, and opaque files of every format.
func TestGrayByteIdentical(t *testing.T) {
	emb := embedded.Sheets()
	check := func(name string, srcs []tiles.Source, size int) {
		got, err := tiles.LoadSources(srcs, tiles.Options{Size: size, Crop: true})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got.Pix, oldGrayTiles(t, srcs, size)) {
			t.Errorf("%s: gray tiles differ from color.GrayModel's", name)
		}
	}
	check("embedded", emb, 16)
	for _, f := range []string{"png_rgb8.png", "png_gray16.png", "png_rgb16.png", "png_pal.png", "jpeg_rgb420.jpg", "jpeg_cmyk.jpg",
		"gif_pal.gif", "bmp_rgb24.bmp", "tiff_rgb8_lzw_pred.tif", "tiled_rgb16.tif", "tiff_bilevel.tif"} {
		check(f, []tiles.Source{{Name: f, Data: readFormat(t, f)}}, 4)
	}
	var usps []tiles.Source
	for _, p := range sharedtest.Paths(t) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		usps = append(usps, tiles.Source{Name: p, Data: data})
	}
	check("usps", usps, 16)
}
