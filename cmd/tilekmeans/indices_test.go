package main

import (
	"encoding/json"
	"fmt"
	"html"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/tiles"
)

// sklearnPython returns Debian's python3 when it can import scikit-learn
// (package python3-sklearn, which .ci/deps installs), and otherwise ends t
// through sharedtest.Missing.
func sklearnPython(t testing.TB) string {
	t.Helper()
	py := sharedtest.NumpyPython(t)
	if err := exec.Command(py, "-c", "import sklearn.metrics").Run(); err != nil {
		sharedtest.Missing(t, py+" with scikit-learn not found (Debian package python3-sklearn; .ci/deps installs it)")
	}
	return py
}

// sklearnIndices runs testdata/sklearn_indices.py --samples on a run's
// output folder and returns its line per k.
func sklearnIndices(t *testing.T, py, out string) map[int]map[string]any {
	t.Helper()
	b, err := exec.Command(py, filepath.Join("testdata", "sklearn_indices.py"), out, "--samples").Output()
	if err != nil {
		t.Fatalf("sklearn_indices.py: %v", err)
	}
	got := map[int]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		got[int(m["k"].(float64))] = m
	}
	return got
}

// near reports whether got is within rel of want, relative to the larger
// magnitude (and to 1e-3 for values near 0, whose relative error says
// little).
func near(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Max(math.Max(math.Abs(got), math.Abs(want)), 1e-3)
}

// TestIndicesScikitLearn: the silhouette (of every tile), Davies-Bouldin
// and Calinski-Harabasz of each k, and each tile's silhouette, equal
// scikit-learn 1.2's silhouette_score, silhouette_samples,
// davies_bouldin_score and calinski_harabasz_score on the run's own
// tiles.npy and labels_k*.npy to 1e-9 relative: the USPS sheets for k =
// 3..7, the colour Kenney sheet and the 10x16 font.
func TestIndicesScikitLearn(t *testing.T) {
	py := sklearnPython(t)
	for _, c := range []struct {
		name string
		args func(t *testing.T) []string
	}{
		{"USPS", func(t *testing.T) []string { return append([]string{"-k", "3-7", "-images"}, sharedtest.Paths(t)...) }},
		{"Kenney colour sheet", func(t *testing.T) []string {
			return []string{"-tileset", sheet(t, "roguelikeSheet.tsx"), "-color", "rgb", "-k", "2,8"}
		}},
		{"10x16 font", func(t *testing.T) []string {
			return []string{"-images", sheet(t, "terminal10x16_gs_ro.png"), "-tile", "10x16", "-k", "1,4,16"}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "o")
			args := append([]string{"run", "-q", "-backend", "cpu", "-export", "npy", "-silhouette", "exact", "-out", out}, c.args(t)...)
			if code, _, stderr := runCLI(t, args...); code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			want := sklearnIndices(t, py, out)
			s := readSummary(t, out)
			for _, r := range s["runs"].([]any) {
				run := r.(map[string]any)
				k := int(run["k"].(float64))
				w := want[k]
				if w["error"] != nil {
					// scikit-learn refuses: the indices are left out.
					if run["indices_note"] == nil || run["silhouette"] != nil {
						t.Errorf("k=%d: scikit-learn says %q; summary %v", k, w["error"], run)
					}
					continue
				}
				for _, key := range []string{"silhouette", "davies_bouldin", "calinski_harabasz"} {
					got, ok := run[key].(float64)
					if !ok || !near(got, w[key].(float64), 1e-9) {
						t.Errorf("k=%d: %s %v, scikit-learn %v", k, key, run[key], w[key])
					}
				}
				a := readNpy[float64](t, filepath.Join(out, fmt.Sprintf("silhouette_k%d.npy", k)), "<f8")
				samples := w["samples"].([]any)
				if len(a.Data) != len(samples) {
					t.Fatalf("k=%d: %d silhouettes, scikit-learn %d", k, len(a.Data), len(samples))
				}
				bad := 0
				for i, v := range samples {
					if !near(a.Data[i], v.(float64), 1e-9) {
						if bad == 0 {
							t.Errorf("k=%d: tile %d: silhouette %v, scikit-learn %v", k, i, a.Data[i], v)
						}
						bad++
					}
				}
				if bad > 0 {
					t.Errorf("k=%d: %d tiles' silhouettes differ", k, bad)
				}
			}
		})
	}
}

// TestSilhouetteFlag: -silhouette exact, sample:N and off, what summary.json
// and the recommended-k line say for each, and bad values.
func TestSilhouetteFlag(t *testing.T) {
	for _, bad := range []string{"sample", "sample:1", "sample:x", "fast", ""} {
		code, _, stderr := runCLI(t, "run", "-silhouette", bad, "-out", filepath.Join(t.TempDir(), "o"))
		if code != exitUsage || !strings.HasPrefix(stderr, "tilekmeans: -silhouette "+bad+": ") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("-silhouette %q: exit %d, %q", bad, code, stderr)
		}
	}
	dir := t.TempDir()
	run := func(t *testing.T, flag string) (map[string]any, string) {
		out := filepath.Join(dir, strings.ReplaceAll(flag, ":", "_"))
		code, _, stderr := runCLI(t, "run", "-k", "1,3,4", "-backend", "cpu", "-export", "npy", "-silhouette", flag, "-out", out)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		return readSummary(t, out), stderr
	}
	t.Run("sample", func(t *testing.T) {
		s, stderr := run(t, "sample:500")
		ind := s["indices"].(map[string]any)
		if ind["silhouette"] != "sample" || ind["silhouette_tiles"] != 500.0 || !strings.Contains(ind["silhouette_how"].(string), "a seeded sample of 500 of the 5610 tiles") {
			t.Errorf("indices %v", ind)
		}
		if !strings.Contains(stderr, "a seeded sample of 500 of the 5610 tiles") {
			t.Errorf("the line does not say it sampled: %q", stderr)
		}
		a := readNpy[float64](t, filepath.Join(dir, "sample_500", "silhouette_k3.npy"), "<f8")
		scored := 0
		for _, v := range a.Data {
			if !math.IsNaN(v) {
				scored++
			}
		}
		if len(a.Data) != 5610 || scored != 500 {
			t.Errorf("silhouette_k3.npy: %d values, %d not NaN", len(a.Data), scored)
		}
	})
	t.Run("off", func(t *testing.T) {
		s, stderr := run(t, "off")
		for _, r := range s["runs"].([]any)[1:] {
			run := r.(map[string]any)
			if run["silhouette"] != nil || run["silhouette_note"] == nil || run["davies_bouldin"] == nil || run["calinski_harabasz"] == nil {
				t.Errorf("k=%v: %v", run["k"], run)
			}
		}
		if !strings.Contains(s["recommended_rule"].(string), "lowest Davies-Bouldin index") || !strings.Contains(stderr, "recommended k = ") {
			t.Errorf("rule %q, stderr %q", s["recommended_rule"], stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "off", "silhouette_k3.npy")); err == nil {
			t.Error("silhouette_k3.npy written with -silhouette off")
		}
	})
	t.Run("exact, k = 1 left out", func(t *testing.T) {
		s, _ := run(t, "exact")
		runs := s["runs"].([]any)
		k1 := runs[0].(map[string]any)
		if k1["indices_note"] == nil || k1["silhouette"] != nil || k1["davies_bouldin"] != nil {
			t.Errorf("k=1: %v", k1)
		}
		for _, r := range runs[1:] {
			run := r.(map[string]any)
			if _, ok := run["silhouette"].(float64); !ok || len(run["cluster_silhouette"].([]any)) != int(run["k"].(float64)) {
				t.Errorf("k=%v: %v", run["k"], run)
			}
		}
		rk := s["recommended_k"].(float64)
		best := s["indices"].(map[string]any)["best_k"].(map[string]any)
		if best["silhouette"] != rk || s["indices"].(map[string]any)["silhouette"] != "exact" {
			t.Errorf("recommended %v, best %v", rk, best)
		}
	})
}

// TestIndicesLeftOut: every cluster a single tile (k = N) and fewer
// distinct tiles than k leave the indices out with a reason, and
// summary.json has no NaN (it could not be written with one).
func TestIndicesLeftOut(t *testing.T) {
	dir := t.TempDir()
	// A sheet of 4x4 tiles, each a gray level plus its row.
	sheet := func(name string, levels ...int) string {
		img := image.NewGray(image.Rect(0, 0, 4*len(levels), 4))
		for x := range img.Rect.Dx() {
			for y := range 4 {
				img.Pix[y*img.Stride+x] = uint8(levels[x/4] + y)
			}
		}
		return writeFile(t, dir, name, encodeImage(t, name, img))
	}
	notes := func(args ...string) (map[float64]string, map[string]any) {
		out := filepath.Join(dir, fmt.Sprint(len(args)))
		code, _, stderr := runCLI(t, append([]string{"run", "-q", "-tile", "4", "-backend", "cpu", "-out", out}, args...)...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		s := readSummary(t, out)
		n := map[float64]string{}
		for _, r := range s["runs"].([]any) {
			run := r.(map[string]any)
			n[run["k"].(float64)], _ = run["indices_note"].(string)
			if n[run["k"].(float64)] != "" && (run["silhouette"] != nil || run["davies_bouldin"] != nil) {
				t.Errorf("k=%v: left out, yet %v", run["k"], run)
			}
		}
		return n, s
	}
	// 3 distinct tiles among 4.
	n, s := notes("-images", sheet("dup.png", 10, 200, 10, 90), "-k", "2,3,4")
	if n[2] != "" || n[3] != "" || !strings.Contains(n[4], "only 3 distinct tiles, fewer than k=4") {
		t.Errorf("notes %v", n)
	}
	if k := s["recommended_k"]; k != 2.0 && k != 3.0 {
		t.Errorf("recommended %v, want a k with indices", k)
	}
	// k = 3 splits the 3 distinct tiles perfectly: Calinski-Harabasz is
	// unbounded, so it is left out with its note and is the best k by it;
	// k = 4, tried and left out, makes k = 3 no edge of the range.
	for _, r := range s["runs"].([]any) {
		if run := r.(map[string]any); run["k"] == 3.0 {
			if note, _ := run["calinski_harabasz_note"].(string); run["calinski_harabasz"] != nil || !strings.Contains(note, "unbounded") {
				t.Errorf("k = 3: Calinski-Harabasz %v, note %q", run["calinski_harabasz"], note)
			}
		}
	}
	ind := s["indices"].(map[string]any)
	if best := ind["best_k"].(map[string]any)["calinski_harabasz"]; best != 3.0 {
		t.Errorf("best k by Calinski-Harabasz %v, want 3", best)
	}
	if c := fmt.Sprint(ind["cautions"]); strings.Contains(c, "widen") {
		t.Errorf("cautions %s", c)
	}
	// 4 distinct tiles, k = 4.
	n, s = notes("-images", sheet("own.png", 10, 200, 50, 90), "-k", "1,4", "-silhouette", "exact")
	if !strings.Contains(n[1], "k = 1") || !strings.Contains(n[4], "every cluster is a single tile") {
		t.Errorf("notes %v", n)
	}
	if s["recommended_k"] != nil || !strings.Contains(s["recommended_rule"].(string), "k = 1") {
		t.Errorf("recommended %v: %v", s["recommended_k"], s["recommended_rule"])
	}
}

// sixGlyphs writes a sheet of 6 glyphs of the 10x16 font, each repeated
// with noise (180 tiles of 10x16), as six.png in a temporary folder.
func sixGlyphs(t *testing.T) string {
	t.Helper()
	font, err := tiles.Load([]string{sheet(t, "terminal10x16_gs_ro.png")}, tiles.Options{Grid: tiles.Grid{TileWidth: 10, TileHeight: 16}})
	if err != nil {
		t.Fatal(err)
	}
	glyphs := []int{'0', 'A', 'M', '#', '@', 'x'} // CP437: tile index = code
	const copies, cols = 30, 18
	rows := len(glyphs) * copies / cols
	img := image.NewGray(image.Rect(0, 0, cols*10, rows*16))
	rng := rand.New(rand.NewPCG(6, 30))
	for i := range len(glyphs) * copies {
		g := font.Tile(glyphs[rng.IntN(len(glyphs))])
		if i < len(glyphs) {
			g = font.Tile(glyphs[i]) // every glyph at least once
		}
		x0, y0 := i%cols*10, i/cols*16
		for y := range 16 {
			for x := range 10 {
				v := int(g[y*10+x]) + rng.IntN(61) - 30
				img.Pix[(y0+y)*img.Stride+x0+x] = uint8(max(0, min(255, v)))
			}
		}
	}
	return writeFile(t, t.TempDir(), "six.png", encodeImage(t, "six.png", img))
}

// readmeCommand returns the arguments of the README's command line that
// begins with prefix (after "go run ./cmd/tilekmeans ").
func readmeCommand(t *testing.T, prefix string) []string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(readme), "\n") {
		if args, ok := strings.CutPrefix(line, "go run ./cmd/tilekmeans "+prefix); ok {
			return append(strings.Fields(prefix), strings.Fields(args)...)
		}
	}
	t.Fatalf("README.md has no line go run ./cmd/tilekmeans %s...", prefix)
	return nil
}

// TestKnownKinds: a sheet of 6 glyphs of the 10x16 font, each repeated 30
// times with noise, gets k = 6 recommended from a sweep of 2..12 with the
// flags README's "Which k?" names (k-means++ starts, 10 per k), for every
// seed tried, with no caution about the starts; with the defaults (one
// random start per k, the notebook's job) the recommendation line, summary
// and report say that it rests on one start per k and name those flags.
func TestKnownKinds(t *testing.T) {
	p := sixGlyphs(t)
	args := readmeCommand(t, "run -images six.png ")
	if !slices.Contains(args, "-n-init") || !slices.Contains(args, "kmeans++") {
		t.Fatalf("README's command %v does not name -init kmeans++ -n-init", args)
	}
	args[2] = p
	for _, seed := range []string{"0", "1", "2"} {
		out := filepath.Join(t.TempDir(), "o")
		code, _, stderr := runCLI(t, append(args, "-seed", seed, "-backend", "cpu", "-out", out)...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		s := readSummary(t, out)
		if s["recommended_k"] != 6.0 || !strings.Contains(stderr, "recommended k = 6: the highest mean silhouette") || strings.Contains(stderr, "single start") {
			t.Errorf("seed %s: recommended k %v (%v); stderr %q", seed, s["recommended_k"], s["recommended_rule"], stderr)
		}
	}
	out := filepath.Join(t.TempDir(), "o")
	code, _, stderr := runCLI(t, "run", "-images", p, "-tile", "10x16", "-k", "2-12", "-backend", "cpu", "-out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	const starts = "each k had a single start from random tiles (-init random -n-init 1, the notebook's job)"
	const rerun = "rerun with -init kmeans++ -n-init 10"
	line := ""
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "tilekmeans: recommended k = ") {
			line = l
		}
	}
	if !strings.Contains(line, starts) || !strings.Contains(line, rerun) {
		t.Errorf("the recommendation line does not say it rests on one random start per k: %q", line)
	}
	cautions := readSummary(t, out)["indices"].(map[string]any)["cautions"].([]any)
	if !slices.ContainsFunc(cautions, func(c any) bool { return strings.HasPrefix(c.(string), starts) }) {
		t.Errorf("summary.json's cautions %v", cautions)
	}
	page, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if text := html.UnescapeString(string(page)); !strings.Contains(text, "Before taking it:") || !strings.Contains(text, "<li>"+starts) || !strings.Contains(text, rerun) {
		t.Error("the report does not say that the verdict rests on one random start per k")
	}
}

// TestSilhouetteAuto: -silhouette auto is exact within the bound (56,100
// tiles of 256 features, and 67,320, which a bound without slack would
// sample to save 5%) and beyond it samples the most tiles within half the
// bound (561,000: 65,536), saying so; the other modes do what they say.
func TestSilhouetteAuto(t *testing.T) {
	for _, c := range []struct {
		flag   silhouetteFlag
		n, d   int
		size   int
		inLine string
	}{
		{silhouetteFlag{}, 56100, 256, 56100, "exact over all 56100 tiles"},
		{silhouetteFlag{}, 67320, 256, 67320, "exact over all 67320 tiles"},
		{silhouetteFlag{}, 92682, 256, 92682, "exact over all 92682 tiles"},
		{silhouetteFlag{}, 92683, 256, 65536, "a seeded sample of 65536 of the 92683 tiles (-silhouette auto"},
		{silhouetteFlag{}, 561000, 256, 65536, "a seeded sample of 65536 of the 561000 tiles (-silhouette auto"},
		{silhouetteFlag{}, 20000, 12288, maxTiles(12288, sampledPairWork), "a seeded sample of"},
		{silhouetteFlag{}, 1, 256, 1, "exact over the one tile"},
		{silhouetteFlag{mode: silhouetteExact}, 561000, 256, 561000, "exact over all 561000 tiles"},
		{silhouetteFlag{mode: silhouetteSample, n: 100}, 5610, 256, 100, "a seeded sample of 100 of the 5610 tiles (-silhouette sample:100)"},
		{silhouetteFlag{mode: silhouetteSample, n: 9000}, 5610, 256, 5610, "exact over all 5610 tiles"},
		{silhouetteFlag{mode: silhouetteOff}, 5610, 256, 0, ""},
	} {
		size, how := c.flag.sampleSize(c.n, c.d)
		if size != c.size || !strings.Contains(how, c.inLine) || c.inLine == "" && how != "" {
			t.Errorf("%s, %d x %d: %d, %q; want %d, %q", c.flag, c.n, c.d, size, how, c.size, c.inLine)
		}
	}
	for _, d := range []int{1, 256, 12288} {
		for _, work := range []float64{exactPairWork, sampledPairWork} {
			m := maxTiles(d, work)
			if pairWork(m, d) > work || pairWork(m+1, d) <= work {
				t.Errorf("D=%d: %d tiles is not the most within %g", d, m, work)
			}
		}
	}
	// A sample always saves at least half the work.
	if n := maxTiles(256, exactPairWork) + 1; pairWork(maxTiles(256, sampledPairWork), 256) > pairWork(n, 256)/2 {
		t.Error("the sample just past the bound saves less than half")
	}
}

// TestCautions: when not to trust the recommendation: no or weak structure
// by Kaufman and Rousseeuw's reading, the chosen k at the edge of the ks
// tried (not below 2) or alone, one start per k (with the flags that fix
// it), an inertia that rises with k, and Davies-Bouldin's verdict; none
// for a strong structure inside the range from many k-means++ starts.
func TestCautions(t *testing.T) {
	sweep := func(best int, value float64, ks ...int) ([]kmeans.Scores, []float64) {
		var s []kmeans.Scores
		var inertia []float64
		for _, k := range ks {
			v := value / 2
			if k == best {
				v = value
			}
			s = append(s, kmeans.Scores{K: k, Silhouette: v, DaviesBouldin: 1, CalinskiHarabasz: 1})
			inertia = append(inertia, 1000/float64(k))
		}
		return s, inertia
	}
	good := &runOptions{nInit: 10, init: initFlag{method: kmeans.InitKMeansPP}}
	for _, c := range []struct {
		name    string
		o       *runOptions
		best    int
		value   float64
		ks      []int
		rise    bool // the inertia of the last k above the first's
		off     bool
		want    []string
		wantNot []string
		edit    func(s []kmeans.Scores) // indices left out
	}{
		{"strong, inside, many starts", good, 5, 0.8, []int{3, 4, 5, 6, 7}, false, false, nil, nil, nil},
		{"no structure", good, 5, 0.0065, []int{3, 4, 5, 6, 7}, false, false, []string{"the best mean silhouette, 0.0065, is 0.25 or below: no substantial cluster structure"}, nil, nil},
		{"weak structure", good, 5, 0.4, []int{3, 4, 5, 6, 7}, false, false, []string{"0.50 or below: a weak structure, which could be artificial"}, nil, nil},
		{"largest k", good, 7, 0.8, []int{3, 4, 5, 6, 7}, false, false, []string{"k = 7 is the largest k tried: a larger k may score better; widen -k (say -k 3-14)"}, nil, nil},
		{"smallest k", good, 3, 0.8, []int{3, 4, 5, 6, 7}, false, false, []string{"k = 3 is the smallest k tried: a smaller k may score better; widen -k (say -k 2-7)"}, nil, nil},
		{"k = 2 is no edge", good, 2, 0.8, []int{2, 3, 4}, false, false, nil, nil, nil},
		{"one k", good, 5, 0.8, []int{5}, false, false, []string{"k = 5 is the only k with the indices"}, nil, nil},
		{"one random start", &runOptions{nInit: 1, init: initFlag{method: kmeans.InitRandom}}, 5, 0.8, []int{3, 4, 5, 6, 7}, false, false,
			[]string{"each k had a single start from random tiles (-init random -n-init 1, the notebook's job)", "rerun with -init kmeans++ -n-init 10"}, nil, nil},
		{"one k-means++ start", &runOptions{nInit: 1, init: initFlag{method: kmeans.InitKMeansPP}}, 5, 0.8, []int{3, 4, 5, 6, 7}, false, false,
			[]string{"each k had a single start (-n-init 1)", "rerun with -n-init 10"}, []string{"-init random"}, nil},
		{"inertia rises", good, 5, 0.8, []int{3, 4, 5, 6, 7}, true, false, []string{"the inertia at k = 7 (400) is above that at k = 6 (166.7), which only a poor local minimum gives"}, nil, nil},
		{"Davies-Bouldin", good, 5, 0.8, []int{3, 4, 5, 6, 7}, false, true, []string{"Davies-Bouldin has no scale"}, []string{"silhouette, "}, nil},
		// 4 distinct tiles and -k 2-8: the largest k scored is no edge.
		{"larger ks left out", good, 4, 0.8, []int{2, 3, 4, 5, 6, 7, 8}, false, false, nil, nil, func(s []kmeans.Scores) {
			for i := 3; i < len(s); i++ {
				s[i] = kmeans.Scores{K: s[i].K, Omitted: fmt.Sprintf("only 4 distinct tiles, fewer than k=%d", s[i].K)}
			}
		}},
		{"one k with a silhouette", good, 2, 0.1, []int{2, 3, 4}, false, false,
			[]string{"k = 2 is the only k with a silhouette (k = 3: the sample of 3 tiles: every cluster is a single tile; k = 4: the sample", "-silhouette exact", "at any k scored"},
			[]string{"k tried", "widen"}, func(s []kmeans.Scores) {
				for i := 1; i < len(s); i++ {
					s[i].Silhouette, s[i].SilhouetteOmitted = 0, "the sample of 3 tiles: every cluster is a single tile"
				}
			}},
	} {
		s, inertia := sweep(c.best, c.value, c.ks...)
		if c.edit != nil {
			c.edit(s)
		}
		if c.rise {
			inertia[len(inertia)-1] = 400
		}
		if c.off {
			for i := range s {
				s[i].SilhouetteOmitted = "off"
				s[i].DaviesBouldin = 2
				if s[i].K == c.best {
					s[i].DaviesBouldin = 1
				}
			}
		}
		got := strings.Join(cautions(c.o, kmeans.Recommend(s, inertia), s, inertia), "\n")
		if c.want == nil && got != "" {
			t.Errorf("%s: cautions %q", c.name, got)
		}
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: cautions %q lack %q", c.name, got, w)
			}
		}
		for _, w := range c.wantNot {
			if strings.Contains(got, w) {
				t.Errorf("%s: cautions %q say %q", c.name, got, w)
			}
		}
	}
}

// TestPureNoise: tiles of uniform noise get a recommended k whose line
// says that there is no substantial structure.
func TestPureNoise(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 16*20, 16*20))
	rng := rand.New(rand.NewPCG(0, 0))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
	}
	p := writeFile(t, t.TempDir(), "noise.png", encodeImage(t, "noise.png", img))
	out := filepath.Join(t.TempDir(), "o")
	code, _, stderr := runCLI(t, "run", "-images", p, "-k", "2-6", "-init", "kmeans++", "-n-init", "10", "-backend", "cpu", "-out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	ind := readSummary(t, out)["indices"].(map[string]any)
	if !strings.Contains(stderr, "is 0.25 or below: no substantial cluster structure at any k scored") || ind["structure"] != "none" {
		t.Errorf("structure %v; stderr %q", ind["structure"], stderr)
	}
}
