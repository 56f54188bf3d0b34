package tiles

import (
	"bufio"
	"image"
	"image/draw"
	"io"
	"strconv"
)

// A file may hold several images: the pages of a multi-page TIFF (a
// scanner's output), the frames of an animated GIF. Each is a sheet of its
// own, named path#N with N counted from 1 (pageName), as ImageMagick lists
// them (scan.tif[0], scan.tif[1], ...; Pillow's n_frames).

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
// background like any other transparency.
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
