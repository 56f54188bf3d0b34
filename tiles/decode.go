package tiles

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"strings"

	"github.com/tilekmeans/tilekmeans/internal/imageformat"
)

// ErrNotImage reports a file that is not a JPEG, PNG, GIF, BMP or TIFF
// image (the formats this package decodes).
var ErrNotImage = errors.New("not a " + imageformat.Labels() + " image")

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

// maxPixels is the most pixels one sheet may have unless
// Options.MaxPixels says otherwise (2^28, a 16384x16384 image), so that a
// corrupt or hostile header cannot make the decoder allocate gigabytes.
const maxPixels = 1 << 28

// ErrTooLarge is matched (errors.Is) by the error for a sheet whose header
// declares more pixels than Options.MaxPixels allows (2^28 by default).
var ErrTooLarge = errors.New("image larger than the pixel limit")

// tooLargeError reports an image whose header declares more than limit
// pixels; it matches ErrTooLarge.
type tooLargeError struct {
	path          string
	format        string
	width, height int
	limit         int64
}

func (e *tooLargeError) Error() string {
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
}

// sniff reads the header of the image in r: format, size, orientation, and
// for TIFF the layout checks. It reads only the metadata.
func sniff(name string, r io.ReaderAt, size int64) (header, error) {
	cfg, format, err := image.DecodeConfig(bufio.NewReader(io.NewSectionReader(r, 0, size)))
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

// classify turns a decoder's error on the image in r into this package's:
// ErrNotImage (wrapped), an unsupportedError or a corruptError.
func classify(name, format string, err error, r io.ReaderAt) error {
	if errors.Is(err, image.ErrFormat) {
		return fmt.Errorf("load %s: %w", name, ErrNotImage)
	}
	if feature, ok := imageformat.Unsupported(err, r); ok {
		return &unsupportedError{path: name, format: format, feature: feature}
	}
	return &corruptError{path: name, format: format, err: err}
}

// decodeImage decodes an encoded sheet as a viewer shows it: EXIF
// orientation applied (then with origin (0, 0)). name is only for errors,
// which are ErrNotImage (wrapped), an unsupportedError, a corruptError or a
// tooLargeError. The image keeps the decoder's colour model; transparency
// is left as it is.
func decodeImage(name string, data []byte) (image.Image, info, error) {
	r := bytes.NewReader(data)
	h, err := sniff(name, r, int64(len(data)))
	if err == nil {
		err = checkPixels(name, h, maxPixels)
	}
	if err != nil {
		return nil, info{}, err
	}
	img, err := decodeBody(name, h, data)
	if err != nil {
		return nil, info{}, err
	}
	return img, h.info, nil
}

// decodeBody decodes the pixels of a sniffed sheet and orients them.
func decodeBody(name string, h header, data []byte) (image.Image, error) {
	img, format, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, classify(name, format, err, bytes.NewReader(data))
	}
	if b := img.Bounds(); b.Dx() != h.stored.Width || b.Dy() != h.stored.Height {
		return nil, &corruptError{path: name, format: format,
			err: fmt.Errorf("header says %dx%d, pixels are %dx%d", h.stored.Width, h.stored.Height, b.Dx(), b.Dy())}
	}
	return orient(img, h.Orientation), nil
}
