package tiles

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// tileset is what a Tiled tileset file (.tsx, "TSX" in
// https://doc.mapeditor.org/en/stable/reference/tmx-map-format/#tileset)
// says about one tile sheet image.
type tileset struct {
	Path                  string // the .tsx file
	Name                  string
	TileWidth, TileHeight int // pixels
	Margin, Spacing       int // pixels
	Columns               int // tile columns, as the file states (0: not stated)
	TileCount             int // tiles, as the file states (0: not stated)
	// Image is the sheet's path: the <image source> resolved against the
	// directory of the .tsx file (Tiled stores it relative to that file).
	Image                   string
	ImageWidth, ImageHeight int // as the file states (0: not stated)
	// Trans is the image's colour key (<image trans="ff00ff">): pixels of
	// exactly this colour are transparent, as Tiled shows them; nil for
	// none.
	Trans *color.RGBA
}

// grid is the tileset's grid.
func (ts *tileset) grid() Grid {
	return Grid{TileWidth: ts.TileWidth, TileHeight: ts.TileHeight, Margin: ts.Margin, Spacing: ts.Spacing}
}

// tilesetError reports a tileset file that cannot be used: not XML, not a
// <tileset>, a grid that makes no sense, an image collection (one image per
// tile, which has no grid to cut), or numbers that the image contradicts.
type tilesetError struct {
	Path string
	Err  error
}

func (e *tilesetError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *tilesetError) Unwrap() error { return e.Err }

// maxTilesetBytes bounds the .tsx file read: tileset files with per-tile
// properties are a few hundred kilobytes at most.
const maxTilesetBytes = 16 << 20

// readTileset reads a Tiled .tsx file. Errors are *tilesetError.
func readTileset(path string) (*tileset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &tilesetError{Path: path, Err: pathCause(err)}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTilesetBytes+1))
	if err != nil {
		return nil, &tilesetError{Path: path, Err: err}
	}
	if len(data) > maxTilesetBytes {
		return nil, &tilesetError{Path: path, Err: fmt.Errorf("larger than %d bytes", maxTilesetBytes)}
	}
	ts, err := parseTileset(path, data)
	if err != nil {
		return nil, err
	}
	return ts, nil
}

// tsx mirrors the part of the TSX format that describes the grid.
type tsx struct {
	XMLName    xml.Name `xml:"tileset"`
	Name       string   `xml:"name,attr"`
	TileWidth  int      `xml:"tilewidth,attr"`
	TileHeight int      `xml:"tileheight,attr"`
	Spacing    int      `xml:"spacing,attr"`
	Margin     int      `xml:"margin,attr"`
	TileCount  int      `xml:"tilecount,attr"`
	Columns    int      `xml:"columns,attr"`
	Source     string   `xml:"source,attr"` // a reference to another file: not a tileset itself
	Images     []struct {
		Source string `xml:"source,attr"`
		Trans  string `xml:"trans,attr"`
		Width  int    `xml:"width,attr"`
		Height int    `xml:"height,attr"`
	} `xml:"image"`
	Tiles []struct{} `xml:"tile>image"` // image collection tilesets
}

// parseTileset parses the contents of a .tsx file; path names it in errors
// and is the base against which the image source is resolved.
func parseTileset(path string, data []byte) (*tileset, error) {
	fail := func(format string, a ...any) (*tileset, error) {
		return nil, &tilesetError{Path: path, Err: fmt.Errorf(format, a...)}
	}
	var t tsx
	dec := xml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&t); err != nil {
		var se *xml.SyntaxError
		if errors.As(err, &se) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fail("not a Tiled tileset (.tsx) file: %v", err)
		}
		return fail("not a Tiled tileset: %v", err)
	}
	switch {
	case t.Source != "":
		return fail("refers to another tileset file (%s): give that file", t.Source)
	case len(t.Images) == 0 && len(t.Tiles) > 0:
		return fail("an image collection tileset (one image per tile) has no grid to cut")
	case len(t.Images) == 0:
		return fail("no <image> element: the tileset names no sheet image")
	case len(t.Images) > 1:
		return fail("%d <image> elements: want one", len(t.Images))
	case t.Images[0].Source == "":
		return fail("<image> has no source")
	case t.TileWidth < 1 || t.TileHeight < 1:
		return fail("tilewidth %d, tileheight %d: want >= 1", t.TileWidth, t.TileHeight)
	case t.Margin < 0 || t.Spacing < 0:
		return fail("margin %d, spacing %d: want >= 0", t.Margin, t.Spacing)
	case t.Columns < 0 || t.TileCount < 0:
		return fail("columns %d, tilecount %d: want >= 0", t.Columns, t.TileCount)
	}
	img := t.Images[0]
	src := filepath.FromSlash(img.Source)
	if !filepath.IsAbs(src) {
		src = filepath.Join(filepath.Dir(path), src)
	}
	if strings.Contains(img.Source, "://") {
		return fail("image source %q is a URL: want a file", img.Source)
	}
	ts := &tileset{
		Path: path, Name: t.Name,
		TileWidth: t.TileWidth, TileHeight: t.TileHeight, Margin: t.Margin, Spacing: t.Spacing,
		Columns: t.Columns, TileCount: t.TileCount,
		Image: src, ImageWidth: img.Width, ImageHeight: img.Height,
	}
	if img.Trans != "" {
		// Tiled writes the colour as rrggbb; its documentation spells it
		// "#FF00FF".
		h := strings.TrimPrefix(img.Trans, "#")
		v, err := strconv.ParseUint(h, 16, 32)
		if len(h) != 6 || err != nil {
			return fail("<image trans=%q>: want a colour rrggbb, like ff00ff", img.Trans)
		}
		ts.Trans = &color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 0xff}
	}
	if t.imageSizeStated() {
		if err := ts.checkNumbers(img.Width, img.Height); err != nil {
			return nil, err
		}
	}
	return ts, nil
}

// imageSizeStated reports whether the file gives the image size.
func (t *tsx) imageSizeStated() bool { return t.Images[0].Width > 0 && t.Images[0].Height > 0 }

// checkNumbers checks the stated columns and tile count against the grid
// cut from a width x height image.
func (ts *tileset) checkNumbers(width, height int) error {
	cols, rows := ts.grid().count(width, height)
	switch {
	case ts.Columns > 0 && ts.Columns != cols:
		return &tilesetError{Path: ts.Path, Err: fmt.Errorf("columns=%d, but %s tiles make %d columns of a %d-pixel-wide image",
			ts.Columns, ts.grid().text(), cols, width)}
	case ts.TileCount > 0 && ts.TileCount != cols*rows:
		return &tilesetError{Path: ts.Path, Err: fmt.Errorf("tilecount=%d, but %s tiles make %dx%d = %d tiles of a %dx%d image",
			ts.TileCount, ts.grid().text(), cols, rows, cols*rows, width, height)}
	}
	return nil
}

// check reports a sheet loaded with the tileset's grid whose size contradicts
// the tileset file's columns, tilecount, or image width and height.
func (ts *tileset) check(s Sheet) error {
	if ts.ImageWidth > 0 && ts.ImageHeight > 0 && (s.Width != ts.ImageWidth || s.Height != ts.ImageHeight) {
		return &tilesetError{Path: ts.Path, Err: fmt.Errorf("the image is %dx%d, but %s is %dx%d",
			ts.ImageWidth, ts.ImageHeight, s.Path, s.Width, s.Height)}
	}
	return ts.checkNumbers(s.Width, s.Height)
}

// LoadTileset reads a Tiled tileset file (.tsx, "TSX" in
// https://doc.mapeditor.org/en/stable/reference/tmx-map-format/#tileset) and
// loads its one image, cut on its grid: tilewidth, tileheight, margin and
// spacing, by Tiled's rule (see Grid). The image's colour key, <image
// trans="ff00ff">, makes the pixels of that exact colour transparent, as
// Tiled shows them: they are composited over Options.Background and counted
// in Sheet.Transparent like alpha. opts gives everything else (colour,
// background, crop, workers...); its Size and Grid are ignored. The image's
// size must agree with the columns, tilecount, width and height the file
// states. Errors name the .tsx file (a file that is not a grid tileset: not
// XML, not a <tileset>, an image collection, a URL as the image...) or, as
// Load's, the image. Options.Resize is refused: a tileset is a grid to cut
// (its colour key, tile size, margin and spacing mean nothing to an image
// made one sample); Load the image for that.
func LoadTileset(path string, opts Options) (*Set, error) {
	if opts.Resize != (image.Point{}) {
		return nil, &tilesetError{Path: path, Err: errors.New("a tileset is cut into tiles on its grid, with its colour key; Resize makes every image one sample instead: load the image itself for that")}
	}
	ts, err := readTileset(path)
	if err != nil {
		return nil, err
	}
	opts.Size = 0
	opts.Grid = ts.grid()
	t, err := load([]input{{name: ts.Image}}, opts, ts)
	if err != nil {
		return nil, err
	}
	if err := ts.check(t.Sheets[0]); err != nil {
		return nil, err
	}
	return t, nil
}
