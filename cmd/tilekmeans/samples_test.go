package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/tiles/npy"
)

// encodeImage encodes img as PNG, or JPEG for a name ending in .jpg.
func encodeImage(t *testing.T, name string, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	var err error
	if strings.HasSuffix(name, ".jpg") {
		err = jpeg.Encode(&b, img, &jpeg.Options{Quality: 95})
	} else {
		err = png.Encode(&b, img)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// blob is an image of size w x h: background bg with a centred square of
// colour fg covering half of each side, in the kind of image kind says.
func blob(kind string, w, h int, bg, fg uint8) image.Image {
	inside := func(x, y int) bool { return x >= w/4 && x < w-w/4 && y >= h/4 && y < h-h/4 }
	at := func(x, y int) uint8 {
		if inside(x, y) {
			return fg
		}
		return bg
	}
	r := image.Rect(0, 0, w, h)
	switch kind {
	case "rgb":
		img := image.NewRGBA(r)
		for y := range h {
			for x := range w {
				v := at(x, y)
				img.SetRGBA(x, y, color.RGBA{v, v, v, 255})
			}
		}
		return img
	case "rgba": // the square opaque, the rest transparent: white once composited
		img := image.NewNRGBA(r)
		for y := range h {
			for x := range w {
				if inside(x, y) {
					img.SetNRGBA(x, y, color.NRGBA{fg, fg, fg, 255})
				}
			}
		}
		return img
	case "palette":
		img := image.NewPaletted(r, color.Palette{color.Gray{bg}, color.Gray{fg}})
		for y := range h {
			for x := range w {
				if inside(x, y) {
					img.SetColorIndex(x, y, 1)
				}
			}
		}
		return img
	case "gray16":
		img := image.NewGray16(r)
		for y := range h {
			for x := range w {
				img.SetGray16(x, y, color.Gray16{uint16(at(x, y)) * 0x101})
			}
		}
		return img
	}
	img := image.NewGray(r)
	for y := range h {
		for x := range w {
			img.SetGray(x, y, color.Gray{at(x, y)})
		}
	}
	return img
}

// TestSamplesFolder: a folder of mixed-size, mixed-format images (gray,
// RGB, RGBA, palette, 16-bit; PNG and JPEG) in class folders, with files
// that are not images beside them, is read recursively in natural order,
// one sample per image, with classes from the folders. The images are a
// white square on black ("dots") or black on white ("holes", the RGBA
// ones transparent around the square, so white once composited); one
// "dots" image was filed under holes/. With k = 2 the clusters are the
// dots (5 images) and the holes (4) whatever their size and kind, so the
// hand-checked purity is (4 + 4) / 9 = 0.889: the misfiled image is the
// one sample outside its cluster's majority class.
func TestSamplesFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "imgs")
	files := []struct {
		name string
		img  image.Image
	}{
		{"dots/img10.png", blob("gray", 40, 30, 0, 255)},
		{"dots/img2.jpg", blob("rgb", 24, 24, 0, 255)},
		{"dots/img9.png", blob("gray16", 12, 20, 0, 255)},
		{"dots/sub/deep.png", blob("palette", 16, 16, 0, 255)},
		{"holes/a.png", blob("rgba", 33, 17, 0, 0)},
		{"holes/b.png", blob("gray", 8, 8, 255, 0)},
		{"holes/c.jpg", blob("rgb", 50, 20, 255, 0)},
		{"holes/d.png", blob("palette", 10, 14, 255, 0)},
		{"holes/misfiled.png", blob("gray", 20, 20, 0, 255)},
	}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		writeFile(t, filepath.Dir(p), filepath.Base(p), encodeImage(t, f.name, f.img))
	}
	writeFile(t, filepath.Join(dir, "dots"), "notes.txt", []byte("not an image"))
	writeFile(t, filepath.Join(dir, "holes"), "Thumbs.db", []byte{0, 1, 2})
	writeFile(t, filepath.Join(dir, "holes"), ".DS_Store", []byte{0, 1, 2})
	os.MkdirAll(filepath.Join(dir, ".git"), 0o755)
	writeFile(t, filepath.Join(dir, ".git"), "x.png", pngOf(t, 4, 4))

	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := runCLI(t, "run", "-images", dir, "-resize", "8x8", "-k", "2", "-labels", "folders", "-backend", "cpu", "-out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "9 image files, 9 samples of 8x8") || !strings.Contains(stderr, "1 image had transparent pixels") {
		t.Errorf("stderr %q: want the 9 images and one line for the transparent one", stderr)
	}
	recs := readCSV(t, filepath.Join(out, "labels.csv"))
	if !slices.Equal(recs[0], []string{"sample", "file", "k2"}) || len(recs) != 10 {
		t.Fatalf("labels.csv %v", recs)
	}
	var order []string
	cluster := map[string]string{}
	for _, r := range recs[1:] {
		rel, _ := filepath.Rel(dir, r[1])
		order = append(order, filepath.ToSlash(rel))
		cluster[filepath.ToSlash(rel)] = r[2]
	}
	want := []string{"dots/img2.jpg", "dots/img9.png", "dots/img10.png", "dots/sub/deep.png", "holes/a.png", "holes/b.png", "holes/c.jpg", "holes/d.png", "holes/misfiled.png"}
	if !slices.Equal(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
	for _, f := range want {
		isDot := strings.HasPrefix(f, "dots/") || f == "holes/misfiled.png"
		if (cluster[f] == cluster["dots/img2.jpg"]) != isDot {
			t.Errorf("%s in cluster %s; dots are in %s", f, cluster[f], cluster["dots/img2.jpg"])
		}
	}
	s := readSummary(t, out)
	run := s["runs"].([]any)[0].(map[string]any)
	if p := run["purity"].(float64); p < 0.8888 || p > 0.8890 || s["classes"].(float64) != 2 || s["labels"] != "folders" {
		t.Errorf("purity %v, classes %v, labels %v: want 8/9 = 0.889 of 2 classes from folders", p, s["classes"], s["labels"])
	}
	images := s["images"].(map[string]any)
	if images["files"].(float64) != 9 || images["smallest"] != "8x8" || images["largest"] != "40x30" || s["resize"] != "8x8" || s["fit"] != "stretch" || s["filter"] != "catmullrom" {
		t.Errorf("summary images %v, resize %v fit %v filter %v", images, s["resize"], s["fit"], s["filter"])
	}
	report, _ := os.ReadFile(filepath.Join(out, "report.html"))
	if !bytes.Contains(report, []byte("misfiled</figcaption>")) && !bytes.Contains(report, []byte("<br>misfiled<")) {
		t.Errorf("report does not caption samples by file name")
	}
	if !bytes.Contains(report, []byte(filepath.Join(dir, "holes", "misfiled.png"))) {
		t.Errorf("report does not give the file's path in the tooltip")
	}
}

// mnistDigits returns the first n MNIST training images (28x28) and their
// labels, from the module cache.
func mnistDigits(t *testing.T, n int) (px []uint8, labels []uint8) {
	t.Helper()
	return sharedtest.ReadMNIST(t, "train-images-idx3-ubyte.gz")[16:][:n*784], sharedtest.ReadMNIST(t, "train-labels-idx1-ubyte.gz")[8:][:n]
}

// TestSameDigitsAllFormats: the same 600 MNIST digits as a .npy of shape
// (N, H, W), a .npy of (N, D) read with -tile 28, an IDX file (gzipped)
// and 28x28 PNG files in class folders (-resize 28x28: no resizing)
// cluster the same: the same cluster of every sample in labels.csv, the
// same inertia; and the labels as an IDX file and as an int64 .npy give
// the same purity as the PNGs' folders.
func TestSameDigitsAllFormats(t *testing.T) {
	const n = 600
	px, labels := mnistDigits(t, n)
	dir := t.TempDir()
	var b bytes.Buffer
	npy.Write(&b, px, n, 28, 28)
	nhw := writeFile(t, dir, "digits.npy", b.Bytes())
	b.Reset()
	npy.Write(&b, px, n, 784)
	flat := writeFile(t, dir, "flat.npy", b.Bytes())
	idx := append([]byte{0, 0, 8, 3}, binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, n), 28), 28)...)
	var gz bytes.Buffer
	z := gzip.NewWriter(&gz)
	z.Write(append(idx, px...))
	z.Close()
	idxFile := writeFile(t, dir, "digits-idx3-ubyte.gz", gz.Bytes())
	labelsIDX := writeFile(t, dir, "labels-idx1-ubyte", append([]byte{0, 0, 8, 1, 0, 0, n >> 8, n & 0xff}, labels...))
	l64 := make([]uint8, 0, 8*n)
	for _, l := range labels {
		l64 = binary.LittleEndian.AppendUint64(l64, uint64(l))
	}
	b.Reset()
	npy.Write(&b, make([]int32, n), n)
	hdr := bytes.Replace(b.Bytes()[:10+int(binary.LittleEndian.Uint16(b.Bytes()[8:]))], []byte("'<i4'"), []byte("'<i8'"), 1)
	labelsNpy := writeFile(t, dir, "labels.npy", append(hdr, l64...))
	pngDir := filepath.Join(dir, "png")
	for i := range n {
		img := &image.Gray{Pix: px[i*784 : (i+1)*784], Stride: 28, Rect: image.Rect(0, 0, 28, 28)}
		sub := filepath.Join(pngDir, string(rune('0'+labels[i])))
		os.MkdirAll(sub, 0o755)
		writeFile(t, sub, strconv.Itoa(i)+".png", encodeImage(t, "x.png", img))
	}

	runs := []struct {
		name string
		args []string
	}{
		{"npy (N, H, W)", []string{"-images", nhw, "-labels", labelsIDX}},
		{"npy (N, D)", []string{"-images", flat, "-tile", "28", "-labels", labelsNpy}},
		{"IDX", []string{"-images", idxFile, "-labels", labelsIDX}},
	}
	base := []string{"run", "-q", "-k", "10", "-backend", "cpu"}
	clusters := func(out string) (cols []string, byName map[string]string) {
		recs := readCSV(t, filepath.Join(out, "labels.csv"))
		byName = map[string]string{}
		for _, r := range recs[1:] {
			cols = append(cols, r[len(r)-1])
			byName[r[1]] = r[len(r)-1]
		}
		return cols, byName
	}
	var want []string
	var wantSummary map[string]any
	for _, r := range runs {
		out := filepath.Join(t.TempDir(), "out")
		code, _, stderr := runCLI(t, append(append(base, r.args...), "-out", out)...)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", r.name, code, stderr)
		}
		got, _ := clusters(out)
		s := readSummary(t, out)
		if want == nil {
			want, wantSummary = got, s
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: clusters differ from %s's", r.name, runs[0].name)
		}
		if a, b := s["runs"].([]any)[0].(map[string]any), wantSummary["runs"].([]any)[0].(map[string]any); a["inertia"] != b["inertia"] || a["purity"] != b["purity"] {
			t.Errorf("%s: inertia %v purity %v, want %v %v", r.name, a["inertia"], a["purity"], b["inertia"], b["purity"])
		}
	}
	// The PNG files: in natural order folder by folder, so compare by
	// the sample each file is.
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := runCLI(t, append(base, "-images", pngDir, "-resize", "28x28", "-labels", "folders", "-init", "rows:"+initRows(t, wantSummary, pngDir, labels), "-out", out)...)
	if code != exitOK {
		t.Fatalf("png: exit %d: %s", code, stderr)
	}
	_, byName := clusters(out)
	// The same partition: sample i of the array and its PNG file are in
	// clusters that map one to one.
	m := map[string]string{}
	for i := range n {
		p := filepath.Join(pngDir, string(rune('0'+labels[i])), strconv.Itoa(i)+".png")
		c, ok := byName[p]
		if !ok {
			t.Fatalf("%s not in labels.csv", p)
		}
		if prev, ok := m[want[i]]; ok && prev != c {
			t.Fatalf("sample %d: array cluster %s is PNG cluster %s and %s", i, want[i], prev, c)
		}
		m[want[i]] = c
	}
	// The inertia is summed in sample order, which differs: equal to
	// rounding.
	s := readSummary(t, out)
	got, exp := s["runs"].([]any)[0].(map[string]any), wantSummary["runs"].([]any)[0].(map[string]any)
	if d := got["inertia"].(float64)/exp["inertia"].(float64) - 1; d > 1e-12 || d < -1e-12 || got["purity"] != exp["purity"] || got["iterations"] != exp["iterations"] {
		t.Errorf("png: inertia %v purity %v after %v iterations, want %v %v after %v", got["inertia"], got["purity"], got["iterations"], exp["inertia"], exp["purity"], exp["iterations"])
	}
}

// initRows maps the array run's initial rows to the PNG run's sample
// numbers (the PNGs are in folder order), so that both start alike.
func initRows(t *testing.T, s map[string]any, pngDir string, labels []uint8) string {
	t.Helper()
	// The PNG run's order: by class folder, then by number.
	var order []int
	for c := uint8(0); c < 10; c++ {
		for i, l := range labels {
			if l == c {
				order = append(order, i)
			}
		}
	}
	pos := make([]int, len(labels))
	for j, i := range order {
		pos[i] = j
	}
	var rows []string
	for _, r := range s["runs"].([]any)[0].(map[string]any)["init_rows"].([]any) {
		rows = append(rows, strconv.Itoa(pos[int(r.(float64))]))
	}
	return strings.Join(rows, ",")
}

// TestTilesNpyReadBack: the tool's own tiles.npy, read back with -tile,
// gives the same clustering byte for byte as the sheets it came from:
// the same labels_k*.npy and centroids_k*.npy files, and labels.csv's
// cluster columns.
func TestTilesNpyReadBack(t *testing.T) {
	dir := t.TempDir()
	first, second := filepath.Join(dir, "sheets"), filepath.Join(dir, "npy")
	args := []string{"run", "-q", "-backend", "cpu", "-k", "3,5", "-export", "npy"}
	if code, _, stderr := runCLI(t, append(args, "-out", first)...); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// Read in place, as the README says: a file named itself is read even
	// inside a tilekmeans output folder (only listings and globs skip them).
	tilesNpy := filepath.Join(first, "tiles.npy")
	if code, _, stderr := runCLI(t, append(args, "-images", tilesNpy, "-tile", "16", "-out", second)...); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, f := range []string{"tiles.npy", "labels_k3.npy", "labels_k5.npy", "centroids_k3.npy", "centroids_k5.npy"} {
		a, _ := os.ReadFile(filepath.Join(first, f))
		b, _ := os.ReadFile(filepath.Join(second, f))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs (%d and %d bytes)", f, len(a), len(b))
		}
	}
	// The run's own -out is never read, named or not.
	code, _, stderr := runCLI(t, append(args, "-images", tilesNpy, "-tile", "16", "-out", first)...)
	if code != exitFailure || !strings.Contains(stderr, "lie in "+first+", the output folder this run writes") {
		t.Errorf("-images out/tiles.npy -out out: exit %d, %q", code, stderr)
	}
	for k := range []int{3, 5} {
		a, b := runColumn(t, filepath.Join(first, "labels.csv"), []int{3, 5}[k]), runColumn(t, filepath.Join(second, "labels.csv"), []int{3, 5}[k])
		if !slices.Equal(a, b) {
			t.Errorf("labels.csv's clusters differ")
		}
	}
}

// mnistPurity is scikit-learn 1.2.1's purity on MNIST's 60,000 training
// images (784 features), k = 10, from the initial rows the run with seed 0
// draws (21239, 25859, 1331, 56182, 37614, 16730, 15716, 25687, 49159,
// 40631), with the IDX labels: cmd/tilekmeans/testdata/mnist_sklearn.py
// (KMeans lloyd, n_init 1, tol 0, float64) on that run's tiles.npy, which
// printed "k=10: scikit-learn purity 0.5776 NMI 0.4848 ARI 0.3529 (43
// iterations, inertia 1.5317e+11)"; the run's own: 0.5776 0.4848 0.3529,
// 43 iterations.
const mnistPurity = 0.5776

// TestMNISTPurity: MNIST's real IDX files, read from the module cache,
// clustered with k = 10 and scored against the IDX labels: purity within
// 0.02 of scikit-learn's from the same initial rows on the same pixels.
func TestMNISTPurity(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: clusters 60,000 MNIST images")
	}
	dir := sharedtest.MNIST(t)
	s, _ := runSummary(t, "run", "-q", "-backend", "cpu", "-k", "10", "-iters", "300",
		"-images", filepath.Join(dir, "train-images-idx3-ubyte.gz"), "-labels", filepath.Join(dir, "train-labels-idx1-ubyte.gz"))
	r := s.Runs[0]
	if s.Tiles != 60000 || s.Features != 784 || s.Classes != 10 || r.Purity == nil {
		t.Fatalf("%d samples of %d features, %d classes, purity %v", s.Tiles, s.Features, s.Classes, r.Purity)
	}
	if d := *r.Purity - mnistPurity; d < -0.02 || d > 0.02 {
		t.Errorf("purity %.4f, scikit-learn %.4f", *r.Purity, mnistPurity)
	}
	t.Logf("purity %.4f (scikit-learn %.4f), %d iterations", *r.Purity, mnistPurity, r.Iterations)
}

// TestSampleBadInputs: each bad array or folder is one line naming the
// file or flag and what is wrong, exit 1 (2 for flags), nothing written.
func TestSampleBadInputs(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	npy.Write(&b, make([]uint8, 10*16), 10, 4, 4)
	truncated := writeFile(t, dir, "t.npy", b.Bytes()[:b.Len()-5])
	idx := append([]byte{0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 4, 0, 0, 0, 4}, make([]byte, 160)...)
	magic := writeFile(t, dir, "m-idx3-ubyte", append([]byte{0, 0, 9, 9}, idx[4:]...))
	count := writeFile(t, dir, "c-idx3-ubyte", append(slices.Clone(idx[:7]), append([]byte{9}, idx[8:]...)...))

	many := filepath.Join(dir, "many")
	for i := range 1000 {
		sub := filepath.Join(many, string(rune('a'+i%10)))
		os.MkdirAll(sub, 0o755)
		writeFile(t, sub, strconv.Itoa(i)+".png", pngOf(t, 6, 6))
	}
	full := pngOf(t, 6, 6)
	corrupt := writeFile(t, filepath.Join(many, "c"), "502.png", full[:len(full)-20])
	empty := filepath.Join(dir, "empty")
	os.MkdirAll(filepath.Join(empty, "sub"), 0o755)
	noImages := filepath.Join(dir, "noimages")
	os.MkdirAll(noImages, 0o755)
	writeFile(t, noImages, "readme.txt", []byte("x"))
	writeFile(t, noImages, "Thumbs.db", []byte("x"))
	writeFile(t, noImages, ".DS_Store", []byte("x"))
	emptyPNG := writeFile(t, dir, "e.png", nil)

	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"truncated npy", []string{"-images", truncated}, exitFailure, truncated + ": truncated: the NPY header says 10 images of 4x4 (160 bytes of data), the file holds 155"},
		{"wrong IDX magic", []string{"-images", magic}, exitFailure, magic + ": IDX data type 0x09"},
		{"IDX count does not match its size", []string{"-images", count}, exitFailure, count + ": the count does not match the size: the IDX header says 9 images of 4x4 (144 bytes of data), the file holds 160"},
		{"one corrupt PNG among 1000", []string{"-images", many, "-resize", "4x4"}, exitFailure, corrupt + ": truncated or corrupt png image"},
		{"empty folder", []string{"-images", empty, "-resize", "4x4"}, exitFailure, empty + ": no image matched"},
		{"folder of only non-images", []string{"-images", noImages, "-resize", "4x4"}, exitFailure, noImages + ": no image matched"},
		{"empty file", []string{"-images", emptyPNG, "-tile", "4"}, exitFailure, "load " + emptyPNG + ": not a JPEG, PNG, GIF, BMP, TIFF or WebP image: it is empty (0 bytes)"},
		{"empty file, resized", []string{"-images", emptyPNG, "-resize", "4x4"}, exitFailure, emptyPNG + ": not a JPEG, PNG, GIF, BMP, TIFF or WebP image: it is empty (0 bytes)"},
		{"labels folders of a file", []string{"-images", filepath.Join(many, "a", "0.png"), "-resize", "4x4", "-labels", "folders", "-k", "1"}, exitFailure, "-labels folders: " + filepath.Join(many, "a", "0.png") + " was named itself"},
		{"fit without resize", []string{"-images", truncated, "-fit", "pad"}, exitUsage, "-fit pad: it says how -resize fits an image"},
		{"resize with spacing", []string{"-images", many, "-resize", "4x4", "-spacing", "2"}, exitUsage, "-resize makes every image one sample: leave -spacing out"},
		{"bad fit", []string{"-images", many, "-resize", "4x4", "-fit", "squash"}, exitUsage, `-fit squash: want stretch, pad or crop`},
		{"skip-bad on sheets", []string{"-images", filepath.Join(many, "a", "0.png"), "-tile", "3", "-skip-bad"}, exitUsage, "-skip-bad leaves out files"},
		{"bad export", []string{"-images", many, "-resize", "4x4", "-export", "zip"}, exitUsage, `"zip" is not a format (want npy, folders or folders:copy)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			code, _, stderr := runCLI(t, append(append([]string{"run", "-q", "-backend", "cpu"}, tt.args...), "-out", out)...)
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			if code != tt.code || len(lines) != 1 || !strings.Contains(lines[0], tt.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d and one line containing %q", code, stderr, tt.code, tt.msg)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("a failed run wrote %s", out)
			}
		})
	}
	// -skip-bad goes on without the corrupt file, and names it.
	s, stderr := runSummary(t, "run", "-backend", "cpu", "-k", "2", "-images", many, "-resize", "4x4", "-skip-bad")
	if s.Tiles != 999 || s.SkippedBad != 1 || len(s.BadFiles) != 1 || s.BadFiles[0].Path != corrupt || !strings.Contains(stderr, "left out (-skip-bad): load "+corrupt) {
		t.Errorf("-skip-bad: %d samples, %d bad %v; stderr %q", s.Tiles, s.SkippedBad, s.BadFiles, stderr)
	}
}

// TestCase_skip_bad_labels: a labels file of one label per file, with
// -skip-bad leaving a corrupt file out, was refused ("20 labels, want one
// per tile: 19 (... is the first line a header?)"). Right: the left-out
// file's label is dropped (labels go by file order), so the classes are
// those of the folders; a count that fits neither says -skip-bad.
func TestCase_skip_bad_labels(t *testing.T) {
	dir := t.TempDir()
	var text strings.Builder
	for i := range 20 {
		class, bg := "a", uint8(20)
		if i >= 10 {
			class, bg = "b", 220
		}
		data := encodeImage(t, "x.png", blob("gray", 8, 8, bg, uint8(i*5)))
		if i == 3 {
			data = data[:len(data)-20] // corrupt, among the first class
		}
		sub := filepath.Join(dir, "imgs", class)
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, sub, fmt.Sprintf("%02d.png", i), data)
		text.WriteString(class + "\n")
	}
	labelsFile := writeFile(t, dir, "labels.txt", []byte(text.String()))
	imgs := filepath.Join(dir, "imgs")
	args := []string{"run", "-backend", "cpu", "-k", "2,3", "-images", imgs, "-resize", "8x8", "-skip-bad"}
	byFolder, _ := runSummary(t, append(args, "-labels", "folders")...)
	byFile, stderr := runSummary(t, append(args, "-labels", labelsFile)...)
	if byFile.Tiles != 19 || byFile.SkippedBad != 1 || byFile.Classes != 2 {
		t.Fatalf("%d samples, %d left out, %d classes: %s", byFile.Tiles, byFile.SkippedBad, byFile.Classes, stderr)
	}
	for i, r := range byFile.Runs {
		f := byFolder.Runs[i]
		if r.Purity == nil || *r.Purity != *f.Purity || *r.NMI != *f.NMI || *r.ARI != *f.ARI {
			t.Errorf("k=%d: purity, NMI, ARI %v %v %v from the file, %v %v %v from the folders", r.K, r.Purity, r.NMI, r.ARI, *f.Purity, *f.NMI, *f.ARI)
		}
	}
	short := writeFile(t, dir, "short.txt", []byte(strings.Repeat("a\n", 17)))
	code, _, stderr := runCLI(t, append(args, "-labels", short, "-out", filepath.Join(dir, "o"))...)
	if code != exitFailure || !strings.Contains(stderr, "17 labels, want one per tile: 19 (-skip-bad left 1 files out: with one label per file in file order, the file holds 20)") {
		t.Errorf("17 labels: exit %d, %q", code, stderr)
	}
}

// TestCase_unread_image_formats: a folder's .jfif photos (JPEG files) and
// .heic and .tga images (formats no decoder here reads) were passed over
// without a word, as if they were .txt files. Right: .jfif, .jpe, .jif
// and .jfi are read as JPEG; an image file of a format that is not read
// is one line naming it and its format, exit 1 and nothing written, and
// -skip-bad leaves it out with its name in summary.json; text files stay
// skipped silently.
func TestCase_unread_image_formats(t *testing.T) {
	dir := t.TempDir()
	imgs := filepath.Join(dir, "imgs")
	nested := filepath.Join(imgs, "more")
	if err := os.MkdirAll(nested, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, imgs, "a.png", pngOf(t, 6, 6))
	for i, ext := range []string{".jfif", ".JPE", ".jif", ".jfi"} {
		writeFile(t, nested, fmt.Sprintf("p%d%s", i, ext), encodeImage(t, "x.jpg", blob("gray", 6, 6, 30, uint8(40*i))))
	}
	writeFile(t, imgs, "notes.txt", []byte("not an image"))
	heic := writeFile(t, nested, "photo.heic", append([]byte{0, 0, 0, 24, 'f', 't', 'y', 'p', 'h', 'e', 'i', 'c'}, make([]byte, 100)...))
	args := []string{"run", "-backend", "cpu", "-k", "2", "-images", imgs, "-resize", "4x4"}
	out := filepath.Join(dir, "out")
	code, _, stderr := runCLI(t, append(args, "-q", "-out", out)...)
	want := heic + ": not a JPEG, PNG, GIF, BMP, TIFF or WebP image (its name says HEIF/HEIC, which is not read: convert it, to PNG for instance)"
	if lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n"); code != exitFailure || len(lines) != 1 || !strings.Contains(lines[0], want) {
		t.Errorf("exit %d, stderr %q; want exit 1 and one line containing %q", code, stderr, want)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a failed run wrote %s", out)
	}
	tga := writeFile(t, imgs, "b.tga", make([]byte, 40))
	s, stderr := runSummary(t, append(args, "-skip-bad")...)
	var bad []string
	for _, b := range s.BadFiles {
		bad = append(bad, b.Path)
	}
	slices.Sort(bad)
	if s.Tiles != 5 || s.SkippedBad != 2 || !slices.Equal(bad, []string{tga, heic}) || !strings.Contains(stderr, "TGA, which is not read") {
		t.Errorf("-skip-bad: %d samples (want the PNG and 4 JPEGs), left out %v; stderr %q", s.Tiles, bad, stderr)
	}
}

// twelveImages writes 12 gray PNGs of 8..19 x 8 pixels, a white square on
// ever lighter backgrounds, into dir/imgs and returns that folder.
func twelveImages(t *testing.T, dir string) string {
	imgs := filepath.Join(dir, "imgs")
	os.MkdirAll(imgs, 0o755)
	for i := range 12 {
		writeFile(t, imgs, strconv.Itoa(i)+".png", encodeImage(t, "x.png", blob("gray", 8+i, 8, uint8(20*i), 255)))
	}
	return imgs
}

// TestExportFolders: -export folders writes clusters/{k}/{c}/ with every
// member, named so that the names sort nearest first; separate images are
// hard links to the originals (copies with folders:copy), tiles and
// arrays' images PNGs of their pixels; the folder is part of the output,
// replaced whole by the next run.
func TestExportFolders(t *testing.T) {
	dir := t.TempDir()
	imgs := twelveImages(t, dir)
	out := filepath.Join(dir, "out")
	code, _, stderr := runCLI(t, "run", "-q", "-backend", "cpu", "-k", "2,3", "-images", imgs, "-resize", "4x4", "-export", "folders,npy", "-out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	clusters := readNpy[int32](t, filepath.Join(out, "labels_k3.npy"), "<i4").Data
	recs := readCSV(t, filepath.Join(out, "labels.csv"))
	total := 0
	for c := 1; c <= 3; c++ {
		entries, err := os.ReadDir(filepath.Join(out, "clusters", "3", strconv.Itoa(c)))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
			orig := filepath.Join(imgs, strings.SplitN(e.Name(), "_", 2)[1])
			a, _ := os.Stat(orig)
			b, _ := os.Stat(filepath.Join(out, "clusters", "3", strconv.Itoa(c), e.Name()))
			if !os.SameFile(a, b) {
				t.Errorf("%s is not a link to %s", e.Name(), orig)
			}
			// The member is in cluster c.
			for i, r := range recs[1:] {
				if r[1] == orig && clusters[i] != int32(c-1) {
					t.Errorf("%s in folder %d, but labels say %d", e.Name(), c, clusters[i]+1)
				}
			}
		}
		if !slices.IsSorted(names) || (len(names) > 0 && !strings.HasPrefix(names[0], "1_") && !strings.HasPrefix(names[0], "01_")) {
			t.Errorf("cluster %d: %v: want ranks from 1", c, names)
		}
		total += len(names)
	}
	if total != 12 {
		t.Errorf("%d members in k=3's folders, want 12", total)
	}

	// Copies, and a rerun with fewer k replaces the folders whole.
	code, _, stderr = runCLI(t, "run", "-q", "-backend", "cpu", "-k", "2", "-images", imgs, "-resize", "4x4", "-export", "folders:copy", "-out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "clusters", "3")); err == nil {
		t.Errorf("k=3's folders survived a run with -k 2")
	}
	entries, _ := os.ReadDir(filepath.Join(out, "clusters", "2", "1"))
	a, _ := os.Stat(filepath.Join(imgs, strings.SplitN(entries[0].Name(), "_", 2)[1]))
	b, _ := os.Stat(filepath.Join(out, "clusters", "2", "1", entries[0].Name()))
	if os.SameFile(a, b) {
		t.Errorf("folders:copy linked %s", entries[0].Name())
	}

	// Tiles of sheets: PNGs of their pixels.
	sheetsOut := filepath.Join(dir, "sheets")
	code, _, stderr = runCLI(t, "run", "-q", "-backend", "cpu", "-k", "2", "-export", "folders", "-out", sheetsOut)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	entries, _ = os.ReadDir(filepath.Join(sheetsOut, "clusters", "2", "1"))
	if len(entries) == 0 || !strings.HasPrefix(entries[0].Name(), "0001_mnist_") || !strings.HasSuffix(entries[0].Name(), ".png") {
		t.Fatalf("tile members %v", entries[:min(3, len(entries))])
	}
	img := decodePNG(t, filepath.Join(sheetsOut, "clusters", "2", "1", entries[0].Name()))
	if img.Bounds().Dx() != 16 || img.Bounds().Dy() != 16 {
		t.Errorf("tile member %v", img.Bounds())
	}
}

// TestAssignSamples: assign takes -resize as run does, names samples by
// file, and puts a run's own images in the clusters the run gave them.
func TestAssignSamples(t *testing.T) {
	dir := t.TempDir()
	imgs := twelveImages(t, dir)
	out := filepath.Join(dir, "out")
	if code, _, stderr := runCLI(t, "run", "-q", "-backend", "cpu", "-k", "3", "-images", imgs, "-resize", "4x4", "-out", out); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	csvPath := filepath.Join(dir, "assign.csv")
	if code, _, stderr := runCLI(t, "assign", "-q", "-centroids", filepath.Join(out, "3"), "-images", imgs, "-resize", "4x4", "-o", csvPath); code != exitOK {
		t.Fatalf("assign: exit %d: %s", code, stderr)
	}
	got := readCSV(t, csvPath)
	if !slices.Equal(got[0], []string{"sample", "file", "cluster", "distance"}) || len(got) != 13 {
		t.Fatalf("assign.csv %v", got[:min(3, len(got))])
	}
	run := runColumn(t, filepath.Join(out, "labels.csv"), 3)
	same := 0
	for i, r := range got[1:] {
		if r[2] == run[i] {
			same++
		}
	}
	if same < 11 { // the centroids are read back rounded: a sample on a boundary may move
		t.Errorf("%d of 12 samples assigned to the cluster the run gave them", same)
	}
	// Without -resize, assign takes it from the run's summary.json; a
	// size that contradicts the run's is refused.
	if code, _, stderr := runCLI(t, "assign", "-centroids", filepath.Join(out, "3"), "-images", imgs, "-o", csvPath); code != exitOK || !strings.Contains(stderr, "-resize 4x4 -fit stretch") {
		t.Errorf("assign without -resize: exit %d: %s", code, stderr)
	}
	if again := readCSV(t, csvPath); !slices.EqualFunc(again, got, slices.Equal) {
		t.Errorf("assign without -resize gave other rows")
	}
	if code, _, stderr := runCLI(t, "assign", "-centroids", filepath.Join(out, "3"), "-images", imgs, "-resize", "8x8", "-o", csvPath); code != exitUsage || !strings.Contains(stderr, "-resize 8x8: the run that wrote") {
		t.Errorf("assign -resize 8x8: exit %d: %s", code, stderr)
	}
}
