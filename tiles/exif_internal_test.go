package tiles

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadOrientation runs the EXIF orientation reader on arbitrary bytes as
// a JPEG and as a TIFF: no panic, no value outside 0..8, and no huge
// allocation (the IFD entry count is bounded).
func FuzzReadOrientation(f *testing.F) {
	for _, name := range []string{"exif_o6.jpg", "exif_o5.tif", "png_gray8.png"} {
		data, err := os.ReadFile(filepath.Join("testdata", "formats", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00"))
	f.Add([]byte("\xff\xd8\xff\xe1\x00\x10Exif\x00\x00II\x2a\x00\x08\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []string{"jpeg", "tiff"} {
			if o := readOrientation(bytes.NewReader(data), int64(len(data)), format); o > 8 {
				t.Errorf("%s: orientation %d", format, o)
			}
		}
	})
}

func TestReadOrientationBigEndianTIFF(t *testing.T) {
	data := []byte("MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\x00")
	if o := readOrientation(bytes.NewReader(data), int64(len(data)), "tiff"); o != orientRotate90 {
		t.Errorf("orientation %v, want 6", o)
	}
	le := []byte("\xff\xd8\xff\xe1\x00\x22Exif\x00\x00II\x2a\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\xff\xda")
	if o := readOrientation(bytes.NewReader(le), int64(len(le)), "jpeg"); o != orientRotate270 {
		t.Errorf("jpeg orientation %v, want 8", o)
	}
}
