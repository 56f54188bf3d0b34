package tiles

import (
	"fmt"
	"image"
	"image/color"
	"strings"
)

// ColorModel is how a tile's pixels become features. The zero value is
// Gray.
type ColorModel uint8

const (
	// Gray: one uint8 per pixel, the ITU-R BT.601 luma of image/color's
	// GrayModel: (19595 R + 38470 G + 7471 B + 2^15) >> 24 on 16-bit
	// channels, which is exact for gray images and keeps a 16-bit gray
	// image's high byte.
	Gray ColorModel = iota
	// RGB: three uint8 per pixel, R, G, B interleaved (the 8-bit channels of
	// image/color's RGBAModel).
	RGB
)

// Channels is the number of features per pixel: 1 or 3.
func (c ColorModel) Channels() int {
	if c == RGB {
		return 3
	}
	return 1
}

// String returns "gray" or "rgb".
func (c ColorModel) String() string {
	switch c {
	case Gray:
		return "gray"
	case RGB:
		return "rgb"
	}
	return fmt.Sprintf("ColorModel(%d)", uint8(c))
}

// MarshalText returns the String form.
func (c ColorModel) MarshalText() ([]byte, error) {
	if c != Gray && c != RGB {
		return nil, fmt.Errorf("colour model %d: want gray or rgb", uint8(c))
	}
	return []byte(c.String()), nil
}

// UnmarshalText accepts "gray" (or "grey") and "rgb", in any case.
func (c *ColorModel) UnmarshalText(b []byte) error {
	switch strings.ToLower(string(b)) {
	case "gray", "grey":
		*c = Gray
	case "rgb":
		*c = RGB
	default:
		return fmt.Errorf("colour %q: want gray or rgb", b)
	}
	return nil
}

// converter turns rows of any image into features: composited over the
// background, then gray or RGB. It is not safe for concurrent use.
type converter struct {
	model    ColorModel
	bg       [3]uint32 // 16-bit
	px       []uint32  // scratch: 4 premultiplied 16-bit values per pixel
	palette  []uint32  // premultiplied 16-bit RGBA of a Paletted image's colours
	palImage *image.Paletted
	// key, when not nil, is a colour key: opaque pixels whose 8-bit R, G
	// and B equal it are made fully transparent (Tiled's <image trans>).
	key *color.RGBA
	// nonOpaque counts the pixels with alpha below 1 seen so far.
	nonOpaque int
}

// newConverter converts to model over the opaque colour bg ("over" in
// Porter and Duff's sense: out = src*alpha + bg*(1-alpha), as ImageMagick's
// -flatten does over its -background); bg's alpha is not used.
func newConverter(model ColorModel, bg color.Color) *converter {
	r, g, b, _ := bg.RGBA()
	return &converter{model: model, bg: [3]uint32{r, g, b}}
}

// row writes the features of pixels x0..x0+len(dst)/C-1 of row y of img
// (coordinates relative to img.Bounds().Min) to dst.
func (c *converter) row(img image.Image, x0, y int, dst []uint8) {
	ch := c.model.Channels()
	w := len(dst) / ch
	b := img.Bounds()
	X, Y := b.Min.X+x0, b.Min.Y+y
	if g, ok := img.(*image.Gray); ok && c.key == nil {
		src := g.Pix[g.PixOffset(X, Y):][:w]
		if ch == 1 {
			copy(dst, src)
			return
		}
		for i, v := range src {
			dst[3*i], dst[3*i+1], dst[3*i+2] = v, v, v
		}
		return
	}
	if cap(c.px) < 4*w {
		c.px = make([]uint32, 4*w)
	}
	px := c.px[:4*w]
	set := func(i int, r, g, b, a uint32) { px[4*i], px[4*i+1], px[4*i+2], px[4*i+3] = r, g, b, a }
	switch m := img.(type) {
	case *image.Gray16:
		p := m.Pix[m.PixOffset(X, Y):]
		for i := range w {
			v := uint32(p[2*i])<<8 | uint32(p[2*i+1])
			set(i, v, v, v, 0xffff)
		}
	case *image.RGBA:
		p := m.Pix[m.PixOffset(X, Y):]
		for i := range w {
			q := p[4*i : 4*i+4]
			set(i, uint32(q[0])*0x101, uint32(q[1])*0x101, uint32(q[2])*0x101, uint32(q[3])*0x101)
		}
	case *image.NRGBA:
		p := m.Pix[m.PixOffset(X, Y):]
		for i := range w {
			q := p[4*i : 4*i+4]
			put(px, i, color.NRGBA{q[0], q[1], q[2], q[3]})
		}
	case *image.RGBA64:
		for i := range w {
			put(px, i, m.RGBA64At(X+i, Y))
		}
	case *image.NRGBA64:
		for i := range w {
			put(px, i, m.NRGBA64At(X+i, Y))
		}
	case *image.YCbCr:
		for i := range w {
			put(px, i, m.YCbCrAt(X+i, Y))
		}
	case *image.NYCbCrA:
		for i := range w {
			put(px, i, m.NYCbCrAAt(X+i, Y))
		}
	case *image.CMYK:
		for i := range w {
			put(px, i, m.CMYKAt(X+i, Y))
		}
	case *image.Paletted:
		if c.palImage != m {
			c.palImage = m
			c.palette = c.palette[:0]
			for _, col := range m.Palette {
				r, g, b, a := col.RGBA()
				c.palette = append(c.palette, r, g, b, a)
			}
		}
		p := m.Pix[m.PixOffset(X, Y):]
		for i := range w {
			j := 4 * int(p[i])
			if j+3 < len(c.palette) {
				set(i, c.palette[j], c.palette[j+1], c.palette[j+2], c.palette[j+3])
			} else {
				set(i, 0, 0, 0, 0xffff) // out of range index: image.Paletted.At gives opaque black
			}
		}
	default:
		for i := range w {
			put(px, i, img.At(X+i, Y))
		}
	}
	c.finish(px, dst)
}

// put stores c's premultiplied 16-bit RGBA as pixel i. (Generic so that the
// concrete colour types' RGBA methods are called without boxing.)
func put[C interface{ RGBA() (r, g, b, a uint32) }](px []uint32, i int, c C) {
	px[4*i], px[4*i+1], px[4*i+2], px[4*i+3] = c.RGBA()
}

// finish composites premultiplied 16-bit pixels over the background and
// writes them as features.
func (c *converter) finish(px []uint32, dst []uint8) {
	w := len(px) / 4
	if k := c.key; k != nil {
		for i := range w {
			p := px[4*i : 4*i+4]
			if p[3] == 0xffff && uint8(p[0]>>8) == k.R && uint8(p[1]>>8) == k.G && uint8(p[2]>>8) == k.B {
				p[0], p[1], p[2], p[3] = 0, 0, 0, 0
			}
		}
	}
	for i := range w {
		r, g, b, a := px[4*i], px[4*i+1], px[4*i+2], px[4*i+3]
		if a != 0xffff {
			c.nonOpaque++
			t := 0xffff - a
			r += (c.bg[0]*t + 0x7fff) / 0xffff
			g += (c.bg[1]*t + 0x7fff) / 0xffff
			b += (c.bg[2]*t + 0x7fff) / 0xffff
		}
		if c.model == RGB {
			dst[3*i], dst[3*i+1], dst[3*i+2] = uint8(r>>8), uint8(g>>8), uint8(b>>8)
		} else {
			dst[i] = uint8((19595*r + 38470*g + 7471*b + 1<<15) >> 24)
		}
	}
}
