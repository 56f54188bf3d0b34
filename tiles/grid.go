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
// What the tiles leave at the right and at the bottom may be a closing
// margin as wide as the opening one, or none, then at most one trailing
// spacing (0..Spacing or Margin..Margin+Spacing pixels): the sheet is then a
// whole grid. Anything else is ignored as Tiled ignores it (and recorded in
// Sheet.Cropped) when the sheet's pixels bear the grid out: a tileset file
// (LoadTileset) always, as Tiled shows it; a Grid with a margin or spacing
// when at least 3/4 of the pixel columns and rows its margin and spacing
// take are each of one gray level where the tiles span them, and no other
// margin and spacing of the same tiles has gutters better borne out. A Grid with neither has no
// gutters to show: its remainder takes Options.Crop. Otherwise loading
// fails with a *GridError.
//
// The zero Grid is not usable; Options.Size fills in a square grid with no
// margin or spacing.
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
// it whole (a closing margin, a trailing gutter), or when cropping, and
// Load when the pixels bear the grid out (judge).
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
// bottom leaves it whole. With crop, a larger right or bottom remainder is
// left out instead. Otherwise the error is a *GridError, which tells what
// does fit from the size alone (Load then looks at the pixels: judge).
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

// gutters reports whether the grid has a margin or spacing: pixel
// columns and rows that are not tiles, which the sheet's pixels can bear
// out.
func (g Grid) gutters() bool { return g.Margin > 0 || g.Spacing > 0 }

// alternatives lists the grids of the same tiles with another margin and
// spacing (each below the tile size and 64, smallest spacing first) that
// cut at least one tile out of a width x height image by Tiled's rule. From
// the size alone many are possible; judge keeps those the pixels bear out.
func (g Grid) alternatives(width, height int) []Grid {
	var out []Grid
	limit := min(g.TileWidth, g.TileHeight, 64)
	for s := 0; s < limit; s++ {
		for m := 0; m < limit; m++ {
			a := Grid{TileWidth: g.TileWidth, TileHeight: g.TileHeight, Margin: m, Spacing: s}
			if c, r := a.count(width, height); a != g && c > 0 && r > 0 {
				out = append(out, a)
			}
		}
	}
	return out
}

// GridError reports a sheet that a grid does not cut into whole tiles, and
// whose pixels do not bear the grid out either (see Grid). It carries the
// numbers a caller needs to say what does fit:
//
//   - Cols == 0 or Rows == 0: the image is smaller than one tile (plus the margin).
//   - Fits not empty: the image's pixels show the gutters of the same tiles
//     with another margin or spacing (at least 3/4 of that grid's margin and
//     spacing lines are each of one colour, and more of them than of the
//     grid asked for), so the given ones are probably wrong: cropping would
//     misalign every tile, and following Fits[0] cuts the tiles the sheet
//     was drawn with. At most three, the best borne out first. When no
//     grid with gutters is borne out and the edge-to-edge grid (no margin,
//     no spacing) cuts the image exactly, Fits is that grid alone.
//   - otherwise, for a Grid without margin or spacing: a Right x Bottom
//     remainder that cropping (Options.Crop) trims, leaving Cols x Rows
//     tiles; for one with a margin or spacing, the pixels bear out no grid
//     of these tiles (after a look at them: Load's errors, not GridFit's).
type GridError struct {
	Path          string
	Width, Height int  // image pixels (as displayed, after EXIF orientation)
	Grid          Grid // the grid asked for
	Cols, Rows    int  // whole tiles that fit
	Right, Bottom int  // pixels right of and below the last whole tiles
	Fits          []Grid
	looked        bool // the pixels were looked at (judge)
}

func (e *GridError) Error() string {
	g := e.Grid
	if e.Cols == 0 || e.Rows == 0 {
		return fmt.Sprintf("%s: %dx%d is smaller than one %s tile", e.Path, e.Width, e.Height, g.text())
	}
	if len(e.Fits) == 0 {
		if g.TileWidth == g.TileHeight && !g.gutters() {
			return fmt.Sprintf("%s: %dx%d is not a multiple of the %d-pixel tile", e.Path, e.Width, e.Height, g.TileWidth)
		}
		msg := fmt.Sprintf("%s: %dx%d is not a whole grid of %s tiles: %dx%d tiles leave %dx%d pixels at the right and bottom",
			e.Path, e.Width, e.Height, g.text(), e.Cols, e.Rows, e.Right, e.Bottom)
		if e.looked && g.gutters() {
			msg += ", and the sheet's pixels do not show its margin and spacing (fewer than 3/4 of their lines are of one colour), nor those of another margin or spacing: check -margin and -spacing"
		}
		return msg
	}
	var alt []string
	for _, a := range e.Fits {
		c, r := a.count(e.Width, e.Height)
		alt = append(alt, fmt.Sprintf("margin %d, spacing %d (%dx%d tiles)", a.Margin, a.Spacing, c, r))
	}
	how := "its pixels show the gutters of"
	if !e.Fits[0].gutters() {
		how = "its pixels show no margin or spacing, and it fits exactly with"
	}
	return fmt.Sprintf("%s: %dx%d is not a whole grid of %s tiles; %s %s",
		e.Path, e.Width, e.Height, g.text(), how, strings.Join(alt, " or "))
}

// judge looks at a sheet's pixels for the grid g, which the sheet's size
// does not make whole. It reports whether the pixels bear g out (its
// remainder is then ignored, as Tiled ignores it), and otherwise the grids
// of the same tiles, with other margins and spacings, that they bear out
// instead, best first, at most three and none with less than half the
// best one's evidence (GridError.Fits).
//
// A grid is borne out when it has margin or spacing lines (the pixel
// columns and rows they take; not the remainder, which Tiled ignores) and
// at least 3/4 of them are each of one gray level where the grid spans
// them, after compositing over white: sprites sometimes bleed into a
// gutter, so not all. Grids are
// ranked by their uniform lines less three times the others, so that
// more evidence wins (a margin of 1 whose two lines happen to be white
// does not beat a grid whose every spacing line is), ties to the smaller
// spacing and margin; g wins ties, and g whose every gutter line is of
// one colour is borne out whatever the others show (sprites framed in the
// gutters' colour bear out several grids, which the pixels cannot tell
// apart). A grid without gutters shows nothing:
// it is offered only when no grid with gutters is borne out, g is not
// either, and it cuts the image exactly.
func judge(img image.Image, g Grid) (bornOut bool, fits []Grid) {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	uc, ur := uniformRuns(toGray(img))
	type scored struct {
		g      Grid
		weight int
	}
	rate := func(a Grid) (scored, bool) {
		uniform, lines := gutterLines(uc, ur, a)
		return scored{a, uniform - 3*(lines-uniform)}, lines > 0 && 4*uniform >= 3*lines
	}
	// When every gutter line of g is of one colour, nothing in the gutters
	// speaks against g, and another grid with more such lines is better
	// only if its tiles' own edges are less often of one colour than g's
	// (g's tiles then begin or end in a gutter); sprites framed in the
	// gutters' colour bear out several grids alike, which the pixels
	// cannot tell apart, and following another would cut every tile off by
	// the difference.
	gu, gl := gutterLines(uc, ur, g)
	gFull := gl > 0 && gu == gl
	eu, el := edgeLines(uc, ur, g)
	var keep []scored
	for _, a := range g.alternatives(w, h) {
		s, ok := rate(a)
		if ok && gFull {
			au, al := edgeLines(uc, ur, a)
			ok = au*el < eu*al // a's share of one-colour tile edges below g's
		}
		if ok {
			keep = append(keep, s)
		}
	}
	slices.SortStableFunc(keep, func(a, b scored) int { return cmp.Compare(b.weight, a.weight) })
	if own, ok := rate(g); ok && (len(keep) == 0 || own.weight >= keep[0].weight) {
		return true, nil
	}
	for _, k := range keep[:min(3, len(keep))] {
		if 2*k.weight >= keep[0].weight { // others far behind are no advice
			fits = append(fits, k.g)
		}
	}
	if edge := (Grid{TileWidth: g.TileWidth, TileHeight: g.TileHeight}); len(fits) == 0 && g.gutters() {
		if c, r := edge.count(w, h); c > 0 && r > 0 && c*edge.TileWidth == w && r*edge.TileHeight == h {
			fits = []Grid{edge}
		}
	}
	return false, fits
}

// uniformRuns reports for each pixel column of img how many pixels from
// the top are of the column's first gray level, and for each pixel row how
// many from the left are of the row's first, in one pass over the pixels in
// memory order (a sheet of 2^28 pixels and hundreds of candidate grids are
// then scored from these, not by reading columns across rows again and
// again). A grid's gutter line is of one colour where the grid spans it:
// a column over the grid's height, a row over its width (what lies right
// of and below the grid, which Tiled ignores, may hold anything).
func uniformRuns(img *image.Gray) (cols, rows []int) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	cols, rows = make([]int, w), make([]int, h)
	for x := range cols {
		cols[x] = h
	}
	first := img.Pix[:w]
	for y := range h {
		row := img.Pix[y*img.Stride:][:w]
		rows[y] = w
		if i := slices.IndexFunc(row, func(v uint8) bool { return v != row[0] }); i >= 0 {
			rows[y] = i
		}
		for x, v := range row {
			if v != first[x] && cols[x] == h {
				cols[x] = y
			}
		}
	}
	return cols, rows
}

// gutterLines counts g's margin and spacing lines in an image whose
// pixel columns and rows are of one colour as far as colRun and rowRun say
// (uniformRuns), and how many of them are of one colour over the grid's
// extent. The remainder right of and below the tiles is not counted: Tiled
// ignores it, whatever it holds.
func gutterLines(colRun, rowRun []int, g Grid) (uniform, lines int) {
	return gridLines(colRun, rowRun, g, func(n, tile int, at func(int)) {
		for i := range g.Margin {
			at(i)
		}
		for c := 1; c < n; c++ {
			start := g.Margin + c*tile + (c-1)*g.Spacing
			for i := range g.Spacing {
				at(start + i)
			}
		}
	})
}

// edgeLines counts the pixel columns and rows on the edges of g's tiles
// (each tile column's first and last column, each tile row's first and
// last row) and how many of them are of one colour over the grid's
// extent, as gutterLines counts its gutters.
func edgeLines(colRun, rowRun []int, g Grid) (uniform, lines int) {
	return gridLines(colRun, rowRun, g, func(n, tile int, at func(int)) {
		for c := range n {
			start := g.Margin + c*(tile+g.Spacing)
			at(start)
			at(start + tile - 1)
		}
	})
}

// gridLines counts the pixel lines that lines picks on each axis of g
// (calling at with each column, then with each row, given the axis's n
// tiles of size tile) and how many of them are of one colour over the
// grid's extent: a column over its height, a row over its width, as far
// as colRun and rowRun say (uniformRuns).
func gridLines(colRun, rowRun []int, g Grid, lines func(n, tile int, at func(int))) (uniform, total int) {
	cols, rows := g.count(len(colRun), len(rowRun))
	extent := func(n, tile int) int { return g.Margin + n*tile + (n-1)*g.Spacing }
	axis := func(n, tile int, run []int, across int) {
		lines(n, tile, func(i int) {
			total++
			if run[i] >= across {
				uniform++
			}
		})
	}
	axis(cols, g.TileWidth, colRun, extent(rows, g.TileHeight))
	axis(rows, g.TileHeight, rowRun, extent(cols, g.TileWidth))
	return uniform, total
}
