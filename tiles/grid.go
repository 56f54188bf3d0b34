package tiles

import (
	"fmt"
	"image"
	"strings"
)

// Grid is how a sheet is cut into tiles, in the terms of a Tiled tileset
// (https://doc.mapeditor.org/en/stable/reference/tmx-map-format/#tileset):
// tiles of TileWidth x TileHeight pixels, Margin pixels around the whole grid
// (left, top, right and bottom) and Spacing pixels between neighbouring tiles.
//
// The number of columns and rows follows from the image size, as in Tiled:
//
//	columns = (width  - 2*Margin + Spacing) / (TileWidth  + Spacing)
//	rows    = (height - 2*Margin + Spacing) / (TileHeight + Spacing)
//
// Tile (row r, column c) has its top-left pixel at
// (Margin + c*(TileWidth+Spacing), Margin + r*(TileHeight+Spacing)).
//
// The zero Grid is not usable; Options.Size fills in a square grid with no
// margin or spacing.
type Grid struct {
	TileWidth, TileHeight int // pixels, >= 1
	Margin                int // pixels around the grid, >= 0
	Spacing               int // pixels between tiles, >= 0
}

// Square returns the grid of size x size tiles edge to edge.
func Square(size int) Grid { return Grid{TileWidth: size, TileHeight: size} }

// String gives the grid as "WxH", followed by the margin and spacing when
// they are not zero: "64x64 spacing 4".
func (g Grid) String() string {
	s := fmt.Sprintf("%dx%d", g.TileWidth, g.TileHeight)
	if g.Margin != 0 {
		s += fmt.Sprintf(" margin %d", g.Margin)
	}
	if g.Spacing != 0 {
		s += fmt.Sprintf(" spacing %d", g.Spacing)
	}
	return s
}

// Validate reports a grid that cannot cut anything: a tile edge below 1, or a
// negative margin or spacing.
func (g Grid) Validate() error {
	if g.TileWidth < 1 || g.TileHeight < 1 {
		return fmt.Errorf("tile %dx%d: want at least 1x1", g.TileWidth, g.TileHeight)
	}
	if g.Margin < 0 || g.Spacing < 0 {
		return fmt.Errorf("margin %d, spacing %d: want >= 0", g.Margin, g.Spacing)
	}
	return nil
}

// Count returns the columns and rows of tiles that fit a width x height image
// (the Tiled formula above; 0 when not even one tile fits).
func (g Grid) Count(width, height int) (cols, rows int) {
	return count(width, g.TileWidth, g.Margin, g.Spacing), count(height, g.TileHeight, g.Margin, g.Spacing)
}

func count(n, tile, margin, spacing int) int {
	avail := n - 2*margin
	if avail < tile {
		return 0
	}
	return (avail + spacing) / (tile + spacing)
}

// Remainder returns the pixels right of and below the last whole column and
// row that belong neither to a tile, nor to the margin, nor to one trailing
// spacing. Tiled ignores them; Fit accepts a sheet only when both are zero
// (or when cropping).
func (g Grid) Remainder(width, height int) (right, bottom int) {
	cols, rows := g.Count(width, height)
	return remainder(width, cols, g.TileWidth, g.Margin, g.Spacing), remainder(height, rows, g.TileHeight, g.Margin, g.Spacing)
}

// remainder: what is left after margin, n tiles with spacing between them,
// the closing margin, and up to one spacing after the last tile (sheets are
// often drawn as cells of tile+spacing, with a trailing gutter).
func remainder(size, n, tile, margin, spacing int) int {
	if n == 0 {
		return size
	}
	used := 2*margin + n*tile + (n-1)*spacing
	return max(0, size-used-spacing)
}

// Fit checks that the grid cuts a width x height image into whole tiles and
// returns its columns and rows. A sheet fits when, beyond the margins, the
// tiles and the spacing between them, at most one trailing spacing is left on
// the right and at the bottom (the Kenney roguelike sheet, 3873x2105 with
// 64-pixel tiles and spacing 4, ends in a 1-pixel gutter). With crop, a larger
// right or bottom remainder is trimmed instead. Otherwise the error is a
// *GridError, which tells what does fit.
func (g Grid) Fit(path string, width, height int, crop bool) (cols, rows int, err error) {
	if err := g.Validate(); err != nil {
		return 0, 0, err
	}
	cols, rows = g.Count(width, height)
	right, bottom := g.Remainder(width, height)
	if cols > 0 && rows > 0 && (crop || right == 0 && bottom == 0) {
		return cols, rows, nil
	}
	e := &GridError{Path: path, Width: width, Height: height, Grid: g, Cols: cols, Rows: rows, Right: right, Bottom: bottom}
	if cols > 0 && rows > 0 {
		e.Fits = g.alternatives(width, height)
	}
	return 0, 0, e
}

// alternatives lists the margin and spacing values (each below the tile
// size, smallest spacing first) with which the same tiles cut the image
// exactly, at most three. From the size alone many are possible; the loader
// keeps those whose gutters are uniform in the pixels (filterFits).
func (g Grid) alternatives(width, height int) []Grid {
	var out []Grid
	limit := min(g.TileWidth, g.TileHeight, 64)
	for s := 0; s < limit; s++ {
		for m := 0; m < limit; m++ {
			a := Grid{TileWidth: g.TileWidth, TileHeight: g.TileHeight, Margin: m, Spacing: s}
			if a == g {
				continue
			}
			c, r := a.Count(width, height)
			if rr, rb := a.Remainder(width, height); c > 0 && r > 0 && rr == 0 && rb == 0 {
				out = append(out, a)
			}
		}
	}
	return out
}

// GridError reports a sheet that a grid does not cut into whole tiles. It
// carries the numbers a caller needs to say what does fit:
//
//   - Cols == 0 or Rows == 0: the image is smaller than one tile (plus margins).
//   - Fits not empty: the same tiles cut the image exactly with another margin
//     or spacing, and the image's pixels agree (every gutter line of that
//     grid is of one colour), so the given ones are probably wrong; cropping
//     would misalign every tile. At most three, smallest spacing first.
//   - otherwise: a Right x Bottom remainder that cropping trims, leaving
//     Cols x Rows tiles.
type GridError struct {
	Path          string
	Width, Height int  // image pixels (as displayed, after EXIF orientation)
	Grid          Grid // the grid asked for
	Cols, Rows    int  // whole tiles that fit
	Right, Bottom int  // pixels left over (see Grid.Remainder)
	Fits          []Grid
}

// CropFits reports whether cropping the remainder is the right remedy: whole
// tiles fit and no other margin or spacing cuts the image exactly.
func (e *GridError) CropFits() bool { return e.Cols > 0 && e.Rows > 0 && len(e.Fits) == 0 }

func (e *GridError) Error() string {
	g := e.Grid
	if e.Cols == 0 || e.Rows == 0 {
		return fmt.Sprintf("%s: %dx%d is smaller than one %s tile", e.Path, e.Width, e.Height, g)
	}
	if len(e.Fits) == 0 {
		if g.TileWidth == g.TileHeight && g.Margin == 0 && g.Spacing == 0 {
			return fmt.Sprintf("%s: %dx%d is not a multiple of the %d-pixel tile", e.Path, e.Width, e.Height, g.TileWidth)
		}
		return fmt.Sprintf("%s: %dx%d is not a whole grid of %s tiles: %dx%d tiles leave %dx%d pixels at the right and bottom",
			e.Path, e.Width, e.Height, g, e.Cols, e.Rows, e.Right, e.Bottom)
	}
	var alt []string
	for _, a := range e.Fits {
		c, r := a.Count(e.Width, e.Height)
		alt = append(alt, fmt.Sprintf("margin %d, spacing %d (%dx%d tiles)", a.Margin, a.Spacing, c, r))
	}
	return fmt.Sprintf("%s: %dx%d is not a whole grid of %s tiles; it fits exactly with %s",
		e.Path, e.Width, e.Height, g, strings.Join(alt, " or "))
}

// filterFits keeps the alternatives whose gutters are uniform in img: every
// pixel column and row that the grid leaves to margins and spacing is of one
// gray level (after compositing over white), as a sheet drawn on that grid
// is. It keeps at most three.
func filterFits(img image.Image, fits []Grid) []Grid {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	gray := image.NewGray(image.Rect(0, 0, w, h))
	cv := newConverter(Gray, White)
	for y := range h {
		cv.row(img, 0, y, gray.Pix[y*gray.Stride:][:w])
	}
	var out []Grid
	for _, g := range fits {
		if len(out) < 3 && uniformGutters(gray, g) {
			out = append(out, g)
		}
	}
	return out
}

func uniformGutters(img *image.Gray, g Grid) bool {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	cols, rows := g.Count(w, h)
	gutters := func(n, size, tile int) []int {
		var at []int
		for i := range g.Margin {
			at = append(at, i)
		}
		for c := 1; c < n; c++ {
			start := g.Margin + c*tile + (c-1)*g.Spacing
			for i := range g.Spacing {
				at = append(at, start+i)
			}
		}
		end := g.Margin + n*tile + (n-1)*g.Spacing
		for i := end; i < size; i++ {
			at = append(at, i)
		}
		return at
	}
	for _, x := range gutters(cols, w, g.TileWidth) {
		v := img.Pix[x]
		for y := 1; y < h; y++ {
			if img.Pix[y*img.Stride+x] != v {
				return false
			}
		}
	}
	for _, y := range gutters(rows, h, g.TileHeight) {
		row := img.Pix[y*img.Stride:][:w]
		for _, v := range row {
			if v != row[0] {
				return false
			}
		}
	}
	return true
}
