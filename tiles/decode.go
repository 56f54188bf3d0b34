package tiles

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/gif"
	"image/png"
	"io"
	"strings"

	"golang.org/x/image/webp"

	"github.com/tilekmeans/tilekmeans/internal/imageformat"
)

// ErrNotImage reports a file that is not a JPEG, PNG, GIF, BMP, TIFF or WebP
// image (the formats this package decodes; a test keeps the text equal to
// the table of formats).
var ErrNotImage = errors.New("not a JPEG, PNG, GIF, BMP, TIFF or WebP image")

// ErrCorrupt is matched (errors.Is) by the error for an image that its
// decoder could not read: a file cut off, or bytes that break the format.
var ErrCorrupt = errors.New("truncated or corrupt image")

// unsupportedError reports a valid image that uses a feature the decoder
// does not implement (a JPEG with 3x1 chroma subsampling, a BMP with RLE
// compression...), or a layout that the decoder is known to read wrongly
// and that is therefore refused rather than cut into wrong tiles. It
// matches errors.ErrUnsupported.
type unsupportedError struct {
	path    string
	format  string // "jpeg", "png", "tiff"...
	feature string // what the decoder lacks, in its own words
}

func (e *unsupportedError) Error() string {
	return fmt.Sprintf("load %s: valid %s image using a feature the decoder does not support: %s",
		e.path, strings.ToUpper(e.format), e.feature)
}

func (e *unsupportedError) Is(target error) bool { return target == errors.ErrUnsupported }

// corruptError reports an image that its decoder could not read; it
// matches ErrCorrupt. (Decoders report a cut-off file sometimes as EOF,
// sometimes as missing data: one wording covers both.)
type corruptError struct {
	path   string
	format string
	err    error
}

func (e *corruptError) Error() string {
	return fmt.Sprintf("load %s: truncated or corrupt %s image: %v", e.path, e.format, e.err)
}

func (e *corruptError) Unwrap() error        { return e.err }
func (e *corruptError) Is(target error) bool { return target == ErrCorrupt }

// maxPixels is the most pixels one sheet, or all the pages of one file
// together, may have unless Options.MaxPixels says otherwise (2^28, a
// 16384x16384 image), so that a corrupt or hostile header cannot make the
// decoder allocate gigabytes.
const maxPixels = 1 << 28

// ErrTooLarge is matched (errors.Is) by the error for a sheet whose header
// declares more pixels than Options.MaxPixels allows (2^28 by default), or
// a file whose pages together do.
var ErrTooLarge = errors.New("image larger than the pixel limit")

// tooLargeError reports an image whose header declares more than limit
// pixels, or a file whose pages together do; it matches ErrTooLarge.
type tooLargeError struct {
	path          string
	format        string
	width, height int
	pages         int   // pages of a file of several images (0: one image)
	total         int64 // their pixels, all together
	limit         int64
}

func (e *tooLargeError) Error() string {
	if e.pages > 0 {
		return fmt.Sprintf("load %s: %s file of %d pages, %d pixels in all, is larger than the %d-pixel limit", e.path, e.format, e.pages, e.total, e.limit)
	}
	return fmt.Sprintf("load %s: %s image of %dx%d pixels is larger than the %d-pixel limit", e.path, e.format, e.width, e.height, e.limit)
}

func (e *tooLargeError) Is(target error) bool { return target == ErrTooLarge }

// checkPixels refuses a sheet of more than limit pixels (0: maxPixels).
func checkPixels(name string, h header, limit int64) error {
	if limit <= 0 {
		limit = maxPixels
	}
	if w, ht := int64(h.stored.Width), int64(h.stored.Height); w*ht > limit || w < 0 || ht < 0 {
		return &tooLargeError{path: name, format: h.Format, width: h.stored.Width, height: h.stored.Height, limit: limit}
	}
	return nil
}

// info is what decoding finds out about a sheet besides its pixels.
type info struct {
	Format string // as registered with package image: "png", "jpeg", "gif", "bmp", "tiff"
	// Orientation is the EXIF orientation the file declares, 0 for none.
	// The decoded image has it applied.
	Orientation   orientation
	Width, Height int // as displayed: after the orientation
}

// header is what the loader learns from a sheet before decoding it.
type header struct {
	info
	stored image.Config
	// page is the sheet's page in a file of several images, counted from
	// 1; 0 when the file holds one (see pageName).
	page int
	// ifd is a TIFF page's IFD offset; 0 for the file's first.
	ifd int64
	// animated: the file is an animated PNG or WebP, whose frames are
	// composited on a canvas (GIFs always are).
	animated bool
}

// sheet is the Sheet of the file path's page that h describes, cut into
// rows x cols tiles.
func (h header) sheet(path string, rows, cols int) Sheet {
	s := Sheet{Path: path, Page: h.page, Format: h.Format, Width: h.Width, Height: h.Height, Rows: rows, Cols: cols}
	if h.Orientation != 0 {
		s.Orientation = h.Orientation.String()
	}
	return s
}

// sniffPages reads the headers of the images in r, one per page (see
// pages.go): the pages of a multi-page TIFF and the frames of an animated
// GIF, PNG or WebP are sheets of their own. Each page, and all of them
// together, may have at most limit pixels (0: maxPixels). Errors name the
// page.
func sniffPages(name string, r io.ReaderAt, size, limit int64) ([]header, error) {
	if size == 0 {
		return nil, emptyFile(name)
	}
	h, err := sniff(name, r, size)
	if err != nil {
		return nil, err
	}
	n := 1
	var ifds []int64
	switch h.Format {
	case "tiff":
		ifds = tiffPages(r, size)
		if _, first, _ := readTIFFHeader(r); len(ifds) == 0 || len(ifds) == 1 && ifds[0] == first {
			ifds = nil // the file's first IFD is its one page
		} else {
			n = len(ifds)
		}
	case "gif":
		n = max(1, gifFrames(io.NewSectionReader(r, 0, size)))
	case "png":
		chunks, _ := pngChunks(r, size, true)
		if f := apngFrameCount(chunks); f > 0 {
			n, h.animated = f, true
		}
	case "webp":
		if f := webpFrameCount(r, size); f > 0 {
			n, h.animated = f, true
		}
	}
	hs := make([]header, n)
	var total int64
	for p := range hs {
		hs[p] = h
		if ifds != nil {
			page, err := newTIFFPage(r, ifds[p])
			if err != nil {
				return nil, classify(pageName(name, p+1), h.Format, err, r)
			}
			if hs[p], err = sniff(pageName(name, p+1), page, size); err != nil {
				return nil, err
			}
			hs[p].ifd = ifds[p]
		}
		if n > 1 {
			hs[p].page = p + 1
		}
		if err := checkPixels(pageName(name, hs[p].page), hs[p], limit); err != nil {
			return nil, err
		}
		total += int64(hs[p].Width) * int64(hs[p].Height)
	}
	// The pages of a file count together: a small file of many frames must
	// not make the loader allocate more than one large image would.
	if limit <= 0 {
		limit = maxPixels
	}
	if total > limit {
		return nil, &tooLargeError{path: name, format: h.Format, pages: n, total: total, limit: limit}
	}
	return hs, nil
}

// sniff reads the header of the image in r: format, size, orientation, and
// for TIFF the layout checks. It reads only the metadata.
func sniff(name string, r io.ReaderAt, size int64) (header, error) {
	var src io.Reader
	if b, ok := r.(*bytes.Reader); ok {
		src = &peekReader{SectionReader: *io.NewSectionReader(b, 0, size)} // in memory: no 4 KB buffer to fill
	} else {
		src = bufio.NewReader(io.NewSectionReader(r, 0, size))
	}
	cfg, format, err := image.DecodeConfig(src)
	if err != nil {
		return header{}, classify(name, format, err, r)
	}
	h := header{info: info{Format: format, Width: cfg.Width, Height: cfg.Height}, stored: cfg}
	if cfg.Width < 0 || cfg.Height < 0 {
		return header{}, checkPixels(name, h, maxPixels)
	}
	if format == "tiff" {
		if err := checkTIFF(name, io.NewSectionReader(r, 0, size)); err != nil {
			return header{}, err
		}
	}
	h.Orientation = readOrientation(r, size, format)
	if h.Orientation.swaps() {
		h.Width, h.Height = h.Height, h.Width
	}
	return h, nil
}

// peekReader is an io.SectionReader that can Peek, so that
// image.DecodeConfig reads it as it is instead of through a new
// bufio.Reader (4 KB, for every file of a folder).
type peekReader struct {
	io.SectionReader
	buf [16]byte
}

// Peek returns the next n bytes without reading them, as
// bufio.Reader.Peek: fewer, with io.EOF, at the end.
func (p *peekReader) Peek(n int) ([]byte, error) {
	b := p.buf[:0]
	if n <= len(p.buf) {
		b = p.buf[:n]
	} else {
		b = make([]byte, n)
	}
	off, _ := p.Seek(0, io.SeekCurrent)
	m, err := p.ReadAt(b, off)
	return b[:m], err
}

// checkTIFF refuses the TIFF layouts that golang.org/x/image/tiff decodes
// into wrong pixels without an error. Known today (x/image v0.48.0; the
// tests in formats_test.go hold the true pixels of each, so the refusal can
// be lifted when a test shows the decoder right):
//
//   - PlanarConfiguration 2 (each colour in its own plane) with more than one
//     sample per pixel: the decoder ignores the tag and reads the planes as
//     if interleaved.
//
// Tiled TIFFs whose width or height is not a multiple of the TIFF tile size
// were decoded wrongly up to x/image v0.30 (right-hand tiles shifted); this
// module requires a version that decodes them right, and the tests hold
// their true pixels.
func checkTIFF(name string, r *io.SectionReader) error {
	ifd, err := readIFD0(r)
	if err != nil {
		return nil // the decoder reports broken structure itself
	}
	planar, _ := ifd.short(tagPlanarConfig)
	spp, ok := ifd.short(tagSamplesPerPixel)
	if !ok {
		spp = 1
	}
	if planar == 2 && spp > 1 {
		return &unsupportedError{path: name, format: "tiff",
			feature: fmt.Sprintf("planar configuration 2 (%d separate sample planes), which golang.org/x/image/tiff decodes wrongly", spp)}
	}
	return nil
}

// notImage is ErrNotImage for the file name, saying which format its name
// gives when that is an image format no decoder here reads
// (imageformat.Unread).
func notImage(name string) error {
	if f := imageformat.Unread(name); f != "" {
		return fmt.Errorf("load %s: %w (its name says %s, which is not read: convert it, to PNG for instance)", name, ErrNotImage, f)
	}
	return fmt.Errorf("load %s: %w", name, ErrNotImage)
}

// emptyFile is ErrNotImage for a file, or a stream, of no bytes.
func emptyFile(name string) error {
	return fmt.Errorf("load %s: %w: it is empty (0 bytes)", name, ErrNotImage)
}

// classify turns a decoder's error on the image in r into this package's:
// ErrNotImage (wrapped), an unsupportedError or a corruptError.
func classify(name, format string, err error, r io.ReaderAt) error {
	if errors.Is(err, image.ErrFormat) {
		return notImage(name)
	}
	if feature, ok := imageformat.Unsupported(err, r); ok {
		return &unsupportedError{path: name, format: format, feature: feature}
	}
	return &corruptError{path: name, format: format, err: err}
}

// decodeImage decodes an encoded sheet of at most limit pixels (0:
// maxPixels) as a viewer shows it: EXIF orientation applied (then with
// origin (0, 0)); the first page of a file that holds several. name is only
// for errors, which are ErrNotImage (wrapped), an unsupportedError, a
// corruptError or a tooLargeError. The image keeps the decoder's colour
// model; transparency is left as it is.
func decodeImage(name string, data []byte, limit int64) (image.Image, info, error) {
	hs, err := sniffPages(name, bytes.NewReader(data), int64(len(data)), limit)
	if err != nil {
		return nil, info{}, err
	}
	in := input{name: name, data: data, inMemory: true}
	img, err := in.decodePage(context.Background(), hs, 0)
	if err != nil {
		return nil, info{}, err
	}
	return img, hs[0].info, nil
}

// decodePages decodes the pages of a sniffed file (hs, one header per page,
// from sniffPages) and hands each to emit in order, as a viewer shows it.
// An error from emit ends it and is returned as it is. When ctx is done,
// the decoder stops at its next read and the error wraps ctx's.
func decodePages(ctx context.Context, name string, hs []header, data []byte, pr *pngReader, emit func(page int, img image.Image) error) error {
	switch {
	case hs[0].Format == "gif":
		return decodeGIF(ctx, name, hs, data, emit)
	case hs[0].animated && hs[0].Format == "png":
		return decodeAPNG(ctx, name, hs, data, emit)
	case hs[0].animated && hs[0].Format == "webp":
		return decodeAnimatedWebP(ctx, name, hs, data, emit)
	}
	for p, h := range hs {
		img, err := decodeBody(ctx, pageName(name, h.page), h, data, pr)
		if err != nil {
			return err
		}
		if err := emit(p, img); err != nil {
			return err
		}
	}
	return nil
}

// decodeBody decodes the pixels of one sniffed page and orients them. A
// PNG file goes through pr (nil: a new pngReader), which leaves to
// image/png what it does not decode.
func decodeBody(ctx context.Context, name string, h header, data []byte, pr *pngReader) (image.Image, error) {
	var (
		img    image.Image
		format = h.Format
		ok     bool
	)
	if format == "png" {
		if pr == nil {
			pr = new(pngReader)
		}
		img, ok = pr.decode(ctx, data)
	}
	if !ok {
		var src io.ReaderAt = bytes.NewReader(data)
		if h.ifd != 0 {
			page, err := newTIFFPage(src, h.ifd)
			if err != nil {
				return nil, classify(name, h.Format, err, src)
			}
			src = page
		}
		var err error
		img, format, err = image.Decode(newCtxReader(ctx, src, int64(len(data))))
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("load %s: %w", name, ctx.Err())
			}
			return nil, classify(name, format, err, src)
		}
	}
	if format == "webp" {
		img = webpRGB(img)
	}
	if b := img.Bounds(); b.Dx() != h.stored.Width || b.Dy() != h.stored.Height {
		return nil, &corruptError{path: name, format: format,
			err: fmt.Errorf("header says %dx%d, pixels are %dx%d", h.stored.Width, h.stored.Height, b.Dx(), b.Dy())}
	}
	return orient(img, h.Orientation), nil
}

// decodeGIF decodes a GIF's frames and hands emit each as a viewer shows
// it: composited on the logical screen (see animation), so that a frame
// covering part of the screen, as optimised GIFs' frames do, is in its
// place. A single frame covering the screen is handed over as decoded.
func decodeGIF(ctx context.Context, name string, hs []header, data []byte, emit func(page int, img image.Image) error) error {
	src := bytes.NewReader(data)
	g, err := gif.DecodeAll(newCtxReader(ctx, src, int64(len(data))))
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("load %s: %w", name, ctx.Err())
		}
		return classify(name, "gif", err, src)
	}
	screen := image.Rect(0, 0, g.Config.Width, g.Config.Height)
	if len(g.Image) == 1 && len(hs) == 1 && g.Image[0].Bounds() == screen {
		return emit(0, g.Image[0])
	}
	frames := make([]animFrame, len(g.Image))
	for p, fr := range g.Image {
		frames[p] = animFrame{rect: fr.Bounds(), blend: draw.Over,
			decode: func() (image.Image, error) { return fr, nil }}
		if p < len(g.Disposal) {
			switch g.Disposal[p] {
			case gif.DisposalBackground:
				frames[p].dispose = disposeBackground
			case gif.DisposalPrevious:
				frames[p].dispose = disposePrevious
			}
		}
	}
	return composite(ctx, name, hs, screen, frames, emit)
}

// decodeAPNG decodes the frames of an animated PNG (see apngFrames) and
// hands emit each composited on the canvas.
func decodeAPNG(ctx context.Context, name string, hs []header, data []byte, emit func(page int, img image.Image) error) error {
	chunks, ok := pngChunks(bytes.NewReader(data), int64(len(data)), false)
	frames, shared, err := apngFrames(chunks, data)
	switch {
	case err != nil:
		return &corruptError{path: name, format: "png", err: fmt.Errorf("animated PNG: %w", err)}
	case !ok || len(chunks) == 0 || chunks[0].typ != "IHDR" || chunks[0].n != 13:
		return &corruptError{path: name, format: "png", err: errors.New("animated PNG whose chunks end early or lack IHDR")}
	}
	ihdr := chunks[0].bytes(data)
	anim := make([]animFrame, len(frames))
	for p, f := range frames {
		anim[p] = animFrame{rect: f.rect, blend: f.blend, dispose: f.dispose, decode: func() (image.Image, error) {
			file := apngFramePNG(ihdr, shared, data, f)
			img, err := png.Decode(bytes.NewReader(file))
			if err != nil {
				return nil, classify(pageName(name, p+1), "png", err, bytes.NewReader(file))
			}
			return img, nil
		}}
	}
	return composite(ctx, name, hs, image.Rect(0, 0, hs[0].stored.Width, hs[0].stored.Height), anim, emit)
}

// decodeAnimatedWebP decodes the frames of an animated WebP (see
// webpFrames) and hands emit each composited on the canvas.
func decodeAnimatedWebP(ctx context.Context, name string, hs []header, data []byte, emit func(page int, img image.Image) error) error {
	frames, err := webpFrames(data)
	if err != nil {
		return &corruptError{path: name, format: "webp", err: fmt.Errorf("animated WebP: %w", err)}
	}
	anim := make([]animFrame, len(frames))
	for p, f := range frames {
		anim[p] = animFrame{rect: f.rect, blend: f.blend, dispose: f.dispose, decode: func() (image.Image, error) {
			img, err := webp.Decode(bytes.NewReader(f.file))
			if err != nil {
				return nil, classify(pageName(name, p+1), "webp", err, bytes.NewReader(f.file))
			}
			return webpRGB(img), nil
		}}
	}
	return composite(ctx, name, hs, image.Rect(0, 0, hs[0].stored.Width, hs[0].stored.Height), anim, emit)
}

// animFrame is a frame of an animation: its place on the canvas, how it is
// blended and disposed of, and its pixels, decoded when it is drawn.
type animFrame struct {
	rect    image.Rectangle
	dispose disposal
	blend   draw.Op
	decode  func() (image.Image, error)
}

// composite draws the frames on a canvas of the screen's size (see
// animation) and hands emit the canvas after each. hs are the headers
// sniffPages gave, one per frame.
func composite(ctx context.Context, name string, hs []header, screen image.Rectangle, frames []animFrame, emit func(page int, img image.Image) error) error {
	format := hs[0].Format
	if len(frames) != len(hs) || screen.Dx() != hs[0].stored.Width || screen.Dy() != hs[0].stored.Height {
		return &corruptError{path: name, format: format, err: fmt.Errorf("the headers say %d frames of %dx%d, the decoder found %d of %dx%d",
			len(hs), hs[0].stored.Width, hs[0].stored.Height, len(frames), screen.Dx(), screen.Dy())}
	}
	a := newAnimation(screen)
	for p, f := range frames {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("load %s: %w", name, err)
		}
		img, err := f.decode()
		if err != nil {
			return err
		}
		if img.Bounds().Size() != f.rect.Size() {
			return &corruptError{path: pageName(name, hs[p].page), format: format,
				err: fmt.Errorf("frame of %v, pixels of %v", f.rect.Size(), img.Bounds().Size())}
		}
		if err := a.frame(img, f.rect, img.Bounds().Min, f.blend, f.dispose, func(m image.Image) error { return emit(p, m) }); err != nil {
			return err
		}
	}
	return nil
}
