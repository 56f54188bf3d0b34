package tiles

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// checkPNGReader holds pngReader to its contract on data: where it returns
// an image, image/png returns the same one without an error. It reports
// whether pngReader decoded it.
func checkPNGReader(t *testing.T, p *pngReader, name string, data []byte) bool {
	t.Helper()
	got, ok := p.decode(context.Background(), data)
	if !ok {
		return false
	}
	// (Only here: a header damaged to a huge size makes image/png
	// allocate it whole, where pngReader declines first.)
	want, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: pngReader decoded what image/png refuses (%v)", name, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: pngReader gave a %T, image/png a %T, or other pixels", name, got, want)
	}
	return true
}

// pngChunk appends one chunk, with its CRC, to b.
func pngChunk(b []byte, typ string, body []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(body)))
	start := len(b)
	b = append(b, typ...)
	b = append(b, body...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
}

// rawPNG writes a PNG of the given colour type at bit depth 8 whose rows
// use random filter types (image/png's encoder picks one per image kind),
// its data split into idats IDAT chunks, with a tEXt chunk before them and
// a palette of np entries for colour type 3.
func rawPNG(rng *rand.Rand, w, h int, ct byte, np, idats int) []byte {
	bpp := map[byte]int{pngGray: 1, pngRGB: 3, pngPaletted: 1, pngGrayAlpha: 2, pngRGBA: 4}[ct]
	var raw []byte
	for range h {
		ft := byte(rng.IntN(5))
		raw = append(raw, ft)
		for range w * bpp {
			v := byte(rng.IntN(256))
			if ct == pngPaletted {
				v = byte(rng.IntN(np + 2)) // some past the palette, as real files have
			}
			raw = append(raw, v)
		}
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(raw)
	zw.Close()
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	ihdr = append(ihdr, 8, ct, 0, 0, 0)
	b := pngChunk([]byte(pngSignature), "IHDR", ihdr)
	b = pngChunk(b, "tEXt", []byte("Comment\x00x"))
	if ct == pngPaletted {
		pal := make([]byte, 3*np)
		for i := range pal {
			pal[i] = byte(rng.IntN(256))
		}
		b = pngChunk(b, "PLTE", pal)
	}
	data := z.Bytes()
	for i := range idats {
		b = pngChunk(b, "IDAT", data[i*len(data)/idats:(i+1)*len(data)/idats])
	}
	return pngChunk(b, "IEND", nil)
}

// TestPNGReaderMatchesImagePNG: pngReader decodes the PNG files it takes
// on (every colour type at 8 bits, every row filter, several IDAT chunks,
// palettes with pixels past their end, the format tests' files) to
// image/png's image exactly, and leaves the others to image/png; then the
// same on thousands of damaged copies of them, their CRCs made right again
// so that the damage reaches the zlib stream and the filters.
func TestPNGReaderMatchesImagePNG(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var p pngReader // one reader for all, as a worker has
	type file struct {
		name string
		data []byte
		mine bool // pngReader must decode it
	}
	var files []file
	for _, ct := range []byte{pngGray, pngRGB, pngPaletted, pngGrayAlpha, pngRGBA} {
		for _, size := range [][2]int{{1, 1}, {7, 3}, {28, 28}, {61, 17}} {
			for _, idats := range []int{1, 3} {
				name := fmt.Sprintf("type %d, %dx%d, %d IDAT", ct, size[0], size[1], idats)
				files = append(files, file{name, rawPNG(rng, size[0], size[1], ct, 1+rng.IntN(256), idats), true})
			}
		}
	}
	encoded := map[string]image.Image{
		"image/png gray":     image.NewGray(image.Rect(0, 0, 33, 9)),
		"image/png rgba":     image.NewRGBA(image.Rect(0, 0, 33, 9)),
		"image/png nrgba":    image.NewNRGBA(image.Rect(0, 0, 33, 9)),
		"image/png paletted": image.NewPaletted(image.Rect(0, 0, 33, 9), palette40()),
	}
	for _, name := range slices.Sorted(maps.Keys(encoded)) {
		img := encoded[name]
		pix := reflect.ValueOf(img).Elem().FieldByName("Pix").Bytes()
		for i := range pix {
			pix[i] = byte(rng.IntN(256))
			if _, ok := img.(*image.Paletted); ok {
				pix[i] %= 40
			}
		}
		if n, ok := img.(*image.RGBA); ok {
			for i := 3; i < len(n.Pix); i += 4 {
				n.Pix[i] = 0xff // opaque: written as colour type 2
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		files = append(files, file{name, buf.Bytes(), true})
	}
	formats, _ := filepath.Glob(filepath.Join("testdata", "formats", "*.png"))
	for _, f := range formats {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		base := filepath.Base(f)
		// 8 bits, no tRNS (the APNG files' default image is their IDAT's)
		mine := map[string]bool{"png_gray8.png": true, "png_rgb8.png": true, "png_rgba8.png": true, "png_gray8_alpha.png": true,
			"apng_frames.png": true, "apng_hidden_default.png": true}[base]
		files = append(files, file{base, data, mine})
	}
	// Files image/png refuses or that pngReader leaves to it, made from
	// a valid gray one (tEXt, PLTE of 3 entries, 2 IDAT chunks, IEND).
	gray := rawPNG(rng, 9, 5, pngGray, 1, 2)
	pal := rawPNG(rng, 9, 5, pngPaletted, 3, 2)
	edit := func(data []byte, f func(cs []pngChunkData) []pngChunkData) []byte {
		return joinPNG(f(splitPNG(data)))
	}
	badCRC := func(data []byte, typ string) []byte {
		data = bytes.Clone(data)
		cs := splitPNG(data)
		i := slices.IndexFunc(cs, func(c pngChunkData) bool { return c.typ == typ })
		data[cs[i].crc] ^= 1
		return data
	}
	plte := pngChunkData{typ: "PLTE", body: []byte{1, 2, 3, 4, 5, 6}}
	refused := map[string][]byte{
		"bad CRC in tEXt":  badCRC(gray, "tEXt"),
		"bad CRC in IHDR":  badCRC(gray, "IHDR"),
		"bad CRC in IDAT":  badCRC(gray, "IDAT"),
		"bad CRC in IEND":  badCRC(gray, "IEND"),
		"PLTE in gray":     edit(gray, func(cs []pngChunkData) []pngChunkData { return slices.Insert(cs, 2, plte) }),
		"two PLTE":         edit(pal, func(cs []pngChunkData) []pngChunkData { return slices.Insert(cs, 2, plte) }),
		"PLTE after IDAT":  edit(pal, func(cs []pngChunkData) []pngChunkData { return slices.Insert(cs, 4, cs[2]) }),
		"no PLTE":          edit(pal, func(cs []pngChunkData) []pngChunkData { return slices.Delete(cs, 2, 3) }),
		"tEXt before IHDR": edit(gray, func(cs []pngChunkData) []pngChunkData { cs[0], cs[1] = cs[1], cs[0]; return cs }),
		"IDAT after tEXt":  edit(gray, func(cs []pngChunkData) []pngChunkData { return slices.Insert(cs, 3, cs[1]) }),
		"no IEND":          edit(gray, func(cs []pngChunkData) []pngChunkData { return cs[:len(cs)-1] }),
		"IEND before IDAT": edit(gray, func(cs []pngChunkData) []pngChunkData { return slices.Insert(cs, 2, cs[len(cs)-1]) }),
		"tRNS": edit(gray, func(cs []pngChunkData) []pngChunkData {
			return slices.Insert(cs, 2, pngChunkData{typ: "tRNS", body: []byte{0, 7}})
		}),
		"interlaced": edit(gray, func(cs []pngChunkData) []pngChunkData {
			cs[0].body = bytes.Clone(cs[0].body)
			cs[0].body[12] = 1
			return cs
		}),
		"IDAT split after the stream": edit(gray, func(cs []pngChunkData) []pngChunkData {
			return slices.Insert(cs, 4, pngChunkData{typ: "IDAT", body: []byte{1, 2, 3}})
		}),
	}
	// In one order, so that the damaged copies below are the same files
	// on every run.
	for _, name := range slices.Sorted(maps.Keys(refused)) {
		files = append(files, file{name, refused[name], false})
	}
	files = append(files, file{"gray, the edits' base", gray, true}, file{"paletted, the edits' base", pal, true})
	for _, f := range files {
		if got := checkPNGReader(t, &p, f.name, f.data); got != f.mine {
			t.Errorf("%s: pngReader decoded it: %v, want %v", f.name, got, f.mine)
		}
	}
	// A done context: pngReader declines, and image/png, reading through
	// the loader's ctxReader, fails with the context's error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok := p.decode(ctx, gray); ok {
		t.Error("decoded with its context done")
	}
	// Damaged copies: a byte changed, a run cut out, or the file cut short.
	decoded := 0
	for i := range 6000 {
		f := files[rng.IntN(len(files))]
		data := bytes.Clone(f.data)
		switch i % 3 {
		case 0:
			data[rng.IntN(len(data))] ^= byte(1 + rng.IntN(255))
		case 1:
			at := rng.IntN(len(data))
			data = append(data[:at], data[min(len(data), at+1+rng.IntN(8)):]...)
		case 2:
			data = data[:rng.IntN(len(data))]
		}
		fixCRCs(data)
		if checkPNGReader(t, &p, fmt.Sprintf("%s, damaged (%d)", f.name, i), data) {
			decoded++
		}
	}
	// Many damaged copies still decode (a changed pixel, a changed filter
	// type that is still valid, an ancillary chunk): the damage must reach
	// pngReader's checks, not only its CRC test.
	t.Logf("%d of 6000 damaged copies decoded, each as image/png decodes it", decoded)
	if decoded < 100 {
		t.Errorf("only %d of 6000 damaged copies decoded: the test no longer reaches the decoding", decoded)
	}
}

// palette40 is a palette of 40 colours (more than 16: image/png writes
// them at 8 bits).
func palette40() []color.Color {
	p := make([]color.Color, 40)
	for i := range p {
		p[i] = color.RGBA{uint8(6 * i), uint8(255 - 6*i), uint8(i), 0xff}
	}
	return p
}

// pngChunkData is a chunk's type and data, and the offset of its CRC in
// the file it was read from.
type pngChunkData struct {
	typ  string
	body []byte
	crc  int
}

// splitPNG lists the whole chunks of a PNG file after its signature, up to
// the first that runs past its end (where damage left one).
func splitPNG(data []byte) []pngChunkData {
	var cs []pngChunkData
	for off := len(pngSignature); off+12 <= len(data); {
		n := int(binary.BigEndian.Uint32(data[off:]))
		if n < 0 || n > len(data)-off-12 {
			break
		}
		cs = append(cs, pngChunkData{string(data[off+4 : off+8]), data[off+8 : off+8+n], off + 8 + n})
		off += 12 + n
	}
	return cs
}

// joinPNG writes the chunks as a PNG file, each with its CRC.
func joinPNG(cs []pngChunkData) []byte {
	b := []byte(pngSignature)
	for _, c := range cs {
		b = pngChunk(b, c.typ, c.body)
	}
	return b
}

// fixCRCs rewrites, in place, the CRC of every whole chunk of the PNG file
// data (see splitPNG).
func fixCRCs(data []byte) {
	for _, c := range splitPNG(data) {
		binary.BigEndian.PutUint32(data[c.crc:], crc32.ChecksumIEEE(data[c.crc-len(c.body)-4:c.crc]))
	}
}

// FuzzPNGReader holds pngReader to its contract on any bytes; the seeds are
// PNG files of every colour type it decodes.
func FuzzPNGReader(f *testing.F) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, ct := range []byte{pngGray, pngRGB, pngPaletted, pngGrayAlpha, pngRGBA} {
		f.Add(rawPNG(rng, 5, 4, ct, 3, 2))
	}
	var p pngReader
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		checkPNGReader(t, &p, "fuzz input", data)
		fixCRCs(data)
		checkPNGReader(t, &p, "fuzz input, CRCs made right", data)
	})
}
