package report

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"slices"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/tiles"
)

// withScores scores the runs' clusterings of t (kmeans.Score, exact, a
// sample, or no silhouette for sample < 0) and returns the Indices the
// command would give the report.
func withScores(t *testing.T, tl *tiles.Set, runs []Run, sample int) *Indices {
	t.Helper()
	data := kmeans.Data{N: tl.N(), D: tl.D, X: tl.Pix}
	var labels [][]int32
	var ks []int
	var inertia []float64
	for _, r := range runs {
		labels, ks, inertia = append(labels, r.Result.Labels), append(ks, r.Result.K), append(inertia, r.Result.Inertia)
	}
	opts := kmeans.ScoreOptions{SampleSize: max(0, sample), NoSilhouette: sample < 0}
	s, err := kmeans.Score(context.Background(), data, nil, labels, ks, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range runs {
		runs[i].Scores = &s[i]
	}
	rec := kmeans.Recommend(s, inertia)
	how := "exact over all the tiles"
	switch {
	case sample < 0:
		how = ""
	case sample > 0:
		how = "a seeded sample of the tiles"
	}
	return &Indices{Rec: rec, Line: fmt.Sprintf("recommended k = %d: by %s", rec.K, rec.Index), How: how, Cautions: []string{"a caution"}}
}

// TestReportIndices: with indices the page has the chart beside the elbow,
// the recommendation, its cautions and how to read it, each k's indices,
// silhouette plot and map (saying when the map draws a sample), the
// recommended k marked, and a k without indices says why.
func TestReportIndices(t *testing.T) {
	tl, r1 := fixture(MapDots+500, 4, 1, []string{"a/one.png"})
	_, r3 := fixture(MapDots+500, 4, 3, []string{"a/one.png"})
	runs := []Run{r1, r3}
	in := &Input{Title: "T", Tiles: tl, Runs: runs, Indices: withScores(t, tl, runs, 0)}
	html := render(t, in)
	for _, want := range []string{
		"Elbow and indices: which k?", "<b>recommended k = 3: by silhouette", "How to read them:", "Before taking it:", "<li>a caution.</li>",
		`alt="Silhouette, Davies-Bouldin and Calinski-Harabasz against k"`, `<tr class="recommended">`, "k = 3 (recommended)",
		`alt="silhouette plot of the 3 clusters"`, `alt="the tiles on their first two principal components`,
		"No indices: a single cluster (k = 1): the indices compare clusters and need at least 2.",
		"The map draws a seeded sample of 4000 of the 4500 tiles",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Count(html, `alt="silhouette plot of the`) != 1 || strings.Count(html, `alt="the tiles on their first two`) != 2 {
		t.Error("want one silhouette plot (k = 3) and a map per k")
	}
	// Without indices: none of it.
	plain := render(t, &Input{Title: "T", Tiles: tl, Runs: []Run{r1, r3}})
	if strings.Contains(plain, "which k?") || strings.Contains(plain, "silhouette") {
		t.Error("a page without indices shows them")
	}
}

// TestReportIndicesModes: what the page says of the indices is true in
// each mode: exact, a sample, -silhouette off (Davies-Bouldin chose, no
// silhouette panel, plot or caption) and no recommended k at all.
func TestReportIndicesModes(t *testing.T) {
	tl, r1 := fixture(400, 4, 1, []string{"s"})
	_, r2 := fixture(400, 4, 2, []string{"s"})
	_, r3 := fixture(400, 4, 3, []string{"s"})
	for _, c := range []struct {
		name         string
		runs         []Run
		sample       int
		want, wantNo []string
	}{
		{"exact", []Run{r2, r3}, 0,
			[]string{"the mean over the tiles (exact over all the tiles)", "The recommended k is the one with the highest mean silhouette",
				"Left: each cluster's tiles' silhouettes, sorted, the dashed line their mean. Right: every tile as a dot",
				"Kaufman and Rousseeuw read", `alt="Silhouette, Davies-Bouldin`},
			[]string{"(of the tiles in the sample)", "-silhouette off", "No k is recommended"}},
		{"sample", []Run{r2, r3}, 100,
			[]string{"the mean over the tiles (a seeded sample of the tiles)", "the dashed line their mean (of the tiles in the sample).",
				"The recommended k is the one with the highest mean silhouette"},
			[]string{"-silhouette off", "No k is recommended"}},
		{"off", []Run{r2, r3}, -1,
			[]string{"the silhouette was not computed (-silhouette off)", "The recommended k is the one with the lowest Davies-Bouldin index, since no k has a silhouette",
				"The map: every tile as a dot", `alt="Davies-Bouldin and Calinski-Harabasz against k"`},
			[]string{"highest mean silhouette", "the mean over the tiles", "Left:", "Right:", `alt="silhouette plot`, "No k is recommended", `alt="Silhouette, `}},
		{"no recommended k", []Run{r1}, 0,
			[]string{"No k is recommended: no k has the indices (k=1: a single cluster (k = 1)"},
			[]string{"The recommended k is", "the mean over the tiles", "Davies-Bouldin</b> compares", "Before taking it"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			runs := slices.Clone(c.runs)
			ind := withScores(t, tl, runs, c.sample)
			if ind.Rec.K == 0 {
				ind.Cautions = nil
			}
			html := render(t, &Input{Title: "T", Tiles: tl, Runs: runs, Indices: ind})
			for _, w := range c.want {
				if !strings.Contains(html, w) {
					t.Errorf("the page lacks %q", w)
				}
			}
			for _, w := range c.wantNo {
				if strings.Contains(html, w) {
					t.Errorf("the page says %q", w)
				}
			}
		})
	}
	// The chart has no panel for an index no k has.
	runs := []Run{r2, r3}
	ind := withScores(t, tl, runs, -1)
	b, err := IndicesChart(runs, ind)
	if err != nil || b == nil {
		t.Fatalf("%v", err)
	}
}

// TestIndicesPlots: the charts are PNGs of their stated size; none for
// runs without indices or a k without a silhouette.
func TestIndicesPlots(t *testing.T) {
	tl, r2 := fixture(300, 4, 2, []string{"s"})
	_, r4 := fixture(300, 4, 4, []string{"s"})
	runs := []Run{r2, r4}
	ind := withScores(t, tl, runs, 50)
	for _, c := range []struct {
		name string
		png  func() ([]byte, error)
		w, h int
	}{
		{"indices chart", func() ([]byte, error) { return IndicesChart(runs, ind) }, indicesW, indicesH},
		{"silhouette plot", func() ([]byte, error) { return SilhouettePlot(runs[1].Scores, runs[1].Result.Labels) }, silhouetteW, silhouetteH},
		{"elbow with the recommended k and the knee", func() ([]byte, error) { return Elbow(runs, 4, 2) }, elbowW, elbowH},
	} {
		b, err := c.png()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil || img.Bounds().Dx() != c.w || img.Bounds().Dy() != c.h {
			t.Errorf("%s: %v, %v", c.name, err, img.Bounds())
		}
	}
	if b, err := IndicesChart(runs, nil); b != nil || err != nil {
		t.Error("an indices chart without indices")
	}
	none := &kmeans.Scores{K: 2, SilhouetteOmitted: "off"}
	if b, err := SilhouettePlot(none, runs[0].Result.Labels); b != nil || err != nil {
		t.Error("a silhouette plot without a silhouette")
	}
}
