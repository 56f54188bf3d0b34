package tiles

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/image/draw"

	"github.com/tilekmeans/tilekmeans/internal/memcheck"
)

// Origin is where a tile was cut from: the sheet's index in Set.Sheets and
// the tile's 0-based grid row and column.
type Origin struct {
	Sheet, Row, Col int32 // 12 bytes a tile: 120 MB at 10^7 tiles, not 240
}

// Sheet describes one loaded sheet: an image cut on a grid, or an image
// resized to one sample (Options.Resize: one row, one column), each an
// image file or one page of a file that holds several (Page); or an array
// file (its images are its Rows, in one column; Width x Height is one
// image's size).
type Sheet struct {
	Path string // file path, or the Source's name
	// Page is the sheet's page in a file that holds several images, counted
	// from 1: a page of a multi-page TIFF (ImageMagick's scan.tif[0] is
	// page 1), a frame of an animated GIF. It is 0 for a file that holds
	// one image. Name gives the two together.
	Page          int
	Format        string // as package image names it: "png", "jpeg", "gif", "bmp", "tiff" or "webp"; "npy" or "idx" for an array
	Width, Height int    // pixels as displayed (after any EXIF orientation), before any crop
	Rows, Cols    int    // tile grid
	Blank         int    // blank tiles (all pixels equal) found
	// Orientation is the EXIF orientation that was applied to cut the
	// tiles as a viewer shows the image, in words ("normal", "rotated 90°
	// clockwise", "mirrored left-right", ...); "" when the file declares
	// none.
	Orientation string
	// Transparent counts the pixels inside tiles whose alpha was below 1,
	// or that a tileset's colour key made transparent (LoadTileset), and
	// that were therefore composited over the background (gutters and
	// trimmed remainders are not looked at); 0 for an opaque sheet.
	Transparent int
	// Cropped is the right and bottom remainder left out, in pixels: what
	// Options.Crop trimmed, or what Tiled's rule ignores (see Grid: a
	// tileset's sheet, or a sheet whose pixels bear its margin and spacing
	// out); zero when the grid is whole. Misaligned lists, for a sheet
	// that Options.Crop trimmed or a Grid with a margin or spacing that
	// fits it whole, the grids of other margin or spacing whose gutters
	// the pixels show better (as GridError.Fits): the tiles were then
	// probably cut across gutters.
	Cropped    image.Point
	Misaligned []Grid
}

// Name is the sheet as messages and outputs name it: Path, and for a page
// of a file that holds several images "#" and the page number
// ("scan.tif#2" is the second page of scan.tif).
func (s Sheet) Name() string { return pageName(s.Path, s.Page) }

// Set is the tile matrix cut from a set of sheets: N tiles of D features
// each, tile i at Pix[i*D:(i+1)*D], with where each was cut from.
type Set struct {
	Width, Height int        // tile size in pixels
	Color         ColorModel // features per pixel: Color.Channels()
	D             int        // features per tile: Width*Height*Color.Channels()
	Grid          Grid       // the grid the sheets were cut with
	Pix           []uint8    // N*D, row-major: tile i is Pix[i*D:(i+1)*D]
	Origins       []Origin   // one per tile
	Sheets        []Sheet    // in the order given
	Blank         int        // blank tiles found, whether kept or skipped
	Skipped       int        // blank tiles left out (Options.SkipBlank)
	// Resize and Fit are Options.Resize and Options.Fit when every image
	// was resized to one sample (Resize is then the tile size, and every
	// sheet an image, a file's or a page's, or an array); Resize is
	// zero when the sheets were cut on Grid or arrays read as they are.
	Resize image.Point
	Fit    Fit
	// Bad lists the files Options.SkipBad left out, in the order given.
	Bad []BadFile
	// ColorKey is the colour key of the tileset the tiles were cut from
	// (LoadTileset: <image trans="ff00ff">), whose pixels were made
	// transparent; nil for none.
	ColorKey *color.RGBA
}

// N is the number of tiles.
func (t *Set) N() int { return len(t.Origins) }

// Tile returns tile i's features: Height rows of Width pixels, each pixel
// Color.Channels() values (R, G, B for RGB).
func (t *Set) Tile(i int) []uint8 { return t.Pix[i*t.D : (i+1)*t.D] }

// Options says how sheets are cut. The zero value, with a tile size set,
// cuts gray square tiles edge to edge: Options{Size: 16}.
type Options struct {
	// Grid is the tile grid. When its tile size is unset (0x0), Size gives
	// a square grid with no margin or spacing.
	Grid Grid
	Size int // square tile edge in pixels, when Grid is unset (16 for USPS)
	// Color says whether tiles are gray (the default) or RGB.
	Color ColorModel
	// Background is the colour that transparent and translucent pixels are
	// composited over ("over" in Porter and Duff's sense: src*alpha +
	// background*(1-alpha)); nil means white. Give an opaque colour: its
	// alpha is not used.
	Background color.Color
	Crop       bool // trim a right and bottom remainder instead of failing
	SkipBlank  bool // leave blank tiles out
	// Workers bounds the files decoded at once; 0 means GOMAXPROCS. The
	// result does not depend on it.
	Workers int
	// Context, when not nil, interrupts loading when it is done (a signal,
	// a deadline): no further file is started, a decoder stops at its next
	// read of the file (within a few kilobytes) and a wait for a pipe's or
	// FIFO's writer ends. The error then wraps the context's error. nil
	// means loading runs to its end.
	Context context.Context
	// MaxPixels is the most pixels (width x height) a sheet, or all the
	// pages of a file together, may have; 0 means 2^28 (a 16384 x 16384
	// image). A sheet whose header declares more is refused with an error
	// matching ErrTooLarge before its pixels are decoded, so that a corrupt
	// or hostile header cannot make the decoder allocate gigabytes (a
	// decoded 8-bit RGBA sheet takes 4 bytes a pixel, a 16-bit one 8).
	MaxPixels int64

	// Resize, when not zero, makes every image one sample, never cut
	// into tiles: its features (gray or RGB over Background, as for
	// sheets) are scaled to Resize.X x Resize.Y pixels by Filter, fitted
	// as Fit says. Grid then only gives the image size of .npy arrays of
	// shape (N, D); Margin, Spacing and Crop must be unset. Every image
	// becomes a Sheet of one row and one column: each page of a file of
	// several images (Sheet.Page) is a sample of its own, decoded and
	// composited as Load decodes it for sheets, the pixel limit
	// (MaxPixels) held the same way.
	Resize image.Point
	Fit    Fit
	// Filter is the resampling filter for Resize; nil means
	// draw.CatmullRom (golang.org/x/image/draw): the cubic of Catmull and
	// Rom, which is Pillow's BICUBIC (a = -0.5, Pillow's default for
	// resize). x/image/draw widens a kernel's support by the scale factor
	// when shrinking, so every source pixel is averaged in, as a
	// down-scaling filter must (nearest neighbour would drop most pixels
	// and alias strokes away). draw.BiLinear is the other named kernel.
	Filter *draw.Kernel
	// SkipBad leaves out the files that cannot be read as images or
	// arrays (corrupt, truncated, unsupported, unreadable), listing them
	// in Set.Bad, instead of failing. A file of several images is left out
	// whole when one of its pages cannot be read (the error names the
	// page). It applies to samples (Resize) and arrays; a sheet cut on a
	// grid must load. An interruption (Context) is never a bad file.
	SkipBad bool
	// Progress, when set, is called as samples are loaded (Resize and
	// arrays), about 200 times in all and at the end, with the samples
	// done so far and the total; calls come one at a time, in order, from
	// the loading goroutines.
	Progress func(done, total int)
}

// grid resolves Grid and Size.
// context is Options.Context, or context.Background when it is nil.
func (o Options) context() context.Context {
	if o.Context == nil {
		return context.Background()
	}
	return o.Context
}

func (o Options) grid() Grid {
	if o.Grid.TileWidth != 0 || o.Grid.TileHeight != 0 {
		return o.Grid
	}
	return Grid{TileWidth: o.Size, TileHeight: o.Size}
}

// Source is a sheet's name and encoded bytes, for sheets that are not on
// disk (such as package embedded's).
type Source struct {
	Name string
	Data []byte
}

// errNoSheets reports a Load of no paths (or LoadSources of none).
var errNoSheets = errors.New("no image matched")

// ErrAllBlank reports that Options.SkipBlank left no tile.
var ErrAllBlank = errors.New("every tile is blank, and skipping blank tiles leaves none")

// Load reads the sheets at paths (in the given order) and cuts them; paths
// are files, not folders or glob patterns. With Options.Resize every image
// is one sample instead, and .npy and IDX files are arrays of samples (see
// the package documentation). Sheets are decoded by up to Options.Workers goroutines; each file's
// bytes are dropped once decoded and each decoded sheet once cut, and the
// tile matrix is allocated once, at its final size, from the image headers.
// Errors name the file; the first failing sheet in path order is reported.
func Load(paths []string, opts Options) (*Set, error) {
	ins := make([]input, len(paths))
	for i, p := range paths {
		ins[i] = input{name: p}
	}
	return load(ins, opts, nil)
}

// LoadSources decodes and cuts sheets held in memory, like Load; each
// Sheet's Path is its Source's Name.
func LoadSources(srcs []Source, opts Options) (*Set, error) {
	ins := make([]input, len(srcs))
	for i, s := range srcs {
		ins[i] = input{name: s.Name, data: s.Data, inMemory: true, fromSource: true}
	}
	return load(ins, opts, nil)
}

// originBytes is what a tile's Origin takes.
const originBytes = 12

// reserve asks, before the tile matrix is allocated, whether n tiles
// (noun: "tiles" or "samples") of d features fit in memory with their
// origins and other bytes beside them: memcheck.Alloc, against the memory
// available or the budget the caller's Options.Context carries. who names
// the files in the error, which says the bytes and what they hold.
func reserve(ctx context.Context, who string, n, d int, other uint64, noun string) error {
	l := memcheck.Load{Matrix: memcheck.Mul(uint64(n), uint64(d)), Other: memcheck.Add(memcheck.Mul(uint64(n), originBytes), other),
		What: fmt.Sprintf("%d %s of %d features from %s", n, noun, d, who)}
	if err := memcheck.Alloc(ctx, l); err != nil {
		return fmt.Errorf("load %s: %w", who, err)
	}
	return nil
}

// inputsName names the inputs in messages: the file, or how many.
func inputsName(ins []input) string {
	if len(ins) == 1 {
		return ins[0].name
	}
	return fmt.Sprintf("%d files", len(ins))
}

// checkInputs is what every load asks first of its inputs and options: a
// colour model it knows, and at least one input.
func checkInputs(ins []input, opts Options) error {
	if opts.Color != Gray && opts.Color != RGB {
		return fmt.Errorf("colour model %d: want Gray or RGB", opts.Color)
	}
	if len(ins) == 0 {
		return errNoSheets
	}
	return nil
}

// load loads the files ins. ts, when not nil, is the tileset file they
// come from (LoadTileset): its colour key, when it has one, makes opaque
// pixels of exactly that colour count as transparent (Tiled's <image
// trans>), and a remainder is left out as Tiled leaves it, without looking
// at the pixels.
func load(ins []input, opts Options, ts *tileset) (*Set, error) {
	if samplesMode(ins, opts) {
		return loadSamples(ins, opts)
	}
	g := opts.grid()
	if err := g.validate(); err != nil {
		return nil, err
	}
	if err := checkInputs(ins, opts); err != nil {
		return nil, err
	}
	ctx := opts.context()
	bg := opts.Background
	if bg == nil {
		bg = color.White
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ch := opts.Color.Channels()
	t := &Set{Width: g.TileWidth, Height: g.TileHeight, Color: opts.Color, D: g.TileWidth * g.TileHeight * ch, Grid: g}
	if ts != nil {
		t.ColorKey = ts.Trans
	}

	// Headers first: they fix every sheet (a file holds one, or one per
	// page) and its grid, hence the matrix size.
	hdrs := make([][]header, len(ins))
	sheets := make([][]Sheet, len(ins))
	// judged[i][p]: file i's page p is not a whole grid, and is cut only if
	// its pixels bear the grid out (judge, once decoded).
	judged := make([][]bool, len(ins))
	if err := parallel(ctx, len(ins), workers, func(i int) error {
		hs, err := ins[i].headers(ctx, opts.MaxPixels)
		if err != nil {
			return err
		}
		for p, h := range hs {
			name := pageName(ins[i].name, h.page)
			cols, rows, err := g.fit(name, h.Width, h.Height, opts.Crop || ts != nil)
			var ge *GridError
			look := false
			if errors.As(err, &ge) && ge.Cols > 0 && ge.Rows > 0 {
				if g.gutters() {
					// Tiled's rule: the remainder is ignored if the pixels
					// bear the grid out, which the cut looks at.
					cols, rows, err, look = ge.Cols, ge.Rows, nil, true
				} else {
					// Only the pixels tell a grid drawn with gutters from
					// a remainder: decode and look.
					img, derr := ins[i].decodePage(ctx, hs, p)
					if derr != nil {
						return derr
					}
					_, ge.Fits = judge(img, g)
					ge.looked = true
				}
			}
			if err != nil {
				if ge != nil {
					return fmt.Errorf("load %w", err)
				}
				return fmt.Errorf("load %s: %w", name, err)
			}
			judged[i] = append(judged[i], look)
			sheets[i] = append(sheets[i], h.sheet(ins[i].name, rows, cols))
		}
		hdrs[i] = hs
		return nil
	}); err != nil {
		return nil, err
	}
	firstSheet := make([]int, len(ins)+1) // file i's sheets are Sheets[firstSheet[i]:firstSheet[i+1]]
	var look []bool                       // by sheet: judged
	for i, ss := range sheets {
		t.Sheets = append(t.Sheets, ss...)
		look = append(look, judged[i]...)
		firstSheet[i+1] = len(t.Sheets)
	}
	first := make([]int, len(t.Sheets)+1) // first[i]: index of sheet i's first tile
	for i, s := range t.Sheets {
		first[i+1] = first[i] + s.Rows*s.Cols
	}
	n := first[len(t.Sheets)]
	if err := reserve(ctx, inputsName(ins), n, t.D, 0, "tiles"); err != nil {
		return nil, err
	}
	// Only the pixels are allocated before decoding: origins follow from
	// the grids, and are made once every sheet has decoded (a corrupt file
	// that declares a huge image then costs no more than its pixels).
	t.Pix = make([]uint8, n*t.D)
	blank := make([]bool, n)

	if err := parallel(ctx, len(ins), workers, func(f int) error {
		err := ins[f].decode(ctx, hdrs[f], func(p int, img image.Image) error {
			i := firstSheet[f] + p
			s := &t.Sheets[i]
			if b := img.Bounds(); b.Dx() != s.Width || b.Dy() != s.Height {
				return fmt.Errorf("load %s: decoded as %dx%d, header says %dx%d", s.Name(), b.Dx(), b.Dy(), s.Width, s.Height)
			}
			if look[i] {
				if ok, fits := judge(img, g); !ok {
					cols, rows := g.count(s.Width, s.Height)
					right, bottom := g.remainder(s.Width, s.Height)
					return fmt.Errorf("load %w", &GridError{Path: s.Name(), Width: s.Width, Height: s.Height, Grid: g,
						Cols: cols, Rows: rows, Right: right, Bottom: bottom, Fits: fits, looked: true})
				}
			}
			cv := newConverter(opts.Color, bg)
			if ts != nil {
				cv.key = ts.Trans
			}
			cut(img, g, s.Rows, s.Cols, cv, t.Pix[first[i]*t.D:first[i+1]*t.D], t.D, ch)
			s.Transparent = cv.nonOpaque
			right, bottom := g.remainder(s.Width, s.Height)
			cropped := !g.whole(right) || !g.whole(bottom)
			if cropped {
				// Left out: by Options.Crop, or as Tiled leaves it.
				s.Cropped = image.Pt(right, bottom)
			}
			if ts == nil && !look[i] && (cropped || g.gutters()) {
				// Cropped, or a whole grid of gutters: if the pixels show
				// the gutters of another grid better, every tile was cut
				// across them: say so.
				_, s.Misaligned = judge(img, g)
			}
			for j := first[i]; j < first[i+1]; j++ {
				if isBlank(t.Pix[j*t.D:(j+1)*t.D], ch) {
					blank[j] = true
					s.Blank++
				}
			}
			return nil
		})
		if !ins[f].fromSource {
			ins[f].data = nil // a stream's bytes, read once: garbage now
		}
		return err
	}); err != nil {
		return nil, err
	}
	for _, s := range t.Sheets {
		t.Blank += s.Blank
	}
	kept := n
	if opts.SkipBlank {
		kept -= t.Blank
		t.Skipped = t.Blank
	}
	if kept == 0 {
		return nil, fmt.Errorf("load: all %d tiles: %w", t.Blank, ErrAllBlank)
	}
	t.Origins = make([]Origin, 0, kept)
	w := 0 // tiles kept so far: compaction in place, in order
	for i, s := range t.Sheets {
		for k := range s.Rows * s.Cols {
			j := first[i] + k
			if opts.SkipBlank && blank[j] {
				continue
			}
			if w != j {
				copy(t.Pix[w*t.D:(w+1)*t.D], t.Pix[j*t.D:(j+1)*t.D])
			}
			t.Origins = append(t.Origins, Origin{Sheet: int32(i), Row: int32(k / s.Cols), Col: int32(k % s.Cols)})
			w++
		}
	}
	t.Pix = t.Pix[: w*t.D : w*t.D]
	return t, nil
}

// cut writes the rows x cols tiles of img on grid g into dst, tile after
// tile, each d features. Only pixels inside tiles are converted (and so
// counted by cv): with spacing, each tile's part of a pixel row on its own.
func cut(img image.Image, g Grid, rows, cols int, cv *converter, dst []uint8, d, ch int) {
	tw, th := g.TileWidth, g.TileHeight
	if g.Spacing > 0 {
		for r := range rows {
			for y := range th {
				yy := g.Margin + r*(th+g.Spacing) + y
				for c := range cols {
					cv.row(img, g.Margin+c*(tw+g.Spacing), yy, dst[(r*cols+c)*d+y*tw*ch:][:tw*ch])
				}
			}
		}
		return
	}
	// Edge to edge: one converted image row covers every column's pixels.
	row := make([]uint8, cols*tw*ch)
	for r := range rows {
		for y := range th {
			cv.row(img, g.Margin, g.Margin+r*th+y, row)
			for c := range cols {
				src := row[c*tw*ch:][:tw*ch]
				copy(dst[(r*cols+c)*d+y*tw*ch:][:tw*ch], src)
			}
		}
	}
}

// isBlank reports whether all pixels of a tile are equal.
func isBlank(tile []uint8, ch int) bool {
	// Every pixel equals the first iff every byte equals the one a pixel
	// before it: one comparison of the tile with itself shifted, which
	// bytes.Equal makes in vector registers.
	return len(tile) <= ch || bytes.Equal(tile[ch:], tile[:len(tile)-ch])
}

// parallel runs f(0..n-1) on up to workers goroutines, handing out indices
// in order, and returns the error of the lowest failing index. After a
// failure, or once ctx is done, no new index is started (then the error
// wraps ctx's, unless an index failed).
func parallel(ctx context.Context, n, workers int, f func(i int) error) error {
	workers = max(1, min(workers, n))
	errs := make([]error, n)
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[i] = fmt.Errorf("load: %w", err)
					failed.Store(true)
					return
				}
				if err := f(i); err != nil {
					errs[i] = err
					failed.Store(true)
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// toGray converts img to 8-bit gray with origin (0, 0), compositing
// transparent pixels over white. Gray images are copied as they are; others
// go through the BT.601 luma of color.GrayModel (see Gray).
func toGray(img image.Image) *image.Gray {
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	cv := newConverter(Gray, color.White)
	for y := range b.Dy() {
		cv.row(img, 0, y, g.Pix[y*g.Stride:][:b.Dx()])
	}
	return g
}
