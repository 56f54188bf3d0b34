package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/tiles/embedded"
	"github.com/tilekmeans/tilekmeans/tiles/npy"
)

// sharedCase is a file of ../shared/cases (skipped when absent, failing
// under CI=true).
func sharedCase(t *testing.T, rel string) string {
	return sharedtest.Shared(t, filepath.Join("cases", rel))
}

// TestCase_background_number_as_hex: ../shared/cases/background_number_as_hex.
// A bare number is a gray level 0..255 or a usage error, never three hex
// digits: -background 256 was #225566, 300 #330000, 1e2 #11ee22, abc
// #aabbcc. Hex needs the '#'; SVG/CSS colour names are read as ImageMagick
// reads them.
func TestCase_background_number_as_hex(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"0", "#000000"}, {"255", "#ffffff"}, {"100", "#646464"}, {"007", "#070707"}, {" 42 ", "#2a2a2a"},
		{"#fff", "#ffffff"}, {"#FFFFFF", "#ffffff"}, {"#225566", "#225566"}, {"#12a", "#1122aa"},
		{"white", "#ffffff"}, {"Black", "#000000"}, {"magenta", "#ff00ff"}, {"pink", "#ffc0cb"}, {"gray", "#808080"},
	} {
		var b background
		if err := b.UnmarshalText([]byte(c.in)); err != nil || b.String() != c.want {
			t.Errorf("-background %q: %v, %v; want %s", c.in, b, err, c.want)
		}
	}
	for _, c := range []struct{ in, why string }{
		{"256", "a gray level is 0..255"}, {"300", "a gray level is 0..255"}, {"1000", "a gray level is 0..255"},
		{"-1", "a gray level is 0..255"}, {"99999999999999999999", "a gray level is 0..255"},
		{"12a", "hex colours need a '#': #12a"}, {"abc", "hex colours need a '#': #abc"}, {"1e2", "hex colours need a '#': #1e2"},
		{"225566", "a gray level is 0..255"}, {"aabbcc", "hex colours need a '#': #aabbcc"},
		{"#12", "want #rrggbb or #rgb"}, {"#ggg", "want #rrggbb or #rgb"}, {"#1234567", "want #rrggbb or #rgb"},
		{"", "want #rrggbb"}, {"pinkish", "want #rrggbb"}, {"12.5", "want #rrggbb"},
	} {
		var b background
		if err := b.UnmarshalText([]byte(c.in)); err == nil || !strings.Contains(err.Error(), c.why) {
			t.Errorf("-background %q: %v, %v; want an error saying %q", c.in, b, err, c.why)
		}
	}

	img := sharedCase(t, "background_number_as_hex/pal_trns.png")
	for _, v := range []string{"256", "300", "1e2", "abc", "-1"} {
		code, _, stderr := runCLI(t, "run", "-images", img, "-tile", "8", "-k", "2", "-backend", "cpu", "-background", v, "-out", filepath.Join(t.TempDir(), "o"))
		if code != exitUsage || !strings.HasPrefix(stderr, "tilekmeans: -background "+v+": ") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("-background %s: exit %d, %q; want one usage line", v, code, stderr)
		}
	}
	// The transparent pixels (palette index 0, tRNS 0) become the gray
	// level given, and summary.json says which colour.
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	src, _, err := image.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		flag string
		gray uint8
	}{{"255", 255}, {"0", 0}, {"100", 100}, {"#646464", 100}} {
		out := filepath.Join(t.TempDir(), "o")
		code, _, stderr := runCLI(t, "run", "-q", "-images", img, "-tile", "8", "-k", "2", "-backend", "cpu", "-background", c.flag, "-export", "npy", "-out", out)
		if code != exitOK {
			t.Fatalf("-background %s: exit %d: %s", c.flag, code, stderr)
		}
		if got := readSummary(t, out)["background"]; got != (background{c.gray, c.gray, c.gray}).String() {
			t.Errorf("-background %s: summary says %v", c.flag, got)
		}
		tilesNpy := readTilesNpy(t, out)
		want := composite(src, color.Gray{Y: c.gray})
		b := src.Bounds()
		transparent, wrong := 0, 0
		for y := range b.Dy() {
			for x := range b.Dx() {
				tile := (y/8)*(b.Dx()/8) + x/8
				got := tilesNpy[tile*64+(y%8)*8+x%8]
				if _, _, _, a := src.At(b.Min.X+x, b.Min.Y+y).RGBA(); a == 0 {
					transparent++
					if got != c.gray {
						wrong++
					}
				}
				if got != want.GrayAt(x, y).Y {
					wrong++
				}
			}
		}
		if transparent != 672 || wrong != 0 {
			t.Errorf("-background %s: %d transparent pixels (want 672), %d pixels off", c.flag, transparent, wrong)
		}
	}
}

// composite draws src over an opaque background and returns its gray
// levels (BT.601 luma, as color.GrayModel).
func composite(src image.Image, bg color.Color) *image.Gray {
	b := src.Bounds()
	rgba := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(rgba, rgba.Bounds(), image.NewUniform(bg), image.Point{}, draw.Src)
	draw.Draw(rgba, rgba.Bounds(), src, b.Min, draw.Over)
	g := image.NewGray(rgba.Bounds())
	draw.Draw(g, g.Bounds(), rgba, image.Point{}, draw.Src)
	return g
}

// TestCase_ninit_explicit_rows: ../shared/cases/ninit_explicit_rows.
// -init rows:... -n-init 4 ran the same start four times and recorded
// n_init 4. Right (scikit-learn warns "Explicit initial center position
// passed: performing only one init"): one run, one note on stderr and in
// summary.json's warnings, n_init 1, the result of -n-init 1. On the USPS
// sheets and the embedded ones, with several row lists.
func TestCase_ninit_explicit_rows(t *testing.T) {
	type job struct {
		images  []string
		k, rows string
	}
	for _, j := range []job{{nil, "5", "rows:0,1,2,3,4"}, {nil, "2", "rows:5609,17"}, {[]string{"usps"}, "3", "rows:0,1,2"}} {
		t.Run(j.rows, func(t *testing.T) { testOneStart(t, j.images, j.k, j.rows) })
	}
	// With random or k-means++ starts -n-init still runs every start.
	_, stderr := runSummary(t, "run", "-backend", "cpu", "-k", "3", "-init", "kmeans++", "-n-init", "3", "-v")
	if !strings.Contains(stderr, "k=3 restart 3 ") || strings.Contains(stderr, "note:") {
		t.Errorf("kmeans++ -n-init 3: %s", stderr)
	}
}

// testOneStart checks that -init rows -n-init 4 on the sheets images
// (the embedded ones when nil, the USPS sheets for "usps") runs once, with
// a note.
func testOneStart(t *testing.T, images []string, k, rows string) {
	if len(images) > 0 {
		images = []string{"-images", sharedtest.SharedDir(t, "data", "usps")}
	}
	base := append(append([]string{"run", "-backend", "cpu", "-k", k, "-init", rows}, images...), "-v")
	once, _ := runSummary(t, base...)
	s, stderr := runSummary(t, append(base, "-n-init", "4")...)
	note := "tilekmeans: note: -init " + rows + " gives the initial centroids: one run instead of -n-init 4"
	if strings.Count(stderr, note) != 1 || strings.Contains(stderr, "restart") || strings.Count(stderr, " iter 1/") != 1 {
		t.Errorf("%s -n-init 4: want one note %q and one start, stderr:\n%s", rows, note, stderr)
	}
	r, w := s.Runs[0], once.Runs[0]
	if s.NInit != 1 || len(s.Warnings) != 1 || !strings.HasPrefix(note, "tilekmeans: note: "+s.Warnings[0][:40]) ||
		r.Inertia != w.Inertia || r.Iterations != w.Iterations || !slices.Equal(r.Sizes, w.Sizes) {
		t.Errorf("%s -n-init 4: n_init %d, warnings %q, %+v; want n_init 1 and the -n-init 1 result %+v", rows, s.NInit, s.Warnings, r, w)
	}
}

// spacedSheet encodes a PNG of cols x rows RGBA tiles of 8x8 pixels,
// spacing pixels apart (gutters opaque red), with seeded random colours
// and alpha in {0, 64, 128, 200, 255}; the tiles listed in blank are one
// opaque colour.
func spacedSheet(t *testing.T, cols, rows, spacing int, blank ...int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, cols*8+(cols-1)*spacing, rows*8+(rows-1)*spacing))
	draw.Draw(img, img.Rect, image.NewUniform(color.NRGBA{255, 0, 0, 255}), image.Point{}, draw.Src)
	rng := rand.New(rand.NewPCG(7, uint64(spacing)))
	alphas := []uint8{0, 64, 128, 200, 255}
	for r := range rows {
		for c := range cols {
			x0, y0 := c*(8+spacing), r*(8+spacing)
			flat := slices.Contains(blank, r*cols+c)
			for y := range 8 {
				for x := range 8 {
					px := color.NRGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), alphas[rng.IntN(len(alphas))]}
					if flat {
						px = color.NRGBA{40, 80, 120, 255}
					}
					img.SetNRGBA(x0+x, y0+y, px)
				}
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// assignCSV runs assign and returns its exit code, stderr and rows.
func assignCSV(t *testing.T, args ...string) (code int, stderr string, recs [][]string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "a.csv")
	code, _, stderr = runCLI(t, append(append([]string{"assign"}, args...), "-o", out)...)
	if code == exitOK {
		recs = readCSV(t, out)
	} else if _, err := os.Stat(out); err == nil {
		t.Errorf("assign %v failed (exit %d) but wrote %s", args, code, out)
	}
	return code, stderr, recs
}

// sameLabels counts the tiles assign put in the cluster the run gave them
// (labels.csv of the run, column k) and checks that both list the same
// tiles in the same order.
func sameLabels(t *testing.T, assigned [][]string, runLabels string, k int) (same, n int) {
	t.Helper()
	run := readCSV(t, runLabels)
	if len(run) != len(assigned) {
		t.Fatalf("assign wrote %d rows, the run's labels.csv has %d", len(assigned), len(run))
	}
	col := slices.Index(run[0], fmt.Sprintf("k%d", k))
	for i := 1; i < len(run); i++ {
		if !slices.Equal(run[i][:4], assigned[i][:4]) {
			t.Fatalf("row %d: assign has tile %v, the run %v", i, assigned[i][:4], run[i][:4])
		}
		if run[i][col] == assigned[i][4] {
			same++
		}
	}
	return same, len(run) - 1
}

// TestCase_assign_ignores_run_background: ../shared/cases/assign_ignores_run_background.
// assign composited over white although the run used black (12 of 20
// tiles of semi.png kept their cluster; 685 of 1767 on the Kenney sheet).
// Right: assign cuts the sheets as the run did, from its summary.json
// beside the centroids folder: background, margin, spacing, -crop and
// -skip-blank (tile size and colour are the centroids'), so the run's own
// sheets get the run's labels; a flag that contradicts the run is one
// usage line. A folder without a run beside it keeps the flag defaults; a
// symbolic link to a run's k folder is that folder.
func TestCase_assign_ignores_run_background(t *testing.T) {
	t.Run("synthetic: spacing, background, skip-blank, tileset", func(t *testing.T) {
		dir := t.TempDir()
		sheet := writeFile(t, dir, "spaced.png", spacedSheet(t, 6, 4, 2, 3, 17))
		out := filepath.Join(dir, "out")
		if code, _, stderr := runCLI(t, "run", "-q", "-backend", "cpu", "-images", sheet, "-tile", "8", "-spacing", "2", "-color", "rgb",
			"-background", "#336699", "-skip-blank", "-k", "3,4", "-out", out); code != exitOK {
			t.Fatalf("run: exit %d: %s", code, stderr)
		}
		cents := filepath.Join(out, "4")
		for _, agree := range [][]string{nil, {"-spacing", "2", "-background", "#369", "-margin", "0", "-color", "rgb", "-tile", "8"}} {
			code, stderr, recs := assignCSV(t, append([]string{"-centroids", cents, "-images", sheet}, agree...)...)
			if code != exitOK || !strings.Contains(stderr, "cutting the sheets as the run did ("+filepath.Join(out, "summary.json")+"): 8x8 rgb tiles, margin 0, spacing 2, background #336699, -skip-blank") {
				t.Fatalf("assign %v: exit %d: %s", agree, code, stderr)
			}
			if same, n := sameLabels(t, recs, filepath.Join(out, "labels.csv"), 4); same != n || n != 22 {
				t.Errorf("assign %v: %d of %d tiles in the run's cluster, want all 22 (24 less 2 blank)", agree, same, n)
			}
		}
		tsx := func(name string, spacing int) string {
			img := writeFile(t, dir, name+".png", spacedSheet(t, 6, 4, spacing))
			return writeFile(t, dir, name+".tsx", fmt.Appendf(nil, `<?xml version="1.0" encoding="UTF-8"?>
<tileset version="1.10" name="t" tilewidth="8" tileheight="8" spacing="%d" tilecount="24" columns="6">
 <image source="%s"/>
</tileset>`, spacing, filepath.Base(img)))
		}
		if code, stderr, _ := assignCSV(t, "-centroids", cents, "-tileset", tsx("same", 2)); code != exitOK {
			t.Errorf("-tileset with the run's grid: exit %d: %s", code, stderr)
		}
		for _, c := range []struct {
			args []string
			msg  string
		}{
			{[]string{"-images", sheet, "-background", "white"}, "-background #ffffff: the run that wrote " + cents + " used #336699 (" + filepath.Join(out, "summary.json") + "); leave -background out"},
			{[]string{"-images", sheet, "-background", "0"}, "-background #000000: the run that wrote " + cents + " used #336699"},
			{[]string{"-images", sheet, "-spacing", "0"}, "-spacing 0: the run that wrote " + cents + " used 2"},
			{[]string{"-images", sheet, "-margin", "1"}, "-margin 1: the run that wrote " + cents + " used 0"},
			{[]string{"-images", sheet, "-tile", "4"}, "-tile 4: the centroids in " + cents + " are 8x8"},
			{[]string{"-images", sheet, "-color", "gray"}, "-color gray: the centroids in " + cents + " are rgb"},
			{[]string{"-tileset", tsx("other", 0)}, "its grid has margin 0, spacing 0, but the run that wrote " + cents + " had margin 0, spacing 2"},
		} {
			code, stderr, _ := assignCSV(t, append([]string{"-centroids", cents}, c.args...)...)
			if code != exitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.msg) {
				t.Errorf("assign %v: exit %d, %q; want one usage line with %q", c.args, code, stderr, c.msg)
			}
		}
		// A sheet laid out on another grid: one line that says the run's
		// grid is the one, and advises no flag the run contradicts.
		other := writeFile(t, dir, "other.png", spacedSheet(t, 6, 4, 0))
		code, stderr, _ := assignCSV(t, "-centroids", cents, "-images", other)
		if code != exitFailure || strings.Count(stderr, "\n") != 1 || strings.Contains(stderr, "use -") ||
			!strings.Contains(stderr, "other.png: 48x32 is not a whole grid of ") || !strings.Contains(stderr, "; the grid is that of the run that wrote "+cents) {
			t.Errorf("sheet on another grid: exit %d, %q", code, stderr)
		}
		// The same centroids copied out of the run: no run to follow, the
		// flags' defaults (white, no -skip-blank) and the flags given.
		bare := filepath.Join(dir, "bare")
		if err := os.CopyFS(bare, os.DirFS(cents)); err != nil {
			t.Fatal(err)
		}
		code, stderr, recs := assignCSV(t, "-centroids", bare, "-images", sheet, "-spacing", "2")
		if code != exitOK || strings.Contains(stderr, "as the run did") || !strings.Contains(stderr, "composited over #ffffff") || len(recs) != 25 {
			t.Errorf("bare folder: exit %d, %d rows, %s", code, len(recs), stderr)
		}
		// A symbolic link to the run's k folder is that folder: the run
		// beside it is followed (it silently composited over white).
		link := filepath.Join(dir, "lnk4")
		if err := os.Symlink(cents, link); err != nil {
			t.Fatal(err)
		}
		code, stderr, recs = assignCSV(t, "-centroids", link, "-images", sheet)
		if code != exitOK || !strings.Contains(stderr, "cutting the sheets as the run did ("+filepath.Join(out, "summary.json")+"): 8x8 rgb tiles, margin 0, spacing 2, background #336699, -skip-blank") {
			t.Errorf("-centroids through a link: exit %d: %s", code, stderr)
		} else if same, n := sameLabels(t, recs, filepath.Join(out, "labels.csv"), 4); same != n || n != 22 {
			t.Errorf("-centroids through a link: %d of %d tiles in the run's cluster", same, n)
		}
	})
	t.Run("crop", func(t *testing.T) {
		dir := t.TempDir()
		sheet := writeFile(t, dir, "odd.png", pngOf(t, 70, 36)) // 4 x 2 tiles of 16, 6x4 pixels over
		out := filepath.Join(dir, "out")
		if code, _, stderr := runCLI(t, "run", "-q", "-backend", "cpu", "-images", sheet, "-crop", "-k", "2", "-out", out); code != exitOK {
			t.Fatalf("run: exit %d: %s", code, stderr)
		}
		code, stderr, recs := assignCSV(t, "-centroids", filepath.Join(out, "2"), "-images", sheet)
		if code != exitOK || !strings.Contains(stderr, "spacing 0, background #ffffff, -crop") {
			t.Fatalf("assign after a -crop run: exit %d: %s", code, stderr)
		}
		if same, n := sameLabels(t, recs, filepath.Join(out, "labels.csv"), 2); same != n || n != 8 {
			t.Errorf("%d of %d tiles in the run's cluster, want all 8", same, n)
		}
	})
	t.Run("semi.png", func(t *testing.T) {
		semi := sharedCase(t, "assign_ignores_run_background/semi.png")
		out := filepath.Join(t.TempDir(), "out")
		if code, _, stderr := runCLI(t, "run", "-q", "-backend", "cpu", "-images", semi, "-tile", "8", "-color", "rgb", "-background", "black", "-k", "4", "-out", out); code != exitOK {
			t.Fatalf("run: exit %d: %s", code, stderr)
		}
		code, stderr, recs := assignCSV(t, "-q", "-centroids", filepath.Join(out, "4"), "-images", semi)
		if code != exitOK {
			t.Fatalf("assign: exit %d: %s", code, stderr)
		}
		if same, n := sameLabels(t, recs, filepath.Join(out, "labels.csv"), 4); same != 20 || n != 20 {
			t.Errorf("%d of %d tiles in the run's cluster, want 20 of 20", same, n)
		}
	})
	t.Run("Kenney sheet", func(t *testing.T) {
		kenney := sheet(t, "roguelikeSheet_transparent.png")
		out := filepath.Join(t.TempDir(), "out")
		if code, _, stderr := runCLI(t, "run", "-q", "-backend", "cpu", "-images", kenney, "-tile", "64", "-spacing", "4", "-color", "rgb", "-background", "black", "-k", "4", "-out", out); code != exitOK {
			t.Fatalf("run: exit %d: %s", code, stderr)
		}
		code, stderr, recs := assignCSV(t, "-q", "-centroids", filepath.Join(out, "4"), "-images", kenney)
		if code != exitOK {
			t.Fatalf("assign: exit %d: %s", code, stderr)
		}
		// The centroid PNGs are the means rounded: a few tiles near a
		// boundary may change (README).
		if same, n := sameLabels(t, recs, filepath.Join(out, "labels.csv"), 4); n != 1767 || float64(same) < 0.99*float64(n) {
			t.Errorf("%d of %d tiles in the run's cluster, want at least 99%% of 1767", same, n)
		} else {
			t.Logf("Kenney sheet: %d of %d tiles in the run's cluster", same, n)
		}
	})
}

// TestCase_assign_missing_last_centroid: ../shared/cases/assign_missing_last_centroid.
// run/3 without centroid3.png was used as k=2. Right: when the run's
// summary.json beside the folder says k, a folder with fewer centroid
// files names the missing one, and one with more names the stray one
// (exit 1, nothing written); a bare folder (no run beside it) has no k to
// hold it to.
func TestCase_assign_missing_last_centroid(t *testing.T) {
	t.Run("case", func(t *testing.T) {
		dir := sharedCase(t, "assign_missing_last_centroid")
		cents := filepath.Join(dir, "run", "3")
		code, stderr, _ := assignCSV(t, "-centroids", cents, "-images", filepath.Join(dir, "base.png"))
		want := "-centroids " + cents + " holds 2 centroids, but the run wrote 3 (" + filepath.Join(dir, "run", "summary.json") + "): centroid3.png is missing"
		if code != exitFailure || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, want) {
			t.Errorf("exit %d, %q; want one line %q", code, stderr, want)
		}
	})
	dir := t.TempDir()
	sheet := writeFile(t, dir, "s.png", pngOf(t, 64, 64))
	out := filepath.Join(dir, "out")
	if code, _, stderr := runCLI(t, "run", "-q", "-backend", "cpu", "-images", sheet, "-k", "3,5", "-out", out); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	five := filepath.Join(out, "5")
	for _, c := range []struct {
		change func() error
		msg    string
	}{
		{func() error { return os.Remove(filepath.Join(five, "centroid5.png")) }, "holds 4 centroids, but the run wrote 5 (" + filepath.Join(out, "summary.json") + "): centroid5.png is missing"},
		{func() error { return os.Remove(filepath.Join(five, "centroid4.png")) }, "holds 3 centroids, but the run wrote 5 (" + filepath.Join(out, "summary.json") + "): centroid4.png is missing"},
	} {
		if err := c.change(); err != nil {
			t.Fatal(err)
		}
		if code, stderr, _ := assignCSV(t, "-centroids", five, "-images", sheet); code != exitFailure || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.msg) {
			t.Errorf("exit %d, %q; want one line with %q", code, stderr, c.msg)
		}
	}
	// Three stray centroids in 3/.
	for i := 1; i <= 3; i++ {
		data, err := os.ReadFile(filepath.Join(out, "3", fmt.Sprintf("centroid%d.png", i)))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(out, "3"), fmt.Sprintf("centroid%d.png", i+3), data)
	}
	if code, stderr, _ := assignCSV(t, "-centroids", filepath.Join(out, "3"), "-images", sheet); code != exitFailure || !strings.Contains(stderr, "holds 6 centroids, but the run wrote 3 ("+filepath.Join(out, "summary.json")+"): centroid4.png is not the run's") {
		t.Errorf("stray centroids: exit %d, %q", code, stderr)
	}
	// The same files out of the run: no k to hold them to.
	bare := filepath.Join(dir, "bare")
	if err := os.CopyFS(bare, os.DirFS(five)); err != nil {
		t.Fatal(err)
	}
	if code, stderr, _ := assignCSV(t, "-centroids", bare, "-images", sheet); code != exitOK || !strings.Contains(stderr, "assigned to the 3 centroids in "+bare) {
		t.Errorf("bare folder: exit %d, %q", code, stderr)
	}
}

// runWithMemory runs the command with avail bytes of memory said to be
// available.
func runWithMemory(t *testing.T, avail uint64, args ...string) (code int, stderr string) {
	t.Helper()
	var stdout, errb bytes.Buffer
	a := &app{stdout: &stdout, stderr: &errb, openGPU: openGPU,
		memAvailable: func() (uint64, string, bool) { return avail, "test figure", true }}
	return a.run(context.Background(), args), errb.String()
}

// TestCase_bench_sizes_oom_crash: ../shared/cases/bench_sizes_oom_crash.
// bench -sizes 1000000 (5.61e9 USPS tiles, 1.4 TB) died with the runtime's
// "fatal error: out of memory" and its stacks. Right: every size a flag
// makes the tool allocate is checked against the memory available first
// (numpy: "Unable to allocate 1.4 TiB ..."): one line naming the flag and
// the bytes, exit 2, nothing written. The figure is replaced here, so
// nothing is allocated and the refusals do not depend on the machine.
func TestCase_bench_sizes_oom_crash(t *testing.T) {
	dir := t.TempDir()
	img := writeFile(t, dir, "s.png", pngOf(t, 64, 32)) // 8 tiles of 256 features
	out := filepath.Join(dir, "out")
	for _, c := range []struct {
		avail uint64
		args  []string
		msg   string
	}{
		// 8 x 1000000000 tiles x 256 features, twice, with labels and distances.
		{16 << 30, []string{"bench", "-images", img, "-backends", "cpu", "-k", "5", "-reps", "1", "-iters", "2", "-sizes", "1,1000000000"},
			"-sizes 1,1000000000: needs 3.78 TiB (1000000000 x 8 tiles of 256 features, twice (the data and the CPU backend's copy), with their labels and distances), more than the 16 GiB of memory available (test figure)"},
		{16 << 30, []string{"bench", "-images", img, "-backends", "gpu", "-sizes", "99999999999999999999999"}, "-sizes \"99999999999999999999999\""},
		{16 << 30, []string{"bench", "-images", img, "-backends", "cpu", "-sizes", "9223372036854775807"}, "-sizes 9223372036854775807: needs more than 16 EiB (9223372036854775807 x 8 tiles"},
		{1 << 30, []string{"bench", "-images", img, "-workers", "1000000"}, "-workers 1000000: needs 15.3 GiB (about 16 KiB of stack and scratch per worker), more than the 1 GiB"},
		{1 << 30, []string{"run", "-images", img, "-k", "2", "-workers", "100000", "-out", out}, "-workers 100000: needs 1.53 GiB"},
		{1 << 30, []string{"assign", "-centroids", dir, "-images", img, "-workers", "100000"}, "-workers 100000: needs 1.53 GiB"},
		// The tiles' copy (2048 B); per k 64 B of labels and distances,
		// and per centroid 12 x 256 B of centroids and means, 256 B of
		// image and 16384 B of montage cell (128 x 128 pixels): 3..8 make
		// 33 centroids; the loop at k = 8: 128 B and 16 x 256 B per
		// centroid. 2048 + 6 x 64 + 33 x 19712 + 128 + 8 x 4096 = 685824.
		{100 << 10, []string{"run", "-images", img, "-k", "3-8", "-out", out}, "-k 3-8: needs 670 KiB (8 tiles of 256 features: the CPU backend's copy, and for 6 ks the labels, distances, centroids and images), more than the 100 KiB of memory available (test figure)"},
	} {
		code, stderr := runWithMemory(t, c.avail, c.args...)
		if code != exitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d, %q; want one usage line with %q", c.args, code, stderr, c.msg)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused run wrote -out")
	}
	if code, stderr := runWithMemory(t, 1<<20, "run", "-q", "-images", img, "-k", "3-8", "-backend", "cpu", "-out", out); code != exitOK {
		t.Errorf("-k 3-8 in 1 MiB: exit %d, %s", code, stderr)
	}
	// The case's command, against the memory this machine has: its 1.4 TB
	// are more than any machine running the tests.
	usps := sharedtest.SharedDir(t, "data", "usps")
	code, _, stderr := runCLI(t, "bench", "-images", usps, "-backends", "cpu", "-k", "5", "-reps", "1", "-iters", "2", "-sizes", "1000000")
	if code != exitUsage || strings.Count(stderr, "\n") != 1 ||
		!strings.Contains(stderr, "-sizes 1000000: needs 2.65 TiB (1000000 x 5,610 tiles of 256 features, twice (the data and the CPU backend's copy), with their labels and distances), more than the ") {
		t.Errorf("bench -sizes 1000000: exit %d, %q", code, stderr)
	}
}

// TestCase_bench_sizes_oom_crash_inputs: sizes from a flag or a file
// header were not checked against memory before the tile matrix was
// allocated: -resize 100000x100000 and an array resized to 3000x3000 died
// with "fatal error: runtime: out of memory"; -resize 500x500 on 60,000
// images took 15 GB and then blamed -k; a 1.6 KB gzipped IDX file whose
// header says 40,000,000 (or 15,000,000) images crashed (or took 11.5 GB
// for 94 s before "truncated"); an array larger than memory crashed.
// Right: the matrix (and the CPU backend's copy) is checked once the
// headers are read, before it is allocated: one line naming -resize (exit
// 2) or the file (exit 1); a gzipped header is never trusted beyond what
// the file can hold. The figure is replaced, so nothing big is allocated.
func TestCase_bench_sizes_oom_crash_inputs(t *testing.T) {
	dir := t.TempDir()
	folder := filepath.Join(dir, "imgs")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 60 {
		writeFile(t, folder, fmt.Sprintf("%02d.png", i), pngOf(t, 28, 28))
	}
	var b bytes.Buffer
	if err := npy.Write(&b, make([]uint8, 1000*784), 1000, 28, 28); err != nil {
		t.Fatal(err)
	}
	array := writeFile(t, dir, "X.npy", b.Bytes())
	sheet := writeFile(t, dir, "s.png", pngOf(t, 64, 32))
	cents := filepath.Join(dir, "c")
	if err := os.Mkdir(cents, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, cents, "centroid1.png", pngOf(t, 28, 28))
	// Gzipped IDX files of 100 images whose headers say more.
	gzIDX := func(name string, count uint32) string {
		hdr := binary.BigEndian.AppendUint32([]byte{0, 0, 8, 3}, count)
		hdr = binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(hdr, 28), 28)
		var gz bytes.Buffer
		z := gzip.NewWriter(&gz)
		z.Write(append(hdr, make([]byte, 100*784)...))
		z.Close()
		return writeFile(t, dir, name, gz.Bytes())
	}
	lie40 := gzIDX("gz40000000-idx3-ubyte.gz", 40_000_000)
	lie15 := gzIDX("gz15000000-idx3-ubyte.gz", 15_000_000)
	lie := gzIDX("gz101-idx3-ubyte.gz", 101) // within what the file can hold
	out := filepath.Join(dir, "out")
	for _, c := range []struct {
		avail uint64
		args  []string
		code  int
		msg   string
	}{
		{16 << 30, []string{"run", "-images", folder, "-resize", "100000x100000"}, exitUsage,
			"-resize 100000x100000: needs 46.6 GiB (one 100000x100000 sample and the image it is scaled into, at 4 bytes a pixel), more than the 16 GiB of memory available (test figure)"},
		{16 << 30, []string{"run", "-images", array, "-resize", "3000x3000"}, exitUsage,
			"-resize 3000x3000: needs 16.8 GiB (1000 samples of 9000000 features from " + array + ", and the CPU backend's copy), more than the 16 GiB"},
		// 60 x 250000 bytes, twice, 12 bytes of origin each, and the
		// workers' 1 MB images: never "-k".
		{30 << 20, []string{"run", "-images", folder, "-resize", "500x500", "-k", "2"}, exitUsage,
			"-resize 500x500: needs "},
		{1 << 20, []string{"run", "-images", array}, exitFailure,
			"load " + array + ": needs 1.51 MiB (1000 samples of 784 features from " + array + ", and the CPU backend's copy), more than the 1 MiB of memory available (test figure)"},
		{1 << 20, []string{"assign", "-centroids", cents, "-images", array}, exitFailure,
			"load " + array + ": needs 1.51 MiB (1000 samples of 784 features from " + array + ", and the CPU backend's copy)"},
		{3 << 10, []string{"run", "-images", sheet}, exitFailure,
			"load " + sheet + ": needs 4.09 KiB (8 tiles of 256 features from " + sheet + ", and the CPU backend's copy), more than the 3 KiB"},
		{16 << 30, []string{"run", "-images", lie40}, exitFailure,
			lie40 + ": the count does not match the size: the IDX header says 40000000 images of 28x28 (31360000000 bytes of data), more than a gzipped file of "},
		{16 << 30, []string{"run", "-images", lie15}, exitFailure,
			lie15 + ": the count does not match the size: the IDX header says 15000000 images of 28x28 (11760000000 bytes of data), more than a gzipped file of "},
		{16 << 30, []string{"run", "-images", lie}, exitFailure,
			lie + ": truncated: the IDX header says 101 images of 28x28 (79184 bytes of data), the file holds 78400"},
	} {
		code, stderr := runWithMemory(t, c.avail, append(c.args, "-out", out)...)
		if c.args[0] == "assign" {
			code, stderr = runWithMemory(t, c.avail, c.args...)
		}
		if code != c.code || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.msg) || strings.Contains(stderr, "-k ") {
			t.Errorf("%v: exit %d, %q; want exit %d and one line with %q", c.args, code, stderr, c.code, c.msg)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused run wrote -out")
	}
	// Enough memory: the same files load.
	if code, stderr := runWithMemory(t, 1<<30, "run", "-q", "-images", folder, "-resize", "16x16", "-k", "2", "-backend", "cpu", "-out", out); code != exitOK {
		t.Errorf("-resize 16x16 in 1 GiB: exit %d, %s", code, stderr)
	}
}

// TestCase_sheet_pixel_limit: the 2^28-pixel sheet limit was in no
// document and could not be raised. Right: -max-pixels (every command that
// reads sheets) sets it, the refusal names the limit and the flag, and a
// value the memory cannot hold is a usage error.
func TestCase_sheet_pixel_limit(t *testing.T) {
	dir := t.TempDir()
	img := writeFile(t, dir, "s.png", pngOf(t, 64, 32)) // 2048 pixels
	for _, cmd := range [][]string{
		{"run", "-q", "-k", "2", "-backend", "cpu", "-out", filepath.Join(dir, "out")},
		{"bench", "-k", "2", "-sizes", "1", "-reps", "1", "-iters", "1", "-backends", "cpu"},
	} {
		code, _, stderr := runCLI(t, append(cmd, "-images", img, "-max-pixels", "2047")...)
		if code != exitFailure || strings.Count(stderr, "\n") != 1 ||
			!strings.Contains(stderr, "s.png: png image of 64x32 pixels is larger than the 2047-pixel limit (-max-pixels raises it)") {
			t.Errorf("%s -max-pixels 2047: exit %d, %q", cmd[0], code, stderr)
		}
		if code, _, stderr := runCLI(t, append(cmd, "-images", img, "-max-pixels", "2048")...); code != exitOK {
			t.Errorf("%s -max-pixels 2048: exit %d, %q", cmd[0], code, stderr)
		}
		for _, v := range []string{"0", "-5"} {
			if code, _, stderr := runCLI(t, append(cmd, "-images", img, "-max-pixels", v)...); code != exitUsage || !strings.Contains(stderr, "-max-pixels "+v+": want >= 1") {
				t.Errorf("%s -max-pixels %s: exit %d, %q", cmd[0], v, code, stderr)
			}
		}
		if code, stderr := runWithMemory(t, 1<<30, append(cmd, "-images", img, "-max-pixels", "1000000000")...); code != exitUsage ||
			!strings.Contains(stderr, "-max-pixels 1000000000: needs 3.73 GiB (a sheet that large, decoded at 4 bytes a pixel), more than the 1 GiB") {
			t.Errorf("%s -max-pixels 1e9 in 1 GiB: exit %d, %q", cmd[0], code, stderr)
		}
	}
	// The default, 2^28, from a header alone (the file holds one pixel).
	huge := pngOf(t, 1, 1)
	binary.BigEndian.PutUint32(huge[16:], 16385)
	binary.BigEndian.PutUint32(huge[20:], 16385)
	binary.BigEndian.PutUint32(huge[29:], crc32.ChecksumIEEE(huge[12:29]))
	p := writeFile(t, dir, "huge.png", huge)
	code, _, stderr := runCLI(t, "run", "-images", p, "-out", filepath.Join(dir, "o2"))
	if code != exitFailure || !strings.Contains(stderr, "huge.png: png image of 16385x16385 pixels is larger than the 268435456-pixel limit (-max-pixels raises it)") {
		t.Errorf("default limit: exit %d, %q", code, stderr)
	}
}

// TestCase_large_k: at k = 20,000 the per-k line listed every cluster size
// (40 KB), the montage was one 2032 x 181416 strip and the report 39 MB.
// Right: the line gives the sizes' range and median past 32 clusters, the
// montage is near square in files of at most 4096 pixels a side (said on
// stderr, in summary.json and on the page), and the page shows at most
// 256 clusters, saying so (TestCase_large_k_report, with the layouts in
// TestCase_large_k_montage). Here 8 tiles of 1400x1400 pixels, 4 to a
// montage file, make k = 7 a montage of two files, as 16x16 tiles do
// past k = 900; k = 40 of the embedded sheet a capped line. The seed
// job's outputs (k = 3..7) are TestGoldenOutputs'.
func TestCase_large_k(t *testing.T) {
	dir := t.TempDir()
	big := image.NewGray(image.Rect(0, 0, 4*1400, 2*1400))
	for i := range big.Pix {
		big.Pix[i] = uint8(i/1400*37 + i%1400/300)
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&b, big); err != nil {
		t.Fatal(err)
	}
	sheet := writeFile(t, dir, "big.png", b.Bytes())
	out := filepath.Join(dir, "out")
	code, _, stderr := runCLI(t, "run", "-images", sheet, "-tile", "1400", "-k", "7", "-backend", "cpu", "-out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	note := "tilekmeans: k=7: the montage of the 7 centroids is split into 2 files of at most 4096 x 4096 pixels, at most 4 centroids each (row by row): 7/montage.png (centroids 1-4), montage2.png (centroids 5-7)\n"
	if strings.Count(stderr, note) != 1 {
		t.Errorf("no note %q in\n%s", note, stderr)
	}
	for name, size := range map[string]image.Rectangle{"montage.png": image.Rect(0, 0, 2808, 2808), "montage2.png": image.Rect(0, 0, 2808, 2808)} {
		if b := decodePNG(t, filepath.Join(out, "7", name)).Bounds(); b != size {
			t.Errorf("%s: %v, want %v", name, b, size)
		}
	}
	var s summary
	data, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &s); err != nil || s.Runs[0].MontageFiles != 2 {
		t.Errorf("summary.json: %v, montage_files %d", err, s.Runs[0].MontageFiles)
	}
	page, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "Too large for this page, the montage of the 7 centroids is split into 2 files") || strings.Contains(string(page), `class="px montage"`) {
		t.Error("report.html does not say where the montage is, or shows it")
	}
	// A rerun replaces the folder: the montage parts are the tool's files.
	if code, _, stderr := runCLI(t, "run", "-q", "-images", sheet, "-tile", "1400", "-k", "3", "-backend", "cpu", "-out", out); code != exitOK {
		t.Errorf("rerun over a split montage: exit %d: %s", code, stderr)
	}

	// Past 32 clusters the line gives the sizes' range and median, in run
	// and in assign.
	mnist := writeFile(t, dir, "mnist_1.png", embedded.Sheets()[0].Data)
	code, _, stderr = runCLI(t, "run", "-images", mnist, "-k", "32,40", "-iters", "2", "-backend", "cpu", "-out", out)
	if code != exitOK {
		t.Fatalf("k=32,40: exit %d: %s", code, stderr)
	}
	if !regexp.MustCompile(`(?m)^k=32: .*, sizes \[(\d+ ){31}\d+\], `).MatchString(stderr) ||
		!regexp.MustCompile(`(?m)^k=40: .*, sizes \d+\.\.\d+, median \d+(, \d+ empty)? \(all 40 in summary.json\), [0-9.]+ s$`).MatchString(stderr) {
		t.Errorf("per-k lines:\n%s", stderr)
	}
	code, stderr, _ = assignCSV(t, "-centroids", filepath.Join(out, "40"), "-images", mnist)
	if code != exitOK || !regexp.MustCompile(`sizes \d+\.\.\d+, median \d+(, \d+ empty)? \(all 40 in the CSV's cluster column\); wrote`).MatchString(stderr) {
		t.Errorf("assign k=40: exit %d, %q", code, stderr)
	}
}

// TestCase_help_texts: assign -h said "-color (default gray)" though the
// default is the centroids' colour; bench -h said -allow-mismatch is
// recorded in summary.json, which bench does not write; -seed -1 was "not
// a number" without the range; run -h listed only npy for -export, and
// -images named neither .npy nor IDX. Right: each help says what the
// command does, every flag of every command is in the README, and every
// value and format the README lists for a flag is in its help.
func TestCase_help_texts(t *testing.T) {
	help := func(cmd string) string {
		code, _, stderr := runCLI(t, cmd, "-h")
		if code != exitOK {
			t.Fatalf("%s -h: exit %d", cmd, code)
		}
		return stderr
	}
	assign := help("assign")
	for _, want := range []string{"default: the centroids' colour", "default: the centroids' size", "default: as the run that wrote -centroids did (its summary.json), else white"} {
		if !strings.Contains(assign, want) {
			t.Errorf("assign -h does not say %q", want)
		}
	}
	if strings.Contains(assign, "(default gray)") || strings.Contains(assign, "(default #ffffff)") || strings.Contains(assign, "(default )") {
		t.Errorf("assign -h claims a default of run's:\n%s", assign)
	}
	if bench := help("bench"); strings.Contains(bench, "summary.json") || !strings.Contains(bench, "bench marks the device 'parity canary failed'") {
		t.Errorf("bench -h:\n%s", bench)
	}
	for _, cmd := range []string{"run", "bench"} {
		code, _, stderr := runCLI(t, cmd, "-seed", "-1")
		if code != exitUsage || stderr != "tilekmeans: -seed -1: out of range (want a whole number 0..18446744073709551615)\n" {
			t.Errorf("%s -seed -1: exit %d, %q", cmd, code, stderr)
		}
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"run", "assign", "bench", "devices", "version"} {
		for _, m := range regexp.MustCompile(`(?m)^  (-[a-z-]+)`).FindAllStringSubmatch(help(cmd), -1) {
			if !strings.Contains(string(readme), "`"+m[1]) && !strings.Contains(string(readme), " "+m[1]+"`") {
				t.Errorf("%s %s is not in README.md", cmd, m[1])
			}
		}
	}
	// The other way: every value and format the README's flag tables list
	// for a flag is in that flag's help (run -h listed only npy for
	// -export, and -images named no array format).
	for _, cmd := range []string{"run", "assign"} {
		flagHelp := helpByFlag(help(cmd))
		for flag, values := range readmeFlagValues(t, string(readme), cmd) {
			for _, v := range values {
				if h, ok := flagHelp[flag]; ok && !strings.Contains(h, v) {
					t.Errorf("%s -h: the README lists %q for %s, its help does not: %q", cmd, v, flag, h)
				}
			}
		}
	}
}

// helpByFlag splits a command's -h output into each flag's text.
func helpByFlag(help string) map[string]string {
	out := map[string]string{}
	flag := ""
	for _, line := range strings.Split(help, "\n") {
		if m := regexp.MustCompile(`^  (-[a-z-]+)`).FindStringSubmatch(line); m != nil {
			flag = m[1]
		}
		if flag != "" {
			out[flag] += line + "\n"
		}
	}
	return out
}

// readmeFlagValues returns, for each flag of cmd's table in README.md
// (the section "## `tilekmeans cmd`"), the values and formats the table
// lists for it: the values after the flag in its first column (`-fit
// stretch\|pad\|crop`, `-export npy,folders`, placeholders in capitals
// left out), and in its meaning the backquoted NAME:VALUE words
// (`folders:copy`, `rows:N`), lists of file extensions (`.jpg .png`; 2 to
// 4 letters, which leaves out a marker file such as .tilekmeans) and
// file name patterns (`*-idx3-ubyte`, as idx3-ubyte).
func readmeFlagValues(t *testing.T, readme, cmd string) map[string][]string {
	t.Helper()
	start := strings.Index(readme, "## `tilekmeans "+cmd+"`")
	if start < 0 {
		t.Fatalf("README.md has no section for %s", cmd)
	}
	section := readme[start+3:]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	out := map[string][]string{}
	code := regexp.MustCompile("`([^`]+)`")
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `-") {
			continue
		}
		cells := strings.Split(strings.ReplaceAll(line, `\|`, "\x00"), " | ")
		var flags []string
		for _, m := range code.FindAllStringSubmatch(cells[0], -1) {
			words := strings.Fields(m[1])
			if !strings.HasPrefix(words[0], "-") {
				continue
			}
			flags = append(flags, words[0])
			for _, w := range words[1:] {
				for _, v := range strings.FieldsFunc(w, func(r rune) bool { return r == 0 || r == ',' }) {
					if v[0] >= 'a' && v[0] <= 'z' {
						out[words[0]] = append(out[words[0]], v)
					}
				}
			}
		}
		if len(flags) != 1 || len(cells) < 3 {
			continue
		}
		for _, m := range code.FindAllStringSubmatch(cells[len(cells)-1], -1) {
			words := strings.Fields(m[1])
			switch {
			case regexp.MustCompile(`^[a-z]+:[A-Za-z0-9,.]+$`).MatchString(m[1]):
				out[flags[0]] = append(out[flags[0]], m[1])
			case !slices.ContainsFunc(words, func(w string) bool { return !regexp.MustCompile(`^\.[a-z0-9]{2,4}$`).MatchString(w) }):
				out[flags[0]] = append(out[flags[0]], words...)
			case regexp.MustCompile(`^\*-idx[0-9]-ubyte$`).MatchString(m[1]):
				out[flags[0]] = append(out[flags[0]], m[1][2:])
			}
		}
	}
	if cmd == "run" && (len(out["-images"]) < 8 || len(out["-export"]) < 3) {
		t.Fatalf("README.md's %s table: values %v: the parse found too few", cmd, out)
	}
	return out
}
