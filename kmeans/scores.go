package kmeans

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Scores are the internal validity indices of one clustering: how compact
// and how separated its clusters are, judged from the rows alone, with no
// known classes (CompareClasses is the other kind). Score computes them as
// scikit-learn 1.2 defines them, counting only the clusters that hold rows,
// as scikit-learn does (its LabelEncoder drops the labels no row has).
type Scores struct {
	K        int // clusters asked for: labels 0..K-1
	Clusters int // clusters holding at least one row
	// Omitted says why there are no indices ("" when there are): fewer
	// than two clusters hold rows (k = 1), every cluster is a single row,
	// or there are fewer distinct rows than K, so that each cluster can
	// only hold copies of one row and the indices would say nothing
	// (scikit-learn returns silhouette 1, Davies-Bouldin 0 and
	// Calinski-Harabasz 1 there, or refuses). The indices are then 0. It
	// is one clause for a person, which calls the rows tiles, as the
	// errors of Config.Validate do.
	Omitted string

	// Silhouette is the mean silhouette coefficient of the rows scored,
	// scikit-learn's silhouette_score: for row i with a(i) its mean
	// Euclidean distance to the other rows of its cluster and b(i) the
	// smallest mean distance to the rows of another cluster, s(i) =
	// (b(i)-a(i)) / max(a(i), b(i)), and 0 for a row alone in its cluster.
	// In -1..1; higher is better. The per-cluster sums behind a(i) and b(i)
	// are DistanceSummer's: exact sums of correctly rounded distances,
	// within a few units in the last place of scikit-learn's.
	Silhouette float64
	// SilhouetteOmitted says why there is no silhouette when there are the
	// other indices: ScoreOptions.NoSilhouette, or a sample of rows that
	// holds fewer than two clusters or only single rows. Silhouette,
	// RowSilhouette and ClusterSilhouette are then zero or nil.
	SilhouetteOmitted string
	// SilhouetteRows are the rows scored, ascending: nil when every row
	// was (exact), a sample of ScoreOptions.SampleSize rows otherwise (the
	// same rows for every Scores of one Score call, each its own copy).
	SilhouetteRows []int32
	// RowSilhouette is s(i) of each row scored (scikit-learn's
	// silhouette_samples), in the order of SilhouetteRows, or of the rows
	// when SilhouetteRows is nil.
	RowSilhouette []float64
	// ClusterSilhouette is, per cluster (K values), the mean of
	// RowSilhouette over its rows scored; 0 for a cluster with none.
	ClusterSilhouette []float64

	// DaviesBouldin is scikit-learn's davies_bouldin_score: the mean over
	// clusters of the largest (S_a + S_b) / M_ab, S the mean distance of a
	// cluster's rows to its centroid and M the distance between
	// centroids (Davies and Bouldin, 1979). >= 0; lower is better.
	DaviesBouldin float64
	// CalinskiHarabasz is scikit-learn's calinski_harabasz_score, the
	// variance ratio criterion (Calinski and Harabasz, 1974): between-
	// cluster dispersion over within-cluster dispersion, each divided by
	// its degrees of freedom. >= 0; higher is better. Computed exactly
	// from integer sums and rounded once. 0 when CalinskiHarabaszOmitted
	// says why there is none.
	CalinskiHarabasz float64
	// CalinskiHarabaszOmitted says why there is no Calinski-Harabasz when
	// there are the other indices: every cluster's rows are identical
	// (within-cluster dispersion 0), so that the ratio is unbounded, a
	// perfect split; scikit-learn returns 1 there, a number that would
	// rank it below every other k. Recommend takes such a k as the best
	// by Calinski-Harabasz.
	CalinskiHarabaszOmitted string
}

// ScoreOptions say how Score computes the silhouette. The zero value
// computes it exactly, over every pair of rows.
type ScoreOptions struct {
	// SampleSize, when 0 < SampleSize < N, computes the silhouette of a
	// sample of that many distinct rows drawn with Rand (the same sample
	// for every labelling), as scikit-learn's silhouette_score with
	// sample_size does: the pairs among the sampled rows only, O(n² D)
	// for n sampled rows instead of O(N² D). 0, or N or more, means every
	// row; a negative SampleSize is an error. Davies-Bouldin and
	// Calinski-Harabasz always use every row.
	SampleSize int
	// NoSilhouette leaves the silhouette out (its O(N² D) pairwise work):
	// only Davies-Bouldin and Calinski-Harabasz are computed.
	NoSilhouette bool
	// Rand draws the sample (one permutation of the N rows per Score call
	// that samples, which advances Rand: the same sample again needs a
	// source in the same state, such as a fresh rand.New(rand.NewPCG(seed,
	// stream)), as kmeans.Config.Rand does for a run); nil means
	// rand.New(rand.NewPCG(0, 0)), the same sample every call.
	Rand *rand.Rand
}

// Score computes the internal validity indices (see Scores) of several
// clusterings of the same data, say one per k of a sweep: labels[l] holds
// the cluster (0..ks[l]-1) of each of data's rows. The silhouette's
// pairwise sums take one pass over the pairs for all labellings, on a's
// backend when a is a DistanceSummer (packages cpu and gpu), else with
// SumDistances; a may be nil, and must otherwise be made for data (see
// Assigner). Davies-Bouldin and Calinski-Harabasz take O(N D) each on the
// host, on as many goroutines as there are cores. Memory: the sums take 8
// bytes per row and cluster here and, on package cpu, 16 more; a sweep
// whose sums pass 2^24 (400 MB in all) is scored in several passes over
// the pairs, each within that. Shapes that do not fit are an error; a
// clustering the indices say nothing about is not (see Scores.Omitted).
func Score(ctx context.Context, data Data, a Assigner, labels [][]int32, ks []int, opts ScoreOptions) ([]Scores, error) {
	if data.N < 1 || data.D < 1 || len(data.X) != data.N*data.D {
		return nil, fmt.Errorf("kmeans: score: %d rows x %d features with %d values", data.N, data.D, len(data.X))
	}
	if a != nil {
		if err := checkMadeFor(data, a); err != nil {
			return nil, fmt.Errorf("kmeans: score: %w", err)
		}
	}
	if len(labels) != len(ks) {
		return nil, fmt.Errorf("kmeans: score: %d labellings for %d ks", len(labels), len(ks))
	}
	if opts.SampleSize < 0 {
		return nil, fmt.Errorf("kmeans: score: sample size %d: want 0 (every row) or more", opts.SampleSize)
	}
	out := make([]Scores, len(ks))
	distinct := -1
	var scored []func() // Davies-Bouldin and Calinski-Harabasz of each clustering that has them
	for l, k := range ks {
		if k < 1 || len(labels[l]) != data.N {
			return nil, fmt.Errorf("kmeans: score: labelling %d: k=%d and %d labels for %d rows", l, k, len(labels[l]), data.N)
		}
		sizes, err := clusterSizes(labels[l], k)
		if err != nil {
			return nil, fmt.Errorf("kmeans: score: labelling %d: %w", l, err)
		}
		s := &out[l]
		s.K = k
		for _, n := range sizes {
			if n > 0 {
				s.Clusters++
			}
		}
		if s.Omitted = omitted(s.Clusters, data.N, k); s.Omitted == "" {
			if distinct < 0 {
				distinct = CountDistinct(data)
			}
			if distinct < k {
				s.Omitted = fmt.Sprintf("only %d distinct tiles, fewer than k=%d: each cluster holds copies of one tile", distinct, k)
			}
		}
		if s.Omitted != "" {
			continue
		}
		scored = append(scored, func() {
			cs := newClusterSums(data, labels[l], k, sizes)
			s.DaviesBouldin = daviesBouldin(data, labels[l], cs)
			var bounded bool
			if s.CalinskiHarabasz, bounded = calinskiHarabasz(data.N, cs, s.Clusters); !bounded {
				s.CalinskiHarabaszOmitted = "every cluster's tiles are identical (within-cluster dispersion 0): the ratio is unbounded, a perfect split (scikit-learn returns 1)"
			}
		})
	}
	// O(N D) each, on as many goroutines as there are cores.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(scored)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(scored); i = int(next.Add(1) - 1) {
				scored[i]()
			}
		})
	}
	wg.Wait()
	if opts.NoSilhouette {
		for l := range out {
			if out[l].Omitted == "" {
				out[l].SilhouetteOmitted = "not computed (no silhouette asked for)"
			}
		}
		return out, nil
	}
	if err := silhouettes(ctx, data, a, labels, out, opts); err != nil {
		return nil, err
	}
	return out, nil
}

// omitted says why the indices of a clustering of n rows into k clusters,
// m of them holding rows, mean nothing ("" when they do).
func omitted(m, n, k int) string {
	switch {
	case k == 1:
		return "a single cluster (k = 1): the indices compare clusters and need at least 2"
	case m < 2:
		return fmt.Sprintf("only 1 of the %d clusters holds tiles: the indices need at least 2", k)
	case m == n:
		return "every cluster is a single tile"
	}
	return ""
}

// clusterSizes counts the rows of each of k clusters.
func clusterSizes(labels []int32, k int) ([]int, error) {
	sizes := make([]int, k)
	for _, c := range labels {
		if c < 0 || int(c) >= k {
			return nil, fmt.Errorf("label %d outside 0..%d", c, k-1)
		}
		sizes[c]++
	}
	return sizes, nil
}

// silhouettes fills in the silhouettes of the scores that have indices.
func silhouettes(ctx context.Context, data Data, a Assigner, labels [][]int32, out []Scores, opts ScoreOptions) error {
	var rows []int32
	if opts.SampleSize > 0 && opts.SampleSize < data.N {
		rng := opts.Rand
		if rng == nil {
			rng = rand.New(rand.NewPCG(0, 0))
		}
		perm := rng.Perm(data.N)[:opts.SampleSize]
		slices.Sort(perm)
		rows = make([]int32, len(perm))
		for i, r := range perm {
			rows[i] = int32(r)
		}
	}
	n := data.N
	if rows != nil {
		n = len(rows)
	}
	var which []int
	var sub [][]int32
	var ks []int
	for l := range out {
		s := &out[l]
		if s.Omitted != "" {
			continue
		}
		lab := labels[l]
		if rows != nil {
			lab = make([]int32, n)
			for i, r := range rows {
				lab[i] = labels[l][r]
			}
			sizes, _ := clusterSizes(lab, s.K)
			m := 0
			for _, c := range sizes {
				if c > 0 {
					m++
				}
			}
			if why := omitted(m, n, s.K); why != "" {
				s.SilhouetteOmitted = fmt.Sprintf("the sample of %d tiles: %s", n, why)
				continue
			}
		}
		which = append(which, l)
		sub = append(sub, lab)
		ks = append(ks, s.K)
	}
	// One pass over the pairs per batch of labellings whose sums fit
	// maxBatchSums.
	for len(which) > 0 {
		b, total := 0, 0
		for b < len(which) && (b == 0 || total+n*ks[b] <= maxBatchSums) {
			total += n * ks[b]
			b++
		}
		sums := make([][]float64, b)
		for w := range sums {
			sums[w] = make([]float64, n*ks[w])
		}
		var err error
		if ds, ok := a.(DistanceSummer); ok {
			err = ds.SumDistances(ctx, rows, sub[:b], ks[:b], sums)
		} else {
			err = SumDistances(ctx, data, rows, sub[:b], ks[:b], sums)
		}
		if err != nil {
			return fmt.Errorf("kmeans: score: silhouette: %w", err)
		}
		for w, l := range which[:b] {
			s := &out[l]
			s.SilhouetteRows = slices.Clone(rows)
			s.RowSilhouette = silhouetteSamples(sums[w], sub[w], ks[w])
			s.Silhouette, s.ClusterSilhouette = silhouetteMeans(s.RowSilhouette, sub[w], ks[w])
		}
		which, sub, ks = which[b:], sub[b:], ks[b:]
	}
	return nil
}

// maxBatchSums bounds the sums (rows x clusters, summed over labellings)
// one pass over the pairs computes: 2^24 of them, which a backend holds
// in about 24 bytes each (the CPU's integer sums and the float64
// results), 400 MB. A sweep with more clusters takes more passes. (A
// variable for tests.)
var maxBatchSums = 1 << 24

// silhouetteSamples returns each row's silhouette s(i) from the sums of
// a DistanceSummer (sums[i*k+c], the sum of row i's distances to the rows
// of cluster c) and the rows' labels (0..k-1), exactly as scikit-learn's
// silhouette_samples does from its own: a(i) = sums[i*k+labels[i]] /
// (n(labels[i]) - 1), b(i) the smallest sums[i*k+c] / n(c) over the other
// clusters c holding rows, s(i) = (b(i)-a(i)) / max(a(i), b(i)), and 0
// where that is not a number (a row alone in its cluster, or a(i) = b(i)
// = 0). The clusters are counted among the rows given.
func silhouetteSamples(sums []float64, labels []int32, k int) []float64 {
	freq := make([]int, k)
	for _, c := range labels {
		freq[c]++
	}
	s := make([]float64, len(labels))
	for i, li := range labels {
		row := sums[i*k : (i+1)*k]
		a := row[li] / float64(freq[li]-1)
		b := math.Inf(1)
		for c, v := range row {
			if int32(c) != li && freq[c] > 0 {
				b = min(b, v/float64(freq[c]))
			}
		}
		if v := (b - a) / max(a, b); !math.IsNaN(v) && !math.IsInf(v, 0) {
			s[i] = v
		}
	}
	return s
}

// silhouetteMeans returns the mean of s and, per cluster, the mean over its
// rows (0 for a cluster with none). Sums are compensated (Neumaier), in row
// order.
func silhouetteMeans(s []float64, labels []int32, k int) (mean float64, perCluster []float64) {
	var all neumaier
	per := make([]neumaier, k)
	count := make([]int, k)
	for i, v := range s {
		all.add(v)
		per[labels[i]].add(v)
		count[labels[i]]++
	}
	perCluster = make([]float64, k)
	for c := range per {
		if count[c] > 0 {
			perCluster[c] = per[c].sum() / float64(count[c])
		}
	}
	return all.sum() / float64(len(s)), perCluster
}

// neumaier is a compensated float64 sum (Neumaier's variant of Kahan's).
type neumaier struct{ s, c float64 }

func (n *neumaier) add(v float64) {
	t := n.s + v
	if math.Abs(n.s) >= math.Abs(v) {
		n.c += (n.s - t) + v
	} else {
		n.c += (v - t) + n.s
	}
	n.s = t
}

func (n *neumaier) sum() float64 { return n.s + n.c }

// clusterSums are a clustering's exact integer sums: per cluster its rows'
// feature sums and the sum of their squared norms, and the data's feature
// sums.
type clusterSums struct {
	k, dim int
	sizes  []int
	sums   []int64  // k x dim
	sq     []uint64 // per cluster Σ |x|²
	total  []int64  // dim
}

func newClusterSums(data Data, labels []int32, k int, sizes []int) *clusterSums {
	dim := data.D
	cs := &clusterSums{k: k, dim: dim, sizes: sizes, sums: make([]int64, k*dim), sq: make([]uint64, k), total: make([]int64, dim)}
	for i, c := range labels {
		s := cs.sums[int(c)*dim : (int(c)+1)*dim]
		var q uint64
		for f, v := range data.Row(i) {
			s[f] += int64(v)
			q += uint64(v) * uint64(v)
		}
		cs.sq[c] += q
	}
	for c := range k {
		for f, v := range cs.sums[c*dim : (c+1)*dim] {
			cs.total[f] += v
		}
	}
	return cs
}

// means returns the exact mean of each cluster's rows rounded to float64
// (k*D values; a cluster without rows gets zeros), as numpy's mean of
// uint8 rows gives it (an exact float64 sum, divided once).
func (cs *clusterSums) means() []float64 {
	means := make([]float64, len(cs.sums))
	for c := range cs.k {
		if cs.sizes[c] == 0 {
			continue
		}
		for f := range cs.dim {
			means[c*cs.dim+f] = float64(cs.sums[c*cs.dim+f]) / float64(cs.sizes[c])
		}
	}
	return means
}

// euclid returns the Euclidean distance of two float64 vectors, summed in
// order.
func euclid(x, y []float64) float64 {
	y = y[:len(x)]
	var s float64
	for j, v := range x {
		d := v - y[j]
		s += d * d
	}
	return math.Sqrt(s)
}

// daviesBouldin is scikit-learn 1.2's davies_bouldin_score over the
// clusters that hold rows: the mean, over clusters a, of the largest
// (S_a + S_b) / M_ab over b, with S the mean distance of a cluster's rows
// to its centroid and M_ab the distance between centroids (taken as
// infinite when 0, so that such a pair scores 0); 0 when every S or every
// M is within 1e-8 of 0 (numpy.allclose).
func daviesBouldin(data Data, labels []int32, cs *clusterSums) float64 {
	means, k, sizes := cs.means(), cs.k, cs.sizes
	dim := data.D
	intra := make([]neumaier, k)
	x := make([]float64, dim)
	for i, c := range labels {
		for f, v := range data.Row(i) {
			x[f] = float64(v)
		}
		intra[c].add(euclid(x, means[int(c)*dim:(int(c)+1)*dim]))
	}
	var present []int
	for c := range k {
		if sizes[c] > 0 {
			present = append(present, c)
		}
	}
	s := make([]float64, len(present))
	allIntraZero := true
	for i, c := range present {
		s[i] = intra[c].sum() / float64(sizes[c])
		allIntraZero = allIntraZero && s[i] <= 1e-8
	}
	m := len(present)
	dist := make([]float64, m*m)
	allDistZero := true
	for i, a := range present {
		for j, b := range present {
			if i != j {
				dist[i*m+j] = euclid(means[a*dim:(a+1)*dim], means[b*dim:(b+1)*dim])
			}
			allDistZero = allDistZero && dist[i*m+j] <= 1e-8
		}
	}
	if allIntraZero || allDistZero {
		return 0
	}
	var total neumaier
	for i := range present {
		worst := 0.0
		for j := range present {
			if d := dist[i*m+j]; d != 0 {
				worst = max(worst, (s[i]+s[j])/d)
			}
		}
		total.add(worst)
	}
	return total.sum() / float64(m)
}

// calinskiHarabasz is scikit-learn 1.2's calinski_harabasz_score over the
// m clusters that hold rows: B (N - m) / (W (m - 1)), B = Σ_c n_c |μ_c -
// μ|² the between-cluster and W = Σ_i |x_i - μ_c(i)|² the within-cluster
// dispersion; bounded is false when W is 0 (where scikit-learn returns 1).
// With integer features both are rational numbers of integer sums, so the
// ratio is computed exactly and rounded once.
func calinskiHarabasz(nRows int, cs *clusterSums, m int) (ch float64, bounded bool) {
	dim, k, sizes, sums, sq, total := cs.dim, cs.k, cs.sizes, cs.sums, cs.sq, cs.total
	n := big.NewInt(int64(nRows))
	between, within := new(big.Rat), new(big.Rat)
	var num, t, u, nc big.Int
	var term big.Rat
	for c := range k {
		if sizes[c] == 0 {
			continue
		}
		nc.SetInt64(int64(sizes[c]))
		// n_c |S_c/n_c - S/N|² = Σ_f (N S_cf - n_c S_f)² / (n_c N²)
		num.SetInt64(0)
		s := sums[c*dim : (c+1)*dim]
		for f := range dim {
			t.Mul(n, u.SetInt64(s[f]))
			u.Mul(&nc, u.SetInt64(total[f]))
			t.Sub(&t, &u)
			num.Add(&num, t.Mul(&t, &t))
		}
		t.Mul(n, n)
		t.Mul(&t, &nc)
		between.Add(between, term.SetFrac(&num, &t))
		// Σ_i |x_i - S_c/n_c|² = (n_c Q_c - |S_c|²) / n_c
		num.SetInt64(0)
		for f := range dim {
			num.Add(&num, t.Mul(u.SetInt64(s[f]), u.SetInt64(s[f])))
		}
		t.Mul(&nc, new(big.Int).SetUint64(sq[c]))
		t.Sub(&t, &num)
		within.Add(within, term.SetFrac(&t, &nc))
	}
	if within.Sign() == 0 {
		return 0, false
	}
	r := new(big.Rat).Mul(between, big.NewRat(int64(nRows-m), 1))
	r.Quo(r, within.Mul(within, big.NewRat(int64(m-1), 1)))
	f, _ := r.Float64()
	return f, true
}
