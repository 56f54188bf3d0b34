package report

import (
	"bytes"
	"image"
	"image/png"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/tiles"
)

// fixture makes n random size x size tiles over the given sheets and a
// clustering of them into k clusters by tile index, with distances that
// grow with the index inside a cluster.
func fixture(n, size, k int, sheets []string) (*tiles.Set, Run) {
	rng := rand.New(rand.NewPCG(1, 2))
	d := size * size
	t := &tiles.Set{Width: size, Height: size, D: d, Pix: make([]uint8, n*d)}
	for i := range t.Pix {
		t.Pix[i] = uint8(rng.IntN(256))
	}
	for _, s := range sheets {
		t.Sheets = append(t.Sheets, tiles.Sheet{Path: s, Width: 33 * size, Height: 34 * size, Rows: 34, Cols: 33})
	}
	for i := range n {
		t.Origins = append(t.Origins, tiles.Origin{Sheet: int32(i * len(sheets) / n), Row: int32((i / 33) % 34), Col: int32(i % 33)})
	}
	res := &kmeans.Result{K: k, D: d, Means: make([]float64, k*d), Sizes: make([]int, k), Inertia: 1e6 / float64(k), Iterations: 7, Converged: true}
	for i := range res.Means {
		res.Means[i] = float64(i%d) * 255 / float64(d)
	}
	for i := range n {
		l := int32(i % k)
		res.Labels = append(res.Labels, l)
		res.Dists = append(res.Dists, float32(n-i)) // the last tiles of a cluster are nearest
		res.Sizes[l]++
	}
	r := Run{Result: res, Seconds: 0.25}
	for c := range k {
		r.Centroids = append(r.Centroids, tiles.CentroidImage(res.Means[c*d:(c+1)*d], size, size, tiles.Gray))
	}
	r.Montage = Montage(r.Centroids, MontageLayout{Scale: 8, Gap: 8})
	return t, withQuality(t, r)
}

// withQuality fills r.Quality against t's sheets, as the command does.
func withQuality(t *tiles.Set, r Run) Run {
	classes := make([]int, t.N())
	for i, o := range t.Origins {
		classes[i] = int(o.Sheet)
	}
	q := kmeans.CompareClasses(classes, len(t.Sheets), r.Result.Labels, r.Result.K)
	r.Quality = &q
	return r
}

// render writes in's report; with several sheets and no classes given, the
// classes are the sheets, as the command's default -labels sheets does.
func render(t *testing.T, in *Input) string {
	t.Helper()
	if in.Classes == nil && in.Tiles != nil && len(in.Tiles.Sheets) > 1 {
		for _, sh := range in.Tiles.Sheets {
			in.Classes = append(in.Classes, filepath.Base(sh.Path))
		}
		in.ClassesBy, in.ClassesFrom = "sheet", "one per sheet"
	}
	elbow, err := Elbow(in.Runs, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Write(&b, in, elbow); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestReportContent(t *testing.T) {
	tl, r2 := fixture(300, 4, 2, []string{"a/one.png", "b/two.png", "c/three.png"})
	_, r3 := fixture(300, 4, 3, []string{"x"})
	in := &Input{
		Title: "T", Subtitle: "S",
		Facts: []Fact{{Name: "backend", Value: "cpu"}, {Name: "time", Value: "1 s", Timing: true}},
		Tiles: tl, Runs: []Run{r2, withQuality(tl, r3)},
	}
	in.Runs[0].Notes = []string{"-verify: fine"}
	html := render(t, in)
	for _, want := range []string{
		`<section id="run">`, `<section id="elbow">`, `<section id="k2" class="k">`, `<section id="k3" class="k">`,
		`id="k2c1"`, `id="k3c3"`, `<table class="heat confusion">`, "nearest 20", "farthest 20 (outliers)",
		"<th>one.png</th>", "-verify: fine", `<tr class="seconds"><th>time</th><td>1 s</td></tr>`,
		`image-rendering: pixelated`, `alt="Elbow plot: inertia against k"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// Every cluster shows 20 nearest and 20 farthest tiles: 2*20*(2+3).
	if n := strings.Count(html, "<figure "); n != 200 {
		t.Errorf("%d tile figures, want 200", n)
	}
	// Cluster 1 of k=2 holds the even tiles; the nearest is the one with
	// the smallest distance (the last), the farthest the first.
	sec := html[strings.Index(html, `id="k2c1"`):]
	near := tileIndexes(sec[strings.Index(sec, `class="strip near"`):strings.Index(sec, `class="strip far"`)])
	far := tileIndexes(sec[strings.Index(sec, `class="strip far"`):strings.Index(sec, "</div>\n</div>\n</div>")])
	if want := seq(298, -2, 20); !slices.Equal(near, want) {
		t.Errorf("nearest %v, want %v", near, want)
	}
	if want := seq(0, 2, 20); !slices.Equal(far, want) {
		t.Errorf("farthest %v, want %v", far, want)
	}
	if !strings.Contains(sec, `<figcaption><b>#298</b><br>three<br>r9 c1</figcaption>`) {
		t.Error("tile 298 is not captioned with its index, sheet, row and column")
	}
	// The heat map: sheet one.png holds tiles 0..99, 50 in each cluster.
	if !regexp.MustCompile(`<tr><th>one.png</th><td style="background:#[0-9a-f]{6};color:#[0-9a-f]{6}" title="one.png: 50 tiles \(50.0 % of the sheet\) in cluster 1">50</td>`).MatchString(html) {
		t.Error("heat map row of one.png not as expected")
	}
}

func tileIndexes(s string) []int {
	var out []int
	for _, m := range regexp.MustCompile(`alt="tile (\d+)"`).FindAllStringSubmatch(s, -1) {
		n, _ := strconv.Atoi(m[1])
		out = append(out, n)
	}
	return out
}

func seq(from, step, n int) []int {
	var out []int
	for i := range n {
		out = append(out, from+i*step)
	}
	return out
}

func TestReportSelfContainedAndEscaped(t *testing.T) {
	evil := `<script>alert("x")</script>&"'.png`
	tl, r := fixture(40, 4, 2, []string{evil, "ok.png"})
	in := &Input{
		Title: "<b>title</b>", Subtitle: `"sub"`, Tiles: tl, Runs: []Run{r},
		Facts: []Fact{{Name: "<i>n</i>", Value: "<img src=x onerror=alert(1)>"}},
	}
	html := render(t, in)
	for _, bad := range []string{"<script", "<b>title", "<i>n", "<img src=x", "http://", "https://", "<link", "@import", "url("} {
		if strings.Contains(html, bad) {
			t.Errorf("report contains %q", bad)
		}
	}
	if !strings.Contains(html, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Error("sheet name not escaped as text")
	}
	srcs := regexp.MustCompile(`src="([^"]*)"`).FindAllStringSubmatch(html, -1)
	if len(srcs) == 0 {
		t.Fatal("no images")
	}
	for _, m := range srcs {
		if !strings.HasPrefix(m[1], "data:image/png;base64,") {
			t.Fatalf("image source %.60q is not an inline PNG", m[1])
		}
	}
	// Few tiles: a cluster of 20 shows all 20 both ways.
	if n := strings.Count(html, "<figure "); n != 80 {
		t.Errorf("%d figures, want 80", n)
	}
}

func TestReportOneSheetOneK(t *testing.T) {
	tl, r := fixture(5, 4, 1, []string{"only.png"})
	html := render(t, &Input{Title: "t", Tiles: tl, Runs: []Run{r}})
	if strings.Contains(html, `class="heat`) || strings.Contains(html, "purity") {
		t.Error("one sheet: no heat map or purity expected")
	}
	if n := strings.Count(html, "<figure "); n != 10 {
		t.Errorf("%d figures, want 5 nearest and 5 farthest", n)
	}
	if err := Write(&bytes.Buffer{}, &Input{Tiles: tl}, nil); err == nil {
		t.Error("no runs: no error")
	}
}

// TestReportTimingLines: two renders that differ only in timings differ
// only in lines marked as timings.
func TestReportTimingLines(t *testing.T) {
	tl, r := fixture(100, 4, 3, []string{"a", "b"})
	a := render(t, &Input{Tiles: tl, Runs: []Run{r}, Facts: []Fact{{Name: "t", Value: "1", Timing: true}}})
	r.Seconds = 12.5
	b := render(t, &Input{Tiles: tl, Runs: []Run{r}, Facts: []Fact{{Name: "t", Value: "2", Timing: true}}})
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	if len(la) != len(lb) {
		t.Fatalf("%d lines vs %d", len(la), len(lb))
	}
	diff := 0
	for i := range la {
		if la[i] != lb[i] {
			diff++
			if !strings.Contains(la[i], `seconds"`) {
				t.Errorf("line %d differs but is not marked as a timing: %q", i+1, la[i])
			}
		}
	}
	if diff != 3 {
		t.Errorf("%d lines differ, want 3 (fact, overview, metric)", diff)
	}
}

func TestElbow(t *testing.T) {
	var runs []Run
	for k := 3; k <= 7; k++ {
		_, r := fixture(20, 4, k, []string{"a"})
		runs = append(runs, r)
	}
	a, err := Elbow(runs, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Elbow(runs, 0, 0)
	if !bytes.Equal(a, b) {
		t.Error("two elbow plots of the same runs differ")
	}
	img, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != image.Rect(0, 0, elbowW, elbowH) {
		t.Errorf("elbow is %v", img.Bounds())
	}
	// Some blue line pixels, and not a blank image.
	blue := 0
	for y := range elbowH {
		for x := range elbowW {
			r, g, b, _ := img.At(x, y).RGBA()
			if b>>8 > 150 && r>>8 < 80 && g>>8 < 130 {
				blue++
			}
		}
	}
	if blue < 200 {
		t.Errorf("%d blue pixels: no line drawn", blue)
	}
	// The knee ringed in orange (kneeOrange), and only when there is one.
	orange := func(knee int) int {
		b, err := Elbow(runs, 0, knee)
		if err != nil {
			t.Fatal(err)
		}
		img, _ := png.Decode(bytes.NewReader(b))
		n := 0
		for y := range elbowH {
			for x := range elbowW {
				r, g, b, _ := img.At(x, y).RGBA()
				if r>>8 > 230 && g>>8 > 100 && g>>8 < 150 && b>>8 < 60 {
					n++
				}
			}
		}
		return n
	}
	if none, knee := orange(0), orange(5); none != 0 || knee < 50 {
		t.Errorf("%d orange pixels without a knee, %d with", none, knee)
	}
	if _, err := Elbow(runs[:1], 0, 0); err != nil {
		t.Errorf("one k: %v", err)
	}
	if _, err := Elbow(nil, 0, 0); err == nil {
		t.Error("no runs: no error")
	}
}

func TestSI(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 950: "950", 1500: "1.5k", 8.7e9: "8.7G", 7.25e6: "7.25M"} {
		if got := si(v); got != want {
			t.Errorf("si(%v) = %q, want %q", v, got, want)
		}
	}
	if got := formatInt(8714119816.4); got != "8\u202f714\u202f119\u202f816" {
		t.Errorf("formatInt = %q", got)
	}
}

func sweep() *Input {
	in := &Input{}
	for k := 3; k <= 7; k++ {
		var r Run
		in.Tiles, r = fixture(5610, 16, k, []string{"1", "2", "3", "4", "5"})
		in.Runs = append(in.Runs, r)
	}
	return in
}

func BenchmarkReport(b *testing.B) {
	in := sweep()
	for b.Loop() {
		elbow, err := Elbow(in.Runs, 0, 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := Write(&bytes.Buffer{}, in, elbow); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLargeKStaysSmall: for k in the hundreds the galleries are capped, and
// the page says so.
func TestLargeKStaysSmall(t *testing.T) {
	for _, tc := range []struct{ k, extremes int }{{5, 20}, {60, 20}, {61, 19}, {256, 4}, {1024, 1}, {3000, 1}} {
		if got := galleryExtremes(tc.k); got != tc.extremes {
			t.Errorf("k=%d: %d extremes, want %d", tc.k, got, tc.extremes)
		}
	}
	tl, r := fixture(5000, 8, 256, []string{"a.png", "b.png"})
	page := render(t, &Input{Title: "t", Tiles: tl, Runs: []Run{r}})
	if !strings.Contains(page, "Each cluster shows its 4 nearest and 4 farthest tiles") {
		t.Error("the cap is not said")
	}
	if n := strings.Count(page, "<figure "); n == 0 || n > GalleryTiles {
		t.Errorf("%d tile images for k=256", n)
	}
	if len(page) > 4<<20 {
		t.Errorf("page of %d bytes for k=256", len(page))
	}
}

// TestReportClassesAndColour: classes other than sheets head the heat map;
// too many classes leave it out with a note; no classes give the note why;
// RGB tiles are shown in colour.
func TestReportClassesAndColour(t *testing.T) {
	tl, r := fixture(120, 4, 3, []string{"one.png"})
	classes := []string{"a", "b", "c", "d"}
	of := make([]int, tl.N())
	for i := range of {
		of[i] = i % 4
	}
	q := kmeans.CompareClasses(of, 4, r.Result.Labels, 3)
	r.Quality = &q
	html := render(t, &Input{Tiles: tl, Runs: []Run{r}, Classes: classes, ClassesBy: "class", ClassesFrom: "grid row / 5 (-labels rows:5)"})
	for _, want := range []string{"<h3>Class &times; cluster</h3>", "<tr><th>class \\ cluster</th>", "<tr><th>a</th>",
		"the true classes: grid row / 5 (-labels rows:5).", "<span>purity</span>"} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	many := make([]string, MaxHeatClasses+1)
	for i := range many {
		many[i] = strconv.Itoa(i)
		of[i%len(of)] = i
	}
	q = kmeans.CompareClasses(of, len(many), r.Result.Labels, 3)
	r.Quality = &q
	html = render(t, &Input{Tiles: tl, Runs: []Run{r}, Classes: many, ClassesBy: "class", ClassesFrom: "from labels.tsv"})
	if strings.Contains(html, `class="heat`) || !strings.Contains(html, "The class x cluster table has 65 rows: it is left out") {
		t.Error("65 classes: the heat map is not left out with a note")
	}
	r.Quality = nil
	html = render(t, &Input{Tiles: tl, Runs: []Run{r}, QualityNote: "each of the 120 classes holds a single tile"})
	if strings.Contains(html, "<span>purity</span>") || !strings.Contains(html, "No purity, NMI or ARI: each of the 120 classes holds a single tile.") {
		t.Error("no classes: the note is missing or purity is shown")
	}

	rgb := &tiles.Set{Width: 2, Height: 1, Color: tiles.RGB, D: 6, Pix: []uint8{255, 0, 0, 0, 0, 255}, Origins: []tiles.Origin{{}}, Sheets: []tiles.Sheet{{Path: "c.png"}}}
	img := TileImage(rgb, 0).(*image.RGBA)
	if c := img.RGBAAt(0, 0); c.R != 255 || c.B != 0 || c.A != 255 {
		t.Errorf("red pixel %v", c)
	}
	if c := img.RGBAAt(1, 0); c.B != 255 || c.R != 0 {
		t.Errorf("blue pixel %v", c)
	}
}
