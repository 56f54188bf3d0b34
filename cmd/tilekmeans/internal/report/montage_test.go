package report

import (
	"bytes"
	"image"
	"image/color"
	"testing"
)

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
			out[i] = image.NewGray(image.Rect(0, 0, size, size))
			for p := range out[i].Pix {
				out[i].Pix[p] = uint8(p%size + 3*(p/size)) // pixel (x, y) is x + 3y
			}
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
	if s := MontageScale(16, 16); s != 8 {
		t.Errorf("MontageScale(16,16) = %d, want 8", s)
	}
	// k = 256 of 8x8: no longer an 18424-pixel strip.
	imgs := grays(256, 8)
	m := montageGrays(imgs, 8, 8)
	if m.Rect.Dx() > DefaultMontageWidth || m.Rect.Dx() != 26*72-8 || m.Rect.Dy() != 10*72-8 {
		t.Fatalf("k=256 montage %v, want 1864x712 (26 columns, 10 rows)", m.Rect)
	}
	// Image n sits at column n%26, row n/26; cells past 256 are gray.
	for _, n := range []int{0, 25, 26, 255} {
		x0, y0 := (n%26)*72, (n/26)*72
		if v := m.GrayAt(x0, y0).Y; v != uint8(n) {
			t.Errorf("image %d: top-left pixel %d, want %d", n, v, n)
		}
	}
	if v := m.GrayAt(1863, 711); v.Y != MontageGray {
		t.Errorf("unused cell: %d, want gray", v.Y)
	}
	cols, rows := MontageLayout{Scale: 8, Gap: 8, MaxWidth: 500}.Grid(5, 128, 128)
	if cols != 3 || rows != 2 {
		t.Errorf("Grid(5) within 500 px: %dx%d, want 3x2", cols, rows)
	}
	// Colour: an RGB montage, gray gaps.
	c := image.NewRGBA(image.Rect(0, 0, 2, 1))
	c.Pix = []uint8{255, 0, 0, 255, 0, 0, 255, 255}
	rgb := Montage([]image.Image{c, c}, MontageLayout{Scale: 2, Gap: 1})
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

func TestMontage(t *testing.T) {
	a, b := image.NewGray(image.Rect(0, 0, 2, 2)), image.NewGray(image.Rect(0, 0, 2, 2))
	a.Pix = []uint8{1, 2, 3, 4}
	b.Pix = []uint8{5, 6, 7, 8}
	m := Montage([]image.Image{a, b}, MontageLayout{Scale: 3, Gap: 2}).(*image.Gray)
	if m.Rect.Dx() != 2*6+2 || m.Rect.Dy() != 6 {
		t.Fatalf("montage %v", m.Rect)
	}
	for _, c := range []struct {
		x, y int
		v    uint8
	}{{0, 0, 1}, {2, 2, 1}, {3, 0, 2}, {5, 5, 4}, {6, 0, 128}, {7, 5, 128}, {8, 0, 5}, {13, 5, 8}} {
		if got := m.GrayAt(c.x, c.y).Y; got != c.v {
			t.Errorf("pixel (%d,%d) = %d, want %d", c.x, c.y, got, c.v)
		}
	}
}

// montageGrays lays gray images out with Montage.
func montageGrays(imgs []*image.Gray, scale, gap int) *image.Gray {
	in := make([]image.Image, len(imgs))
	for i, g := range imgs {
		in[i] = g
	}
	return Montage(in, MontageLayout{Scale: scale, Gap: gap}).(*image.Gray)
}
