package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/tiles"
	"github.com/tilekmeans/tilekmeans/tiles/embedded"
)

// checkAssignment checks labels.csv written by assign against the run whose
// centroids it used: the header, the tiles in order, every cluster and
// distance exactly those of kmeans.Nearest against the centroid PNGs, and the
// run's own labels (from unrounded centroids) for at least 99% of tiles.
func checkAssignment(t *testing.T, file string, sheets []string, centDir string, runLabels []string) {
	t.Helper()
	recs := readCSV(t, file)
	if strings.Join(recs[0], ",") != "tile,sheet,row,col,cluster,distance" {
		t.Fatalf("header %v", recs[0])
	}
	tl, err := tiles.Load(sheets, tiles.Options{Size: 16})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs)-1 != tl.N() || len(runLabels) != tl.N() {
		t.Fatalf("%d rows, %d run labels, want %d", len(recs)-1, len(runLabels), tl.N())
	}
	cents, err := tiles.ReadCentroids(centDir)
	if err != nil {
		t.Fatal(err)
	}
	same := 0
	for i, rec := range recs[1:] {
		o := tl.Origins[i]
		if rec[0] != strconv.Itoa(i) || rec[1] != tl.Sheets[o.Sheet].Path || rec[2] != strconv.Itoa(int(o.Row)) || rec[3] != strconv.Itoa(int(o.Col)) {
			t.Fatalf("row %d: %v, want tile %d of %s at %d,%d", i, rec, i, tl.Sheets[o.Sheet].Path, o.Row, o.Col)
		}
		l, d := kmeans.Nearest(tl.Tile(i), cents.Values, cents.K)
		dist, err := strconv.ParseFloat(rec[5], 32)
		if rec[4] != strconv.Itoa(int(l)+1) || err != nil || float32(dist) != d {
			t.Fatalf("row %d: cluster %s distance %s, kmeans.Nearest says %d at %v", i, rec[4], rec[5], l+1, d)
		}
		if rec[4] == runLabels[i] {
			same++
		}
	}
	if share := float64(same) / float64(tl.N()); share < 0.99 {
		t.Errorf("assign agrees with the run's labels for %.4f of the tiles, want >= 0.99", share)
	} else {
		t.Logf("%s: assign agrees with the run's labels for %d of %d tiles", centDir, same, tl.N())
	}
}

// runColumn returns labels.csv's column for k.
func runColumn(t *testing.T, file string, k int) []string {
	t.Helper()
	recs := readCSV(t, file)
	col := -1
	for j, h := range recs[0] {
		if h == "k"+strconv.Itoa(k) {
			col = j
		}
	}
	if col < 0 {
		t.Fatalf("%s has no column k%d", file, k)
	}
	var out []string
	for _, r := range recs[1:] {
		out = append(out, r[col])
	}
	return out
}

// TestAssignReproducesRun assigns the real sheets to the centroids a run
// saved from them.
func TestAssignReproducesRun(t *testing.T) {
	paths := sharedtest.Paths(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "centroids")
	code, _, stderr := runCLI(t, append([]string{"run", "-q", "-backend", "cpu", "-k", "3,5,7", "-out", out, "-images"}, paths...)...)
	if code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	for _, k := range []int{3, 5, 7} {
		file := filepath.Join(dir, fmt.Sprintf("assign%d.csv", k))
		centDir := filepath.Join(out, strconv.Itoa(k))
		code, _, stderr := runCLI(t, append([]string{"assign", "-centroids", centDir, "-o", file, "-images"}, paths...)...)
		if code != exitOK || !strings.Contains(stderr, fmt.Sprintf("5610 tiles of 16x16 from 5 sheets assigned to the %d centroids", k)) {
			t.Fatalf("assign k=%d: exit %d, stderr %q", k, code, stderr)
		}
		checkAssignment(t, file, paths, centDir, runColumn(t, filepath.Join(out, "labels.csv"), k))
	}
}

// TestAssignEmbedded does the same on the embedded sheets written to disk,
// so it runs everywhere, and checks -o - and the default -o.
func TestAssignEmbedded(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.Mkdir("sheets", 0o755); err != nil {
		t.Fatal(err)
	}
	var sheets []string
	for _, s := range embedded.Sheets() {
		sheets = append(sheets, writeFile(t, "sheets", s.Name, s.Data))
	}
	code, _, stderr := runCLI(t, "run", "-q", "-backend", "cpu", "-k", "4", "-images", "sheets")
	if code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := runCLI(t, "assign", "-q", "-centroids", "centroids/4", "-images", "sheets", "-o", "-")
	if code != exitOK || stderr != "" {
		t.Fatalf("assign -o -: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat("labels.csv"); err == nil {
		t.Error("-o - wrote labels.csv too")
	}
	code, _, stderr = runCLI(t, "assign", "-centroids", "centroids/4", "-images", "sheets/*.png")
	if code != exitOK || !strings.Contains(stderr, "wrote labels.csv") {
		t.Fatalf("assign: exit %d, stderr %q", code, stderr)
	}
	file, err := os.ReadFile("labels.csv")
	if err != nil {
		t.Fatal(err)
	}
	if stdout != string(file) {
		t.Error("-o - and -o labels.csv differ")
	}
	checkAssignment(t, "labels.csv", sheets, filepath.Join("centroids", "4"), runColumn(t, filepath.Join("centroids", "labels.csv"), 4))
}

// grayPNG encodes a w x h gray image.
func grayPNG(t *testing.T, w, h int, v uint8) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = v + uint8(i%3)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestAssignWithColourCentroids(t *testing.T) {
	dir := t.TempDir()
	cents := filepath.Join(dir, "c")
	os.Mkdir(cents, 0o755)
	for i, v := range []uint8{10, 200} {
		img := image.NewRGBA(image.Rect(0, 0, 4, 4))
		for j := range 16 {
			img.Set(j%4, j/4, color.RGBA{R: v, G: v, B: v, A: 255})
		}
		var b bytes.Buffer
		png.Encode(&b, img)
		writeFile(t, cents, fmt.Sprintf("centroid%d.png", i+1), b.Bytes())
	}
	sheet := image.NewGray(image.Rect(0, 0, 8, 4)) // two 4x4 tiles: dark, light
	for y := range 4 {
		for x := 4; x < 8; x++ {
			sheet.SetGray(x, y, color.Gray{Y: 190})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, sheet)
	p := writeFile(t, dir, "s.png", b.Bytes())
	out := filepath.Join(dir, "l.csv")
	code, _, stderr := runCLI(t, "assign", "-q", "-centroids", cents, "-images", p, "-o", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs := readCSV(t, out)
	// Colour centroids make -color default to rgb, and the gray sheet is
	// read as RGB: tile 0 (all 0) to centroid 1 (10): 16*3*100; tile 1
	// (190) to 2 (200): 16*3*100.
	if len(recs) != 3 || strings.Join(recs[1][4:], ",") != "1,4800" || strings.Join(recs[2][4:], ",") != "2,4800" {
		t.Errorf("labels %v", recs)
	}
}

func TestAssignErrors(t *testing.T) {
	dir := t.TempDir()
	sheet := writeFile(t, dir, "sheet.png", pngOf(t, 64, 32)) // 8 tiles of 16
	odd := writeFile(t, dir, "odd.png", pngOf(t, 50, 32))
	mk := func(name string, files map[string][]byte) string {
		d := filepath.Join(dir, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for n, data := range files {
			writeFile(t, d, n, data)
		}
		return d
	}
	c16 := grayPNG(t, 16, 16, 5)
	good := mk("good", map[string][]byte{"centroid1.png": c16, "centroid2.png": grayPNG(t, 16, 16, 99), "montage.png": c16})
	run := mk("run", nil)
	mk("run/3", map[string][]byte{"centroid1.png": c16})
	mk("run/10", map[string][]byte{"centroid1.png": c16})
	empty := mk("empty", map[string][]byte{"montage.png": c16})
	gap := mk("gap", map[string][]byte{"centroid1.png": c16, "centroid2.png": c16, "centroid4.png": c16})
	zero := mk("zero", map[string][]byte{"centroid1.png": c16, "centroid02.png": c16})
	mixed := mk("mixed", map[string][]byte{"centroid1.png": c16, "centroid2.png": grayPNG(t, 8, 8, 1)})
	oblong := mk("oblong", map[string][]byte{"centroid1.png": grayPNG(t, 16, 8, 1)})
	corrupt := mk("corrupt", map[string][]byte{"centroid1.png": c16, "centroid2.png": c16[:len(c16)/2]})
	text := mk("text", map[string][]byte{"centroid1.png": []byte("hello\n")})
	file := writeFile(t, dir, "plain", []byte("x"))

	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no centroids flag", []string{"-images", sheet}, exitUsage, "assign: -centroids DIR is required"},
		{"no images", []string{"-centroids", good}, exitUsage, "assign: -images is required"},
		{"unknown flag", []string{"-centroids", good, "-images", sheet, "-k", "3"}, exitUsage, "flag provided but not defined: -k"},
		{"negative workers", []string{"-centroids", good, "-images", sheet, "-workers", "-1"}, exitUsage, "-workers -1: want >= 0"},
		{"empty -o", []string{"-centroids", good, "-images", sheet, "-o", ""}, exitUsage, "-o: want a file name or -"},
		{"tile mismatch", []string{"-centroids", good, "-images", sheet, "-tile", "8"}, exitUsage, "-tile 8: the centroids in " + good + " are 16x16"},
		{"missing dir", []string{"-centroids", filepath.Join(dir, "nope"), "-images", sheet}, exitFailure, "nope: no such directory"},
		{"not a dir", []string{"-centroids", file, "-images", sheet}, exitFailure, file + ": not a directory"},
		{"no centroid files", []string{"-centroids", empty, "-images", sheet}, exitFailure, empty + ": no centroid1.png..centroidK.png files"},
		{"a run's top folder", []string{"-centroids", run, "-images", sheet}, exitFailure, "but its folders [3 10] hold some: name one k, e.g. -centroids " + filepath.Join(run, "3")},
		{"gap", []string{"-centroids", gap, "-images", sheet}, exitFailure, "centroid3.png is missing but centroid4.png exists"},
		{"leading zero", []string{"-centroids", zero, "-images", sheet}, exitFailure, "centroid02.png: want centroid1.png, centroid2.png, ... (numbered from 1, no leading zeros)"},
		{"mixed sizes", []string{"-centroids", mixed, "-images", sheet}, exitFailure, "centroid2.png: 8x8, but centroid1.png is 16x16"},
		{"tile mismatch, not square", []string{"-centroids", oblong, "-images", sheet, "-tile", "16"}, exitUsage, "-tile 16: the centroids in " + oblong + " are 16x8"},
		{"colour mismatch", []string{"-centroids", good, "-images", sheet, "-color", "rgb"}, exitUsage, "-color rgb: the centroids in " + good + " are gray"},
		{"corrupt png", []string{"-centroids", corrupt, "-images", sheet}, exitFailure, "centroid2.png: truncated or corrupt png image"},
		{"not an image", []string{"-centroids", text, "-images", sheet}, exitFailure, "centroid1.png: not a JPEG, PNG"},
		{"sheet size", []string{"-centroids", good, "-images", odd}, exitFailure, "odd.png: 50x32 is not a multiple of the 16-pixel tile (use -crop to trim 2x0); the tile size is that of the 16x16 centroids in " + good},
		{"missing sheet", []string{"-centroids", good, "-images", filepath.Join(dir, "none.png")}, exitFailure, "none.png: no such file or directory"},
		{"unwritable -o", []string{"-centroids", good, "-images", sheet, "-o", filepath.Join(dir, "nodir", "l.csv")}, exitFailure, "-o " + filepath.Join(dir, "nodir", "l.csv") + ": no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			out := filepath.Join(t.TempDir(), "labels.csv")
			if !hasFlag(args, "-o") {
				args = append(append([]string{}, args...), "-o", out)
			}
			code, _, stderr := runCLI(t, append([]string{"assign"}, args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tt.code, stderr)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.msg) {
				t.Errorf("stderr %q, want one line containing %q", stderr, tt.msg)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a failed assign wrote labels.csv")
			}
		})
	}
	// The same directory works with right arguments.
	out := filepath.Join(t.TempDir(), "labels.csv")
	if code, _, stderr := runCLI(t, "assign", "-centroids", good, "-images", sheet, "-tile", "16", "-o", out); code != exitOK {
		t.Fatalf("good: exit %d: %s", code, stderr)
	}
	if recs := readCSV(t, out); len(recs) != 9 {
		t.Errorf("%d rows, want 8 tiles and a header", len(recs))
	}
}
