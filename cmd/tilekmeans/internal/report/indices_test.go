package report

import (
	"bytes"
	"context"
	"image/png"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/tiles"
)

// withScores scores the runs' clusterings of t (kmeans.Score, exact or a
// sample) and returns the Indices the command would give the report.
func withScores(t *testing.T, tl *tiles.Set, runs []Run, sample int) *Indices {
	t.Helper()
	data := kmeans.Data{N: tl.N(), D: tl.D, X: tl.Pix}
	var labels [][]int32
	var ks []int
	for _, r := range runs {
		labels, ks = append(labels, r.Result.Labels), append(ks, r.Result.K)
	}
	s, err := kmeans.Score(context.Background(), data, nil, labels, ks, kmeans.ScoreOptions{SampleSize: sample})
	if err != nil {
		t.Fatal(err)
	}
	for i := range runs {
		runs[i].Scores = &s[i]
	}
	k, rule := kmeans.Recommend(s)
	return &Indices{Recommended: k, Line: "recommended k = X: " + rule, How: "exact over all the tiles", BestSilhouette: k}
}

// TestReportIndices: with indices the page has the chart beside the elbow,
// the recommendation and how to read it, each k's indices, silhouette plot
// and map (saying when the map draws a sample), the recommended k marked,
// and a k without indices says why.
func TestReportIndices(t *testing.T) {
	tl, r1 := fixture(MapDots+500, 4, 1, []string{"a/one.png"})
	_, r3 := fixture(MapDots+500, 4, 3, []string{"a/one.png"})
	runs := []Run{r1, r3}
	in := &Input{Title: "T", Tiles: tl, Runs: runs, Indices: withScores(t, tl, runs, 0)}
	html := render(t, in)
	for _, want := range []string{
		"Elbow and indices: which k?", "<b>recommended k = X: the highest mean silhouette", "How to read them:",
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
		{"elbow with the recommended k", func() ([]byte, error) { return Elbow(runs, 4) }, elbowW, elbowH},
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
