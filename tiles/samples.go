package tiles

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"runtime"
	"sync"

	"golang.org/x/image/draw"

	"github.com/tilekmeans/tilekmeans/internal/memcheck"
)

// Fit says how an image whose aspect ratio differs from Options.Resize's is
// made to fit it. The rectangles follow Pillow's ImageOps.pad and
// ImageOps.fit (centred), rounded to whole pixels.
type Fit uint8

const (
	// FitStretch scales the width and the height each to the size: the
	// whole image, its aspect ratio changed (Pillow's Image.resize, what
	// clustimage and most loops do). The zero value.
	FitStretch Fit = iota
	// FitPad scales the image to fit inside the size, keeping its aspect
	// ratio, centres it, and fills the rest with Options.Background
	// (ImageOps.pad).
	FitPad
	// FitCrop scales the image to cover the size, keeping its aspect
	// ratio, and cuts off what sticks out on both sides alike
	// (ImageOps.fit).
	FitCrop
)

// BadFile is a file that Options.SkipBad left out, and why (an error that
// names the file, as Load's would).
type BadFile struct {
	Path string
	Err  error
}

// samplesMode reports whether ins are loaded as samples rather than cut
// on a grid: Options.Resize is set, or an input is an array file.
func samplesMode(ins []input, opts Options) bool {
	if opts.Resize != (image.Point{}) {
		return true
	}
	for _, in := range ins {
		if in.arrayFormat() != "" {
			return true
		}
	}
	return false
}

// arrayFormat is the input's array format, "" for an image: a file by its
// name (arrayFormat), even when it was read from a pipe, a Source's bytes by
// their first bytes.
func (in input) arrayFormat() string {
	if in.fromSource {
		return sniffArray(in.data)
	}
	return arrayFormat(in.name)
}

// unit is one input of a samples load: an image file (a sample per page)
// or an array (its images), or a file SkipBad left out.
type unit struct {
	array *arrayHeader
	n     int   // samples in the matrix's first allocation: an array's images, 1 for an image file
	bad   error // with SkipBad: why the input was left out
	// sheets are what loading found: the array, or the image file's pages
	// (one sample each; a file of one image has one, with Page 0).
	sheets []Sheet
	// extra holds the samples of an image file's pages after the first,
	// which the headers read before the matrix was allocated did not
	// count (image files are read once, in the second pass).
	extra []uint8
}

// loadSamples loads every image of every image file (each page of a file
// of several) as one sample and every array's images as samples (see
// Options.Resize).
func loadSamples(ins []input, opts Options) (*Set, error) {
	if err := checkInputs(ins, opts); err != nil {
		return nil, err
	}
	g := opts.grid()
	resize := opts.Resize
	switch {
	case resize != (image.Point{}) && (resize.X < 1 || resize.Y < 1):
		return nil, fmt.Errorf("resize to %dx%d: want at least 1x1", resize.X, resize.Y)
	case memcheck.Mul(uint64(resize.X), uint64(resize.Y), 4) >= 1<<62:
		return nil, fmt.Errorf("resize to %dx%d: more than 2^62 bytes a sample", resize.X, resize.Y)
	case g.Margin != 0 || g.Spacing != 0 || opts.Crop:
		return nil, errors.New("margin, spacing and crop cut sheets into tiles; an image resized to one sample, or an array's image, is used whole")
	case g.TileWidth < 0 || g.TileHeight < 0:
		return nil, fmt.Errorf("tile %dx%d: want at least 1x1", g.TileWidth, g.TileHeight)
	case opts.Fit > FitCrop:
		return nil, fmt.Errorf("fit %d: want FitStretch, FitPad or FitCrop", opts.Fit)
	}
	ctx := opts.context()
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	units := make([]unit, len(ins))
	// skip leaves input i out with SkipBad; an interruption is never a
	// bad file.
	skip := func(i int, err error) error {
		if !opts.SkipBad || ctx.Err() != nil {
			return err
		}
		units[i] = unit{bad: err}
		return nil
	}

	// Array headers first: they give the number of samples. An image
	// file counts one sample here; its pages are found when it is read.
	if err := parallel(ctx, len(ins), workers, func(i int) error {
		in := &ins[i]
		format := in.arrayFormat()
		if format == "" {
			if resize == (image.Point{}) {
				return fmt.Errorf("load %s: an image among arrays: arrays' images are samples, so give every image a size to be resized to (Options.Resize, -resize), or load the sheets on their own", in.name)
			}
			units[i] = unit{n: 1}
			return nil
		}
		if _, err := in.stat(ctx); err != nil { // a pipe is read into memory
			return skip(i, err)
		}
		r, size, most, done, err := in.arrayReader()
		if err != nil {
			return skip(i, err)
		}
		defer done()
		a, err := readArrayHeader(in.name, format, r, size, most, g.TileWidth, g.TileHeight, opts.MaxPixels)
		if err != nil {
			return skip(i, err)
		}
		units[i] = unit{array: a, n: a.n, sheets: []Sheet{{Path: in.name, Format: format, Width: a.w, Height: a.h, Rows: a.n, Cols: 1}}}
		return nil
	}); err != nil {
		return nil, err
	}
	w, h := resize.X, resize.Y
	if resize == (image.Point{}) {
		w, h = g.TileWidth, g.TileHeight
		for i, u := range units {
			if u.array == nil {
				continue
			}
			if w == 0 || h == 0 {
				w, h = u.array.w, u.array.h
			}
			if u.array.w != w || u.array.h != h {
				err := fmt.Errorf("load %s: %s, not of the tile size %dx%d", ins[i].name, u.array.desc(), w, h)
				if err := skip(i, err); err != nil {
					return nil, err
				}
			}
		}
		if w == 0 || h == 0 {
			return nil, fmt.Errorf("load: every file was left out: %w", units[0].bad)
		}
	}
	ch := opts.Color.Channels()
	t := &Set{Width: w, Height: h, Color: opts.Color, D: w * h * ch, Grid: Grid{TileWidth: w, TileHeight: h},
		Resize: resize, Fit: opts.Fit}
	first := make([]int, len(ins)+1)
	for i, u := range units {
		first[i+1] = first[i] + u.n
	}
	n := first[len(ins)]
	// Beside the matrix: each worker's resized sample (RGBA).
	scratch := uint64(0)
	if resize != (image.Point{}) {
		scratch = memcheck.Mul(uint64(min(workers, len(ins))), uint64(w), uint64(h), 4)
	}
	if err := reserve(ctx, inputsName(ins), n, t.D, scratch, "samples"); err != nil {
		return nil, err
	}
	t.Pix = make([]uint8, n*t.D)

	bg := opts.Background
	if bg == nil {
		bg = color.White
	}
	kernel := opts.Filter
	if kernel == nil {
		kernel = draw.CatmullRom
	}
	prog := newCounter(n, opts.Progress)
	pool := sync.Pool{New: func() any {
		return &sampler{model: opts.Color, ch: ch, bg: bg, w: w, h: h, resize: resize != (image.Point{}), fit: opts.Fit,
			kernel: kernel, scalers: map[[4]int]draw.Scaler{}, maxPixels: opts.MaxPixels}
	}}
	if err := parallel(ctx, len(ins), workers, func(i int) error {
		u := &units[i]
		if u.bad != nil {
			return nil
		}
		s := pool.Get().(*sampler)
		defer pool.Put(s)
		dst := t.Pix[first[i]*t.D : first[i+1]*t.D]
		var err error
		if u.array != nil {
			err = s.array(ctx, ins[i], u.array, dst, prog)
		} else {
			err = s.file(ctx, ins[i], u, dst, prog)
		}
		if !ins[i].fromSource {
			ins[i].data = nil // a stream's bytes, read once: garbage now
		}
		if err != nil {
			clear(dst)
			return skip(i, err)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	prog.finish() // files left out count as done

	// The sheets, the blank samples, and the matrix without what was left
	// out, with the pages beyond the first of each image file in their
	// place: in place when there are none (every sample then moves down,
	// never up), else into a matrix of the full size.
	kept, pages := 0, 0
	for i, u := range units {
		if u.bad != nil {
			t.Bad = append(t.Bad, BadFile{Path: ins[i].name, Err: u.bad})
			continue
		}
		kept += u.n
		pages += len(u.extra) / t.D
	}
	if kept == 0 && len(t.Bad) > 0 {
		return nil, fmt.Errorf("load: all %d files were left out; the first: %w", len(t.Bad), t.Bad[0].Err)
	}
	if pages > 0 {
		// A second matrix, while the first is held.
		if err := reserve(ctx, inputsName(ins), kept+pages, t.D, uint64(len(t.Pix)), "samples"); err != nil {
			return nil, err
		}
	}
	pix := t.Pix
	if pages > 0 {
		pix = make([]uint8, (kept+pages)*t.D)
	}
	t.Origins = make([]Origin, 0, kept+pages)
	out := 0
	for i := range units {
		u := &units[i]
		if u.bad != nil {
			continue
		}
		for p, sh := range u.sheets {
			sheet := int32(len(t.Sheets))
			for r := range sh.Rows {
				var src []uint8
				if p == 0 {
					src = t.Pix[(first[i]+r)*t.D:][:t.D]
				} else {
					src = u.extra[(p-1)*t.D:][:t.D]
				}
				if isBlank(src, ch) {
					sh.Blank++
					if opts.SkipBlank {
						continue
					}
				}
				copy(pix[out*t.D:(out+1)*t.D], src)
				t.Origins = append(t.Origins, Origin{Sheet: sheet, Row: int32(r)})
				out++
			}
			t.Blank += sh.Blank
			t.Sheets = append(t.Sheets, sh)
		}
		u.extra = nil
	}
	if opts.SkipBlank {
		t.Skipped = t.Blank
	}
	if out == 0 {
		return nil, fmt.Errorf("load: all %d samples: %w", t.Blank, ErrAllBlank)
	}
	t.Pix = pix[: out*t.D : out*t.D]
	return t, nil
}

// counter counts samples done for Options.Progress, calling it in order
// (done never goes down) about 200 times in all and at the end.
type counter struct {
	mu          sync.Mutex
	done, total int
	step, next  int
	f           func(done, total int)
}

func newCounter(total int, f func(done, total int)) *counter {
	step := max(1, total/200)
	return &counter{total: total, step: step, next: step, f: f}
}

// grow adds n samples to the total (the pages found in a file).
func (c *counter) grow(n int) {
	if c.f == nil || n == 0 {
		return
	}
	c.mu.Lock()
	c.total += n
	c.mu.Unlock()
}

// finish reports every sample done, if it has not been.
func (c *counter) finish() {
	if c.f == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done < c.total {
		c.done = c.total
		c.f(c.done, c.total)
	}
}

func (c *counter) add(n int) {
	if c.f == nil || n == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done += n
	if c.done >= c.next || c.done == c.total {
		c.f(c.done, c.total)
		c.next = c.done + c.step
	}
}

// sampler turns images into samples: features (gray or RGB over the
// background) at the image's size, then resized. One per goroutine.
type sampler struct {
	model   ColorModel
	ch      int
	bg      color.Color
	w, h    int // the sample's size
	resize  bool
	fit     Fit
	kernel  *draw.Kernel
	scalers map[[4]int]draw.Scaler // by destination and source size
	// maxPixels is Options.MaxPixels: the largest image decoded.
	maxPixels int64

	feat []uint8     // the image's features at its own size
	src  *image.RGBA // an RGB image's features as an opaque image
	dst  *image.RGBA // the resized sample
	rgba *image.RGBA // an RGB array's image
	cv   *converter  // reused
	tmp  []uint8     // an array image's bytes
	gray *image.Gray // a gray array's image, over tmp
	read []byte      // the file being decoded
	png  pngReader   // its PNG decoder, reused
	bgPx [3]uint8    // the background as features
	bgOK bool
}

// file reads one image file and samples each of its images, decoded as
// the sheet loader decodes them (sniffPages, decodePages: every page of a
// TIFF, every frame of a GIF, APNG or WebP composited on its canvas, the
// pixel limit held for each and for all together): the first into dst,
// the others into u.extra; u.sheets describes them.
func (s *sampler) file(ctx context.Context, in input, u *unit, dst []uint8, prog *counter) error {
	// The decoders copy what they keep: the buffer serves every file this
	// sampler reads.
	data, err := in.read(ctx, s.read)
	if err != nil {
		return err
	}
	if !in.inMemory {
		s.read = data
	}
	hs, err := sniffPages(in.name, bytes.NewReader(data), int64(len(data)), s.maxPixels)
	if err != nil {
		return err
	}
	d := len(dst)
	if len(hs) > 1 {
		u.extra = make([]uint8, (len(hs)-1)*d)
		prog.grow(len(hs) - 1)
	}
	u.sheets = make([]Sheet, len(hs))
	return decodePages(ctx, in.name, hs, data, &s.png, func(p int, img image.Image) error {
		sh := hs[p].sheet(in.name, 1, 1)
		out := dst
		if p > 0 {
			out = u.extra[(p-1)*d : p*d]
		}
		var err error
		if sh.Transparent, err = s.sample(sh.Name(), img, out); err != nil {
			return err
		}
		u.sheets[p] = sh
		prog.add(1)
		return nil
	})
}

// array streams the images of an array file into dst, sampling each.
func (s *sampler) array(ctx context.Context, in input, a *arrayHeader, dst []uint8, prog *counter) error {
	r, _, _, done, err := in.arrayReader()
	if err != nil {
		return err
	}
	defer done()
	if _, err := io.CopyN(io.Discard, r, a.offset); err != nil {
		return fmt.Errorf("load %s: %w", in.name, &arrayError{err: fmt.Errorf("header: %v", err)})
	}
	short := func(got int64) error {
		return a.checkSize(in.name, got)
	}
	per := a.w * a.h * a.c
	d := s.w * s.h * s.ch
	// Progress is told, and the context asked, every chunk of about 4 MB
	// of the array.
	chunk := max(1, (1<<22)/max(1, per))
	interrupted := func() error {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("load %s: %w", in.name, err)
		}
		return nil
	}
	if !s.resize && a.c == s.ch {
		// The bytes are the features: straight into the matrix.
		for i := 0; i < a.n; i += chunk {
			if err := interrupted(); err != nil {
				return err
			}
			m := min(chunk, a.n-i)
			if got, err := io.ReadFull(r, dst[i*d:(i+m)*d]); err != nil {
				return short(int64(i*d + got))
			}
			prog.add(m)
		}
	} else {
		if cap(s.tmp) < per {
			s.tmp = make([]uint8, per)
		}
		buf := s.tmp[:per]
		var img image.Image
		if a.c == 1 {
			img = &image.Gray{Pix: buf, Stride: a.w, Rect: image.Rect(0, 0, a.w, a.h)}
		} else {
			if s.rgba == nil || s.rgba.Rect.Dx() != a.w || s.rgba.Rect.Dy() != a.h {
				s.rgba = image.NewRGBA(image.Rect(0, 0, a.w, a.h))
			}
			img = s.rgba
		}
		for i := range a.n {
			if i%chunk == 0 {
				if err := interrupted(); err != nil {
					return err
				}
			}
			if got, err := io.ReadFull(r, buf); err != nil {
				return short(int64(i*per + got))
			}
			if a.c == 3 {
				p := s.rgba.Pix
				for j := range a.w * a.h {
					p[4*j], p[4*j+1], p[4*j+2], p[4*j+3] = buf[3*j], buf[3*j+1], buf[3*j+2], 0xff
				}
			}
			if _, err := s.sample(in.name, img, dst[i*d:(i+1)*d]); err != nil {
				return err
			}
			prog.add(1)
		}
	}
	if a.exact {
		// IDX: nothing may follow the data.
		if extra, _ := io.Copy(io.Discard, r); extra > 0 {
			return a.checkSize(in.name, a.bytes()+extra)
		}
	}
	return nil
}

// sample writes img's features, resized, into dst (w*h*ch values) and
// returns the pixels it composited over the background.
func (s *sampler) sample(name string, img image.Image, dst []uint8) (transparent int, err error) {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	if s.cv == nil {
		s.cv = newConverter(s.model, s.bg)
	}
	s.cv.nonOpaque = 0
	if sw == s.w && sh == s.h {
		for y := range sh {
			s.cv.row(img, 0, y, dst[y*sw*s.ch:(y+1)*sw*s.ch])
		}
		return s.cv.nonOpaque, nil
	}
	if !s.resize {
		return 0, fmt.Errorf("load %s: images of %dx%d, not of the tile size %dx%d", name, sw, sh, s.w, s.h)
	}
	if cap(s.feat) < sw*sh*s.ch {
		s.feat = make([]uint8, sw*sh*s.ch)
	}
	feat := s.feat[:sw*sh*s.ch]
	for y := range sh {
		s.cv.row(img, 0, y, feat[y*sw*s.ch:(y+1)*sw*s.ch])
	}
	transparent = s.cv.nonOpaque
	var src image.Image
	if s.ch == 1 {
		src = &image.Gray{Pix: feat, Stride: sw, Rect: image.Rect(0, 0, sw, sh)}
	} else {
		if s.src == nil || s.src.Rect.Dx() != sw || s.src.Rect.Dy() != sh {
			s.src = image.NewRGBA(image.Rect(0, 0, sw, sh))
		}
		p := s.src.Pix
		for j := range sw * sh {
			p[4*j], p[4*j+1], p[4*j+2], p[4*j+3] = feat[3*j], feat[3*j+1], feat[3*j+2], 0xff
		}
		src = s.src
	}
	if s.dst == nil {
		s.dst = image.NewRGBA(image.Rect(0, 0, s.w, s.h))
	}
	sr, dr := fitRects(sw, sh, s.w, s.h, s.fit)
	if dr != s.dst.Rect {
		bg := s.background()
		for j := 0; j < len(s.dst.Pix); j += 4 {
			if s.ch == 1 {
				s.dst.Pix[j], s.dst.Pix[j+1], s.dst.Pix[j+2] = bg[0], bg[0], bg[0]
			} else {
				s.dst.Pix[j], s.dst.Pix[j+1], s.dst.Pix[j+2] = bg[0], bg[1], bg[2]
			}
			s.dst.Pix[j+3] = 0xff
		}
	}
	key := [4]int{dr.Dx(), dr.Dy(), sr.Dx(), sr.Dy()}
	sc, ok := s.scalers[key]
	if !ok {
		if len(s.scalers) > 64 {
			clear(s.scalers) // images of many sizes: keep the cache small
		}
		sc = s.kernel.NewScaler(key[0], key[1], key[2], key[3])
		s.scalers[key] = sc
	}
	sc.Scale(s.dst, dr, src, sr, draw.Src, nil)
	p := s.dst.Pix
	if s.ch == 1 {
		for j := range s.w * s.h {
			dst[j] = p[4*j]
		}
	} else {
		for j := range s.w * s.h {
			dst[3*j], dst[3*j+1], dst[3*j+2] = p[4*j], p[4*j+1], p[4*j+2]
		}
	}
	return transparent, nil
}

// background is the background colour as features (gray: [0]).
func (s *sampler) background() [3]uint8 {
	if !s.bgOK {
		cv := newConverter(s.model, s.bg)
		out := make([]uint8, s.ch)
		cv.finish([]uint32{0, 0, 0, 0}, out) // fully transparent: the background alone
		copy(s.bgPx[:], out)
		s.bgOK = true
	}
	return s.bgPx
}

// fitRects returns the source rectangle of an sw x sh image and the
// destination rectangle in a w x h sample that fit puts it in: Pillow's
// ImageOps.pad (the image scaled to fit inside, centred; rounding as
// Python's round, half to even) and ImageOps.fit (the centred part of the
// image with the sample's aspect ratio, scaled to cover it), in whole
// pixels.
func fitRects(sw, sh, w, h int, fit Fit) (sr, dr image.Rectangle) {
	sr, dr = image.Rect(0, 0, sw, sh), image.Rect(0, 0, w, h)
	if fit == FitStretch || sw*h == sh*w {
		return sr, dr
	}
	round := func(v float64) int { return max(1, int(math.RoundToEven(v))) }
	wider := float64(sw)/float64(sh) > float64(w)/float64(h)
	switch fit {
	case FitPad:
		if wider {
			nh := min(h, round(float64(sh)/float64(sw)*float64(w)))
			y := int(math.RoundToEven(float64(h-nh) * 0.5))
			dr = image.Rect(0, y, w, y+nh)
		} else {
			nw := min(w, round(float64(sw)/float64(sh)*float64(h)))
			x := int(math.RoundToEven(float64(w-nw) * 0.5))
			dr = image.Rect(x, 0, x+nw, h)
		}
	case FitCrop:
		if wider {
			cw := min(sw, round(float64(w)/float64(h)*float64(sh)))
			x := (sw - cw) / 2
			sr = image.Rect(x, 0, x+cw, sh)
		} else {
			chh := min(sh, round(float64(h)/float64(w)*float64(sw)))
			y := (sh - chh) / 2
			sr = image.Rect(0, y, sw, y+chh)
		}
	}
	return sr, dr
}
