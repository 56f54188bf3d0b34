package tiles

import (
	"bufio"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
)

// WriteAtomic writes a file through write into a temporary file beside path
// and renames it into place only when everything succeeded, so a failed or
// interrupted run never leaves a partial file under the final name.
func WriteAtomic(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriter(f)
	if err := write(bw); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// CreateTemp makes 0600 files; outputs are ordinary files.
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// WritePNG writes img as a PNG file, atomically.
func WritePNG(path string, img image.Image) error {
	return WriteAtomic(path, func(w io.Writer) error { return png.Encode(w, img) })
}

// CentroidImage renders a centroid (size*size means) as an 8-bit gray image,
// each value rounded to the nearest integer (halves away from zero) and
// clamped to 0..255.
func CentroidImage(mean []float64, size int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, size, size))
	for i, v := range mean[:size*size] {
		img.Pix[i] = uint8(max(0, min(255, math.Round(v))))
	}
	return img
}

// Montage lays images of equal size side by side, each scaled up by an
// integer factor with nearest-neighbour sampling, with a gap of mid-gray
// between them so that neighbouring tiles stay apart to the eye.
func Montage(imgs []*image.Gray, scale, gap int) *image.Gray {
	if len(imgs) == 0 {
		return image.NewGray(image.Rect(0, 0, 0, 0))
	}
	w, h := imgs[0].Rect.Dx()*scale, imgs[0].Rect.Dy()*scale
	out := image.NewGray(image.Rect(0, 0, len(imgs)*w+(len(imgs)-1)*gap, h))
	for i := range out.Pix {
		out.Pix[i] = 128
	}
	for n, img := range imgs {
		x0 := n * (w + gap)
		for y := range h {
			for x := range w {
				out.Pix[y*out.Stride+x0+x] = img.Pix[(y/scale)*img.Stride+x/scale]
			}
		}
	}
	return out
}
