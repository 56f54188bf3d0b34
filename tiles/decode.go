package tiles

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // registers GIF (paletted sheets)
	"image/jpeg"
	"image/png"
	"io"
	"strings"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// ErrNotImage reports a file that is not in a supported image format.
var ErrNotImage = errors.New("not a JPEG, PNG, GIF, BMP or TIFF image")

// UnsupportedError reports a valid image that uses a feature the decoder
// does not implement (a JPEG with 3x1 chroma subsampling, a TIFF compressed
// with JPEG...), or a layout that the decoder is known to read wrongly and
// that is therefore refused rather than cut into wrong tiles.
type UnsupportedError struct {
	Path    string
	Format  string // "jpeg", "png", "tiff"...
	Feature string // what the decoder lacks, in its own words
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("load %s: valid %s image using a feature the decoder does not support: %s",
		e.Path, strings.ToUpper(e.Format), e.Feature)
}

// CorruptError reports an image that its decoder could not read: a file cut
// off, or bytes that break the format. (Decoders report a cut-off file
// sometimes as EOF, sometimes as missing data: one wording covers both.)
type CorruptError struct {
	Path   string
	Format string
	Err    error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("load %s: truncated or corrupt %s image: %v", e.Path, e.Format, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// TooLargeError reports an image whose header declares more pixels than the
// loader accepts (MaxPixels), so that a corrupt or hostile header cannot make
// the decoder allocate gigabytes.
type TooLargeError struct {
	Path          string
	Format        string
	Width, Height int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("load %s: %s image of %dx%d pixels is larger than the %d-pixel limit", e.Path, e.Format, e.Width, e.Height, MaxPixels)
}

// MaxPixels is the most pixels one sheet may have (2^28, a 16384x16384 image).
const MaxPixels = 1 << 28

// Info is what decoding found out about a sheet besides its pixels.
type Info struct {
	Format string // as registered with package image: "png", "jpeg", "gif", "bmp", "tiff"
	// Orientation is the EXIF orientation the file declares, 0 for none. The
	// image DecodeImage returns has it applied.
	Orientation   Orientation
	Width, Height int // as displayed: after the orientation
}

// header is what the loader learns from a sheet before decoding it.
type header struct {
	Info
	stored image.Config
}

// sniff reads the header of the image in r: format, size, orientation, and
// for TIFF the layout checks. It reads only the metadata.
func sniff(name string, r io.ReaderAt, size int64) (header, error) {
	cfg, format, err := image.DecodeConfig(bufio.NewReader(io.NewSectionReader(r, 0, size)))
	if err != nil {
		return header{}, detail(classify(name, format, err), r)
	}
	h := header{Info: Info{Format: format, Width: cfg.Width, Height: cfg.Height}, stored: cfg}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels || cfg.Width < 0 || cfg.Height < 0 {
		return header{}, &TooLargeError{Path: name, Format: format, Width: cfg.Width, Height: cfg.Height}
	}
	if format == "tiff" {
		if err := checkTIFF(name, io.NewSectionReader(r, 0, size)); err != nil {
			return header{}, err
		}
	}
	h.Orientation = readOrientation(r, size, format)
	if h.Orientation.Swaps() {
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
		return &UnsupportedError{Path: name, Format: "tiff",
			Feature: fmt.Sprintf("planar configuration 2 (%d separate sample planes), which golang.org/x/image/tiff decodes wrongly", spp)}
	}
	return nil
}

// classify turns a decoder's error into this package's: ErrNotImage,
// *UnsupportedError or *CorruptError.
func classify(name, format string, err error) error {
	var (
		je jpeg.UnsupportedError
		pe png.UnsupportedError
		te tiff.UnsupportedError
	)
	switch {
	case errors.Is(err, image.ErrFormat):
		return fmt.Errorf("load %s: %w", name, ErrNotImage)
	case errors.As(err, &je):
		return &UnsupportedError{Path: name, Format: format, Feature: string(je)}
	case errors.As(err, &pe):
		return &UnsupportedError{Path: name, Format: format, Feature: string(pe)}
	case errors.As(err, &te):
		return &UnsupportedError{Path: name, Format: format, Feature: string(te)}
	case errors.Is(err, bmp.ErrUnsupported):
		return &UnsupportedError{Path: name, Format: format, Feature: strings.TrimPrefix(err.Error(), "bmp: ")}
	}
	return &CorruptError{Path: name, Format: format, Err: err}
}

// DecodeImage decodes an encoded sheet as a viewer shows it: EXIF
// orientation applied (then with origin (0, 0)). name is only for errors, which are
// ErrNotImage (wrapped), *UnsupportedError, *CorruptError or *TooLargeError.
// The image keeps the decoder's colour model; transparency is left as it is.
func DecodeImage(name string, data []byte) (image.Image, Info, error) {
	r := bytes.NewReader(data)
	h, err := sniff(name, r, int64(len(data)))
	if err != nil {
		return nil, Info{}, err
	}
	img, err := decodeBody(name, h, data)
	if err != nil {
		return nil, Info{}, err
	}
	return img, h.Info, nil
}

// decodeBody decodes the pixels of a sniffed sheet and orients them.
func decodeBody(name string, h header, data []byte) (image.Image, error) {
	img, format, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, detail(classify(name, format, err), bytes.NewReader(data))
	}
	if b := img.Bounds(); b.Dx() != h.stored.Width || b.Dy() != h.stored.Height {
		return nil, &CorruptError{Path: name, Format: format,
			Err: fmt.Errorf("header says %dx%d, pixels are %dx%d", h.stored.Width, h.stored.Height, b.Dx(), b.Dy())}
	}
	return Orient(img, h.Orientation), nil
}

// detail adds to a BMP's *UnsupportedError what the header says (x/image's
// error names no feature): the compression method and bits per pixel.
func detail(err error, r io.ReaderAt) error {
	var ue *UnsupportedError
	if !errors.As(err, &ue) || ue.Format != "bmp" {
		return err
	}
	var h [34]byte // file header (14) and the start of the info header
	if _, rerr := r.ReadAt(h[:], 0); rerr != nil {
		return err
	}
	bpp := binary.LittleEndian.Uint16(h[28:])
	comp := binary.LittleEndian.Uint32(h[30:])
	names := map[uint32]string{0: "none", 1: "RLE8", 2: "RLE4", 3: "bit fields", 4: "JPEG", 5: "PNG", 6: "alpha bit fields", 11: "CMYK", 12: "CMYK RLE8", 13: "CMYK RLE4"}
	c := fmt.Sprint(comp)
	if n, ok := names[comp]; ok {
		c += ": " + n
	}
	ue.Feature = fmt.Sprintf("%s (compression %s, %d bits per pixel)", ue.Feature, c, bpp)
	return err
}
