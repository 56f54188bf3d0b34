package tiles

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"io"
)

// pngReader decodes the common PNG files (8 bits a sample, not interlaced,
// no tRNS chunk) reusing one inflater and its buffers from file to file,
// and leaves every other file to image/png. image/png allocates a new
// zlib reader for each file (a 32 KB window, its Huffman tables and a 4 KB
// bufio.Reader): in a folder of 60,000 small images that was a quarter of
// the load (BENCHMARKS.md, "Loading folders of images and arrays").
//
// The inflating, the CRC-32 and the Adler-32 are the standard library's
// (compress/zlib, hash/crc32); pngReader only walks the chunks and undoes
// the row filters (PNG, ISO/IEC 15948:2003, sections 5, 9 and 11.2). Its
// contract is image/png's: it returns an image only where image/png
// returns the same image (same type, bounds, pixels and palette) without
// an error, and reports ok = false in every other case, including every
// malformed file, so that image/png decodes it and words the error. Some
// valid files go to image/png too, decoded right but without the reuse:
// chunks before IHDR, a suggested palette (PLTE) in a true-colour file,
// IDAT chunks after another chunk.
// TestPNGReaderMatchesImagePNG and FuzzPNGReader hold it to that.
//
// A pngReader is not safe for concurrent use; each worker keeps its own.
// The zero value is ready.
type pngReader struct {
	z     io.ReadCloser // compress/zlib's reader, reset per file
	src   idatReader    // the compressed data, read by z
	rows  [2][]byte     // the filtered row being read and the one above it
	check [1]byte
}

// idatReader reads the data of a PNG file's IDAT chunks as one stream, in
// place. It is an io.ByteReader, so that compress/flate reads it as it is
// (not through a bufio.Reader of its own).
type idatReader struct {
	data []byte
	segs [][2]int // the IDAT chunks' data: offset and length in data
	seg  int      // the next chunk to read
	cur  []byte   // what is left of the chunk being read
}

func (r *idatReader) reset(data []byte) {
	r.data, r.segs, r.seg, r.cur = data, r.segs[:0], 0, nil
}

// load makes the next chunk with data the one being read; false when
// there is none.
func (r *idatReader) load() bool {
	for r.seg < len(r.segs) {
		s := r.segs[r.seg]
		r.seg++
		if r.cur = r.data[s[0] : s[0]+s[1]]; len(r.cur) > 0 {
			return true
		}
	}
	return false
}

func (r *idatReader) ReadByte() (byte, error) {
	if len(r.cur) == 0 && !r.load() {
		return 0, io.EOF
	}
	b := r.cur[0]
	r.cur = r.cur[1:]
	return b, nil
}

func (r *idatReader) Read(p []byte) (int, error) {
	if len(r.cur) == 0 && !r.load() {
		return 0, io.EOF
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// unread is the count of bytes not yet read.
func (r *idatReader) unread() int {
	n := len(r.cur)
	for _, s := range r.segs[r.seg:] {
		n += s[1]
	}
	return n
}

// PNG colour types (PNG section 11.2.2), at bit depth 8.
const (
	pngGray      = 0
	pngRGB       = 2
	pngPaletted  = 3
	pngGrayAlpha = 4
	pngRGBA      = 6
)

// decode decodes data, a whole PNG file, or reports ok = false (see
// pngReader). It asks ctx first and after every 4 KB of pixels, as the
// sheet loader's reader does, and reports ok = false when it is done.
func (p *pngReader) decode(ctx context.Context, data []byte) (img image.Image, ok bool) {
	if !bytes.HasPrefix(data, []byte(pngSignature)) || ctx.Err() != nil {
		return nil, false
	}
	defer func() { p.src.data, p.src.cur = nil, nil }() // the file's bytes are not kept
	// Walk the chunks to IEND, checking each one's CRC, in the order
	// image/png requires; keep IHDR, PLTE and the run of IDAT chunks.
	var (
		ihdr, plte []byte
		idatDone   bool // a chunk other than IDAT came after them
		ended      bool
	)
	p.src.reset(data)
	for off := len(pngSignature); !ended; {
		if len(data)-off < 12 {
			return nil, false
		}
		n := binary.BigEndian.Uint32(data[off:])
		if n > 0x7fffffff || uint64(n) > uint64(len(data)-off-12) { // PNG's limit, which image/png holds to
			return nil, false
		}
		typ := data[off+4 : off+8]
		body := data[off+8 : off+8+int(n)]
		if crc32.ChecksumIEEE(data[off+4:off+8+int(n)]) != binary.BigEndian.Uint32(data[off+8+int(n):]) {
			return nil, false
		}
		if ihdr == nil && string(typ) != "IHDR" {
			return nil, false
		}
		switch string(typ) {
		case "IHDR":
			if ihdr != nil || n != 13 {
				return nil, false
			}
			ihdr = body
		case "PLTE":
			if plte != nil || len(p.src.segs) > 0 {
				return nil, false
			}
			plte = body
		case "tRNS":
			return nil, false // transparency: image/png's other image types
		case "IDAT":
			if idatDone {
				return nil, false
			}
			p.src.segs = append(p.src.segs, [2]int{off + 8, int(n)})
		case "IEND":
			if len(p.src.segs) == 0 || n != 0 {
				return nil, false
			}
			ended = true
		default:
			// Every other chunk image/png skips (after its CRC, checked).
			if len(p.src.segs) > 0 {
				idatDone = true
			}
		}
		off += 12 + int(n)
	}
	w, h := int64(int32(binary.BigEndian.Uint32(ihdr[0:]))), int64(int32(binary.BigEndian.Uint32(ihdr[4:])))
	depth, ct := ihdr[8], ihdr[9]
	if w <= 0 || h <= 0 || w*h > 1<<40 || depth != 8 || ihdr[10] != 0 || ihdr[11] != 0 || ihdr[12] != 0 {
		return nil, false // interlaced, another depth, or what image/png refuses
	}
	var bpp int // bytes a pixel
	switch ct {
	case pngGray, pngPaletted:
		bpp = 1
	case pngGrayAlpha:
		bpp = 2
	case pngRGB:
		bpp = 3
	case pngRGBA:
		bpp = 4
	default:
		return nil, false
	}
	var palette color.Palette
	if ct == pngPaletted {
		np := len(plte) / 3
		if plte == nil || len(plte)%3 != 0 || np == 0 || np > 256 {
			return nil, false
		}
		// As image/png: room for 256 entries, those past the PLTE chunk's
		// opaque black, taken up when a pixel uses them.
		palette = make(color.Palette, 256)
		for i := range palette {
			palette[i] = color.RGBA{A: 0xff}
			if i < np {
				palette[i] = color.RGBA{plte[3*i], plte[3*i+1], plte[3*i+2], 0xff}
			}
		}
		palette = palette[:np]
	} else if plte != nil {
		return nil, false
	}

	// The compressed data, p.src: the IDAT chunks' data in order, which the
	// zlib stream must use up exactly. Deflate makes at most 258 bytes of 2 bits
	// (RFC 1951, 3.2.5): a header that says more than that is left to
	// image/png, before an image of its size is allocated.
	if h*(1+w*int64(bpp)) > 1032*int64(p.src.unread())+1032 {
		return nil, false
	}
	if p.z == nil {
		r, err := zlib.NewReader(&p.src)
		if err != nil {
			return nil, false
		}
		p.z = r
	} else if err := p.z.(zlib.Resetter).Reset(&p.src, nil); err != nil {
		return nil, false
	}

	width, height := int(w), int(h)
	stride := width * bpp
	rect := image.Rect(0, 0, width, height)
	var pix []uint8
	switch ct {
	case pngGray:
		g := image.NewGray(rect)
		img, pix = g, g.Pix
	case pngRGB:
		m := image.NewRGBA(rect)
		img, pix = m, m.Pix
	case pngPaletted:
		m := image.NewPaletted(rect, palette)
		img, pix = m, m.Pix
	default:
		m := image.NewNRGBA(rect)
		img, pix = m, m.Pix
	}
	for i := range p.rows {
		if cap(p.rows[i]) < stride+1 {
			p.rows[i] = make([]byte, stride+1)
		}
		p.rows[i] = p.rows[i][:stride+1]
	}
	clear(p.rows[1]) // the row above the first is zeros
	since := 0       // bytes read since ctx was asked
	for y := range height {
		if since += stride; since >= 4096 {
			if ctx.Err() != nil {
				return nil, false // image/png then fails at its first read
			}
			since = 0
		}
		cur, prev := p.rows[y%2], p.rows[(y+1)%2]
		if _, err := io.ReadFull(p.z, cur); err != nil {
			return nil, false
		}
		if !unfilter(cur[0], cur[1:], prev[1:], bpp) {
			return nil, false
		}
		row := cur[1:]
		switch ct {
		case pngGray, pngRGBA:
			copy(pix[y*stride:], row)
		case pngPaletted:
			copy(pix[y*width:], row)
			m := img.(*image.Paletted)
			for _, c := range row {
				if int(c) >= len(m.Palette) {
					m.Palette = m.Palette[:int(c)+1]
				}
			}
		case pngRGB:
			out := pix[y*width*4:][:width*4]
			for x := range width {
				out[4*x], out[4*x+1], out[4*x+2], out[4*x+3] = row[3*x], row[3*x+1], row[3*x+2], 0xff
			}
		case pngGrayAlpha:
			out := pix[y*width*4:][:width*4]
			for x := range width {
				g := row[2*x]
				out[4*x], out[4*x+1], out[4*x+2], out[4*x+3] = g, g, g, row[2*x+1]
			}
		}
	}
	// The stream ends here (its Adler-32 checked) and uses up the IDAT
	// data: else image/png says "too much pixel data" or worse.
	n, err := 0, error(nil)
	for i := 0; n == 0 && err == nil && i < 100; i++ {
		n, err = p.z.Read(p.check[:])
	}
	if n != 0 || err != io.EOF || p.src.unread() != 0 {
		return nil, false
	}
	return img, true
}

// unfilter undoes filter type ft (PNG section 9.2) on row cur, given the
// unfiltered row above it, prev (zeros for the first row), with bpp bytes
// a pixel; it reports false for an unknown filter type.
func unfilter(ft byte, cur, prev []byte, bpp int) bool {
	switch ft {
	case 0: // None
	case 1: // Sub
		for i := bpp; i < len(cur); i++ {
			cur[i] += cur[i-bpp]
		}
	case 2: // Up
		for i, b := range prev {
			cur[i] += b
		}
	case 3: // Average
		for i := range bpp {
			cur[i] += prev[i] / 2
		}
		for i := bpp; i < len(cur); i++ {
			cur[i] += uint8((int(cur[i-bpp]) + int(prev[i])) / 2)
		}
	case 4: // Paeth
		for i := range bpp {
			cur[i] += prev[i] // the predictor with a and c zero is b
		}
		for i := bpp; i < len(cur); i++ {
			cur[i] += paeth(cur[i-bpp], prev[i], prev[i-bpp])
		}
	default:
		return false
	}
	return true
}

// paeth is the Paeth predictor of a (left), b (above) and c (above left):
// PNG section 9.4.
func paeth(a, b, c uint8) uint8 {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
