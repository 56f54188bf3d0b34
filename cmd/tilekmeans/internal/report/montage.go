package report

import (
	"image"
	"image/color"
	"image/draw"
	"math"
)

// DefaultMontageWidth is the widest a montage grows before it wraps into
// more rows, in pixels, when MontageLayout.MaxWidth is 0.
const DefaultMontageWidth = 2048

// MontageMaxEdge is the most pixels a montage file is wide or high, when
// MontageLayout.MaxEdge is 0: under what Pillow (89 million pixels) and
// ImageMagick's default policy (16K pixels a side) open, and under the
// tool's own 2^28-pixel input limit. More images than fit are split into
// several montages (MontageLayout.PerPart).
const MontageMaxEdge = 4096

// MontagePartPixels is the most pixels one montage file holds.
const MontagePartPixels = MontageMaxEdge * MontageMaxEdge

// MontageGray is the level of the gaps between and around montage cells.
const MontageGray = 128

// MontageLayout says how Montage lays images out: each scaled up by Scale
// (nearest neighbour; < 1 means 1), Gap pixels of mid-gray (MontageGray)
// between neighbours, in one row while that row is at most MaxWidth pixels
// wide (0 means DefaultMontageWidth), else in balanced rows, filled left to
// right, top to bottom, the last row's unused cells gray: as many columns
// as fit MaxWidth, or more where the rows would outgrow the columns, so
// that a large montage is near square, but never wider or higher than
// MaxEdge (0 means MontageMaxEdge) where the images fit in one part
// (PerPart).
type MontageLayout struct {
	Scale, Gap, MaxWidth, MaxEdge int
}

// MontageScale is a scale for tiles of w x h pixels: the largest integer up
// to 8 that keeps the longer edge at most 128 pixels (at least 1). 16x16
// tiles get 8.
func MontageScale(w, h int) int {
	return max(1, min(8, 128/max(w, h, 1)))
}

// fit is how many cells of size px, gap apart, fit in edge pixels (at
// least 1).
func fit(edge, px, gap int) int {
	return max(1, (edge+gap)/(px+gap))
}

// edge is MaxEdge or its default.
func (l MontageLayout) edge() int {
	if l.MaxEdge > 0 {
		return l.MaxEdge
	}
	return MontageMaxEdge
}

// PerPart is how many images of w x h pixels (unscaled) one montage file
// holds at most: as many columns and rows as fit MaxEdge.
func (l MontageLayout) PerPart(w, h int) int {
	scale, gap := max(1, l.Scale), max(0, l.Gap)
	return fit(l.edge(), w*scale, gap) * fit(l.edge(), h*scale, gap)
}

// Grid returns the columns and rows of the montage of n images of cellW x
// cellH pixels (already scaled).
func (l MontageLayout) Grid(n, cellW, cellH int) (cols, rows int) {
	if n == 0 {
		return 0, 0
	}
	maxW := l.MaxWidth
	if maxW <= 0 {
		maxW = DefaultMontageWidth
	}
	gap := max(0, l.Gap)
	if n*cellW+(n-1)*gap <= maxW {
		return n, 1
	}
	// Near square: cols*(cellW+gap) about rows*(cellH+gap).
	square := int(math.Ceil(math.Sqrt(float64(n) * float64(cellH+gap) / float64(cellW+gap))))
	colsMax, rowsMax := fit(l.edge(), cellW, gap), fit(l.edge(), cellH, gap)
	cols = min(max(fit(maxW, cellW, gap), square), colsMax)
	rows = (n + cols - 1) / cols
	if rows > rowsMax {
		cols = colsMax
		rows = (n + cols - 1) / cols
	}
	cols = (n + rows - 1) / rows // balance: no nearly empty last row
	return cols, rows
}

// Montage lays images of equal size out as MontageLayout says, in one
// image whatever their number (PerPart says how many to give it for one
// file within MaxEdge). The result
// is *image.Gray when every image is *image.Gray, else an opaque *image.RGBA.
// For n images that fit one row it is n*W*Scale + (n-1)*Gap wide and
// H*Scale high, pixel for pixel the montage.png of earlier versions.
func Montage(imgs []image.Image, l MontageLayout) image.Image {
	scale, gap := max(1, l.Scale), max(0, l.Gap)
	allGray := true
	for _, img := range imgs {
		if _, ok := img.(*image.Gray); !ok {
			allGray = false
		}
	}
	if len(imgs) == 0 {
		if allGray {
			return image.NewGray(image.Rect(0, 0, 0, 0))
		}
	}
	var w, h int
	if len(imgs) > 0 {
		w, h = imgs[0].Bounds().Dx()*scale, imgs[0].Bounds().Dy()*scale
	}
	cols, rows := l.Grid(len(imgs), w, h)
	r := image.Rect(0, 0, max(0, cols*w+(cols-1)*gap), max(0, rows*h+(rows-1)*gap))
	if allGray {
		out := image.NewGray(r)
		for i := range out.Pix {
			out.Pix[i] = MontageGray
		}
		for n, img := range imgs {
			g := img.(*image.Gray)
			x0, y0 := (n%cols)*(w+gap), (n/cols)*(h+gap)
			for y := range h {
				dst := out.Pix[(y0+y)*out.Stride+x0:][:w]
				src := g.Pix[(y/scale)*g.Stride:]
				for x := range w {
					dst[x] = src[x/scale]
				}
			}
		}
		return out
	}
	out := image.NewRGBA(r)
	draw.Draw(out, r, image.NewUniform(color.Gray{Y: MontageGray}), image.Point{}, draw.Src)
	for n, img := range imgs {
		x0, y0 := (n%cols)*(w+gap), (n/cols)*(h+gap)
		b := img.Bounds()
		for y := range h {
			for x := range w {
				out.Set(x0+x, y0+y, img.At(b.Min.X+x/scale, b.Min.Y+y/scale))
			}
		}
	}
	return out
}
