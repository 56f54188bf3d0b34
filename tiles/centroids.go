package tiles

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/tilekmeans/tilekmeans/internal/filename"
)

// CentroidImage renders a centroid, or any features laid out as a w x h
// tile of colour model c (w*h*c.Channels() values, as Set.Pix lays tiles
// out), as an image: *image.Gray for Gray, an opaque *image.RGBA for RGB.
// Each value is rounded to the nearest integer (halves away from zero) and
// clamped to 0..255, so a tile's own features render as the tile.
func CentroidImage(mean []float64, w, h int, c ColorModel) image.Image {
	px := func(v float64) uint8 { return uint8(max(0, min(255, math.Round(v)))) }
	if c == RGB {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for i := range w * h {
			img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = px(mean[3*i]), px(mean[3*i+1]), px(mean[3*i+2]), 255
		}
		return img
	}
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i, v := range mean[:w*h] {
		img.Pix[i] = px(v)
	}
	return img
}

// centroidName is the file of centroid i (0-based): centroid1.png for 0.
func centroidName(i int) string { return filename.Centroid.Expand(i + 1) }

// Centroids is a set of centroid images read back from a folder.
type Centroids struct {
	K             int
	Width, Height int        // pixels
	Color         ColorModel // Gray when every file is a gray image, else RGB
	D             int        // features per centroid: Width*Height*Color.Channels()
	Values        []float32  // K*D, row-major, as Set.Pix lays tiles out
	Paths         []string   // centroid1.png..centroidK.png
}

// ErrNoCentroids reports a folder with no centroid1.png..centroidK.png
// files.
var ErrNoCentroids = errors.New("no centroid1.png..centroidK.png files")

// CentroidsError reports a folder that does not hold one set of centroids:
// it is missing or not a folder, holds none (Err is ErrNoCentroids), or
// holds misnamed or missing ones.
type CentroidsError struct {
	Dir string
	Err error
}

func (e *CentroidsError) Error() string { return e.Dir + ": " + e.Err.Error() }
func (e *CentroidsError) Unwrap() error { return e.Err }

// pathCause returns the cause inside a *fs.PathError (the errors of this
// package name the path themselves), or err as it is.
func pathCause(err error) error {
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ReadCentroids reads dir/centroid1.png..centroidK.png as WriteCentroids (or
// a tilekmeans run, in its output folder's k folders) wrote them: numbered
// from 1 with no gap and no leading zeros, all the same size. A folder of
// gray images gives Gray centroids; if any image is in colour, all are read
// as RGB (transparent pixels composited over white). Errors are
// *CentroidsError for the folder, or name the file: a decoding error (as
// Load's) or a size that differs from centroid1.png's.
//
// A PNG holds each mean rounded to a whole number, so predicting with the
// centroids read back can differ from the fit for tiles near a boundary
// (the command's assign says so); to keep the exact float32 centroids, save
// kmeans.Result.Centroids with npy.Write.
func ReadCentroids(dir string) (*Centroids, error) {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, &CentroidsError{Dir: dir, Err: errors.New("no such directory")}
	case err != nil:
		if st, serr := os.Stat(dir); serr == nil && !st.IsDir() {
			return nil, &CentroidsError{Dir: dir, Err: errors.New("not a directory")}
		}
		return nil, &CentroidsError{Dir: dir, Err: pathCause(err)}
	}
	var nums []int
	for _, e := range entries {
		digits, ok := filename.Centroid.Match(e.Name())
		if !ok {
			continue
		}
		i, err := strconv.Atoi(digits[0])
		if err != nil || i < 1 || digits[0][0] == '0' {
			return nil, &CentroidsError{Dir: dir, Err: fmt.Errorf("%s: want centroid1.png, centroid2.png, ... (numbered from 1, no leading zeros)", e.Name())}
		}
		nums = append(nums, i)
	}
	if len(nums) == 0 {
		return nil, &CentroidsError{Dir: dir, Err: ErrNoCentroids}
	}
	slices.Sort(nums)
	for i, n := range nums {
		if n != i+1 {
			return nil, &CentroidsError{Dir: dir, Err: fmt.Errorf("%s is missing but %s exists (want centroid1.png..centroidK.png with no gap)", centroidName(i), centroidName(n-1))}
		}
	}
	k := len(nums)
	imgs := make([]image.Image, k)
	c := &Centroids{K: k}
	for i := range k {
		p := filepath.Join(dir, centroidName(i))
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("load %w", err)
		}
		img, _, err := decodeImage(p, data, maxPixels)
		if err != nil {
			return nil, err
		}
		w, h := img.Bounds().Dx(), img.Bounds().Dy()
		if i == 0 {
			c.Width, c.Height = w, h
		} else if w != c.Width || h != c.Height {
			return nil, fmt.Errorf("%s: %dx%d, but %s is %dx%d (all centroids must be the same size)", p, w, h, centroidName(0), c.Width, c.Height)
		}
		switch img.(type) {
		case *image.Gray, *image.Gray16:
		default:
			c.Color = RGB
		}
		imgs[i] = img
		c.Paths = append(c.Paths, p)
	}
	ch := c.Color.Channels()
	c.D = c.Width * c.Height * ch
	c.Values = make([]float32, 0, k*c.D)
	row := make([]uint8, c.Width*ch)
	for _, img := range imgs {
		cv := newConverter(c.Color, color.White)
		for y := range c.Height {
			cv.row(img, 0, y, row)
			for _, v := range row {
				c.Values = append(c.Values, float32(v))
			}
		}
	}
	return c, nil
}

// WriteCentroids renders k centroids (means: k*w*h*c.Channels() values, as
// Set.Pix lays tiles out) with CentroidImage, writes them to
// dir/centroid1.png..centroidK.png, making dir if needed, and returns the
// images. The files are written in place: after a failure some may be
// written and one cut short. Errors name the file.
func WriteCentroids(dir string, means []float64, k, w, h int, c ColorModel) ([]image.Image, error) {
	d := w * h * c.Channels()
	if len(means) < k*d {
		return nil, fmt.Errorf("write %s: %d means for %d centroids of %d features", dir, len(means), k, d)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("write %w", err) // *PathError names the folder
	}
	imgs := make([]image.Image, k)
	for i := range k {
		imgs[i] = CentroidImage(means[i*d:(i+1)*d], w, h, c)
		if err := writePNG(filepath.Join(dir, centroidName(i)), imgs[i]); err != nil {
			return nil, fmt.Errorf("write %s: %w", filepath.Join(dir, centroidName(i)), pathCause(err))
		}
	}
	return imgs, nil
}

// writePNG writes img as a PNG file.
func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	err = png.Encode(bw, img)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
