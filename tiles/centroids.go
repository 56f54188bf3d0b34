package tiles

import (
	"errors"
	"fmt"
	"image"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
)

// CentroidImage renders a gray square centroid (size*size means) as an 8-bit
// gray image; see MeanImage.
func CentroidImage(mean []float64, size int) *image.Gray {
	return MeanImage(mean, size, size, Gray).(*image.Gray)
}

// MeanImage renders a centroid (w*h*c.Channels() means, laid out as a tile's
// features) as an image: *image.Gray for Gray, an opaque *image.RGBA for RGB.
// Each value is rounded to the nearest integer (halves away from zero) and
// clamped to 0..255.
func MeanImage(mean []float64, w, h int, c ColorModel) image.Image {
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

// Image renders features laid out as one of t's tiles (a centroid's means,
// or a tile converted to float64) with MeanImage.
func (t *Set) Image(features []float64) image.Image {
	return MeanImage(features, t.Width, t.Height, t.Color)
}

// CentroidName is the file name of centroid i (0-based) in a run's k folder:
// centroid1.png for i = 0.
func CentroidName(i int) string { return "centroid" + strconv.Itoa(i+1) + ".png" }

// Centroids is a k's centroid images read back from a run's output folder.
type Centroids struct {
	K             int
	Width, Height int        // pixels
	Color         ColorModel // Gray when every file is a gray image, else RGB
	D             int        // features per centroid: Width*Height*Color.Channels()
	Values        []float32  // K*D, row-major, as Set.Pix lays tiles out
	Paths         []string   // centroid1.png..centroidK.png
}

// ErrNoCentroids reports a folder with no centroid1.png..centroidK.png.
var ErrNoCentroids = errors.New("no centroid1.png..centroidK.png files")

// CentroidsError reports a folder that does not hold one k's centroids. Runs
// lists, in natural order, the subfolders that do (the folder is then a
// run's output folder, and one of them was meant).
type CentroidsError struct {
	Dir  string
	Err  error
	Runs []string
}

func (e *CentroidsError) Error() string {
	if len(e.Runs) > 0 {
		return fmt.Sprintf("%s: %v, but its folders %v hold some: name one k", e.Dir, e.Err, e.Runs)
	}
	return e.Dir + ": " + e.Err.Error()
}

func (e *CentroidsError) Unwrap() error { return e.Err }

var centroidName = regexp.MustCompile(`^centroid([0-9]+)\.png$`)

// pathCause returns the cause inside a *fs.PathError (the typed errors of
// this package name the path themselves), or err as it is.
func pathCause(err error) error {
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ReadCentroids reads dir/centroid1.png..centroidK.png as WriteCentroids (or
// a run) wrote them: numbered from 1 with no gap and no leading zeros, all
// the same size. A folder of gray images gives Gray centroids; if any image
// is in colour, all are read as RGB (transparent pixels composited over
// White). Errors are *CentroidsError (wrapping ErrNoCentroids, a gap, a bad
// name), a decode error naming the file, or a size mismatch naming it.
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
	var runs []string
	for _, e := range entries {
		m := centroidName.FindStringSubmatch(e.Name())
		if m == nil {
			if _, err := os.Stat(filepath.Join(dir, e.Name(), CentroidName(0))); e.IsDir() && err == nil {
				runs = append(runs, e.Name())
			}
			continue
		}
		i, err := strconv.Atoi(m[1])
		if err != nil || i < 1 || m[1][0] == '0' {
			return nil, &CentroidsError{Dir: dir, Err: fmt.Errorf("%s: want centroid1.png, centroid2.png, ... (numbered from 1, no leading zeros)", e.Name())}
		}
		nums = append(nums, i)
	}
	if len(nums) == 0 {
		slices.SortFunc(runs, NaturalCompare)
		return nil, &CentroidsError{Dir: dir, Err: ErrNoCentroids, Runs: runs}
	}
	slices.Sort(nums)
	for i, n := range nums {
		if n != i+1 {
			return nil, &CentroidsError{Dir: dir, Err: fmt.Errorf("centroid%d.png is missing but centroid%d.png exists (want centroid1.png..centroidK.png with no gap)", i+1, n)}
		}
	}
	k := len(nums)
	imgs := make([]image.Image, k)
	c := &Centroids{K: k}
	for i := range k {
		p := filepath.Join(dir, CentroidName(i))
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("load %w", err)
		}
		img, _, err := DecodeImage(p, data)
		if err != nil {
			return nil, err
		}
		w, h := img.Bounds().Dx(), img.Bounds().Dy()
		if i == 0 {
			c.Width, c.Height = w, h
		} else if w != c.Width || h != c.Height {
			return nil, fmt.Errorf("%s: %dx%d, but %s is %dx%d (all centroids must be the same size)", p, w, h, CentroidName(0), c.Width, c.Height)
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
		cv := newConverter(c.Color, White)
		for y := range c.Height {
			cv.row(img, 0, y, row)
			for _, v := range row {
				c.Values = append(c.Values, float32(v))
			}
		}
	}
	return c, nil
}

// WriteCentroids writes k centroids (means, k*D, laid out as t's tiles) to
// dir/centroid1.png..centroidK.png, each atomically, making dir if needed,
// and returns the images.
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
		imgs[i] = MeanImage(means[i*d:(i+1)*d], w, h, c)
		if err := WritePNG(filepath.Join(dir, CentroidName(i)), imgs[i]); err != nil {
			return nil, err
		}
	}
	return imgs, nil
}
