package kmeans

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Recommendation is the k Recommend picks from the Scores of a sweep, what
// picked it, and each index's own opinion.
type Recommendation struct {
	// K is the recommended k, 0 when no clustering has the indices (Why
	// then says why).
	K int
	// Index names the index that chose K: "silhouette" (the highest mean
	// silhouette) or, when no clustering has a silhouette,
	// "davies_bouldin" (the lowest Davies-Bouldin index); "" when K is 0.
	Index string
	// Value is that index's value at K.
	Value float64
	// Structure is Kaufman and Rousseeuw's reading of the mean silhouette
	// at K ("Finding Groups in Data", 1990, ch. 2): "strong" above 0.70,
	// "reasonable" above 0.50, "weak" (and could be artificial) above
	// 0.25, and "none" (no substantial structure) at 0.25 or below; ""
	// when the silhouette did not choose K.
	Structure string
	// Best is each index's own best k among the clusterings that have it
	// (0: none has it): the highest mean silhouette, the lowest
	// Davies-Bouldin and the highest Calinski-Harabasz (an unbounded one,
	// see Scores.CalinskiHarabaszOmitted, above any other), ties to the
	// smaller k.
	BestSilhouette, BestDaviesBouldin, BestCalinskiHarabasz int
	// Knee is the Kneedle knee of the inertia against k (see Recommend), a
	// second opinion; 0 when Recommend had no inertias or the curve has no
	// knee.
	Knee int
	// Why says why there is no K ("" when there is).
	Why string
}

// Recommend picks a k from the Scores of one data set's clusterings (one
// per k, as Score returns them for a sweep): the k with the highest mean
// silhouette, ties to the smaller k (the rule of scikit-learn's example
// "Selecting the number of clusters with silhouette analysis" and
// clustimage's default); when no clustering has a silhouette, the k with
// the lowest Davies-Bouldin index. inertia, when not nil, holds the
// inertia of each clustering, in the order of scores, for the Kneedle knee
// of the inertia against k (Satopaa, Albrecht, Irwin and Raghavan, 2011,
// as the kneed package, 0.8.6, computes it offline with sensitivity 1, which
// Yellowbrick's KElbowVisualizer uses; see Recommendation.Knee); a slice
// of another length gives no knee. It returns K = 0 and Why when no
// clustering has the indices (or there are none).
func Recommend(scores []Scores, inertia []float64) Recommendation {
	order := make([]int, len(scores)) // scores by ascending k
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(scores[a].K, scores[b].K) })
	var r Recommendation
	var sil, db, ch float64
	unbounded := false // the best Calinski-Harabasz is unbounded
	for _, i := range order {
		s := scores[i]
		if s.Omitted != "" {
			continue
		}
		if s.SilhouetteOmitted == "" && (r.BestSilhouette == 0 || s.Silhouette > sil) {
			r.BestSilhouette, sil = s.K, s.Silhouette
		}
		if r.BestDaviesBouldin == 0 || s.DaviesBouldin < db {
			r.BestDaviesBouldin, db = s.K, s.DaviesBouldin
		}
		switch {
		case unbounded:
		case s.CalinskiHarabaszOmitted != "":
			r.BestCalinskiHarabasz, unbounded = s.K, true
		case r.BestCalinskiHarabasz == 0 || s.CalinskiHarabasz > ch:
			r.BestCalinskiHarabasz, ch = s.K, s.CalinskiHarabasz
		}
	}
	if len(inertia) == len(scores) {
		ks, ys := make([]int, len(order)), make([]float64, len(order))
		for j, i := range order {
			ks[j], ys[j] = scores[i].K, inertia[i]
		}
		if j, ok := kneedle(ks, ys); ok {
			r.Knee = ks[j]
		}
	}
	switch {
	case r.BestSilhouette > 0:
		r.K, r.Index, r.Value = r.BestSilhouette, "silhouette", sil
		r.Structure = structure(sil)
	case r.BestDaviesBouldin > 0:
		r.K, r.Index, r.Value = r.BestDaviesBouldin, "davies_bouldin", db
	case len(scores) == 0:
		r.Why = "no clusterings were scored"
	default:
		why := make([]string, len(order))
		for j, i := range order {
			why[j] = fmt.Sprintf("k=%d: %s", scores[i].K, scores[i].Omitted)
		}
		r.Why = "no k has the indices (" + strings.Join(why, "; ") + ")"
	}
	return r
}

// structure is Kaufman and Rousseeuw's reading of a mean silhouette (see
// Recommendation.Structure).
func structure(s float64) string {
	switch {
	case s > 0.70:
		return "strong"
	case s > 0.50:
		return "reasonable"
	case s > 0.25:
		return "weak"
	}
	return "none"
}

// kneedle returns the index of the knee of a decreasing convex curve (the
// inertia against k) by Kneedle (Satopaa, Albrecht, Irwin and Raghavan,
// 2011) as the kneed package (0.8.6) computes it offline with sensitivity
// S = 1, which Yellowbrick's KElbowVisualizer uses: x and y normalised to
// 0..1, y flipped to 1 - y, the difference curve d = y - x; its local
// maxima and minima are scipy's argrelextrema with >= and <= (ends and
// flat stretches count, an end compared with itself). From the first
// maximum on, each maximum sets the threshold to its d less S times the
// mean step of x and starts the search, each minimum stops it until the
// next maximum (a point both is a minimum; kneed 0.8.6's rule: 0.8.5 and
// before searched on after a minimum with a threshold of 0); the knee is
// the last maximum met when the next point's d falls below the threshold,
// before the last point. It needs xs ascending and at least 3 points; ok
// is false when there is no knee (or y is constant).
func kneedle(xs []int, ys []float64) (knee int, ok bool) {
	n := len(xs)
	if n < 3 || len(ys) != n || slices.Min(ys) == slices.Max(ys) {
		return 0, false
	}
	norm := func(v []float64) []float64 {
		lo, hi := slices.Min(v), slices.Max(v)
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = (x - lo) / (hi - lo)
		}
		return out
	}
	x := make([]float64, n)
	for i, v := range xs {
		x[i] = float64(v)
	}
	xn, yn := norm(x), norm(ys)
	d := make([]float64, n)
	for i := range d {
		d[i] = (1 - yn[i]) - xn[i]
	}
	step := (xn[n-1] - xn[0]) / float64(n-1) // mean of diff(x)
	// at is d at i's neighbour i+o, clipped to the ends (scipy's mode "clip").
	at := func(i, o int) float64 { return d[min(n-1, max(0, i+o))] }
	isMax := func(i int) bool { return d[i] >= at(i, -1) && d[i] >= at(i, 1) }
	isMin := func(i int) bool { return d[i] <= at(i, -1) && d[i] <= at(i, 1) }
	first := 0 // the first maximum (d's largest value is one)
	for !isMax(first) {
		first++
	}
	threshold, from, active := 0.0, first, true
	for i := first; i < n-1; i++ {
		if isMax(i) {
			threshold, from, active = d[i]-step, i, true
		}
		if isMin(i) {
			active = false
		}
		if active && d[i+1] < threshold {
			return from, true
		}
	}
	return 0, false
}
