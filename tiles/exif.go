package tiles

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
)

// orientation is the value of the EXIF/TIFF Orientation tag (274): how the
// stored pixels must be turned to show the image upright (TIFF 6.0, p. 36;
// EXIF 2.32, 4.6.4 A). 0 means the file has no such tag.
type orientation uint8

// The eight orientations, named for what a viewer does to the stored image.
const (
	orientNormal     orientation = 1 // as stored
	orientFlipH      orientation = 2 // mirrored left-right
	orientRotate180  orientation = 3
	orientFlipV      orientation = 4 // mirrored top-bottom
	orientTranspose  orientation = 5 // mirrored along the top-left to bottom-right diagonal
	orientRotate90   orientation = 6 // rotated 90° clockwise
	orientTransverse orientation = 7 // mirrored along the top-right to bottom-left diagonal
	orientRotate270  orientation = 8 // rotated 90° counter-clockwise
)

var orientNames = [...]string{"", "normal", "mirrored left-right", "rotated 180°", "mirrored top-bottom",
	"transposed", "rotated 90° clockwise", "transversed", "rotated 90° counter-clockwise"}

// String says what a viewer does: "rotated 90° clockwise"; "none" for 0.
func (o orientation) String() string {
	if o == 0 {
		return "none"
	}
	if int(o) < len(orientNames) {
		return orientNames[o]
	}
	return fmt.Sprintf("Orientation(%d)", uint8(o))
}

// swaps reports whether the orientation exchanges width and height.
func (o orientation) swaps() bool { return o >= orientTranspose && o <= orientRotate270 }

// orient returns img as a viewer shows it under orientation o, with origin
// (0, 0): img itself for 0 and 1, otherwise a view that maps each pixel to
// the stored one (no copy). Values outside 0..8 are treated as 1.
func orient(img image.Image, o orientation) image.Image {
	if o <= orientNormal || o > orientRotate270 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if o.swaps() {
		w, h = h, w
	}
	return &oriented{src: img, o: o, rect: image.Rect(0, 0, w, h)}
}

// oriented is an image seen through an EXIF orientation.
type oriented struct {
	src  image.Image
	o    orientation
	rect image.Rectangle
}

func (v *oriented) ColorModel() color.Model { return v.src.ColorModel() }
func (v *oriented) Bounds() image.Rectangle { return v.rect }
func (v *oriented) At(x, y int) color.Color {
	sx, sy := v.stored(x, y)
	return v.src.At(sx, sy)
}

// stored maps a displayed pixel to the stored one. W and H are the stored
// width and height.
func (v *oriented) stored(x, y int) (sx, sy int) {
	b := v.src.Bounds()
	W, H := b.Dx(), b.Dy()
	switch v.o {
	case orientFlipH:
		sx, sy = W-1-x, y
	case orientRotate180:
		sx, sy = W-1-x, H-1-y
	case orientFlipV:
		sx, sy = x, H-1-y
	case orientTranspose:
		sx, sy = y, x
	case orientRotate90:
		sx, sy = y, H-1-x
	case orientTransverse:
		sx, sy = W-1-y, H-1-x
	case orientRotate270:
		sx, sy = W-1-y, x
	default:
		sx, sy = x, y
	}
	return b.Min.X + sx, b.Min.Y + sy
}

// This file reads the Orientation tag and nothing else of EXIF: a deliberate,
// documented choice (see doc.go) rather than a dependency, because the Go
// EXIF libraries on offer are either unmaintained or pull in logging, YAML
// and geometry packages to read one 16-bit number. It knows two containers:
// JPEG (an APP1 segment "Exif\0\0" followed by a TIFF structure) and TIFF
// (the file is the structure). PNG's eXIf chunk is left alone, as
// ImageMagick 6 and most viewers leave it. In the TIFF structure only IFD0 is read. Every offset
// and count is bounds-checked against the file, and malformed metadata
// counts as no orientation: a viewer would show such a file as stored.

// errNoExif is internal: the container has no orientation to report.
var errNoExif = errors.New("no EXIF orientation")

// readOrientation returns the orientation that the file in r (size bytes,
// format as image.DecodeConfig names it) declares, or 0.
func readOrientation(r io.ReaderAt, size int64, format string) orientation {
	var ifd *tiffIFD
	var err error
	switch format {
	case "jpeg":
		ifd, err = jpegExif(r, size)
	case "tiff":
		ifd, err = readIFD0(io.NewSectionReader(r, 0, size))
	default:
		return 0
	}
	if err != nil {
		return 0
	}
	v, ok := ifd.short(tagOrientation)
	if !ok || v < 1 || v > 8 {
		return 0
	}
	return orientation(v)
}

// jpegExif walks the JPEG segments before the image data for an Exif APP1.
func jpegExif(r io.ReaderAt, size int64) (*tiffIFD, error) {
	var hdr [4]byte
	if _, err := r.ReadAt(hdr[:2], 0); err != nil || hdr[0] != 0xFF || hdr[1] != 0xD8 {
		return nil, errNoExif
	}
	off := int64(2)
	for off+4 <= size {
		if _, err := r.ReadAt(hdr[:], off); err != nil {
			return nil, errNoExif
		}
		if hdr[0] != 0xFF {
			return nil, errNoExif
		}
		marker := hdr[1]
		switch {
		case marker == 0xFF: // fill byte
			off++
			continue
		case marker == 0xD8 || marker >= 0xD0 && marker <= 0xD7 || marker == 0x01:
			off += 2 // markers without a length
			continue
		case marker == 0xDA || marker == 0xD9: // start of scan, end of image
			return nil, errNoExif
		}
		n := int64(binary.BigEndian.Uint16(hdr[2:]))
		if n < 2 || off+2+n > size {
			return nil, errNoExif
		}
		if marker == 0xE1 && n >= 2+6+8 {
			var id [6]byte
			if _, err := r.ReadAt(id[:], off+4); err == nil && string(id[:]) == "Exif\x00\x00" {
				return readIFD0(io.NewSectionReader(r, off+4+6, n-2-6))
			}
		}
		off += 2 + n
	}
	return nil, errNoExif
}

// TIFF tags this package reads.
const (
	tagNewSubfileType  = 254
	tagSubfileType     = 255
	tagImageWidth      = 256
	tagImageLength     = 257
	tagBitsPerSample   = 258
	tagOrientation     = 274
	tagSamplesPerPixel = 277
	tagPlanarConfig    = 284
	tagTileWidth       = 322
	tagTileLength      = 323
)

// tiffIFD holds the SHORT and LONG values (first value of each) of one IFD.
type tiffIFD struct {
	vals map[uint16]uint32
}

func (d *tiffIFD) short(tag uint16) (uint32, bool) {
	v, ok := d.vals[tag]
	return v, ok
}

// maxIFDEntries bounds the entries read from one IFD.
const maxIFDEntries = 1024

// readIFD0 reads the first IFD of the TIFF structure in r: byte order "II"
// or "MM", 42, the offset of IFD0, then its entries.
func readIFD0(r *io.SectionReader) (*tiffIFD, error) {
	bo, off, err := readTIFFHeader(r)
	if err != nil {
		return nil, err
	}
	ifd, _, err := readIFD(r, bo, off)
	return ifd, err
}

// readTIFFHeader reads the 8-byte header of the TIFF structure in r: its
// byte order and the offset of IFD0.
func readTIFFHeader(r io.ReaderAt) (binary.ByteOrder, int64, error) {
	var hdr [8]byte
	if _, err := r.ReadAt(hdr[:], 0); err != nil {
		return nil, 0, errNoExif
	}
	var bo binary.ByteOrder
	switch string(hdr[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return nil, 0, errNoExif
	}
	if bo.Uint16(hdr[2:]) != 42 {
		return nil, 0, errNoExif
	}
	return bo, int64(bo.Uint32(hdr[4:])), nil
}

// readIFD reads the IFD at off and returns it with the offset of the next
// IFD (0 for none). Only the first value of SHORT (3) and LONG (4) entries
// is kept, which covers the tags above.
func readIFD(r *io.SectionReader, bo binary.ByteOrder, off int64) (*tiffIFD, int64, error) {
	var cnt [2]byte
	if _, err := r.ReadAt(cnt[:], off); err != nil {
		return nil, 0, errNoExif
	}
	n := int(bo.Uint16(cnt[:]))
	if n > maxIFDEntries || off+2+int64(n)*12 > r.Size() {
		return nil, 0, errNoExif
	}
	buf := make([]byte, n*12+4) // the entries, then the next IFD's offset (0 if cut off)
	if _, err := r.ReadAt(buf[:n*12], off+2); err != nil {
		return nil, 0, errNoExif
	}
	if _, err := r.ReadAt(buf[n*12:], off+2+int64(n)*12); err != nil {
		clear(buf[n*12:])
	}
	d := &tiffIFD{vals: make(map[uint16]uint32, n)}
	for e := range n {
		p := buf[e*12 : (e+1)*12]
		tag, typ, count := bo.Uint16(p), bo.Uint16(p[2:]), bo.Uint32(p[4:])
		if count == 0 {
			continue
		}
		switch typ {
		case 3: // SHORT: the first value sits in the entry's value field
			d.vals[tag] = uint32(bo.Uint16(p[8:]))
			if count > 2 { // values stored elsewhere: read the first one
				var v [2]byte
				if _, err := r.ReadAt(v[:], int64(bo.Uint32(p[8:]))); err != nil {
					return nil, 0, errNoExif
				}
				d.vals[tag] = uint32(bo.Uint16(v[:]))
			}
		case 4: // LONG
			d.vals[tag] = bo.Uint32(p[8:])
			if count > 1 {
				var v [4]byte
				if _, err := r.ReadAt(v[:], int64(bo.Uint32(p[8:]))); err != nil {
					return nil, 0, errNoExif
				}
				d.vals[tag] = bo.Uint32(v[:])
			}
		}
	}
	return d, int64(bo.Uint32(buf[n*12:])), nil
}
