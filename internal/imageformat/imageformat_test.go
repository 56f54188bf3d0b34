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
	if got := Labels(); got != "JPEG, PNG, GIF, BMP or TIFF" {
		t.Errorf("Labels() = %q", got)
	}
	if got, want := Extensions(), []string{".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff"}; !slices.Equal(got, want) {
		t.Errorf("Extensions() = %v, want %v", got, want)
	}
	for name, want := range map[string]bool{"a.jpg": true, "A.TIFF": true, "b.Png": true, "c.txt": false, "jpg": false, "d.jpg.bak": false} {
		if HasExtension(name) != want {
			t.Errorf("HasExtension(%q) = %v", name, !want)
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
	if _, ok := Unsupported(errors.New("unexpected EOF"), nil); ok {
		t.Error("a plain error counts as unsupported")
	}
}
