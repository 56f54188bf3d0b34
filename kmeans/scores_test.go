package kmeans_test

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/cpu"
	"github.com/tilekmeans/tilekmeans/internal/randdata"
	"github.com/tilekmeans/tilekmeans/kmeans"
)

// scoreData is a small data set with a singleton cluster, an exact
// duplicate row and an empty cluster (label 4 of k = 5). The wanted values
// are scikit-learn 1.2.1's silhouette_score, silhouette_samples,
// davies_bouldin_score and calinski_harabasz_score on the same uint8 array
// and labels.
var scoreData = kmeans.Data{N: 12, D: 3, X: []uint8{
	0, 0, 0, 1, 0, 0, 0, 2, 0, 9, 9, 9, 8, 9, 9, 9, 7, 9, 9, 9, 6, 200, 0, 50, 255, 255, 255, 0, 0, 0, 3, 1, 4, 1, 5, 9,
}}
var scoreLabels = []int32{0, 0, 0, 1, 1, 1, 1, 2, 3, 0, 0, 3}

func relClose(a, b, tol float64) bool {
	return a == b || math.Abs(a-b) <= tol*math.Max(math.Abs(a), math.Abs(b))
}

// TestScoreScikitLearn: the indices equal scikit-learn's, the empty cluster
// dropped as its LabelEncoder does, the singleton's silhouette 0, on the
// CPU backend and with the plain reference (a nil Assigner).
func TestScoreScikitLearn(t *testing.T) {
	wantRows := []float64{0.8632357621766729, 0.8451270474677783, 0.7939566522948815, 0.8609496385862292, 0.8458925826778082,
		0.8034791780695536, 0.7482969422965517, 0, -0.23386261607189943, 0.8632357621766729, 0.5255945777738569, -0.979975320391741}
	for _, a := range []kmeans.Assigner{nil, cpu.New(scoreData, cpu.Options{})} {
		s, err := kmeans.Score(context.Background(), scoreData, a, [][]int32{scoreLabels}, []int{5}, kmeans.ScoreOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := s[0]
		if got.Omitted != "" || got.SilhouetteOmitted != "" || got.Clusters != 4 || got.K != 5 || got.SilhouetteRows != nil {
			t.Fatalf("%+v", got)
		}
		for _, c := range []struct {
			name      string
			got, want float64
		}{
			{"silhouette", got.Silhouette, 0.4946608505880305},
			{"Davies-Bouldin", got.DaviesBouldin, 1.1406888795372847},
			{"Calinski-Harabasz", got.CalinskiHarabasz, 3.03500345951409},
		} {
			if !relClose(c.got, c.want, 1e-14) {
				t.Errorf("%s: %v, scikit-learn %v", c.name, c.got, c.want)
			}
		}
		for i, w := range wantRows {
			if !relClose(got.RowSilhouette[i], w, 1e-14) {
				t.Errorf("s(%d) = %v, scikit-learn %v", i, got.RowSilhouette[i], w)
			}
		}
		// Per cluster: the mean of its rows; 0 for the empty one.
		want := []float64{0, (wantRows[3] + wantRows[4] + wantRows[5] + wantRows[6]) / 4, 0, (wantRows[8] + wantRows[11]) / 2, 0}
		for _, i := range []int{0, 1, 2, 9, 10} {
			want[0] += wantRows[i] / 5
		}
		for c, w := range want {
			if !relClose(got.ClusterSilhouette[c], w, 1e-14) {
				t.Errorf("cluster %d: %v, want %v", c, got.ClusterSilhouette[c], w)
			}
		}
	}
}

// TestScoreOmitted: k = 1, every cluster a single row, fewer distinct rows
// than k, and a single row are left out with a reason, as is the
// silhouette when asked not to compute it; the rest is computed.
func TestScoreOmitted(t *testing.T) {
	n := scoreData.N
	one, own := make([]int32, n), make([]int32, n)
	for i := range own {
		own[i] = int32(i)
	}
	// 4 distinct rows, k = 5: each cluster holds copies of one row.
	dup := kmeans.Data{N: 8, D: 2, X: []uint8{1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 4, 4, 1, 1, 2, 2}}
	for _, c := range []struct {
		name   string
		data   kmeans.Data
		labels []int32
		k      int
		why    string
	}{
		{"k = 1", scoreData, one, 1, "a single cluster (k = 1)"},
		{"one cluster holds rows", scoreData, one, 3, "only 1 of the 3 clusters"},
		{"every row its own cluster", scoreData, own, n, "every cluster is a single tile"},
		{"fewer distinct rows", dup, []int32{0, 0, 1, 2, 3, 3, 0, 1}, 5, "only 4 distinct tiles, fewer than k=5"},
		{"one row", kmeans.Data{N: 1, D: 1, X: []uint8{7}}, []int32{0}, 1, "a single cluster (k = 1)"},
	} {
		for _, a := range []kmeans.Assigner{nil, cpu.New(c.data, cpu.Options{})} {
			s, err := kmeans.Score(context.Background(), c.data, a, [][]int32{c.labels}, []int{c.k}, kmeans.ScoreOptions{})
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if !strings.Contains(s[0].Omitted, c.why) || s[0].Silhouette != 0 || s[0].DaviesBouldin != 0 || s[0].RowSilhouette != nil {
				t.Errorf("%s: %+v, want omitted: %q", c.name, s[0], c.why)
			}
		}
	}
	s, err := kmeans.Score(context.Background(), scoreData, nil, [][]int32{scoreLabels}, []int{4}, kmeans.ScoreOptions{NoSilhouette: true})
	if err != nil {
		t.Fatal(err)
	}
	if s[0].SilhouetteOmitted == "" || s[0].Silhouette != 0 || !relClose(s[0].DaviesBouldin, 1.1406888795372847, 1e-14) {
		t.Errorf("no silhouette: %+v", s[0])
	}
}

// TestScoreUnboundedCalinskiHarabasz: k equal to the distinct rows, each
// cluster copies of one row, is a perfect split: silhouette 1 and
// Davies-Bouldin 0, as scikit-learn gives them, but no Calinski-Harabasz
// (within-cluster dispersion 0: unbounded, where scikit-learn returns 1,
// which ranked the perfect split below every other k), and Recommend
// takes that k as the best by Calinski-Harabasz.
func TestScoreUnboundedCalinskiHarabasz(t *testing.T) {
	data := kmeans.Data{N: 6, D: 2, X: []uint8{0, 0, 0, 0, 10, 10, 10, 10, 20, 20, 20, 20}}
	labels := [][]int32{{0, 0, 1, 1, 1, 1}, {0, 0, 1, 1, 2, 2}}
	for _, a := range []kmeans.Assigner{nil, cpu.New(data, cpu.Options{})} {
		s, err := kmeans.Score(context.Background(), data, a, labels, []int{2, 3}, kmeans.ScoreOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if s[0].CalinskiHarabaszOmitted != "" || s[0].CalinskiHarabasz <= 1 {
			t.Errorf("k = 2: %+v", s[0])
		}
		if p := s[1]; p.Omitted != "" || !strings.Contains(p.CalinskiHarabaszOmitted, "unbounded") || p.CalinskiHarabasz != 0 || p.Silhouette != 1 || p.DaviesBouldin != 0 {
			t.Errorf("k = 3: %+v", p)
		}
		if r := kmeans.Recommend(s, nil); r.K != 3 || r.BestCalinskiHarabasz != 3 || r.BestDaviesBouldin != 3 {
			t.Errorf("%+v, want k = 3 by every index", r)
		}
	}
}

// TestScoreErrors: shapes that do not fit are errors.
func TestScoreErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		labels [][]int32
		ks     []int
	}{
		{"label above k", [][]int32{append(slices.Clone(scoreLabels[:11]), 5)}, []int{5}},
		{"negative label", [][]int32{append(slices.Clone(scoreLabels[:11]), -1)}, []int{5}},
		{"short labels", [][]int32{scoreLabels[:11]}, []int{5}},
		{"ks and labellings", [][]int32{scoreLabels}, []int{5, 6}},
		{"k = 0", [][]int32{scoreLabels}, []int{0}},
	} {
		if _, err := kmeans.Score(context.Background(), scoreData, nil, c.labels, c.ks, kmeans.ScoreOptions{}); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
	other := cpu.New(randdata.Rows(rand.New(rand.NewPCG(1, 1)), 12, 3, 256), cpu.Options{})
	if _, err := kmeans.Score(context.Background(), scoreData, other, [][]int32{scoreLabels}, []int{5}, kmeans.ScoreOptions{}); err == nil {
		t.Error("an Assigner made for other data: no error")
	}
}

// TestScoreSample: a sample is seeded, sorted, the same for every
// labelling, and equals the exact silhouette of those rows alone; a
// sample that holds one cluster leaves the silhouette out.
func TestScoreSample(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	data := randdata.Rows(rng, 300, 6, 256)
	var labels [][]int32
	ks := []int{2, 3, 7}
	for _, k := range ks {
		lab := make([]int32, data.N)
		for i := range lab {
			lab[i] = int32(rng.IntN(k))
		}
		labels = append(labels, lab)
	}
	opts := kmeans.ScoreOptions{SampleSize: 40, Rand: rand.New(rand.NewPCG(1, 2))}
	s, err := kmeans.Score(context.Background(), data, cpu.New(data, cpu.Options{}), labels, ks, opts)
	if err != nil {
		t.Fatal(err)
	}
	rows := s[0].SilhouetteRows
	if len(rows) != 40 || !slices.IsSorted(rows) || len(slices.Compact(slices.Clone(rows))) != 40 {
		t.Fatalf("sample rows %v", rows)
	}
	for l := range s {
		if !slices.Equal(s[l].SilhouetteRows, rows) || len(s[l].RowSilhouette) != 40 {
			t.Fatalf("labelling %d: another sample", l)
		}
		// The sampled rows' own data set gives the same silhouette.
		sub := kmeans.Data{N: 40, D: data.D}
		subLab := make([]int32, 40)
		for i, r := range rows {
			sub.X = append(sub.X, data.Row(int(r))...)
			subLab[i] = labels[l][r]
		}
		want, err := kmeans.Score(context.Background(), sub, nil, [][]int32{subLab}, []int{ks[l]}, kmeans.ScoreOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if s[l].Silhouette != want[0].Silhouette {
			t.Errorf("k=%d: sampled silhouette %v, of the sample alone %v", ks[l], s[l].Silhouette, want[0].Silhouette)
		}
		if s[l].DaviesBouldin == want[0].DaviesBouldin {
			t.Errorf("k=%d: Davies-Bouldin of the sample, not of every row", ks[l])
		}
	}
	// Each Scores holds its own copy of the rows.
	s[1].SilhouetteRows[0] = -1
	if s[0].SilhouetteRows[0] == -1 || s[2].SilhouetteRows[0] == -1 {
		t.Error("the Scores share one slice of rows")
	}
	again, _ := kmeans.Score(context.Background(), data, nil, labels, ks, kmeans.ScoreOptions{SampleSize: 40, Rand: rand.New(rand.NewPCG(1, 2))})
	if !slices.Equal(again[0].SilhouetteRows, rows) {
		t.Error("the same seed drew another sample")
	}
	if _, err := kmeans.Score(context.Background(), data, nil, labels, ks, kmeans.ScoreOptions{SampleSize: -5}); err == nil || !strings.Contains(err.Error(), "sample size -5") {
		t.Errorf("a negative sample size: %v", err)
	}
	// Cluster 1 holds a single row, which the sample of 3 misses.
	opts = kmeans.ScoreOptions{SampleSize: 3, Rand: rand.New(rand.NewPCG(3, 4))}
	s, _ = kmeans.Score(context.Background(), data, nil, labels[:1], ks[:1], opts)
	lab := make([]int32, data.N)
	for i := range lab {
		if !slices.Contains(s[0].SilhouetteRows, int32(i)) {
			lab[i] = 1
			break
		}
	}
	opts.Rand = rand.New(rand.NewPCG(3, 4))
	s, err = kmeans.Score(context.Background(), data, nil, [][]int32{lab}, []int{2}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if s[0].Omitted != "" || !strings.Contains(s[0].SilhouetteOmitted, "the sample of 3 tiles") {
		t.Errorf("%+v", s[0])
	}
}

// TestRecommend: the highest silhouette wins, ties to the smaller k, and
// the structure is Kaufman and Rousseeuw's reading of it; without
// silhouettes the lowest Davies-Bouldin; each index's own best k; the
// knee of the inertias; no k without indices, or without scores.
func TestRecommend(t *testing.T) {
	s := []kmeans.Scores{
		{K: 4, Silhouette: 0.3, DaviesBouldin: 1.0, CalinskiHarabasz: 9},
		{K: 2, Silhouette: 0.5, DaviesBouldin: 2.0, CalinskiHarabasz: 1},
		{K: 3, Silhouette: 0.5, DaviesBouldin: 0.5, CalinskiHarabasz: 9},
		{K: 1, Omitted: "k = 1"},
	}
	inertia := []float64{10, 100, 20, 400}
	want := kmeans.Recommendation{K: 2, Index: "silhouette", Value: 0.5, Structure: "weak",
		BestSilhouette: 2, BestDaviesBouldin: 3, BestCalinskiHarabasz: 3, Knee: 2}
	if r := kmeans.Recommend(s, inertia); r != want {
		t.Errorf("%+v, want %+v", r, want)
	}
	if r := kmeans.Recommend(s, nil); r.Knee != 0 || r.K != 2 {
		t.Errorf("no inertias: %+v", r)
	}
	for v, want := range map[float64]string{0.9: "strong", 0.7: "reasonable", 0.51: "reasonable", 0.5: "weak", 0.26: "weak", 0.25: "none", 0.0065: "none", -0.2: "none"} {
		if r := kmeans.Recommend([]kmeans.Scores{{K: 2, Silhouette: v}}, nil); r.Structure != want {
			t.Errorf("silhouette %v: %q, want %q", v, r.Structure, want)
		}
	}
	for i := range s {
		s[i].SilhouetteOmitted = "off"
	}
	if r := kmeans.Recommend(s, nil); r.K != 3 || r.Index != "davies_bouldin" || r.Value != 0.5 || r.Structure != "" || r.BestSilhouette != 0 {
		t.Errorf("no silhouette: %+v", r)
	}
	if r := kmeans.Recommend(s[3:], nil); r.K != 0 || r.Index != "" || !strings.Contains(r.Why, "(k=1: k = 1)") {
		t.Errorf("no indices: %+v", r)
	}
	if r := kmeans.Recommend(nil, nil); r.K != 0 || r.Why != "no clusterings were scored" {
		t.Errorf("nothing: %+v", r)
	}
}

// TestKneedle: the knee of a few curves as the kneed package, 0.8.6, finds
// it (curve="convex", direction="decreasing", S=1, online=False; the
// values below are what a transcription of its KneeLocator into numpy and
// scipy's argrelextrema gives), none for a straight line or too few
// points. The curves with flat stretches, rises and a maximum at an end
// are those where a strict reading of the local extrema (> and <, as
// kneed before 0.7) or 0.8.5's search after a minimum differ from 0.8.6.
func TestKneedle(t *testing.T) {
	for _, c := range []struct {
		ks   []int
		y    []float64
		knee int // 0: none
	}{
		{[]int{2, 3, 4, 5, 6, 7}, []float64{100, 20, 10, 8, 7, 6.5}, 3},
		{[]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, []float64{10, 5, 3, 2.5, 2.2, 2.0, 1.9, 1.85, 1.8, 1.78}, 3},
		{[]int{3, 4, 5, 6, 7}, []float64{10263696206, 9531839876, 9030664961, 8609537233, 8363373636}, 0},
		{[]int{1, 2, 3, 4}, []float64{4, 3, 2, 1}, 0},
		{[]int{2, 3, 4, 5, 6, 7}, []float64{1589, 1548, 1446, 805, 669, 525}, 2},
		{[]int{4, 5, 6, 7, 8, 9, 10, 11, 12, 13}, []float64{1131, 1109, 1032, 1048, 701, 375, 334, 241, 133, 84}, 4},
		{[]int{2, 3, 4, 5, 6, 7, 8}, []float64{50, 40, 40, 40, 10, 9, 8}, 3},
		{[]int{2, 3, 4, 5, 6, 7, 8}, []float64{50, 49, 30, 31, 12, 11, 10.5}, 4},
		{[]int{2, 3, 4, 5, 6}, []float64{10, 9, 8, 2, 1}, 2},
		{[]int{3, 4, 5, 6, 7, 8, 9, 10}, []float64{900, 500, 480, 300, 290, 280, 275, 272}, 6},
		{[]int{2, 3, 4, 5, 6, 7, 8, 9}, []float64{100, 60, 61, 40, 20, 19, 18.5, 18.4}, 3},
		{[]int{2, 4, 8, 16, 32}, []float64{100, 50, 20, 15, 14}, 8},
		{[]int{2, 3, 4}, []float64{7, 7, 7}, 0},
		{[]int{2, 3}, []float64{4, 1}, 0},
	} {
		i, ok := kmeans.Kneedle(c.ks, c.y)
		got := 0
		if ok {
			got = c.ks[i]
		}
		if got != c.knee {
			t.Errorf("%v: knee %d, want %d", c.y, got, c.knee)
		}
	}
}

// TestScoreBatches: a sweep whose sums pass the batch bound is scored in
// several passes, with the same results as in one.
func TestScoreBatches(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	data := randdata.Rows(rng, 120, 5, 256)
	var labels [][]int32
	ks := []int{2, 3, 9, 4}
	for _, k := range ks {
		lab := make([]int32, data.N)
		for i := range lab {
			lab[i] = int32(rng.IntN(k))
		}
		labels = append(labels, lab)
	}
	a := cpu.New(data, cpu.Options{})
	one, err := kmeans.Score(context.Background(), data, a, labels, ks, kmeans.ScoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer kmeans.SetMaxBatchSums(120 * 5)()
	many, err := kmeans.Score(context.Background(), data, a, labels, ks, kmeans.ScoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range one {
		if one[i].Silhouette != many[i].Silhouette || !slices.Equal(one[i].RowSilhouette, many[i].RowSilhouette) {
			t.Errorf("k=%d: %v in one pass, %v in several", ks[i], one[i].Silhouette, many[i].Silhouette)
		}
	}
}
