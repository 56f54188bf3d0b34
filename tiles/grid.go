package tiles

import (
	"cmp"
	"fmt"
	"image"
	"slices"
	"strings"
)

// Grid is how a sheet is cut into tiles, in the terms of a Tiled tileset
// (https://doc.mapeditor.org/en/stable/reference/tmx-map-format/#tileset):
// tiles of TileWidth x TileHeight pixels, Margin pixels before the first
// column and row (at the left and top) and Spacing pixels between
// neighbouring tiles.
//
// The number of columns and rows follows from the image size by Tiled's own
// rule (src/libtiled/tileset.cpp, columnCountForWidth and rowCountForHeight),
// which takes the margin off the left and top only:
//
//	columns = (width  - Margin + Spacing) / (TileWidth  + Spacing)
//	rows    = (height - Margin + Spacing) / (TileHeight + Spacing)
//
// Tile (row r, column c) has its top-left pixel at
// (Margin + c*(TileWidth+Spacing), Margin + r*(TileHeight+Spacing)), as
// Tiled's loadFromImage slices it.
//
// The zero Grid is not usable; Options.Size fills in a square grid with no
// margin or spacing. A sheet must be a whole grid: what the tiles leave at
// the right and at the bottom may be a closing margin as wide as the
// opening one, or none, then at most one trailing spacing (0..Spacing or
// Margin..Margin+Spacing pixels); see GridError.
type Grid struct {
	TileWidth, TileHeight int // pixels, >= 1
	Margin                int // pixels around the grid, >= 0
	Spacing               int // pixels between tiles, >= 0
}

// text gives the grid as "WxH", followed by the margin and spacing when
// they are not zero: "64x64 spacing 4".
func (g Grid) text() string {
	s := fmt.Sprintf("%dx%d", g.TileWidth, g.TileHeight)
	if g.Margin != 0 {
		s += fmt.Sprintf(" margin %d", g.Margin)
	}
	if g.Spacing != 0 {
		s += fmt.Sprintf(" spacing %d", g.Spacing)
	}
	return s
}

// validate reports a grid that cannot cut anything: a tile edge below 1, or
// a negative margin or spacing.
func (g Grid) validate() error {
	if g.TileWidth < 1 || g.TileHeight < 1 {
		return fmt.Errorf("tile %dx%d: want at least 1x1", g.TileWidth, g.TileHeight)
	}
	if g.Margin < 0 || g.Spacing < 0 {
		return fmt.Errorf("margin %d, spacing %d: want >= 0", g.Margin, g.Spacing)
	}
	return nil
}

// count returns the columns and rows of tiles that fit a width x height
// image (the Tiled formula above; 0 when not even one tile fits).
func (g Grid) count(width, height int) (cols, rows int) {
	return countAxis(width, g.TileWidth, g.Margin, g.Spacing), countAxis(height, g.TileHeight, g.Margin, g.Spacing)
}

func countAxis(n, tile, margin, spacing int) int {
	avail := n - margin
	if avail < tile {
		return 0
	}
	return (avail + spacing) / (tile + spacing)
}

// remainder returns the pixels right of and below the last whole column
// and row of tiles. Tiled ignores them; fit accepts a sheet when both leave
// it whole (a closing margin, a trailing gutter), or when cropping.
func (g Grid) remainder(width, height int) (right, bottom int) {
	cols, rows := g.count(width, height)
	return remainderAxis(width, cols, g.TileWidth, g.Margin, g.Spacing), remainderAxis(height, rows, g.TileHeight, g.Margin, g.Spacing)
}

func remainderAxis(size, n, tile, margin, spacing int) int {
	if n == 0 {
		return size
	}
	return max(0, size-margin-n*tile-(n-1)*spacing)
}

// whole reports whether rem pixels left right of or below the tiles still
// make a whole grid: at most one trailing spacing (the Kenney roguelike
// sheet, 3873x2105 with 64-pixel tiles and spacing 4, ends in a 1-pixel
// gutter), after a closing margin as wide as the opening one or none.
func (g Grid) whole(rem int) bool {
	return rem <= g.Spacing || rem >= g.Margin && rem <= g.Margin+g.Spacing
}

// fit checks that the grid cuts a width x height image into whole tiles and
// returns its columns and rows. A sheet fits when, beyond the margin, the
// tiles and the spacing between them, what is left on the right and at the
// bottom leaves it whole. With crop, a larger right or bottom remainder is trimmed
// instead. Otherwise the error is a *GridError, which tells what does fit
// (Load also fills in its Fits from the pixels).
func (g Grid) fit(path string, width, height int, crop bool) (cols, rows int, err error) {
	if err := g.validate(); err != nil {
		return 0, 0, err
	}
	cols, rows = g.count(width, height)
	right, bottom := g.remainder(width, height)
	if cols > 0 && rows > 0 && (crop || g.whole(right) && g.whole(bottom)) {
		return cols, rows, nil
	}
	return 0, 0, &GridError{Path: path, Width: width, Height: height, Grid: g, Cols: cols, Rows: rows, Right: right, Bottom: bottom}
}

// alternatives lists the margin and spacing values (each below the tile
// size and 64, smallest spacing first) with which the same tiles cut the
// image exactly. From the size alone many are possible; the loader keeps
// those that the pixels bear out (filterFits).
func (g Grid) alternatives(width, height int) []Grid {
	var out []Grid
	limit := min(g.TileWidth, g.TileHeight, 64)
	for s := 0; s < limit; s++ {
		for m := 0; m < limit; m++ {
			a := Grid{TileWidth: g.TileWidth, TileHeight: g.TileHeight, Margin: m, Spacing: s}
			if a == g {
				continue
			}
			c, r := a.count(width, height)
			if rr, rb := a.remainder(width, height); c > 0 && r > 0 && a.whole(rr) && a.whole(rb) {
				out = append(out, a)
			}
		}
	}
	return out
}

// GridError reports a sheet that a grid does not cut into whole tiles. It
// carries the numbers a caller needs to say what does fit:
//
//   - Cols == 0 or Rows == 0: the image is smaller than one tile (plus the margin).
//   - Fits not empty: the same tiles cut the image exactly with another margin
//     or spacing, and the image's pixels agree (every gutter line of that
//     grid is of one colour), so the given ones are probably wrong; cropping
//     would misalign every tile. At most three, smallest spacing first.
//   - otherwise: a Right x Bottom remainder that cropping (Options.Crop)
//     trims, leaving Cols x Rows tiles.
type GridError struct {
	Path          string
	Width, Height int  // image pixels (as displayed, after EXIF orientation)
	Grid          Grid // the grid asked for
	Cols, Rows    int  // whole tiles that fit
	Right, Bottom int  // pixels right of and below the last whole tiles
	Fits          []Grid
}

func (e *GridError) Error() string {
	g := e.Grid
	if e.Cols == 0 || e.Rows == 0 {
		return fmt.Sprintf("%s: %dx%d is smaller than one %s tile", e.Path, e.Width, e.Height, g.text())
	}
	if len(e.Fits) == 0 {
		if g.TileWidth == g.TileHeight && g.Margin == 0 && g.Spacing == 0 {
			return fmt.Sprintf("%s: %dx%d is not a multiple of the %d-pixel tile", e.Path, e.Width, e.Height, g.TileWidth)
		}
		return fmt.Sprintf("%s: %dx%d is not a whole grid of %s tiles: %dx%d tiles leave %dx%d pixels at the right and bottom",
			e.Path, e.Width, e.Height, g.text(), e.Cols, e.Rows, e.Right, e.Bottom)
	}
	var alt []string
	for _, a := range e.Fits {
		c, r := a.count(e.Width, e.Height)
		alt = append(alt, fmt.Sprintf("margin %d, spacing %d (%dx%d tiles)", a.Margin, a.Spacing, c, r))
	}
	return fmt.Sprintf("%s: %dx%d is not a whole grid of %s tiles; it fits exactly with %s",
		e.Path, e.Width, e.Height, g.text(), strings.Join(alt, " or "))
}

// filterFits keeps the alternatives that img bears out: at least 3/4 of the
// pixel columns and rows that the grid leaves to margins and spacing are each
// of one gray level (after compositing over white), as on a sheet drawn on
// that grid (sprites sometimes bleed into a gutter, so not all). A grid with
// no gutters at all (edge to edge) needs no evidence. It returns at most
// three, the best borne out first, then by spacing and margin.
func filterFits(img image.Image, fits []Grid) []Grid {
	cols, rows := uniformLines(toGray(img))
	type scored struct {
		g     Grid
		score float64
	}
	var keep []scored
	for _, g := range fits {
		if s := uniformGutters(cols, rows, g); s >= 0.75 {
			keep = append(keep, scored{g, s})
		}
	}
	slices.SortStableFunc(keep, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
	var out []Grid
	for _, k := range keep[:min(3, len(keep))] {
		out = append(out, k.g)
	}
	return out
}

// uniformLines reports for each pixel column and each pixel row of img
// whether it is of one gray level, in one pass over the pixels in memory
// order (a sheet of 2^28 pixels and hundreds of candidate grids are then
// scored from these, not by reading columns across rows again and again).
func uniformLines(img *image.Gray) (cols, rows []bool) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	cols, rows = make([]bool, w), make([]bool, h)
	for x := range cols {
		cols[x] = true
	}
	first := img.Pix[:w]
	for y := range h {
		row := img.Pix[y*img.Stride:][:w]
		rows[y] = !slices.ContainsFunc(row, func(v uint8) bool { return v != row[0] })
		for x, v := range row {
			if v != first[x] {
				cols[x] = false
			}
		}
	}
	return cols, rows
}

// uniformGutters returns the share of g's gutter lines (margin and spacing
// columns and rows, and the unused remainder) that are of one gray level
// (uniformCols, uniformRows: uniformLines of the image).
func uniformGutters(uniformCols, uniformRows []bool, g Grid) float64 {
	w, h := len(uniformCols), len(uniformRows)
	cols, rows := g.count(w, h)
	lines, uniform := 0, 0
	gutters := func(n, size, tile int, uniformAt []bool) {
		at := func(i int) {
			lines++
			if uniformAt[i] {
				uniform++
			}
		}
		for i := range g.Margin {
			at(i)
		}
		for c := 1; c < n; c++ {
			start := g.Margin + c*tile + (c-1)*g.Spacing
			for i := range g.Spacing {
				at(start + i)
			}
		}
		for i := g.Margin + n*tile + (n-1)*g.Spacing; i < size; i++ {
			at(i)
		}
	}
	gutters(cols, w, g.TileWidth, uniformCols)
	gutters(rows, h, g.TileHeight, uniformRows)
	if lines == 0 {
		return 1
	}
	return float64(uniform) / float64(lines)
}
