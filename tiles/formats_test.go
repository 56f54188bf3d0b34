package tiles_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/tiff"

	"github.com/tilekmeans/tilekmeans/internal/imageformat"
	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/tiles"
)

// The files in testdata/formats were written by Pillow, ImageMagick and
// tiffcp (gen.py there says how); these are the formulas they were drawn
// from. Colours are non-premultiplied, 16 bits per channel.
const fw, fh = 37, 29

type rgba16 struct{ r, g, b, a uint32 }

func eight(r, g, b, a int) rgba16 {
	return rgba16{uint32(r) * 0x101, uint32(g) * 0x101, uint32(b) * 0x101, uint32(a) * 0x101}
}

func mod(v, m int) int { return ((v % m) + m) % m }

func gray8(x, y int) rgba16 { v := mod(7*x+13*y, 256); return eight(v, v, v, 255) }
func gray16(x, y int) rgba16 {
	v := uint32(mod(1031*x+2053*y, 65536))
	return rgba16{v, v, v, 0xffff}
}
func rgb8(x, y int) rgba16 {
	return eight(mod(9*x+2*y, 256), mod(3*x+11*y+50, 256), mod(255-5*x-7*y, 256), 255)
}
func rgb16(x, y int) rgba16 {
	return rgba16{uint32(mod(997*x+31*y, 65536)), uint32(mod(13*x+1499*y+7, 65536)), uint32(mod(65535-701*x-401*y, 65536)), 0xffff}
}
func alpha8(x, y int) uint32 {
	if (x+y)%3 != 0 {
		return 255
	}
	return uint32(mod(17*x*y, 256))
}
func withAlpha(f func(x, y int) rgba16) func(x, y int) rgba16 {
	return func(x, y int) rgba16 { c := f(x, y); c.a = alpha8(x, y) * 0x101; return c }
}
func pal(x, y int) rgba16 {
	i := (x + 2*y) % 16
	return eight(16*i, 255-16*i, (37*i)%256, 255)
}

// palTIFF: TIFF colour maps are 16-bit, and Pillow writes an 8-bit value v
// as v<<8 (not v*0x101).
func palTIFF(x, y int) rgba16 {
	c := pal(x, y)
	return rgba16{c.r >> 8 << 8, c.g >> 8 << 8, c.b >> 8 << 8, c.a}
}

func palTrns(x, y int) rgba16 {
	c := pal(x, y)
	if (x+2*y)%16 == 5 {
		c.a = 0
	}
	return c
}
func bilevel(x, y int) rgba16 {
	if (x/3+y/2)%2 == 1 {
		return eight(255, 255, 255, 255)
	}
	return eight(0, 0, 0, 255)
}
func smoothGray(x, y int) rgba16 { v := 10 + 5*x + 2*y; return eight(v, v, v, 255) }
func smoothRGB(x, y int) rgba16  { return eight(10+6*x, 10+8*y, 200-2*x-3*y, 255) }
func extremes(x, y int) rgba16 {
	if x < 18 {
		return eight(0, 0, 0, 255)
	}
	return eight(255, 255, 255, 255)
}

type formatCase struct {
	file   string
	want   func(x, y int) rgba16
	bits16 bool // compare all 16 bits, not the high byte
	tol    int  // largest difference allowed, in 8-bit units (lossy files)
	mean   float64
}

var formatCases = []formatCase{
	{file: "png_gray8.png", want: gray8},
	{file: "png_gray16.png", want: gray16, bits16: true},
	{file: "png_gray8_alpha.png", want: withAlpha(gray8)},
	{file: "png_rgb8.png", want: rgb8},
	{file: "png_rgba8.png", want: withAlpha(rgb8)},
	{file: "png_pal.png", want: pal},
	{file: "png_pal_trns.png", want: palTrns},
	{file: "png_bilevel.png", want: bilevel},
	{file: "png_rgb16.png", want: rgb16, bits16: true},
	{file: "png_rgba16.png", want: func(x, y int) rgba16 { c := rgb16(x, y); c.a = alpha8(x, y) * 0x101; return c }, bits16: true},
	// JPEG is lossy: Pillow and ImageMagick encode, Go decodes; the bounds
	// were measured with margin (quality 95, smooth gradients).
	{file: "jpeg_gray.jpg", want: smoothGray, tol: 3, mean: 1},
	{file: "jpeg_rgb444.jpg", want: smoothRGB, tol: 4, mean: 1},
	{file: "jpeg_rgb420.jpg", want: smoothRGB, tol: 12, mean: 2.5},
	{file: "jpeg_rgb420_magick.jpg", want: smoothRGB, tol: 12, mean: 2.5},
	{file: "jpeg_progressive.jpg", want: smoothRGB, tol: 4, mean: 1},
	{file: "jpeg_cmyk.jpg", want: smoothRGB, tol: 6, mean: 1.5},
	{file: "gif_pal.gif", want: pal},
	{file: "bmp_rgb24.bmp", want: rgb8},
	{file: "bmp_pal8.bmp", want: pal},
	{file: "bmp_gray8.bmp", want: gray8},
	{file: "bmp_rgba32.bmp", want: withAlpha(rgb8)},
	{file: "bmp_bilevel.bmp", want: bilevel},
	{file: "tiff_gray8.tif", want: gray8},
	{file: "tiff_gray8_lzw.tif", want: gray8},
	{file: "tiff_gray8_deflate.tif", want: gray8},
	{file: "tiff_gray8_packbits.tif", want: gray8},
	{file: "tiff_gray8_rows7.tif", want: gray8},
	{file: "tiff_gray16.tif", want: gray16, bits16: true},
	{file: "tiff_rgb8.tif", want: rgb8},
	{file: "tiff_rgb8_lzw_pred.tif", want: rgb8},
	{file: "tiff_rgba8.tif", want: withAlpha(rgb8)},
	{file: "tiff_pal.tif", want: palTIFF},
	{file: "tiff_rgba8_assoc.tif", want: withAlpha(rgb8)},
	{file: "tiff_rgba16.tif", want: func(x, y int) rgba16 { c := rgb16(x, y); c.a = alpha8(x, y) * 0x101; return c }, bits16: true},
	// Photometric min-is-white: the stored bytes are gray8, which viewers
	// (ImageMagick, Pillow) show inverted.
	{file: "tiff_gray8_miniswhite.tif", want: func(x, y int) rgba16 { v := 255 - mod(7*x+13*y, 256); return eight(v, v, v, 255) }},
	{file: "tiff_bilevel.tif", want: bilevel},
	{file: "tiff_rgb16.tif", want: rgb16, bits16: true},
	{file: "tiled_gray8.tif", want: gray8},
	{file: "tiled_gray8_deflate.tif", want: gray8},
	{file: "tiled_gray8_32x16.tif", want: gray8},
	{file: "tiled_gray16.tif", want: gray16, bits16: true},
	{file: "tiled_rgb8.tif", want: rgb8},
	{file: "tiled_rgb8_lzw_pred.tif", want: rgb8},
	{file: "tiled_rgba8.tif", want: withAlpha(rgb8)},
	{file: "tiled_pal.tif", want: palTIFF},
	{file: "tiled_bilevel.tif", want: bilevel},
	{file: "tiled_rgb16.tif", want: rgb16, bits16: true},
	// WebP through golang.org/x/image/webp: lossless files exactly, the
	// lossy ones (4:2:0 chroma) within what libwebp's own decode needs
	// (through Pillow: max 8, mean 1.39 and 1.43 from the true pixels, and
	// 0 for black and white), because package tiles converts VP8's
	// limited-range Y'CbCr as libwebp does (webpRGB): x/image's
	// image.YCbCr, read as full range, gave black 16 and white 235, and
	// the smooth file was off by up to 20 (mean 4.95).
	{file: "webp_rgb8.webp", want: rgb8},
	{file: "webp_rgba8.webp", want: withAlpha(rgb8)},
	{file: "webp_smooth.webp", want: smoothRGB, tol: 8, mean: 1.4},
	{file: "webp_smooth_alpha.webp", want: withAlpha(smoothRGB), tol: 8, mean: 1.45},
	{file: "webp_extremes.webp", want: extremes, tol: 1, mean: 0.01},
}

func readFormat(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "formats", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// comparePixels checks img against want and returns a description of the
// first mismatch, or "".
func comparePixels(img image.Image, c formatCase) string {
	b := img.Bounds()
	if b.Dx() != fw || b.Dy() != fh {
		return fmt.Sprintf("size %v, want %dx%d", b, fw, fh)
	}
	maxDiff, sum, n := 0, 0.0, 0
	for y := range fh {
		for x := range fw {
			// Compare premultiplied, as image.Image gives colours: the
			// expected value premultiplied with the formula image/color
			// uses for NRGBA64.
			r, g, b, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			w := c.want(x, y)
			er, eg, eb, ea := color.NRGBA64{uint16(w.r), uint16(w.g), uint16(w.b), uint16(w.a)}.RGBA()
			got, exp := [4]uint32{r, g, b, a}, [4]uint32{er, eg, eb, ea}
			for i := range 4 {
				gv, ev := got[i], exp[i]
				if !c.bits16 {
					gv, ev = gv>>8, ev>>8
				}
				d := int(gv) - int(ev)
				if d < 0 {
					d = -d
				}
				if c.tol == 0 && (d > 1 || d == 1 && ea == 0xffff) { // translucent: the two premultiplications may round apart
					return fmt.Sprintf("pixel (%d,%d) = %v, want %v (premultiplied 16-bit RGBA)", x, y, got, exp)
				}
				maxDiff = max(maxDiff, d)
				sum += float64(d)
				n++
			}
		}
	}
	if c.tol > 0 && (maxDiff > c.tol || sum/float64(n) > c.mean) {
		return fmt.Sprintf("max difference %d (want <= %d), mean %.2f (want <= %.2f)", maxDiff, c.tol, sum/float64(n), c.mean)
	}
	return ""
}

// TestFormatsTruePixels decodes a file of every format and layout written by
// another program and compares every pixel with the formula it was drawn
// from.
func TestFormatsTruePixels(t *testing.T) {
	for _, c := range formatCases {
		t.Run(c.file, func(t *testing.T) {
			img, info, err := tiles.DecodeImage(c.file, readFormat(t, c.file))
			if err != nil {
				t.Fatal(err)
			}
			if info.Orientation > tiles.OrientNormal || info.Width != fw || info.Height != fh {
				t.Errorf("info %+v", info)
			}
			if msg := comparePixels(img, c); msg != "" {
				t.Error(msg)
			}
		})
	}
}

// over composites a non-premultiplied 16-bit colour over an 8-bit opaque
// background in float64, rounded to 16 bits: the reference for the loader's
// integer version.
func over(c rgba16, bg color.RGBA) color.RGBA64 {
	a := float64(c.a) / 0xffff
	f := func(v uint32, b uint8) uint16 {
		return uint16(math.Round(float64(v)*a + float64(b)*0x101*(1-a)))
	}
	return color.RGBA64{f(c.r, bg.R), f(c.g, bg.G), f(c.b, bg.B), 0xffff}
}

// TestFormatsTiles loads every lossless file as one 37x29 tile, in gray and
// in RGB over a background, and checks the features against the formula
// composited in float64 (within 1 for translucent pixels, where the two
// roundings may differ; exactly for opaque ones), and the count of
// non-opaque pixels.
func TestFormatsTiles(t *testing.T) {
	bg := color.RGBA{R: 30, G: 200, B: 90, A: 255}
	for _, c := range formatCases {
		if c.tol > 0 {
			continue
		}
		for _, model := range []tiles.ColorModel{tiles.Gray, tiles.RGB} {
			got, err := tiles.LoadSources([]tiles.Source{{Name: c.file, Data: readFormat(t, c.file)}},
				tiles.Options{Grid: tiles.Grid{TileWidth: fw, TileHeight: fh}, Color: model, Background: bg})
			if err != nil {
				t.Errorf("%s %v: %v", c.file, model, err)
				continue
			}
			tile, ch := got.Tile(0), model.Channels()
			transparent, bad := 0, 0
			for y := range fh {
				for x := range fw {
					w := c.want(x, y)
					if w.a != 0xffff {
						transparent++
					}
					o := over(w, bg)
					// Gray is color.GrayModel's; RGB the high bytes, as
					// color.RGBAModel takes them.
					want := []uint8{uint8(o.R >> 8), uint8(o.G >> 8), uint8(o.B >> 8)}
					if model == tiles.Gray {
						want = []uint8{color.GrayModel.Convert(o).(color.Gray).Y}
					}
					for k := range ch {
						d := int(tile[(y*fw+x)*ch+k]) - int(want[k])
						if d > 1 || d < -1 || w.a == 0xffff && d != 0 {
							bad++
							if bad <= 3 {
								t.Errorf("%s %v: pixel (%d,%d) channel %d = %d, want %d", c.file, model, x, y, k, tile[(y*fw+x)*ch+k], want[k])
							}
						}
					}
				}
			}
			if got.Sheets[0].Transparent != transparent {
				t.Errorf("%s %v: %d pixels reported transparent, want %d", c.file, model, got.Sheets[0].Transparent, transparent)
			}
		}
	}
}

// TestFormatsRefused: valid files using a feature the decoder lacks, or a
// layout it decodes wrongly, fail with an error matching
// errors.ErrUnsupported, naming the file and the feature, never "corrupt".
func TestFormatsRefused(t *testing.T) {
	for _, c := range []struct{ file, feature string }{
		{"jpeg_rgb_sub31.jpg", "luma/chroma subsampling ratio"},
		{"bmp_rle8.bmp", "unsupported BMP image (compression 1: RLE8, 8 bits per pixel)"},
		{"tiff_rgb8_planar.tif", "planar configuration 2"},
		{"tiled_rgb8_planar.tif", "planar configuration 2"},
		{"tiff_gray8_jpeg.tif", "compression value 7"},
		{"tiff_gray8_alpha.tif", "extra samples"},
		// image/jpeg calls any frame marker but SOF0..2 "unknown marker".
		{"jpeg_arith.jpg", "valid JPEG image using a feature the decoder does not support: arithmetic coding (SOF9)"},
	} {
		_, _, err := tiles.DecodeImage(c.file, readFormat(t, c.file))
		if !errors.Is(err, errors.ErrUnsupported) || errors.Is(err, tiles.ErrCorrupt) || !strings.Contains(err.Error(), c.feature) || !strings.Contains(err.Error(), c.file) ||
			strings.Contains(err.Error(), "corrupt") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line: errors.ErrUnsupported naming the file and %q", c.file, err, c.feature)
		}
	}
}

// TestTIFFRefusalStillNeeded decodes the refused TIFF layouts with x/image
// directly: while it gets their pixels wrong the refusal stays; when this
// test fails, x/image decodes them right and checkTIFF can let them through.
func TestTIFFRefusalStillNeeded(t *testing.T) {
	for _, f := range []string{"tiff_rgb8_planar.tif", "tiled_rgb8_planar.tif"} {
		img, err := tiff.Decode(bytes.NewReader(readFormat(t, f)))
		if err != nil {
			continue // refused upstream: as good as ours
		}
		if msg := comparePixels(img, formatCase{file: f, want: rgb8}); msg == "" {
			t.Errorf("%s: golang.org/x/image/tiff now decodes it right: lift the refusal in checkTIFF", f)
		}
	}
}

// TestTIFFTiledCase is ../shared/cases/tiff_tiled_gray: an 8-bit gray TIFF
// in 16x16 TIFF tiles, 40 wide, whose right-hand tiles older x/image read
// wrongly. base.png holds the true pixels.
func TestTIFFTiledCase(t *testing.T) {
	dir := sharedDir(t, "cases", "tiff_tiled_gray")
	base, err := tiles.Load([]string{filepath.Join(dir, "base.png")}, tiles.Options{Size: 8})
	if err != nil {
		t.Fatal(err)
	}
	got, err := tiles.Load([]string{filepath.Join(dir, "tiled16.tif")}, tiles.Options{Size: 8})
	if err != nil {
		t.Fatal(err)
	}
	if got.N() != 20 || !bytes.Equal(got.Pix, base.Pix) {
		t.Errorf("tiled TIFF: %d tiles, pixels equal to base.png: %v", got.N(), bytes.Equal(got.Pix, base.Pix))
	}
}

// TestJPEGUnsupportedCase is ../shared/cases/jpeg_unsupported_message.
func TestJPEGUnsupportedCase(t *testing.T) {
	p := filepath.Join(sharedDir(t, "cases", "jpeg_unsupported_message"), "sub31.jpg")
	_, err := tiles.Load([]string{p}, tiles.Options{Size: 8})
	if !errors.Is(err, errors.ErrUnsupported) || strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("error %v, want errors.ErrUnsupported for a valid JPEG", err)
	}
	want := "load " + p + ": valid JPEG image using a feature the decoder does not support: luma/chroma subsampling ratio"
	if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func sharedDir(t testing.TB, parts ...string) string {
	t.Helper()
	return sharedtest.SharedDir(t, parts...)
}

// TestErrNotImageNamesEveryFormat: ErrNotImage's text, written out for
// go doc, is the table of formats' list.
func TestErrNotImageNamesEveryFormat(t *testing.T) {
	if got, want := tiles.ErrNotImage.Error(), "not a "+imageformat.Labels()+" image"; got != want {
		t.Errorf("ErrNotImage says %q; the table of formats gives %q", got, want)
	}
}
