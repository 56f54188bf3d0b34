package tiles

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/gif" // registers GIF (paletted sheets)
	_ "image/jpeg"
	_ "image/png"
	"os"
	"path/filepath"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff" // registers TIFF (16-bit sheets)
)

// Origin is where a tile was cut from: the sheet's index in Tiles.Sheets and
// the tile's 0-based grid row and column.
type Origin struct {
	Sheet, Row, Col int
}

// Sheet describes one loaded sheet.
type Sheet struct {
	Path          string // file path, or the embedded name
	Width, Height int    // pixels, before any crop
	Rows, Cols    int    // tile grid
	Blank         int    // blank tiles (all pixels equal) found
}

// Tiles is the tile matrix cut from a set of sheets.
type Tiles struct {
	Size    int      // tile edge in pixels
	D       int      // features per tile: Size*Size
	Pix     []uint8  // N*D, row-major: tile i is Pix[i*D:(i+1)*D]
	Origins []Origin // one per tile
	Sheets  []Sheet
	Blank   int // blank tiles found, whether kept or skipped
	Skipped int // blank tiles left out (Options.SkipBlank)
}

// N is the number of tiles.
func (t *Tiles) N() int { return len(t.Origins) }

// Tile returns tile i's features.
func (t *Tiles) Tile(i int) []uint8 { return t.Pix[i*t.D : (i+1)*t.D] }

// Options says how sheets are cut.
type Options struct {
	Size      int  // tile edge in pixels (16 for USPS)
	Crop      bool // trim a right and bottom remainder instead of failing
	SkipBlank bool // leave blank tiles out
}

// Source is a sheet's name and encoded bytes, for data that is not on disk
// (the embedded default set).
type Source struct {
	Name string
	Data []byte
}

// SizeError reports a sheet that the tile grid does not fit.
type SizeError struct {
	Path          string
	Width, Height int
	Size          int
}

func (e *SizeError) Error() string {
	if e.Width < e.Size || e.Height < e.Size {
		return fmt.Sprintf("%s: %dx%d is smaller than one %dx%d tile", e.Path, e.Width, e.Height, e.Size, e.Size)
	}
	return fmt.Sprintf("%s: %dx%d is not a multiple of the %d-pixel tile (use -crop to trim %dx%d)",
		e.Path, e.Width, e.Height, e.Size, e.Width%e.Size, e.Height%e.Size)
}

// ErrNotImage reports a file that is not in a supported image format.
var ErrNotImage = errors.New("not a JPEG, PNG, GIF, BMP or TIFF image")

// Load reads the sheets at paths (in the given order) and cuts them.
func Load(paths []string, opts Options) (*Tiles, error) {
	srcs := make([]Source, len(paths))
	for i, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("load %w", err) // *PathError names the file
		}
		srcs[i] = Source{Name: p, Data: data}
	}
	return LoadSources(srcs, opts)
}

// LoadSources decodes and cuts in-memory sheets.
func LoadSources(srcs []Source, opts Options) (*Tiles, error) {
	if opts.Size < 1 {
		return nil, fmt.Errorf("tile size %d: want >= 1", opts.Size)
	}
	if len(srcs) == 0 {
		return nil, ErrNoImages
	}
	t := &Tiles{Size: opts.Size, D: opts.Size * opts.Size}
	for _, src := range srcs {
		img, err := Decode(src.Name, src.Data)
		if err != nil {
			return nil, err
		}
		if err := t.add(src.Name, img, opts); err != nil {
			return nil, err
		}
	}
	if t.N() == 0 {
		return nil, fmt.Errorf("all %d tiles are blank and -skip-blank leaves none", t.Blank)
	}
	return t, nil
}

// maxPixels bounds the size a sheet may declare, so a corrupt or hostile
// header cannot make the decoder allocate gigabytes.
const maxPixels = 1 << 28

// Decode decodes an encoded image to 8-bit gray. name is only for errors.
func Decode(name string, data []byte) (*image.Gray, error) {
	if cfg, format, err := image.DecodeConfig(bytes.NewReader(data)); err == nil && cfg.Width*cfg.Height > maxPixels {
		return nil, fmt.Errorf("load %s: %s image of %dx%d pixels is larger than the %d-pixel limit", name, format, cfg.Width, cfg.Height, maxPixels)
	}
	img, format, err := image.Decode(bytes.NewReader(data))
	switch {
	case errors.Is(err, image.ErrFormat):
		return nil, fmt.Errorf("load %s: %w", name, ErrNotImage)
	case err != nil:
		// Decoders report a cut-off file sometimes as EOF, sometimes as
		// missing data: one wording covers both.
		return nil, fmt.Errorf("load %s: truncated or corrupt %s image: %w", name, format, err)
	}
	return ToGray(img), nil
}

// ToGray converts img to 8-bit gray with origin (0, 0). Gray images are
// copied as they are; others go through color.GrayModel (BT.601 luma).
func ToGray(img image.Image) *image.Gray {
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	if src, ok := img.(*image.Gray); ok {
		draw.Draw(g, g.Rect, src, b.Min, draw.Src)
		return g
	}
	for y := range b.Dy() {
		for x := range b.Dx() {
			g.SetGray(x, y, color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray))
		}
	}
	return g
}

// add cuts img into tiles and appends them.
func (t *Tiles) add(name string, img *image.Gray, opts Options) error {
	w, h, s := img.Rect.Dx(), img.Rect.Dy(), opts.Size
	if w < s || h < s || (!opts.Crop && (w%s != 0 || h%s != 0)) {
		return fmt.Errorf("load %w", &SizeError{Path: name, Width: w, Height: h, Size: s})
	}
	sheet := Sheet{Path: name, Width: w, Height: h, Rows: h / s, Cols: w / s}
	si := len(t.Sheets)
	tile := make([]uint8, t.D)
	for r := range sheet.Rows {
		for c := range sheet.Cols {
			for y := range s {
				off := img.PixOffset(c*s, r*s+y)
				copy(tile[y*s:(y+1)*s], img.Pix[off:off+s])
			}
			if isBlank(tile) {
				sheet.Blank++
				t.Blank++
				if opts.SkipBlank {
					t.Skipped++
					continue
				}
			}
			t.Pix = append(t.Pix, tile...)
			t.Origins = append(t.Origins, Origin{Sheet: si, Row: r, Col: c})
		}
	}
	t.Sheets = append(t.Sheets, sheet)
	return nil
}

// isBlank reports whether all pixels of a tile are equal.
func isBlank(tile []uint8) bool {
	for _, v := range tile[1:] {
		if v != tile[0] {
			return false
		}
	}
	return true
}

// SheetName is the base name of a sheet's path, for tables and reports.
func (s Sheet) Name() string { return filepath.Base(s.Path) }
