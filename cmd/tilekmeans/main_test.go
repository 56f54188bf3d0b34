package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
)

// runCLI runs the command in-process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// writeFile writes data to dir/name and returns the path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.png", pngOf(t, 64, 32)) // 8 tiles of 16
	full := pngOf(t, 64, 32)
	truncated := writeFile(t, dir, "trunc.png", full[:len(full)/2])
	corrupt := writeFile(t, dir, "corrupt.jpg", append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte{7}, 200)...))
	text := writeFile(t, dir, "notes.png", []byte("not an image\n"))
	odd := writeFile(t, dir, "odd.png", pngOf(t, 50, 32))
	emptyDir := t.TempDir()
	loop := filepath.Join(dir, "loop.jpg")
	if err := os.Symlink(loop, loop); err != nil {
		t.Fatal(err)
	}
	aFile := writeFile(t, dir, "plainfile", []byte("x"))

	tests := []struct {
		name string
		args []string
		code int
		msg  string // the one stderr line must contain this
	}{
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"unknown flag", []string{"run", "-bogus"}, exitUsage, "flag provided but not defined: -bogus"},
		{"missing path", []string{"run", "-images", filepath.Join(dir, "nope.jpg")}, exitFailure, "nope.jpg: no such file or directory"},
		{"glob matches nothing", []string{"run", "-images", filepath.Join(dir, "*.tif")}, exitFailure, "*.tif: no image matched"},
		{"directory without images", []string{"run", "-images", emptyDir}, exitFailure, emptyDir + ": no image matched"},
		{"unreadable path (symlink loop)", []string{"run", "-images", loop}, exitFailure, "loop.jpg: stat " + loop + ": too many levels of symbolic links"},
		{"truncated image", []string{"run", "-images", truncated}, exitFailure, "trunc.png: truncated or corrupt png image"},
		{"corrupt image", []string{"run", "-images", corrupt}, exitFailure, "corrupt.jpg: truncated or corrupt jpeg image"},
		{"not an image", []string{"run", "-images", text}, exitFailure, "notes.png: not a JPEG, PNG"},
		{"wrong size", []string{"run", "-images", odd}, exitFailure, "odd.png: 50x32 is not a multiple of the 16-pixel tile"},
		{"k zero", []string{"run", "-images", good, "-k", "0"}, exitUsage, `-k "0": k must be >= 1`},
		{"k not a number", []string{"run", "-images", good, "-k", "three"}, exitUsage, `-k "three"`},
		{"k backwards range", []string{"run", "-images", good, "-k", "7-3"}, exitUsage, "runs backwards"},
		{"k above tiles", []string{"run", "-images", good, "-k", "9"}, exitUsage, "-k 9: more clusters than the 8 tiles"},
		{"iters zero", []string{"run", "-images", good, "-iters", "0"}, exitUsage, "-iters 0: want >= 1"},
		{"n-init zero", []string{"run", "-images", good, "-n-init", "0"}, exitUsage, "-n-init 0: want >= 1"},
		{"tile zero", []string{"run", "-images", good, "-tile", "0"}, exitUsage, "-tile 0: want >= 1"},
		{"malformed init", []string{"run", "-images", good, "-init", "best"}, exitUsage, "-init best: want random, kmeans++ or rows:i,j,..."},
		{"init rows with sweep", []string{"run", "-images", good, "-init", "rows:1,2,3"}, exitUsage, "explicit rows need a single k"},
		{"init rows count", []string{"run", "-images", good, "-k", "2", "-init", "rows:1,2,3"}, exitUsage, "3 rows for k=2"},
		{"init row out of range", []string{"run", "-images", good, "-k", "2", "-init", "rows:1,8"}, exitUsage, "row 8 is out of range (8 tiles: 0..7)"},
		{"init row repeated", []string{"run", "-images", good, "-k", "2", "-init", "rows:1,1"}, exitUsage, "row 1 is repeated"},
		{"v and q", []string{"run", "-images", good, "-v", "-q"}, exitUsage, "-v and -q exclude each other"},
		{"prune value", []string{"run", "-images", good, "-prune", "maybe"}, exitUsage, "-prune maybe: want auto or off"},
		{"out is a file", []string{"run", "-images", good, "-k", "2", "-out", aFile}, exitFailure, "-out " + aFile},
		{"out under a file", []string{"run", "-images", good, "-k", "2", "-out", filepath.Join(aFile, "sub")}, exitFailure, "not a directory"},
		{"stray argument", []string{"run", "-k", "2", "-images", good, "-q", "extra.png"}, exitFailure, "extra.png: no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := tt.args
			if !hasFlag(args, "-out") && len(args) > 0 && args[0] == "run" {
				args = append(append([]string{}, args...), "-out", out)
			}
			code, _, stderr := runCLI(t, args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tt.code, stderr)
			}
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			if tt.code == exitUsage && strings.HasPrefix(tt.msg, "unknown command") {
				lines = lines[:1]
			}
			if len(lines) != 1 || !strings.Contains(lines[0], tt.msg) {
				t.Errorf("stderr %q, want one line containing %q", stderr, tt.msg)
			}
			if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 {
				t.Errorf("failed run left output: %v", entries)
			}
		})
	}
}

func hasFlag(args []string, f string) bool {
	for _, a := range args {
		if a == f {
			return true
		}
	}
	return false
}

// readSummary decodes summary.json into a generic map.
func readSummary(t *testing.T, dir string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("summary.json: %v", err)
	}
	return s
}

func TestRunRealSheetsLayout(t *testing.T) {
	paths := sharedtest.Paths(t)
	out := filepath.Join(t.TempDir(), "centroids")
	code, _, stderr := runCLI(t, append([]string{"run", "-q", "-out", out, "-images"}, paths...)...)
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for k := 3; k <= 7; k++ {
		for i := 1; i <= k; i++ {
			img := decodePNG(t, filepath.Join(out, fmt.Sprint(k), fmt.Sprintf("centroid%d.png", i)))
			if _, ok := img.(*image.Gray); !ok || img.Bounds() != image.Rect(0, 0, 16, 16) {
				t.Errorf("k=%d centroid%d: %T %v, want 16x16 gray", k, i, img, img.Bounds())
			}
		}
		if _, err := os.Stat(filepath.Join(out, fmt.Sprint(k), fmt.Sprintf("centroid%d.png", k+1))); err == nil {
			t.Errorf("k=%d: extra centroid file", k)
		}
		m := decodePNG(t, filepath.Join(out, fmt.Sprint(k), "montage.png"))
		if m.Bounds().Dy() != 128 || m.Bounds().Dx() != k*128+(k-1)*8 { // 16x16 scaled 8x, 8 px apart
			t.Errorf("k=%d montage %v", k, m.Bounds())
		}
	}
	s := readSummary(t, out)
	if s["tiles"] != 5610.0 || s["features"] != 256.0 || s["blank_tiles"] != 110.0 || (s["backend"] != "cpu" && s["backend"] != "gpu") {
		t.Errorf("summary header %v", s)
	}
	runs := s["runs"].([]any)
	if len(runs) != 5 {
		t.Fatalf("%d runs", len(runs))
	}
	for _, r := range runs {
		r := r.(map[string]any)
		total := 0.0
		for _, v := range r["sizes"].([]any) {
			total += v.(float64)
		}
		if total != 5610 || r["purity"] == nil || r["nmi"] == nil || r["ari"] == nil || len(r["confusion"].([]any)) != 5 {
			t.Errorf("run %v", r)
		}
		// k clusters can hold at most min(k, 5) majority digits; well
		// separated digits come near that (0.66 to 0.91 of it here), chance gives 0.2.
		k := r["k"].(float64)
		if p := r["purity"].(float64); p < 0.55*min(k, 5)/5 || p > 1 {
			t.Errorf("k=%v purity %v: the digits should separate", k, p)
		}
	}
	f, err := os.Open(filepath.Join(out, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5611 || strings.Join(recs[0], ",") != "tile,sheet,row,col,k3,k4,k5,k6,k7" {
		t.Fatalf("labels.csv: %d rows, header %v", len(recs), recs[0])
	}
	if last := recs[5610]; last[0] != "5609" || !strings.HasSuffix(last[1], "usps_5.jpg") || last[2] != "33" || last[3] != "32" {
		t.Errorf("last row %v", last)
	}
	for _, rec := range recs[1:] {
		for j, v := range rec[4:] {
			if v < "1" || v > fmt.Sprint(3+j) || len(v) != 1 {
				t.Fatalf("row %v: label %q out of 1..%d", rec, v, 3+j)
			}
		}
	}
}

func decodePNG(t *testing.T, p string) image.Image {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return img
}

// outputFiles maps every file under dir to its bytes; summary.json without
// its timings.
func outputFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		// Timings: summary.json's "seconds" keys, report.html's class="... seconds" lines.
		if marker := map[string]string{"summary.json": `"seconds"`, "report.html": `seconds"`}[rel]; marker != "" {
			var lines []string
			for _, l := range strings.Split(string(data), "\n") {
				if !strings.Contains(l, marker) {
					lines = append(lines, l)
				}
			}
			data = []byte(strings.Join(lines, "\n"))
		}
		files[rel] = data
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestSameSeedSameBytes(t *testing.T) {
	paths := sharedtest.Paths(t)
	var outs [3]map[string][]byte
	for i, seed := range []string{"5", "5", "6"} {
		out := filepath.Join(t.TempDir(), "o")
		code, _, stderr := runCLI(t, append([]string{"run", "-q", "-seed", seed, "-k", "3-7", "-out", out, "-images"}, paths...)...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		outs[i] = outputFiles(t, out)
	}
	if len(outs[0]) != (3+4+5+6+7)+5+5 { // + montages, labels.csv, summary.json, elbow.png, report.html, the .tilekmeans marker
		t.Errorf("%d files", len(outs[0]))
	}
	for name, data := range outs[0] {
		if !bytes.Equal(data, outs[1][name]) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}
	if bytes.Equal(outs[0]["labels.csv"], outs[2]["labels.csv"]) {
		t.Error("another seed gave the same labels: the seed is not used")
	}
}

func TestDefaultDataEmbedded(t *testing.T) {
	t.Chdir(t.TempDir())
	code, _, stderr := runCLI(t, "run", "-k", "5", "-iters", "20")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	s := readSummary(t, "centroids")
	sheets := s["sheets"].([]any)
	if s["tiles"] != 5610.0 || len(sheets) != 5 || !strings.HasPrefix(sheets[0].(map[string]any)["path"].(string), "embedded/") {
		t.Errorf("summary %v", s)
	}
	for i := 1; i <= 5; i++ {
		decodePNG(t, filepath.Join("centroids", "5", fmt.Sprintf("centroid%d.png", i)))
	}
	if !strings.Contains(stderr, "the 5 embedded default sheets, 5610 tiles") {
		t.Errorf("stderr %q", stderr)
	}
}

func TestDefaultImagesFolder(t *testing.T) {
	paths := sharedtest.Paths(t)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "images"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range paths[:2] {
		abs, _ := filepath.Abs(p)
		if err := os.Symlink(abs, filepath.Join(dir, "images", filepath.Base(p))); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	code, _, stderr := runCLI(t, "run", "-k", "2", "-backend", "cpu")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "tilekmeans: 2 sheets from images/usps_*.jpg, 2244 tiles") {
		t.Errorf("the first line does not say where the sheets came from: %q", stderr)
	}
	s := readSummary(t, "centroids")
	if s["tiles"] != 2244.0 {
		t.Errorf("tiles %v, want the 2244 of images/usps_1.jpg and usps_2.jpg", s["tiles"])
	}
}

func TestInterruptedRunWritesNothing(t *testing.T) {
	paths := sharedtest.Paths(t)
	out := filepath.Join(t.TempDir(), "o")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var errb bytes.Buffer
	code := run(ctx, append([]string{"run", "-out", out, "-images"}, paths...), &bytes.Buffer{}, &errb)
	if code != exitSignal || !strings.Contains(errb.String(), "interrupted") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("interrupted run left %v", entries)
	}
}

func TestParseKs(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"3,4,5,6,7", "3,4,5,6,7"}, {"3-7", "3,4,5,6,7"}, {"7,3-4,4", "3,4,7"}, {"1", "1"}, {" 2 , 5-6", "2,5,6"},
	}
	for _, tt := range tests {
		ks, err := parseKs(tt.in)
		if err != nil || kList(ks) != tt.want {
			t.Errorf("parseKs(%q) = %v, %v; want %s", tt.in, ks, err, tt.want)
		}
	}
	for _, bad := range []string{"", "0", "-1", "3-", "a", "5-3", "3,,4"} {
		if _, err := parseKs(bad); err == nil {
			t.Errorf("parseKs(%q): no error", bad)
		}
	}
}
