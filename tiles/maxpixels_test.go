package tiles_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/tiles"
)

// hugeHeaders returns small files whose headers declare w x h pixels: a
// PNG (IHDR rewritten, its CRC fixed) and a GIF (logical screen, no
// frame). Decoding their pixels would fail; reading their headers does not.
func hugeHeaders(t *testing.T, w, h int) map[string][]byte {
	t.Helper()
	p := encodePNG(t, image.NewGray(image.Rect(0, 0, 1, 1)))
	// 8-byte signature, then IHDR: length, "IHDR", width, height, ..., CRC.
	binary.BigEndian.PutUint32(p[16:], uint32(w))
	binary.BigEndian.PutUint32(p[20:], uint32(h))
	binary.BigEndian.PutUint32(p[29:], crc32.ChecksumIEEE(p[12:29]))
	var g bytes.Buffer
	if err := gif.Encode(&g, image.NewPaletted(image.Rect(0, 0, 1, 1), []color.Color{color.Black, color.White}), nil); err != nil {
		t.Fatal(err)
	}
	// Cut after the header and colour table: a whole GIF would decode (its
	// small frame is composited on the large screen, as viewers show it).
	gb := g.Bytes()[:13+3<<(g.Bytes()[10]&7+1)]
	binary.LittleEndian.PutUint16(gb[6:], uint16(w))
	binary.LittleEndian.PutUint16(gb[8:], uint16(h))
	return map[string][]byte{"png": p, "gif": gb}
}

// TestMaxPixels: a sheet over Options.MaxPixels (2^28 when 0) is refused
// from its header, in every format, with an error matching ErrTooLarge
// that states the limit; MaxPixels moves the limit both ways.
func TestMaxPixels(t *testing.T) {
	for format, data := range hugeHeaders(t, 16385, 16385) { // 268468225 pixels
		_, err := tiles.LoadSources([]tiles.Source{{Name: "huge." + format, Data: data}}, tiles.Options{Size: 16})
		if !errors.Is(err, tiles.ErrTooLarge) || !strings.Contains(err.Error(), "huge."+format+": "+format+" image of 16385x16385 pixels is larger than the 268435456-pixel limit") {
			t.Errorf("%s, default limit: %v", format, err)
		}
		_, err = tiles.LoadSources([]tiles.Source{{Name: "huge." + format, Data: data}}, tiles.Options{Size: 16, MaxPixels: 1 << 30})
		if err == nil || errors.Is(err, tiles.ErrTooLarge) {
			t.Errorf("%s, MaxPixels 2^30: %v, want the file's own error past the limit", format, err)
		}
	}
	sheet := encodePNG(t, image.NewGray(image.Rect(0, 0, 64, 32)))
	for limit, refused := range map[int64]bool{2047: true, 2048: false, 0: false} {
		_, err := tiles.LoadSources([]tiles.Source{{Name: "s.png", Data: sheet}}, tiles.Options{Size: 16, MaxPixels: limit})
		if errors.Is(err, tiles.ErrTooLarge) != refused || !refused && err != nil {
			t.Errorf("64x32 sheet, MaxPixels %d: %v, want refused %v", limit, err, refused)
		}
	}
}
