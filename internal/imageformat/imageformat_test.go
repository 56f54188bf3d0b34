package imageformat

import (
	"bytes"
	"errors"
	"image/jpeg"
	"slices"
	"testing"

	"golang.org/x/image/bmp"
)

// The table reads as the messages always did.
func TestTable(t *testing.T) {
	if got := Labels(); got != "JPEG, PNG, GIF, BMP, TIFF or WebP" {
		t.Errorf("Labels() = %q", got)
	}
	if got, want := Extensions(), []string{".jpg", ".jpeg", ".jpe", ".jfif", ".jif", ".jfi", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp"}; !slices.Equal(got, want) {
		t.Errorf("Extensions() = %v, want %v", got, want)
	}
	for name, want := range map[string]bool{"a.jpg": true, "A.TIFF": true, "b.Png": true, "e.WEBP": true, "c.txt": false, "jpg": false, "d.jpg.bak": false} {
		if HasExtension(name) != want {
			t.Errorf("HasExtension(%q) = %v", name, !want)
		}
	}
	for name, want := range map[string]string{"a.HEIC": "HEIF/HEIC", "b.tga": "TGA", "c.psd": "Photoshop", "d.jxl": "JPEG XL", "e.png": "", "f.txt": "", "g": ""} {
		if got := Unread(name); got != want {
			t.Errorf("Unread(%q) = %q, want %q", name, got, want)
		}
	}
	// No extension is both read and unread.
	for _, ext := range Extensions() {
		if f := Unread("x" + ext); f != "" {
			t.Errorf("%s is read and said to be %s, not read", ext, f)
		}
	}
}

func TestUnsupported(t *testing.T) {
	if f, ok := Unsupported(jpeg.UnsupportedError("luma/chroma subsampling ratio"), nil); !ok || f != "luma/chroma subsampling ratio" {
		t.Errorf("jpeg: %q %v", f, ok)
	}
	// BMP: the header adds the compression and bits per pixel.
	h := make([]byte, 34)
	h[28], h[30] = 8, 1
	if f, ok := Unsupported(bmp.ErrUnsupported, bytes.NewReader(h)); !ok || f != "unsupported BMP image (compression 1: RLE8, 8 bits per pixel)" {
		t.Errorf("bmp: %q %v", f, ok)
	}
	// JPEG's "unknown marker": the frame marker names the coding process.
	for marker, want := range map[byte]string{0xc9: "arithmetic coding (SOF9)", 0xca: "progressive arithmetic coding (SOF10)",
		0xcc: "arithmetic coding (a DAC marker)", 0xc3: "lossless coding (SOF3)", 0xc0: "unknown marker"} {
		h := []byte{0xff, 0xd8, 0xff, 0xe0, 0, 4, 'J', 'F', 0xff, 0xff, 0xff, marker, 0, 2, 0xff, 0xda}
		if f, ok := Unsupported(jpeg.UnsupportedError("unknown marker"), bytes.NewReader(h)); !ok || f != want {
			t.Errorf("jpeg marker %#x: %q %v, want %q", marker, f, ok, want)
		}
	}
	if _, ok := Unsupported(errors.New("unexpected EOF"), nil); ok {
		t.Error("a plain error counts as unsupported")
	}
}
