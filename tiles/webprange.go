package tiles

import "image"

// webpRGB returns a lossy WebP image as its pixels are meant to be seen.
// golang.org/x/image/webp hands lossy (VP8) images back as *image.YCbCr,
// or *image.NYCbCrA with an alpha plane, holding VP8's samples as they
// are; but VP8 codes limited-range ("studio swing") ITU-R BT.601 Y'CbCr
// (Y' 16..235, the RFC 6386 decoder's output, which libwebp turns into
// RGB), while Go's YCbCr types read their samples as full-range JFIF
// Y'CbCr, lifting black to 16 and lowering white to 235 (golang/go#40173).
// webpRGB converts such an image to *image.NRGBA with BT.601's
// limited-range matrix, its 4:2:0 chroma upsampled linearly (each pixel's
// chroma the 9:3:3:1 blend of its four nearest chroma samples, as
// libwebp's default "fancy" upsampling does), so that the pixels are
// within a level or two of what libwebp, and Pillow through it, give.
// Other images (lossless WebP is RGBA already) are returned as they are.
func webpRGB(img image.Image) image.Image {
	if img.Bounds().Min != (image.Point{}) {
		return img // not as x/image/webp makes them
	}
	switch m := img.(type) {
	case *image.YCbCr:
		return limitedRangeNRGBA(m, nil, 0)
	case *image.NYCbCrA:
		return limitedRangeNRGBA(&m.YCbCr, m.A, m.AStride)
	}
	return img
}

// BT.601's limited-range Y'CbCr to R'G'B' matrix (Y' in 16..235, Cb and
// Cr in 16..240) in 16-bit fixed point: 255/219, and 255/224 times
// 2(1-Kr) = 1.402, 2(1-Kb)Kb/Kg = 0.344136, 2(1-Kr)Kr/Kg = 0.714136 and
// 2(1-Kb) = 1.772 (Kr = 0.299, Kb = 0.114).
const (
	bt601Y  = 76309  // 1.164384
	bt601RV = 104597 // 1.596027
	bt601GU = 25675  // 0.391762
	bt601GV = 53279  // 0.812968
	bt601BU = 132201 // 2.017232
)

// limitedRangeNRGBA converts m, limited-range BT.601 Y'CbCr whose
// rectangle starts at the origin, to NRGBA, alpha from a (stride as) when
// not nil, else opaque.
func limitedRangeNRGBA(m *image.YCbCr, a []uint8, as int) *image.NRGBA {
	out := image.NewNRGBA(m.Rect)
	w, h := m.Rect.Dx(), m.Rect.Dy()
	chroma := linearChroma(m)
	for y := range h {
		row := out.Pix[y*out.Stride:]
		for x := range w {
			yy := (int32(m.Y[y*m.YStride+x]) - 16) * bt601Y
			cb, cr := chroma(x, y)
			cb, cr = cb-128, cr-128
			p := row[4*x : 4*x+4 : 4*x+4]
			p[0] = clamp16(yy + bt601RV*cr)
			p[1] = clamp16(yy - bt601GU*cb - bt601GV*cr)
			p[2] = clamp16(yy + bt601BU*cb)
			p[3] = 0xff
			if a != nil {
				p[3] = a[y*as+x]
			}
		}
	}
	return out
}

// clamp16 rounds a 16-bit fixed-point value to 0..255.
func clamp16(v int32) uint8 {
	v = (v + 1<<15) >> 16
	return uint8(max(0, min(255, v)))
}

// linearChroma returns m's chroma at pixel (x, y) (m's rectangle at the
// origin): for 4:2:0, each pixel lies a quarter of a chroma
// sample from its nearest one, which weighs 9/16, the next across and
// down 3/16 each and the diagonal one 1/16 (a chroma plane's edge repeats
// its samples); other subsamplings take their chroma sample as it is.
func linearChroma(m *image.YCbCr) func(x, y int) (cb, cr int32) {
	if m.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return func(x, y int) (int32, int32) {
			i := m.COffset(x, y)
			return int32(m.Cb[i]), int32(m.Cr[i])
		}
	}
	cw, ch := (m.Rect.Dx()+1)/2, (m.Rect.Dy()+1)/2
	return func(x, y int) (int32, int32) {
		// The nearest chroma sample (i, j) and the next one across (i2)
		// and down (j2): the pixel's quarter offset points to it.
		i, j := x/2, y/2
		i2, j2 := i-1+2*(x&1), j-1+2*(y&1)
		i2, j2 = max(0, min(cw-1, i2)), max(0, min(ch-1, j2))
		at := func(p []uint8, i, j int) int32 { return int32(p[j*m.CStride+i]) }
		blend := func(p []uint8) int32 {
			return (9*at(p, i, j) + 3*at(p, i2, j) + 3*at(p, i, j2) + at(p, i2, j2) + 8) >> 4
		}
		return blend(m.Cb), blend(m.Cr)
	}
}
