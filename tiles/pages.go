package tiles

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/draw"
	"io"
	"strconv"
)

// A file may hold several images: the pages of a multi-page TIFF (a
// scanner's output), the frames of an animated GIF, PNG (APNG) or WebP.
// Each is a sheet of its own, named path#N with N counted from 1
// (pageName), as ImageMagick lists them (scan.tif[0], scan.tif[1], ...;
// Pillow's n_frames). This file finds the pages without decoding them (for
// the headers, which fix the tile matrix's size), and composites the frames
// of animations (animation).

// pageName names page p (counted from 1) of the file at path: "scan.tif#2";
// path alone for p == 0, a file that holds one image.
func pageName(path string, p int) string {
	if p == 0 {
		return path
	}
	return path + "#" + strconv.Itoa(p)
}

// maxPages bounds the pages read from one file.
const maxPages = 1 << 16

// tiffPages returns the offsets of the IFDs of the TIFF structure in r that
// are pages: the chain from the header, as ImageMagick lists a file's
// images, leaving out reduced-resolution images (NewSubfileType bit 0, or
// the old SubfileType 2: thumbnails and pyramid levels, copies of a page at
// a smaller scale). A chain that cannot be walked ends where it breaks (the
// decoder reports a broken first page itself), as does one that loops.
func tiffPages(r io.ReaderAt, size int64) []int64 {
	sr := io.NewSectionReader(r, 0, size)
	bo, off, err := readTIFFHeader(sr)
	if err != nil {
		return nil
	}
	var pages []int64
	seen := map[int64]bool{}
	for off != 0 && !seen[off] && len(seen) < maxPages {
		seen[off] = true
		ifd, next, err := readIFD(sr, bo, off)
		if err != nil {
			break
		}
		sub, _ := ifd.short(tagNewSubfileType)
		old, _ := ifd.short(tagSubfileType)
		if sub&1 == 0 && old != 2 {
			pages = append(pages, off)
		}
		off = next
	}
	return pages
}

// tiffPage reads a TIFF file as if the IFD at ifd were its first: the
// header's IFD offset (bytes 4..7) is replaced, so that the decoder
// (golang.org/x/image/tiff reads IFD0 only), the EXIF orientation and the
// layout checks all read that page.
type tiffPage struct {
	r    io.ReaderAt
	head [8]byte
}

func newTIFFPage(r io.ReaderAt, ifd int64) (*tiffPage, error) {
	bo, _, err := readTIFFHeader(r)
	if err != nil {
		return nil, err
	}
	p := &tiffPage{r: r}
	if _, err := r.ReadAt(p.head[:], 0); err != nil {
		return nil, err
	}
	bo.PutUint32(p.head[4:], uint32(ifd))
	return p, nil
}

func (p *tiffPage) ReadAt(b []byte, off int64) (int, error) {
	n, err := p.r.ReadAt(b, off)
	for i := off; i >= 0 && i < int64(len(p.head)) && i < off+int64(n); i++ {
		b[i-off] = p.head[i]
	}
	return n, err
}

// gifFrames counts the images of the GIF in r by walking its blocks
// (header, colour tables, extensions, image descriptors and their data
// sub-blocks) without decoding them: GIF89a, section 15 on. A file cut
// short ends the count there; the decoder reports it.
func gifFrames(r io.Reader) int {
	br := bufio.NewReader(r)
	var hdr [13]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return 0
	}
	skip := func(n int) bool { _, err := br.Discard(n); return err == nil }
	table := func(flags byte) int { // bytes of a colour table the flags announce
		if flags&0x80 == 0 {
			return 0
		}
		return 3 << (flags&7 + 1)
	}
	subBlocks := func() bool {
		for {
			n, err := br.ReadByte()
			if err != nil {
				return false
			}
			if n == 0 {
				return true
			}
			if !skip(int(n)) {
				return false
			}
		}
	}
	if !skip(table(hdr[10])) {
		return 0
	}
	frames := 0
	for frames < maxPages {
		b, err := br.ReadByte()
		if err != nil {
			return frames
		}
		switch b {
		case 0x21: // extension: label, sub-blocks
			if !skip(1) || !subBlocks() {
				return frames
			}
		case 0x2c: // image descriptor: position, size, flags; colour table; LZW code size; data
			var d [9]byte
			if _, err := io.ReadFull(br, d[:]); err != nil || !skip(table(d[8])+1) || !subBlocks() {
				return frames
			}
			frames++
		default: // 0x3b, the trailer, or bytes that are not GIF
			return frames
		}
	}
	return frames
}

// disposal is what becomes of a frame's area once it has been shown (GIF's
// disposal method, APNG's dispose_op).
type disposal uint8

const (
	disposeNone       disposal = iota // leave it: the next frame is drawn over it
	disposeBackground                 // clear it to transparent
	disposePrevious                   // restore what was under it
)

// animation composites the frames of an animated image as a viewer shows
// them: on a canvas the size of the logical screen, transparent at first
// (as browsers and ImageMagick's -coalesce start it; the GIF background
// colour index is not painted, as browsers do not paint it), each frame
// drawn at its place, shown, then disposed of as it says. Pixels that no
// frame covered stay transparent, so they are composited over the
// background like any other transparency. The canvas holds 8 bits a
// channel, premultiplied (image.RGBA: 4 bytes a pixel), which every GIF
// and WebP frame fits exactly; a 16-bit APNG's frames are rounded to it.
type animation struct {
	canvas *image.RGBA
	saved  *image.RGBA // what a disposePrevious frame covered
}

func newAnimation(screen image.Rectangle) *animation {
	return &animation{canvas: image.NewRGBA(screen)}
}

// frame draws src's pixels at sp onto r of the canvas with op (draw.Over:
// transparent pixels keep what is under them, as GIF and APNG's
// APNG_BLEND_OP_OVER; draw.Src: the frame replaces the area, as
// APNG_BLEND_OP_SOURCE), hands the canvas to show (which must not keep it),
// then disposes of r as d says.
func (a *animation) frame(src image.Image, r image.Rectangle, sp image.Point, op draw.Op, d disposal, show func(image.Image) error) error {
	r = r.Intersect(a.canvas.Rect)
	if d == disposePrevious {
		if a.saved == nil {
			a.saved = image.NewRGBA(a.canvas.Rect)
		}
		draw.Draw(a.saved, r, a.canvas, r.Min, draw.Src)
	}
	draw.Draw(a.canvas, r, src, sp, op)
	if err := show(a.canvas); err != nil {
		return err
	}
	switch d {
	case disposeBackground:
		draw.Draw(a.canvas, r, image.Transparent, image.Point{}, draw.Src)
	case disposePrevious:
		draw.Draw(a.canvas, r, a.saved, r.Min, draw.Src)
	}
	return nil
}

// chunk is one chunk of a PNG or RIFF (WebP) file: its type, and where
// its data lies.
type chunk struct {
	typ    string
	off, n int64
}

// bytes returns the chunk's data in the file data.
func (c chunk) bytes(data []byte) []byte { return data[c.off : c.off+c.n] }

// pngChunks lists the chunks of the PNG file in r (up to IEND) from their
// headers, without reading their data or checking CRCs (the decoder checks
// those of the chunks it reads). With toIDAT it stops at the first IDAT
// chunk when no acTL chunk came before it: the file is not animated, and a
// large image's data chunks need not be walked. ok is false when a chunk
// runs past the end of the file or the file ends before IEND.
func pngChunks(r io.ReaderAt, size int64, toIDAT bool) (chunks []chunk, ok bool) {
	var h [8]byte
	animated := false
	for off := int64(8); off+12 <= size && len(chunks) < 4*maxPages; {
		if _, err := r.ReadAt(h[:], off); err != nil {
			return chunks, false
		}
		c := chunk{typ: string(h[4:]), off: off + 8, n: int64(binary.BigEndian.Uint32(h[:]))}
		if c.n > size-off-12 {
			return chunks, false
		}
		chunks = append(chunks, c)
		switch {
		case c.typ == "IEND":
			return chunks, true
		case c.typ == "acTL":
			animated = true
		case c.typ == "IDAT" && toIDAT && !animated:
			return chunks, true
		}
		off += 12 + c.n
	}
	return chunks, false
}

// apngFrameCount returns the number of frames of an animated PNG (APNG,
// https://wiki.mozilla.org/APNG_Specification: an acTL chunk before the
// image data, then one fcTL chunk per frame), 0 for a PNG that is not
// animated.
func apngFrameCount(chunks []chunk) int {
	animated, n := false, 0
	for _, c := range chunks {
		switch c.typ {
		case "acTL":
			animated = true
		case "fcTL":
			n++
		}
	}
	if !animated {
		return 0
	}
	return n
}

// apngFrame is a frame of an animated PNG: where its fcTL chunk puts it,
// and its image data (the IDAT chunks for a default image that is the
// first frame, else the fdAT chunks without their sequence numbers).
type apngFrame struct {
	rect    image.Rectangle // on the canvas
	dispose disposal
	blend   draw.Op
	data    [][]byte
}

// apngFrames returns the frames of the animated PNG data (chunks: its
// chunks), in order, with the chunks before the first IDAT that every
// frame's image shares (PLTE, tRNS...). The default image is a frame only
// when an fcTL chunk precedes its IDAT; otherwise it is the picture for
// viewers that know no APNG, and browsers (and this package) show the
// animation's frames instead. An error describes chunks that contradict
// the specification.
func apngFrames(chunks []chunk, data []byte) (frames []apngFrame, shared []chunk, err error) {
	seenIDAT := false
	for _, c := range chunks {
		d := c.bytes(data)
		switch c.typ {
		case "acTL", "IHDR", "IEND":
		case "fcTL":
			if len(d) != 26 {
				return nil, nil, fmt.Errorf("fcTL chunk of %d bytes, want 26", len(d))
			}
			w, h := binary.BigEndian.Uint32(d[4:]), binary.BigEndian.Uint32(d[8:])
			x, y := binary.BigEndian.Uint32(d[12:]), binary.BigEndian.Uint32(d[16:])
			if w == 0 || h == 0 || max(w, h, x, y) > 1<<24 {
				return nil, nil, fmt.Errorf("frame %d is %dx%d at (%d, %d)", len(frames)+1, w, h, x, y)
			}
			f := apngFrame{rect: image.Rect(int(x), int(y), int(x+w), int(y+h)), blend: draw.Src}
			switch d[24] {
			case 1:
				f.dispose = disposeBackground
			case 2:
				f.dispose = disposePrevious
			}
			if d[25] == 1 {
				f.blend = draw.Over
			}
			if len(frames) == 0 && f.dispose == disposePrevious {
				f.dispose = disposeBackground // as the specification has it for the first frame
			}
			frames = append(frames, f)
		case "IDAT":
			seenIDAT = true
			if len(frames) == 1 { // an fcTL came first: the default image is the first frame
				frames[0].data = append(frames[0].data, d)
			}
		case "fdAT":
			if len(frames) == 0 || len(d) < 4 || !seenIDAT {
				return nil, nil, errors.New("fdAT chunk before an fcTL chunk and the default image")
			}
			frames[len(frames)-1].data = append(frames[len(frames)-1].data, d[4:])
		default:
			if !seenIDAT {
				shared = append(shared, c)
			}
		}
	}
	for i, f := range frames {
		if len(f.data) == 0 {
			return nil, nil, fmt.Errorf("frame %d has no image data", i+1)
		}
	}
	return frames, shared, nil
}

// apngFramePNG builds a PNG file of one APNG frame alone, which image/png
// decodes: IHDR with the frame's size, the shared chunks, the frame's data
// as IDAT, IEND.
func apngFramePNG(ihdr []byte, shared []chunk, data []byte, f apngFrame) []byte {
	var b bytes.Buffer
	b.WriteString(pngSignature)
	put := func(typ string, d []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(d)))
		b.Write(n[:])
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(d)
		b.WriteString(typ)
		b.Write(d)
		binary.BigEndian.PutUint32(n[:], crc.Sum32())
		b.Write(n[:])
	}
	hdr := bytes.Clone(ihdr)
	binary.BigEndian.PutUint32(hdr[0:], uint32(f.rect.Dx()))
	binary.BigEndian.PutUint32(hdr[4:], uint32(f.rect.Dy()))
	put("IHDR", hdr)
	for _, c := range shared {
		put(c.typ, c.bytes(data))
	}
	for _, d := range f.data {
		put("IDAT", d)
	}
	put("IEND", nil)
	return b.Bytes()
}

const pngSignature = "\x89PNG\r\n\x1a\n"

// riffChunks lists the chunks of RIFF data in r between start and end:
// four-character type, 32-bit little-endian size, data padded to an even
// length. ok is false when a chunk runs past end.
func riffChunks(r io.ReaderAt, start, end int64) (chunks []chunk, ok bool) {
	var h [8]byte
	for off := start; off < end; {
		if off+8 > end || len(chunks) >= 4*maxPages {
			return chunks, false
		}
		if _, err := r.ReadAt(h[:], off); err != nil {
			return chunks, false
		}
		c := chunk{typ: string(h[:4]), off: off + 8, n: int64(binary.LittleEndian.Uint32(h[4:]))}
		if c.n > end-off-8 {
			return chunks, false
		}
		chunks = append(chunks, c)
		off += 8 + c.n + c.n&1
	}
	return chunks, true
}

// webpFrameCount returns the number of frames (ANMF chunks) of an animated
// WebP file (https://developers.google.com/speed/webp/docs/riff_container:
// the VP8X chunk's animation flag), 0 for one that is not animated.
func webpFrameCount(r io.ReaderAt, size int64) int {
	chunks, _ := riffChunks(r, 12, size)
	if len(chunks) == 0 || chunks[0].typ != "VP8X" || chunks[0].n < 10 {
		return 0
	}
	var flags [1]byte
	if _, err := r.ReadAt(flags[:], chunks[0].off); err != nil || flags[0]&2 == 0 {
		return 0
	}
	n := 0
	for _, c := range chunks {
		if c.typ == "ANMF" {
			n++
		}
	}
	return n
}

// webpFrame is one frame (ANMF chunk) of an animated WebP: where it lies
// on the canvas, how it is blended and disposed of, and its image as a
// WebP file of its own, which golang.org/x/image/webp decodes (that
// package decodes no animation).
type webpFrame struct {
	rect    image.Rectangle
	dispose disposal
	blend   draw.Op
	file    []byte
}

// webpFrames returns the frames of the animated WebP data, in order.
func webpFrames(data []byte) ([]webpFrame, error) {
	r := bytes.NewReader(data)
	chunks, ok := riffChunks(r, 12, int64(len(data)))
	if !ok {
		return nil, errors.New("a RIFF chunk runs past the end of the file")
	}
	le24 := func(b []byte) int { return int(b[0]) | int(b[1])<<8 | int(b[2])<<16 }
	var frames []webpFrame
	for _, c := range chunks {
		if c.typ != "ANMF" {
			continue
		}
		d := c.bytes(data)
		if len(d) < 16 {
			return nil, fmt.Errorf("ANMF chunk of %d bytes", len(d))
		}
		x, y := 2*le24(d[0:]), 2*le24(d[3:])
		w, h := le24(d[6:])+1, le24(d[9:])+1
		f := webpFrame{rect: image.Rect(x, y, x+w, y+h), blend: draw.Over}
		if d[15]&1 != 0 {
			f.dispose = disposeBackground
		}
		if d[15]&2 != 0 {
			f.blend = draw.Src
		}
		// The frame's own chunks: ALPH (alpha of a lossy frame) and VP8,
		// or VP8L. With ALPH, the file needs a VP8X chunk that says so.
		sub, ok := riffChunks(bytes.NewReader(d), 16, int64(len(d)))
		if !ok {
			return nil, fmt.Errorf("frame %d: a chunk runs past the end of its ANMF chunk", len(frames)+1)
		}
		var body bytes.Buffer
		for _, s := range sub {
			if s.typ == "ALPH" {
				vp8x := [18]byte{'V', 'P', '8', 'X', 10, 0, 0, 0, 0x10}
				w1, h1 := w-1, h-1
				vp8x[12], vp8x[13], vp8x[14] = byte(w1), byte(w1>>8), byte(w1>>16)
				vp8x[15], vp8x[16], vp8x[17] = byte(h1), byte(h1>>8), byte(h1>>16)
				body.Write(vp8x[:])
				break
			}
		}
		body.Write(d[16:])
		var file bytes.Buffer
		file.WriteString("RIFF")
		binary.Write(&file, binary.LittleEndian, uint32(4+body.Len()))
		file.WriteString("WEBP")
		file.Write(body.Bytes())
		f.file = file.Bytes()
		frames = append(frames, f)
	}
	return frames, nil
}
