package tiles

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"runtime"
	"sync"

	"golang.org/x/image/draw"
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
// name (arrayFormat), bytes in memory by their first bytes.
func (in input) arrayFormat() string {
	if in.inMemory {
		return sniffArray(in.data)
	}
	return arrayFormat(in.name)
}

// unit is one input of a samples load: an image (one sample) or an array
// (its images), or a file SkipBad left out.
type unit struct {
	array *arrayHeader
	n     int   // samples
	bad   error // with SkipBad: why the input was left out
	// what loading found, for its Sheet
	format        string
	width, height int
	orientation   string
	transparent   int
}

// loadSamples loads every image as one sample and every array's images as
// samples (see Options.Resize).
func loadSamples(ins []input, opts Options) (*Set, error) {
	if opts.Color != Gray && opts.Color != RGB {
		return nil, fmt.Errorf("colour model %d: want Gray or RGB", opts.Color)
	}
	if len(ins) == 0 {
		return nil, errNoSheets
	}
	g := opts.grid()
	resize := opts.Resize
	switch {
	case resize != (image.Point{}) && (resize.X < 1 || resize.Y < 1):
		return nil, fmt.Errorf("resize to %dx%d: want at least 1x1", resize.X, resize.Y)
	case g.Margin != 0 || g.Spacing != 0 || opts.Crop:
		return nil, errors.New("margin, spacing and crop cut sheets into tiles; an image resized to one sample, or an array's image, is used whole")
	case g.TileWidth < 0 || g.TileHeight < 0:
		return nil, fmt.Errorf("tile %dx%d: want at least 1x1", g.TileWidth, g.TileHeight)
	case opts.Fit > FitCrop:
		return nil, fmt.Errorf("fit %d: want FitStretch, FitPad or FitCrop", opts.Fit)
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	units := make([]unit, len(ins))
	skip := func(i int, err error) error {
		if !opts.SkipBad {
			return err
		}
		units[i] = unit{bad: err}
		return nil
	}

	// Array headers first: they give the number of samples.
	if err := parallel(opts.context(), len(ins), workers, func(i int) error {
		in := ins[i]
		format := in.arrayFormat()
		if format == "" {
			if resize == (image.Point{}) {
				return fmt.Errorf("load %s: an image among arrays: arrays' images are samples, so give every image a size to be resized to (Options.Resize, -resize), or load the sheets on their own", in.name)
			}
			units[i] = unit{n: 1}
			return nil
		}
		r, size, done, err := in.arrayReader()
		if err != nil {
			return skip(i, err)
		}
		defer done()
		a, err := readArrayHeader(in.name, format, r, size, g.TileWidth, g.TileHeight, opts.MaxPixels)
		if err != nil {
			return skip(i, err)
		}
		units[i] = unit{array: a, n: a.n, format: format, width: a.w, height: a.h}
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
	if int64(n)*int64(t.D) > maxTileBytes {
		return nil, fmt.Errorf("load: %d samples of %d features is more than %d bytes", n, t.D, int64(maxTileBytes))
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
	if err := parallel(opts.context(), len(ins), workers, func(i int) error {
		u := &units[i]
		if u.bad != nil {
			return nil
		}
		s := pool.Get().(*sampler)
		defer pool.Put(s)
		dst := t.Pix[first[i]*t.D : first[i+1]*t.D]
		var err error
		if u.array != nil {
			err = s.array(ins[i], u.array, dst, prog)
		} else {
			err = s.file(ins[i], u, dst)
			prog.add(1)
		}
		if err != nil {
			clear(dst)
			return skip(i, err)
		}
		return nil
	}); err != nil {
		return nil, err
	}

	// The sheets, the blank samples, and the matrix without what was left
	// out.
	kept := 0
	for i, u := range units {
		if u.bad != nil {
			t.Bad = append(t.Bad, BadFile{Path: ins[i].name, Err: u.bad})
			continue
		}
		kept += u.n
	}
	if kept == 0 && len(t.Bad) > 0 {
		return nil, fmt.Errorf("load: all %d files were left out; the first: %w", len(t.Bad), t.Bad[0].Err)
	}
	blank := make([]bool, n)
	for i := range n {
		blank[i] = isBlank(t.Pix[i*t.D:(i+1)*t.D], ch)
	}
	t.Origins = make([]Origin, 0, kept)
	out := 0
	for i, u := range units {
		if u.bad != nil {
			continue
		}
		sh := Sheet{Path: ins[i].name, Format: u.format, Width: u.width, Height: u.height, Rows: u.n, Cols: 1,
			Orientation: u.orientation, Transparent: u.transparent}
		sheet := int32(len(t.Sheets))
		for j := first[i]; j < first[i+1]; j++ {
			if blank[j] {
				sh.Blank++
				if opts.SkipBlank {
					continue
				}
			}
			if out != j {
				copy(t.Pix[out*t.D:(out+1)*t.D], t.Pix[j*t.D:(j+1)*t.D])
			}
			t.Origins = append(t.Origins, Origin{Sheet: sheet, Row: int32(j - first[i])})
			out++
		}
		t.Blank += sh.Blank
		t.Sheets = append(t.Sheets, sh)
	}
	if opts.SkipBlank {
		t.Skipped = t.Blank
	}
	if out == 0 {
		return nil, fmt.Errorf("load: all %d samples: %w", t.Blank, ErrAllBlank)
	}
	t.Pix = t.Pix[: out*t.D : out*t.D]
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
	bgPx [3]uint8    // the background as features
	bgOK bool
}

// file reads, decodes and samples one image file into dst.
func (s *sampler) file(in input, u *unit, dst []uint8) error {
	data := in.data
	if !in.inMemory {
		var err error
		// The decoders copy what they keep: the buffer serves every
		// file this sampler reads.
		if s.read, err = readFileInto(in.name, s.read); err != nil {
			return fmt.Errorf("load %w", err)
		}
		data = s.read
	}
	img, inf, err := decodeImage(in.name, data, s.maxPixels)
	if err != nil {
		return err
	}
	u.format, u.width, u.height = inf.Format, inf.Width, inf.Height
	if inf.Orientation != 0 {
		u.orientation = inf.Orientation.String()
	}
	u.transparent, err = s.sample(in.name, img, dst)
	return err
}

// array streams the images of an array file into dst, sampling each.
func (s *sampler) array(in input, a *arrayHeader, dst []uint8, prog *counter) error {
	r, _, done, err := in.arrayReader()
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
	if !s.resize && a.c == s.ch {
		// The bytes are the features: straight into the matrix, in
		// chunks so that progress is told.
		chunk := max(1, (1<<22)/max(1, d))
		for i := 0; i < a.n; i += chunk {
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
