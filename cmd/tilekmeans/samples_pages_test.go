package main

import (
	"bytes"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/tiles"
)

// Where -resize (one image, one sample) meets the files of several images
// and the other inputs of issue 20, run as a user runs them.

// formatFile is a file of tiles/testdata/formats.
func formatFile(name string) string {
	return filepath.Join("..", "..", "tiles", "testdata", "formats", name)
}

// copyFormats copies files of tiles/testdata/formats into dir under the
// given names (relative, slash-separated), and returns the paths.
func copyFormats(t *testing.T, dir string, files map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, from := range files {
		data, err := os.ReadFile(formatFile(from))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		out[name] = writeFile(t, filepath.Dir(p), filepath.Base(p), data)
	}
	return out
}

// TestSamplePagesCommand: with -resize, every page of a multi-page TIFF
// and every frame of an animated GIF and WebP in a folder of class folders
// is a sample of its own: the run's line counts files and images,
// labels.csv names each path#N, summary.json counts both, -labels folders
// gives each page its file's class, tiles.npy holds the library's samples,
// -export folders writes a page as a PNG named stem#N (a file of one image
// stays a link to it), the report captions it stem#N; assign -resize on
// the same folder names and places the pages as the run did.
func TestSamplePagesCommand(t *testing.T) {
	dir := t.TempDir()
	imgs := filepath.Join(dir, "imgs")
	p := copyFormats(t, imgs, map[string]string{"a/anim.gif": "gif_frames.gif", "a/one.png": "png_gray8.png", "b/pages.tif": "tiff_pages.tif", "b/w.webp": "webp_frames.webp"})
	out := filepath.Join(dir, "out")
	code, _, stderr := runCLI(t, "run", "-backend", "cpu", "-k", "2", "-images", imgs, "-resize", "8x8", "-labels", "folders", "-export", "folders,npy", "-out", out)
	if code != exitOK || !strings.Contains(stderr, "4 image files holding 10 images (pages and frames), 10 samples of 8x8") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	recs := readCSV(t, filepath.Join(out, "labels.csv"))
	var names []string
	for _, r := range recs[1:] {
		names = append(names, r[1])
	}
	want := []string{p["a/anim.gif"] + "#1", p["a/anim.gif"] + "#2", p["a/anim.gif"] + "#3", p["a/one.png"],
		p["b/pages.tif"] + "#1", p["b/pages.tif"] + "#2", p["b/pages.tif"] + "#3", p["b/w.webp"] + "#1", p["b/w.webp"] + "#2", p["b/w.webp"] + "#3"}
	if !slices.Equal(recs[0], []string{"sample", "file", "k2"}) || !slices.Equal(names, want) {
		t.Errorf("labels.csv: %v, files %v; want %v", recs[0], names, want)
	}
	s := summaryOf(t, out)
	if s.Images == nil || s.Images.Files != 4 || s.Images.Images != 10 || s.Images.Formats["gif"] != 1 || s.Images.Formats["tiff"] != 1 || s.Tiles != 10 {
		t.Errorf("summary.json images %+v, %d samples", s.Images, s.Tiles)
	}
	if s.Classes != 2 || len(s.Runs[0].Confusion) != 2 {
		t.Fatalf("-labels folders: %d classes, confusion %v", s.Classes, s.Runs[0].Confusion)
	}
	for c, n := range []int{4, 6} { // a: anim.gif's 3 frames and one.png; b: 3 pages and 3 frames
		sum := 0
		for _, v := range s.Runs[0].Confusion[c] {
			sum += v
		}
		if sum != n {
			t.Errorf("class %d has %d samples, want %d: pages take their file's folder", c+1, sum, n)
		}
	}
	var paths []string
	for _, f := range want {
		paths = append(paths, strings.Split(f, "#")[0])
	}
	lib, err := tiles.Load(slices.Compact(paths), tiles.Options{Resize: image.Pt(8, 8)})
	if err != nil || !bytes.Equal(readTilesNpy(t, out), lib.Pix) {
		t.Errorf("tiles.npy is not the library's samples (%v)", err)
	}
	var members []string
	for _, c := range []string{"1", "2"} {
		for _, n := range dirNames(t, filepath.Join(out, "clusters", "2", c)) {
			members = append(members, strings.SplitN(n, "_", 2)[1])
			if strings.HasSuffix(n, "_one.png") {
				a, _ := os.Stat(p["a/one.png"])
				b, _ := os.Stat(filepath.Join(out, "clusters", "2", c, n))
				if !os.SameFile(a, b) {
					t.Errorf("%s is not a link to a/one.png", n)
				}
			}
		}
	}
	slices.Sort(members)
	if want := []string{"anim#1.png", "anim#2.png", "anim#3.png", "one.png", "pages#1.png", "pages#2.png", "pages#3.png", "w#1.png", "w#2.png", "w#3.png"}; !slices.Equal(members, want) {
		t.Errorf("-export folders members %v, want %v", members, want)
	}
	page, _ := os.ReadFile(filepath.Join(out, "report.html"))
	if !bytes.Contains(page, []byte(">pages#2<")) || !bytes.Contains(page, []byte(p["b/pages.tif"]+"#2")) {
		t.Errorf("the report does not caption page 2 of pages.tif as pages#2 with its path")
	}

	// assign, taking -resize from the run: the same names, and the
	// clusters the run gave.
	csvPath := filepath.Join(dir, "assign.csv")
	if code, _, stderr := runCLI(t, "assign", "-centroids", filepath.Join(out, "2"), "-images", imgs, "-o", csvPath); code != exitOK || !strings.Contains(stderr, "from 4 image files holding 10 images") {
		t.Fatalf("assign: exit %d: %s", code, stderr)
	}
	got := readCSV(t, csvPath)
	run := runColumn(t, filepath.Join(out, "labels.csv"), 2)
	same := 0
	for i, r := range got[1:] {
		if r[1] != want[i] {
			t.Errorf("assign row %d names %s, want %s", i, r[1], want[i])
		}
		if r[2] == run[i] {
			same++
		}
	}
	if len(got) != 11 || same < 9 { // centroids are read back rounded: one on a boundary may move
		t.Errorf("assign: %d rows, %d of 10 in the run's cluster", len(got)-1, same)
	}
}

// TestSampleCrossings: the other inputs of issue 20 as samples. A file
// of several images with a corrupt frame fails naming the frame, exit 1,
// nothing written; -skip-bad leaves the file out whole, naming it in
// summary.json and the frame on stderr. WebP files are samples; an
// arithmetic-coded JPEG is named as such (or left out by -skip-bad). A
// tileset (its grid and colour key) with -resize is a usage error. Without
// -resize, -export folders names a page's tiles stem#N-rR-cC.png.
func TestSampleCrossings(t *testing.T) {
	dir := t.TempDir()
	imgs := filepath.Join(dir, "imgs")
	p := copyFormats(t, imgs, map[string]string{"a.png": "png_gray8.png", "c.webp": "webp_rgb8.webp"})
	frames, err := os.ReadFile(formatFile("apng_frames.png"))
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(frames, []byte("fdAT"))
	frames[i+8], frames[i+9] = 0xff, 0xff // frame 2's zlib header
	bad := writeFile(t, imgs, "b.png", frames)
	out := filepath.Join(dir, "out")
	code, _, stderr := runCLI(t, "run", "-q", "-backend", "cpu", "-k", "2", "-images", imgs, "-resize", "8x8", "-out", out)
	if code != exitFailure || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "load "+bad+"#2: truncated or corrupt png image") {
		t.Errorf("a corrupt frame: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a failed run wrote %s", out)
	}
	s, stderr := runSummary(t, "run", "-backend", "cpu", "-k", "2", "-images", imgs, "-resize", "8x8", "-skip-bad")
	if s.Tiles != 2 || s.SkippedBad != 1 || len(s.BadFiles) != 1 || s.BadFiles[0].Path != bad || !strings.Contains(stderr, "left out (-skip-bad): load "+bad+"#2: ") ||
		s.Images.Formats["webp"] != 1 {
		t.Errorf("-skip-bad: %d samples, bad %v, images %+v; stderr %q", s.Tiles, s.BadFiles, s.Images, stderr)
	}

	arith := copyFormats(t, imgs, map[string]string{"d.jpg": "jpeg_arith.jpg"})["d.jpg"]
	os.Remove(bad)
	code, _, stderr = runCLI(t, "run", "-q", "-backend", "cpu", "-k", "2", "-images", imgs, "-resize", "8x8", "-out", out)
	if code != exitFailure || !strings.Contains(stderr, arith+": valid JPEG image using a feature the decoder does not support: arithmetic coding (SOF9)\n") {
		t.Errorf("arithmetic JPEG: exit %d, %q", code, stderr)
	}
	s, _ = runSummary(t, "run", "-backend", "cpu", "-k", "2", "-images", imgs, "-resize", "8x8", "-skip-bad")
	if s.Tiles != 2 || len(s.BadFiles) != 1 || s.BadFiles[0].Path != arith {
		t.Errorf("arithmetic JPEG with -skip-bad: %d samples, bad %v", s.Tiles, s.BadFiles)
	}

	tsx := sharedCase(t, "tsx_trans_ignored/keyed.tsx")
	code, _, stderr = runCLI(t, "run", "-tileset", tsx, "-resize", "8x8", "-out", out)
	if code != exitUsage || !strings.Contains(stderr, "-resize makes every image one sample: leave -tileset out (a tileset's grid, margin, spacing and colour key cut its sheet into tiles") {
		t.Errorf("-tileset with -resize: exit %d, %q", code, stderr)
	}

	tiled := filepath.Join(dir, "tiled")
	if code, _, stderr := runCLI(t, "run", "-q", "-backend", "cpu", "-k", "1", "-images", p["a.png"], formatFile("tiff_pages.tif"), "-tile", "37x29", "-export", "folders", "-out", tiled); code != exitOK {
		t.Fatalf("sheets: exit %d: %s", code, stderr)
	}
	members := dirNames(t, filepath.Join(tiled, "clusters", "1", "1"))
	for i := range members {
		members[i] = strings.SplitN(members[i], "_", 2)[1]
	}
	slices.Sort(members)
	if want := []string{"a-r0-c0.png", "tiff_pages#1-r0-c0.png", "tiff_pages#2-r0-c0.png", "tiff_pages#3-r0-c0.png"}; !slices.Equal(members, want) {
		t.Errorf("-export folders of sheets' tiles: %v, want %v", members, want)
	}
}
