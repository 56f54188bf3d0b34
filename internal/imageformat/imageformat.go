// Package imageformat is the one table of the image formats tilekmeans
// reads: the name people know each by, its file name extensions, and how
// its decoder says that a valid image uses a feature it lacks. Importing
// the package registers every decoder with package image (which sniffs the
// format from the first bytes).
//
// Package tiles decodes with it (ErrNotImage's text is built from it), and
// the command lists folders with its extensions.
package imageformat

import (
	"encoding/binary"
	"errors"
	"fmt"
	_ "image/gif" // registers GIF (paletted sheets)
	"image/jpeg"
	"image/png"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	_ "golang.org/x/image/webp" // registers WebP (lossy and lossless; animation is composited by package tiles)
)

// format is one row of the table.
type format struct {
	label string   // as people name it: "JPEG"
	exts  []string // file name extensions, lower case
	// unsupported returns, when err is the decoder's way of saying that a
	// valid image uses a feature it does not implement, that feature in
	// the decoder's words; nil for a decoder that never says so.
	unsupported func(err error) (feature string, ok bool)
	// detail adds what the image's header says to a feature whose words
	// name none; nil when the words suffice.
	detail func(feature string, r io.ReaderAt) string
}

// formats is the table, in the order messages list them.
var formats = [...]format{
	{"JPEG", []string{".jpg", ".jpeg", ".jpe", ".jfif", ".jif", ".jfi"}, typed[jpeg.UnsupportedError], jpegDetail},
	{"PNG", []string{".png"}, typed[png.UnsupportedError], nil},
	{"GIF", []string{".gif"}, nil, nil},
	{"BMP", []string{".bmp"}, bmpUnsupported, bmpDetail},
	{"TIFF", []string{".tif", ".tiff"}, typed[tiff.UnsupportedError], nil},
	{"WebP", []string{".webp"}, nil, nil},
}

// Labels lists the formats as a sentence does: "JPEG, PNG, GIF, BMP, TIFF
// or WebP".
func Labels() string {
	var l []string
	for _, f := range formats {
		l = append(l, f.label)
	}
	return strings.Join(l[:len(l)-1], ", ") + " or " + l[len(l)-1]
}

// unread is the image formats people hold that no decoder here reads, by
// their file name extensions, lower case: a file so named is an image
// that cannot be read, never a file to skip without a word.
var unread = [...]struct {
	label string
	exts  []string
}{
	{"HEIF/HEIC", []string{".heic", ".heif", ".hif"}},
	{"AVIF", []string{".avif"}},
	{"JPEG XL", []string{".jxl"}},
	{"JPEG 2000", []string{".jp2", ".j2k", ".jpf", ".jpx", ".jpm"}},
	{"TGA", []string{".tga", ".icb", ".vda", ".vst"}},
	{"Photoshop", []string{".psd", ".psb"}},
	{"GIMP", []string{".xcf"}},
	{"ICO", []string{".ico", ".cur"}},
	{"SVG", []string{".svg", ".svgz"}},
	{"Netpbm", []string{".pbm", ".pgm", ".ppm", ".pnm", ".pam"}},
	{"OpenEXR", []string{".exr"}},
	{"DDS", []string{".dds"}},
	{"PCX", []string{".pcx"}},
	{"camera raw", []string{".dng", ".cr2", ".cr3", ".nef", ".arw", ".orf", ".rw2", ".raf"}},
}

// Unread returns the name of the image format that name's extension
// (any case) says and that no decoder here reads ("HEIF/HEIC", "TGA",
// ...), or "" when it says none.
func Unread(name string) string {
	ext := strings.ToLower(filepath.Ext(name))
	for _, f := range unread {
		if slices.Contains(f.exts, ext) {
			return f.label
		}
	}
	return ""
}

// Extensions returns every format's file name extensions, lower case, in
// the table's order: ".jpg", ".jpeg", ".png", ...
func Extensions() []string {
	var exts []string
	for _, f := range formats {
		exts = append(exts, f.exts...)
	}
	return exts
}

// HasExtension reports whether name ends in one of the Extensions, in any
// case.
func HasExtension(name string) bool {
	return slices.Contains(Extensions(), strings.ToLower(filepath.Ext(name)))
}

// Unsupported reports whether err, from decoding the image in r, says
// that the image is valid but uses a feature its decoder does not
// implement, and returns that feature in the decoder's words (with what
// the header adds, where those words name none).
func Unsupported(err error, r io.ReaderAt) (feature string, ok bool) {
	for _, f := range formats {
		if f.unsupported == nil {
			continue
		}
		if feature, ok := f.unsupported(err); ok {
			if f.detail != nil {
				feature = f.detail(feature, r)
			}
			return feature, true
		}
	}
	return "", false
}

// typed is the unsupported test of a decoder whose UnsupportedError is a
// string type (image/jpeg, image/png, x/image/tiff).
func typed[E interface {
	~string
	error
}](err error) (string, bool) {
	var e E
	if errors.As(err, &e) {
		return string(e), true
	}
	return "", false
}

// bmpUnsupported is x/image/bmp's test: one error value, ErrUnsupported.
func bmpUnsupported(err error) (string, bool) {
	if !errors.Is(err, bmp.ErrUnsupported) {
		return "", false
	}
	return strings.TrimPrefix(err.Error(), "bmp: "), true
}

// bmpCompression names the BMP compression methods (the biCompression
// field of the info header).
var bmpCompression = map[uint32]string{0: "none", 1: "RLE8", 2: "RLE4", 3: "bit fields", 4: "JPEG", 5: "PNG", 6: "alpha bit fields", 11: "CMYK", 12: "CMYK RLE8", 13: "CMYK RLE4"}

// bmpDetail adds the compression method and bits per pixel, which
// x/image's error does not name.
func bmpDetail(feature string, r io.ReaderAt) string {
	var h [34]byte // file header (14) and the start of the info header
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return feature
	}
	bpp := binary.LittleEndian.Uint16(h[28:])
	comp := binary.LittleEndian.Uint32(h[30:])
	c := fmt.Sprint(comp)
	if n, ok := bmpCompression[comp]; ok {
		c += ": " + n
	}
	return fmt.Sprintf("%s (compression %s, %d bits per pixel)", feature, c, bpp)
}

// ArrayFormat tells whether a file's name says it holds an array of images
// (or labels) rather than one image: NumPy's .npy, and the IDX files of
// MNIST, Fashion-MNIST and EMNIST, whose names end in idx3-ubyte (images)
// or idx1-ubyte (labels), as LeCun's train-images-idx3-ubyte and Kaggle's
// train-images.idx3-ubyte do, or in .idx3 or .idx1; IDX files may be
// gzipped (.gz). ArrayFormat says which: "npy", "idx" or "".
func ArrayFormat(name string) string {
	n := strings.ToLower(name)
	if strings.HasSuffix(n, ".npy") {
		return "npy"
	}
	n = strings.TrimSuffix(n, ".gz")
	for _, s := range []string{"idx3-ubyte", ".idx3", "idx1-ubyte", ".idx1"} {
		if strings.HasSuffix(n, s) {
			return "idx"
		}
	}
	return ""
}

// jpegProcess names the JPEG coding processes (the SOFn markers, ITU T.81
// table B.1) that image/jpeg does not decode: it reads baseline,
// extended sequential and progressive Huffman coding (SOF0, SOF1, SOF2)
// only, and calls any other frame marker "unknown marker".
var jpegProcess = map[byte]string{
	0xc3: "lossless coding (SOF3)",
	0xc5: "hierarchical coding (SOF5)", 0xc6: "hierarchical progressive coding (SOF6)", 0xc7: "hierarchical lossless coding (SOF7)",
	0xc9: "arithmetic coding (SOF9)", 0xca: "progressive arithmetic coding (SOF10)", 0xcb: "lossless arithmetic coding (SOF11)",
	0xcc: "arithmetic coding (a DAC marker)",
	0xcd: "hierarchical arithmetic coding (SOF13)", 0xce: "hierarchical progressive arithmetic coding (SOF14)", 0xcf: "hierarchical lossless arithmetic coding (SOF15)",
}

// jpegDetail names the coding process behind image/jpeg's "unknown
// marker": the first frame marker (or DAC) of the file that image/jpeg
// does not decode, found by walking the segments before the first scan.
func jpegDetail(feature string, r io.ReaderAt) string {
	if feature != "unknown marker" {
		return feature
	}
	var h [4]byte
	for off := int64(2); ; {
		if _, err := r.ReadAt(h[:], off); err != nil || h[0] != 0xff {
			return feature
		}
		switch m := h[1]; {
		case m == 0xff: // fill byte
			off++
			continue
		case jpegProcess[m] != "":
			return jpegProcess[m]
		case m == 0xda || m == 0xd9: // the first scan, or the end: no such marker
			return feature
		case m >= 0xd0 && m <= 0xd8 || m == 0x01: // markers without a length
			off += 2
			continue
		}
		off += 2 + int64(binary.BigEndian.Uint16(h[2:]))
	}
}
