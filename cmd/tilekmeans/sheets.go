package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/image/colornames"

	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/sheetpaths"
	"github.com/tilekmeans/tilekmeans/internal/imageformat"
	"github.com/tilekmeans/tilekmeans/internal/memcheck"
	"github.com/tilekmeans/tilekmeans/tiles"
	"github.com/tilekmeans/tilekmeans/tiles/embedded"
)

// tileSize is -tile: "W" (square) or "WxH" in pixels.
type tileSize struct{ w, h int }

// dims is "WxH", also for square tiles.
func (s *tileSize) dims() string { return fmt.Sprintf("%dx%d", s.w, s.h) }

func (s *tileSize) String() string {
	if s.w == s.h {
		return strconv.Itoa(s.w)
	}
	return fmt.Sprintf("%dx%d", s.w, s.h)
}

func (s *tileSize) Set(v string) error {
	ws, hs, two := strings.Cut(v, "x")
	w, err1 := strconv.Atoi(ws)
	h, err2 := w, error(nil)
	if two {
		h, err2 = strconv.Atoi(hs)
	}
	if err1 != nil || err2 != nil {
		return fmt.Errorf("want W or WxH in pixels, like 16 or 10x16")
	}
	if w < 1 || h < 1 {
		return fmt.Errorf("want >= 1")
	}
	s.w, s.h = w, h
	return nil
}

// background is -background: the opaque colour that transparent pixels
// are composited over (tiles.Options.Background).
type background struct{ r, g, b uint8 }

// white is -background's default, as ImageMagick's.
var white = background{255, 255, 255}

// color is the colour for tiles.Options.
func (b background) color() color.Color { return color.RGBA{b.r, b.g, b.b, 255} }

// String gives the colour as #rrggbb.
func (b background) String() string { return fmt.Sprintf("#%02x%02x%02x", b.r, b.g, b.b) }

// MarshalText returns the #rrggbb form.
func (b background) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText accepts #rrggbb or #rgb (hex, always with the '#'), a
// colour name of SVG 1.1 and CSS ("white", "black", "magenta": the names of
// golang.org/x/image/colornames, as ImageMagick's -background takes them),
// or a gray level 0..255 in decimal. A bare number is always a gray level,
// never hex: "256" is out of range, "12a" is refused with the hint to write
// "#12a".
func (b *background) UnmarshalText(text []byte) error {
	s := strings.ToLower(strings.TrimSpace(string(text)))
	bad := func(why string) error { return fmt.Errorf("background %q: %s", text, why) }
	if c, ok := colornames.Map[s]; ok {
		*b = background{c.R, c.G, c.B}
		return nil
	}
	if h, ok := strings.CutPrefix(s, "#"); ok {
		if len(h) == 3 {
			h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
		}
		v, err := strconv.ParseUint(h, 16, 32)
		if len(h) != 6 || err != nil {
			return bad("want #rrggbb or #rgb in hex digits")
		}
		*b = background{uint8(v >> 16), uint8(v >> 8), uint8(v)}
		return nil
	}
	if isDecimal(s) {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 || v > 255 {
			return bad("a gray level is 0..255 (hex colours need a '#': #rrggbb or #rgb)")
		}
		*b = background{uint8(v), uint8(v), uint8(v)}
		return nil
	}
	if _, err := strconv.ParseUint(s, 16, 32); err == nil && (len(s) == 3 || len(s) == 6) {
		return bad(fmt.Sprintf("hex colours need a '#': #%s (a bare number is a gray level 0..255)", s))
	}
	return bad("want #rrggbb, #rgb, a colour name (white, black, ...) or a gray level 0..255")
}

// isDecimal reports whether s is a whole number in decimal: digits, after
// an optional sign.
func isDecimal(s string) bool {
	s = strings.TrimLeft(s, "+-")
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// sheetFlags are the flags that say which sheets to read and how to cut
// them, shared by run, bench and assign.
type sheetFlags struct {
	images     listFlag
	tile       tileSize
	margin     int
	spacing    int
	tileset    string
	color      tiles.ColorModel
	background background
	crop       bool
	skipBlank  bool
	maxPixels  int64
	set        map[string]bool // flags given on the command line
	// -resize, -fit, -skip-bad (samples.go); the files -images found, and
	// where to draw the loading progress line (nil: nowhere).
	resize   tileSize
	fit      fitFlag
	skipBad  bool
	files    []sheetpaths.File
	byPath   map[string]sheetpaths.File // files by path, for folderOf
	progress io.Writer
	// budget decides, before the tile matrix is allocated, whether it fits
	// in memory (app.loadBudget); nil: the memory available, the matrix
	// alone.
	budget memcheck.Budget
}

// register adds the sheet flags to fs. tileDefault is -tile's default (0:
// none, the caller decides).
func (s *sheetFlags) register(fs *flag.FlagSet, tileDefault int) {
	s.tile = tileSize{tileDefault, tileDefault}
	s.background = white
	fs.Var(&s.images, "images", "sheet `PATH`s: files, directories or globs (repeatable; bare paths after it count too): images "+
		strings.Join(imageformat.Extensions(), " ")+", and arrays of images named themselves: NumPy .npy, IDX *-idx3-ubyte (optionally .gz)")
	fs.Var(&s.tile, "tile", "tile size in pixels: `W` (square) or WxH, e.g. 16 or 10x16")
	fs.IntVar(&s.margin, "margin", 0, "`pixels` before the first column and row, at the left and top (as Tiled's tileset margin)")
	fs.IntVar(&s.spacing, "spacing", 0, "`pixels` between neighbouring tiles (as Tiled's tileset spacing)")
	fs.StringVar(&s.tileset, "tileset", "", "a Tiled tileset `FILE.tsx`: its image, tile size, margin, spacing and colour key (instead of -images, -tile, -margin and -spacing)")
	fs.TextVar(&s.color, "color", tiles.Gray, "tile `features`: gray (1 byte per pixel, BT.601 luma) | rgb (3 bytes per pixel)")
	fs.TextVar(&s.background, "background", white, "`colour` transparent pixels are composited over: #rrggbb, #rgb, a colour name (white, black, ...) or a gray level 0..255")
	fs.BoolVar(&s.crop, "crop", false, "trim a right/bottom remainder that is not a whole tile instead of failing")
	fs.BoolVar(&s.skipBlank, "skip-blank", false, "leave blank tiles (all pixels equal) out")
	s.registerSamples(fs)
	fs.Int64Var(&s.maxPixels, "max-pixels", defaultMaxPixels, "the most `pixels` (width x height) a sheet may have: a larger one is refused before it is decoded (4 bytes a pixel)")
}

// defaultMaxPixels is -max-pixels' default, tiles.Options.MaxPixels' (2^28,
// a 16384x16384 sheet, 1 GiB decoded as 8-bit RGBA).
const defaultMaxPixels = 1 << 28

// pixelBytes is what a decoded pixel takes (8-bit RGBA): -max-pixels is
// checked against the memory available at this much a pixel.
const pixelBytes = 4

// needs are the sizes the sheet flags ask for: a -max-pixels given (the
// default is not held against a small machine), and one sample of -resize.
func (s *sheetFlags) needs() []memcheck.Need {
	var needs []memcheck.Need
	if s.set["max-pixels"] {
		needs = append(needs, memcheck.Need{Flag: fmt.Sprintf("-max-pixels %d", s.maxPixels), Bytes: memcheck.Mul(uint64(s.maxPixels), pixelBytes),
			What: fmt.Sprintf("a sheet that large, decoded at %d bytes a pixel", pixelBytes)})
	}
	if s.samples() {
		// One sample, and the RGBA image it is scaled into; the matrix of
		// every sample is checked once the files are counted (loadBudget).
		ch := uint64(s.color.Channels())
		needs = append(needs, memcheck.Need{Flag: "-resize " + s.resize.dims(), Bytes: memcheck.Mul(uint64(s.resize.w), uint64(s.resize.h), pixelBytes+ch),
			What: fmt.Sprintf("one %s sample and the image it is scaled into, at %d bytes a pixel", s.resize.dims(), pixelBytes)})
	}
	return needs
}

// check validates the sheet flags after parsing (fs.Visit tells which were
// given).
func (s *sheetFlags) check(fs *flag.FlagSet) error {
	s.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { s.set[f.Name] = true })
	switch {
	case s.margin < 0:
		return usagef("-margin %d: want >= 0", s.margin)
	case s.spacing < 0:
		return usagef("-spacing %d: want >= 0", s.spacing)
	case s.maxPixels < 1:
		return usagef("-max-pixels %d: want >= 1", s.maxPixels)
	case s.tileset != "" && len(s.images) > 0:
		return usagef("-tileset %s names its own image: leave -images out", s.tileset)
	}
	if s.tileset != "" {
		for _, f := range []string{"tile", "margin", "spacing"} {
			if s.set[f] {
				return usagef("-tileset %s gives the grid: leave -%s out", s.tileset, f)
			}
		}
	}
	return s.checkSamples()
}

// options returns the tiles.Options the flags ask for.
func (s *sheetFlags) options(workers int) tiles.Options {
	return tiles.Options{
		Grid:       tiles.Grid{TileWidth: s.tile.w, TileHeight: s.tile.h, Margin: s.margin, Spacing: s.spacing},
		Color:      s.color,
		Background: s.background.color(),
		Crop:       s.crop,
		SkipBlank:  s.skipBlank,
		Workers:    workers,
		MaxPixels:  s.maxPixels,
		Resize:     image.Pt(s.resize.w, s.resize.h),
		Fit:        tiles.Fit(s.fit),
		SkipBad:    s.skipBad,
	}
}

// load resolves and cuts the sheets: -tileset, -images, else
// ./images/usps_*.jpg, else the embedded default set. Paths under exclude
// (the run's -out) and inside any tilekmeans output folder are left out:
// the tool never reads its own outputs. When ctx is done (SIGINT, SIGTERM)
// loading stops within a sheet's decode, with an error wrapping ctx's.
func (s *sheetFlags) load(ctx context.Context, workers int, exclude string) (_ *tiles.Set, err error) {
	defer func() {
		var me *memcheck.Error
		switch {
		case errors.As(err, &me) && me.Need.Flag != "":
			err = usagef("%v", me) // -resize sized the samples
		case errors.Is(err, tiles.ErrTooLarge):
			err = fmt.Errorf("%w (-max-pixels raises it)", err)
		}
	}()
	opts := s.options(workers)
	opts.Context = ctx
	if s.budget != nil {
		opts.Context = memcheck.WithBudget(ctx, s.budget)
	}
	if s.tileset != "" {
		t, err := tiles.LoadTileset(s.tileset, opts)
		if err != nil {
			return nil, fmt.Errorf("-tileset %w", gridHint(err))
		}
		return t, nil
	}
	paths := []string(s.images)
	if len(paths) == 0 {
		if m, _ := filepath.Glob(filepath.Join("images", "usps_*.jpg")); len(m) > 0 {
			paths = []string{filepath.Join("images", "usps_*.jpg")}
		}
	}
	if len(paths) == 0 {
		srcs := embedded.Sheets()
		for i := range srcs {
			srcs[i].Name = "embedded/" + srcs[i].Name
		}
		t, err := tiles.LoadSources(srcs, opts)
		return t, gridHint(err)
	}
	files, err := s.expandImages(paths, exclude, &opts)
	if err != nil {
		return nil, err
	}
	t, err := tiles.Load(files, opts)
	return t, gridHint(err)
}

// source says where the sheets came from, for the run's first line:
// "5 sheets", "the 5 embedded default sheets" or "5 sheets from
// ./images/usps_*.jpg" (the defaults are said, so a user sees which ran).
func (s *sheetFlags) source(t *tiles.Set) string {
	n := len(t.Sheets)
	if d := sampleSource(t); d != "" {
		return d
	}
	switch {
	case s.tileset != "" || len(s.images) > 0:
		return plural(n, "sheet")
	case strings.HasPrefix(t.Sheets[0].Path, "embedded/"):
		return fmt.Sprintf("the %s", plural(n, "embedded default sheet"))
	}
	return fmt.Sprintf("%s from %s", plural(n, "sheet"), filepath.Join("images", "usps_*.jpg"))
}

// gridHint adds to a sheet the grid does not fit the flags that would fix
// it: -margin and -spacing when the pixels show the gutters of another grid
// (cropping would then misalign every tile), -crop when only a right/bottom
// remainder is in the way of a grid without margin or spacing (one with
// them is cut as Tiled cuts it when the pixels bear it out, and otherwise
// the error says to check them: cropping would cut it as given).
func gridHint(err error) error {
	ge := (*tiles.GridError)(nil)
	switch {
	case !errors.As(err, &ge):
		return err
	case len(ge.Fits) > 0:
		f := ge.Fits[0]
		return fmt.Errorf("%w (use -margin %d -spacing %d)", err, f.Margin, f.Spacing)
	case ge.Cols > 0 && ge.Rows > 0 && ge.Grid.Margin == 0 && ge.Grid.Spacing == 0:
		return fmt.Errorf("%w (use -crop to trim %dx%d)", err, ge.Right, ge.Bottom)
	}
	return err
}

// noteSheets says once per sheet what was done to it beyond cutting: its
// transparent pixels composited over the background and a remainder
// ignored as Tiled ignores it (notices), and tiles cut across the gutters
// of another grid (a warning, also returned for summary.json).
func noteSheets(w io.Writer, t *tiles.Set, sf *sheetFlags) (warnings []string) {
	if namesOf(t).byFile {
		noteSamples(w, t, sf.background)
		return nil
	}
	g := t.Grid
	for _, sh := range t.Sheets {
		if sh.Transparent > 0 {
			fmt.Fprintf(w, "tilekmeans: %s has %d transparent pixels, composited over %s (-background)\n", sh.Name(), sh.Transparent, sf.background)
		}
		if sh.Cropped != (image.Point{}) && !sf.crop {
			fmt.Fprintf(w, "tilekmeans: %s: the %dx%d pixels right of and below its %dx%d tiles (%s, margin %d, spacing %d) are ignored, as Tiled ignores them\n",
				sh.Name(), sh.Cropped.X, sh.Cropped.Y, sh.Cols, sh.Rows, tileDesc(t), g.Margin, g.Spacing)
		}
		if len(sh.Misaligned) > 0 {
			f := sh.Misaligned[0]
			msg := fmt.Sprintf("%s: the sheet shows the gutters of margin %d, spacing %d better than those of margin %d, spacing %d: its tiles are probably cut across them (use -margin %d -spacing %d)",
				sh.Name(), f.Margin, f.Spacing, g.Margin, g.Spacing, f.Margin, f.Spacing)
			if sh.Cropped != (image.Point{}) && sf.crop {
				msg = fmt.Sprintf("%s: -crop trimmed %dx%d pixels, but the sheet shows the gutters of margin %d, spacing %d: its tiles are cut across them (use -margin %d -spacing %d)",
					sh.Name(), sh.Cropped.X, sh.Cropped.Y, f.Margin, f.Spacing, f.Margin, f.Spacing)
			}
			fmt.Fprintf(w, "tilekmeans: warning: %s\n", msg)
			warnings = append(warnings, msg)
		}
	}
	return warnings
}

// tileDesc is "16x16" or "10x16 rgb" for messages.
func tileDesc(t *tiles.Set) string {
	d := fmt.Sprintf("%dx%d", t.Width, t.Height)
	if t.Color != tiles.Gray {
		d += " " + t.Color.String()
	}
	return d
}
