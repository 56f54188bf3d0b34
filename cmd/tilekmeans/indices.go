package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/outdir"
	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/outfiles"
	htmlreport "github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/report"
	"github.com/tilekmeans/tilekmeans/internal/verify"
	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/tiles/npy"
)

// The internal validity indices of a run (silhouette, Davies-Bouldin,
// Calinski-Harabasz; kmeans.Score), the recommended k, and -silhouette.

// Values of -silhouette.
const (
	silhouetteAuto   = "auto"
	silhouetteExact  = "exact"
	silhouetteSample = "sample"
	silhouetteOff    = "off"
)

// exactPairWork bounds the exact silhouette under -silhouette auto: the
// pairwise pass multiplies n(n-1)/2 x D pairs of bytes, and up to 2^40
// (1.1e12: 56,100 USPS tiles of 256 features are 4.0e11) it is exact,
// which takes seconds on a few AVX-512 VNNI cores, wide tiles (beyond 4,096
// features, in chunks) at most 3 times as long per pair of bytes
// (BENCHMARKS.md). Beyond, it takes a seeded sample of the most tiles
// within sampledPairWork, half of it (65,536 at D = 256), so that a sample
// always saves at least half the work (a few tiles past the bound never
// trade exactness for a few per cent); its mean silhouette is within about
// ±0.002 of the exact one (the standard error of a mean of 65,536 values
// spread at most ~0.3), plenty to rank the ks, so that no run spends
// minutes on its indices.
const (
	exactPairWork   = 1 << 40
	sampledPairWork = exactPairWork / 2
)

// silhouetteFlag is -silhouette: auto, exact, sample:N or off.
type silhouetteFlag struct {
	mode string // one of the silhouette* constants; "" is auto
	n    int    // the sample size of sample:N
}

func (f silhouetteFlag) String() string {
	switch f.mode {
	case "":
		return silhouetteAuto
	case silhouetteSample:
		return fmt.Sprintf("%s:%d", silhouetteSample, f.n)
	}
	return f.mode
}

// MarshalText implements encoding.TextMarshaler (flag.TextVar's default).
func (f silhouetteFlag) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText parses auto, exact, sample:N (N >= 2) or off.
func (f *silhouetteFlag) UnmarshalText(b []byte) error {
	s := string(b)
	switch s {
	case silhouetteAuto, silhouetteExact, silhouetteOff:
		*f = silhouetteFlag{mode: s}
		return nil
	}
	if n, ok := strings.CutPrefix(s, silhouetteSample+":"); ok {
		v, err := strconv.Atoi(n)
		if err != nil || v < 2 {
			return fmt.Errorf("sample size %q: want a whole number >= 2", n)
		}
		*f = silhouetteFlag{mode: silhouetteSample, n: v}
		return nil
	}
	return fmt.Errorf("want auto, exact, sample:N or off")
}

// sampleSize returns how many of n tiles of d features the silhouette
// scores (n: all of them, exactly; 0: none), and how, for a person ("" when
// none).
func (f silhouetteFlag) sampleSize(n, d int) (size int, how string) {
	all := fmt.Sprintf("exact over all %d tiles", n)
	if n == 1 {
		all = "exact over the one tile"
	}
	switch f.mode {
	case silhouetteOff:
		return 0, ""
	case silhouetteExact:
		return n, all
	case silhouetteSample:
		if f.n >= n {
			return n, fmt.Sprintf("%s (-silhouette %s asks for at least as many)", all, f)
		}
		return f.n, fmt.Sprintf("a seeded sample of %d of the %d tiles (-silhouette %s)", f.n, n, f)
	}
	if work := pairWork(n, d); work > exactPairWork {
		m := maxTiles(d, sampledPairWork)
		return m, fmt.Sprintf("a seeded sample of %d of the %d tiles (-silhouette auto: exact over all of them would multiply %.2g pairs of bytes, more than the bound of %.2g)",
			m, n, work, float64(exactPairWork))
	}
	return n, all
}

// pairWork is the pairwise pass's work on n tiles of d features: n(n-1)/2
// x d pairs of bytes.
func pairWork(n, d int) float64 { return float64(n) * float64(n-1) / 2 * float64(d) }

// maxTiles is the most tiles of d features whose pairs are within work:
// the largest m with m(m-1)/2 * d <= work (at least 2).
func maxTiles(d int, work float64) int {
	m := int((1 + math.Sqrt(1+8*work/float64(d))) / 2)
	for m > 2 && pairWork(m, d) > work {
		m--
	}
	return max(m, 2)
}

// runIndices are the indices of a run's ks.
type runIndices struct {
	scores  []kmeans.Scores // in the order of the runs
	mode    string          // exact, sample or off
	how     string          // for a person: "exact over all 5610 tiles", ...; "" when off
	tiles   int             // tiles the silhouette scored
	backend string          // where the pairwise pass ran
	seconds float64
	verify  *sumsStats // with -verify on the GPU
	gpuNote string     // why the GPU did not compute the sums, when it was asked to
	rec     kmeans.Recommendation
	// cautions say when not to trust rec as it stands (see cautions).
	cautions []string
}

// computeIndices scores the runs' clusterings in one pass over the pairs,
// on the GPU when the run's backend is one that offers the pairwise pass
// (the CPU otherwise, and also when the GPU fails under -backend auto),
// and picks the recommended k. A pass that takes a while says so on logw
// first.
func computeIndices(ctx context.Context, o *runOptions, data kmeans.Data, be *backend, runs []kRun, logw io.Writer) (*runIndices, error) {
	start := time.Now()
	ri := &runIndices{mode: silhouetteExact}
	size, how := o.silhouette.sampleSize(data.N, data.D)
	ri.how, ri.tiles = how, size
	opts := kmeans.ScoreOptions{Rand: rand.New(rand.NewPCG(o.seed, 0x73696c))}
	switch {
	case size == 0:
		ri.mode, opts.NoSilhouette = silhouetteOff, true
	case size < data.N:
		ri.mode, opts.SampleSize = silhouetteSample, size
	}
	labels := make([][]int32, len(runs))
	ks := make([]int, len(runs))
	inertia := make([]float64, len(runs))
	for i, r := range runs {
		labels[i], ks[i], inertia[i] = r.res.Labels, r.res.K, r.res.Inertia
	}
	var a kmeans.Assigner = be.cpu
	ri.backend = backendCPU
	if _, ok := be.assigner.(kmeans.DistanceSummer); ok && be.gpu != nil && be.gpuErr == nil {
		a, ri.backend = be.assigner, backendGPU
		if o.verify {
			ri.verify = &sumsStats{}
			a = &verifiedSums{Assigner: be.assigner, ref: be.cpu, stats: ri.verify}
		}
	}
	if size > 0 {
		if ri.backend == backendGPU && be.gpu.info.Software {
			fmt.Fprintf(logw, "tilekmeans: note: the silhouette's pairwise pass runs on %s, a software renderer that runs the shaders on the CPU, far slower than -backend cpu (the same results): %.2g pairs of bytes may take minutes\n",
				be.gpu.info.Renderer, pairWork(size, data.D))
		} else if pairWork(size, data.D) >= slowPairWork {
			fmt.Fprintf(logw, "tilekmeans: indices: the silhouette, %s, on the %s: %.2g pairs of bytes\n", how, ri.backend, pairWork(size, data.D))
		}
	}
	scores, err := kmeans.Score(ctx, data, a, labels, ks, opts)
	if err != nil && ri.backend == backendGPU && ctx.Err() == nil && !errors.Is(err, verify.ErrMismatch) &&
		(errors.Is(err, errors.ErrUnsupported) || be.fallBack(err)) {
		// The GPU cannot take these sums (or failed under -backend auto):
		// the CPU's are the same.
		ri.backend, ri.verify, ri.gpuNote = backendCPU, nil, err.Error()
		scores, err = kmeans.Score(ctx, data, be.cpu, labels, ks, opts)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("indices: %w", err)
	}
	ri.scores = scores
	ri.rec = kmeans.Recommend(scores, inertia)
	ri.cautions = cautions(o, ri.rec, scores, inertia)
	ri.seconds = time.Since(start).Seconds()
	return ri, nil
}

// slowPairWork is the pairwise pass's work (pairs of bytes) from which
// computeIndices says that it is computing: a second or more on a few
// cores.
const slowPairWork = 1 << 37

// cautions say when not to trust a recommendation as it stands, one
// sentence each: a mean silhouette that shows weak or no structure
// (Kaufman and Rousseeuw's reading), a k at the edge of the ks tried, one
// start per k, and inertias that prove a run stopped in a poor local
// minimum. scores and inertia are in the order of the runs (ascending k).
func cautions(o *runOptions, rec kmeans.Recommendation, scores []kmeans.Scores, inertia []float64) []string {
	if rec.K == 0 {
		return nil
	}
	var c []string
	switch rec.Structure {
	case "none":
		c = append(c, fmt.Sprintf("the best mean silhouette, %.4f, is 0.25 or below: no substantial cluster structure at any k scored (Kaufman and Rousseeuw), so the tiles may not form clusters at all", rec.Value))
	case "weak":
		c = append(c, fmt.Sprintf("the best mean silhouette, %.4f, is 0.50 or below: a weak structure, which could be artificial (Kaufman and Rousseeuw)", rec.Value))
	}
	if rec.Index == "davies_bouldin" {
		c = append(c, "Davies-Bouldin has no scale that says whether there are clusters at all; the silhouette has (-silhouette auto)")
	}
	// The ks that could have chosen: those with the index that chose.
	// A k tried beyond them was left out (fewer distinct tiles than k,
	// every cluster a single tile, k = 1), so it cannot score better and
	// widening -k that way cannot help.
	var silOmitted []string
	var ks []int
	for _, s := range scores {
		switch {
		case s.Omitted != "":
		case rec.Index == "silhouette" && s.SilhouetteOmitted != "":
			silOmitted = append(silOmitted, fmt.Sprintf("k = %d: %s", s.K, s.SilhouetteOmitted))
		default:
			ks = append(ks, s.K)
		}
	}
	lo, hi := slices.Min(ks), slices.Max(ks)
	loTried, hiTried := scores[0].K, scores[len(scores)-1].K
	switch {
	case lo == hi && len(silOmitted) > 0:
		c = append(c, fmt.Sprintf("k = %d is the only k with a silhouette (%s): nothing to compare it with; score more tiles (-silhouette exact, or a larger sample:N)", rec.K, strings.Join(silOmitted, "; ")))
	case lo == hi:
		c = append(c, fmt.Sprintf("k = %d is the only k with the indices: nothing to compare it with; sweep a range (say -k 2-%d)", rec.K, max(10, 2*rec.K)))
	case rec.K == hi && hi == hiTried:
		c = append(c, fmt.Sprintf("k = %d is the largest k tried: a larger k may score better; widen -k (say -k %d-%d)", rec.K, lo, 2*hi))
	case rec.K == lo && lo == loTried && lo > 2:
		c = append(c, fmt.Sprintf("k = %d is the smallest k tried: a smaller k may score better; widen -k (say -k 2-%d)", rec.K, hi))
	}
	if o.nInit == 1 && o.init.rows == nil {
		if o.init.method == kmeans.InitKMeansPP {
			c = append(c, "each k had a single start (-n-init 1): k-means can stop in a poor local minimum, so that the ks are ranked by their starts' luck as much as by the tiles; for a verdict to rely on, rerun with -n-init 10")
		} else {
			c = append(c, "each k had a single start from random tiles (-init random -n-init 1, the notebook's job): k-means can stop in a poor local minimum, so that the ks are ranked by their starts' luck as much as by the tiles; for a verdict to rely on, rerun with -init kmeans++ -n-init 10 (scikit-learn 1.2's KMeans defaults)")
		}
	}
	// The best inertia never rises with k: a k whose run ends above a
	// smaller k's stopped in a poor local minimum.
	best := 0
	for i := 1; i < len(inertia); i++ {
		if inertia[i] > inertia[best] {
			c = append(c, fmt.Sprintf("the inertia at k = %d (%.4g) is above that at k = %d (%.4g), which only a poor local minimum gives: the run of k = %d is not the best clustering of that k",
				scores[i].K, inertia[i], scores[best].K, inertia[best], scores[i].K))
			break
		}
		if inertia[i] < inertia[best] {
			best = i
		}
	}
	return c
}

// rule is the rule that chose the recommended k with the index's value
// (summary.json's recommended_rule), or why there is no recommended k.
func (ri *runIndices) rule() string {
	switch ri.rec.Index {
	case "silhouette":
		return fmt.Sprintf("the highest mean silhouette (%.4f, %s)", ri.rec.Value, ri.how)
	case "davies_bouldin":
		why := "no k has a silhouette"
		if ri.mode == silhouetteOff {
			why = "no silhouette: -silhouette off"
		}
		return fmt.Sprintf("the lowest Davies-Bouldin index (%.4f; %s)", ri.rec.Value, why)
	}
	return ri.rec.Why
}

// verdict is the recommended k, its rule and the other indices' opinions,
// for a person (the report's line).
func (ri *runIndices) verdict() string {
	if ri.rec.K == 0 {
		return "no recommended k: " + ri.rec.Why
	}
	var others []string
	for _, o := range []struct {
		index string
		k     int
		what  string
	}{
		{"silhouette", ri.rec.BestSilhouette, "highest mean silhouette"},
		{"davies_bouldin", ri.rec.BestDaviesBouldin, "lowest Davies-Bouldin"},
		{"", ri.rec.BestCalinskiHarabasz, "highest Calinski-Harabasz"},
		{"", ri.rec.Knee, "Kneedle knee of the inertia"},
	} {
		if o.k > 0 && o.index != ri.rec.Index {
			others = append(others, fmt.Sprintf("%s k = %d", o.what, o.k))
		}
	}
	v := fmt.Sprintf("recommended k = %d: %s", ri.rec.K, ri.rule())
	if len(others) > 0 {
		v += "; " + strings.Join(others, ", ")
	}
	return v
}

// line is the one line after the sweep that names the recommended k, its
// rule, the other opinions and the cautions.
func (ri *runIndices) line() string {
	if len(ri.cautions) == 0 {
		return ri.verdict()
	}
	return ri.verdict() + "; but " + strings.Join(ri.cautions, "; ")
}

// print writes the recommended k and, when verbose, the indices of each k
// before it.
func (ri *runIndices) print(w io.Writer, verbose bool) {
	for _, s := range ri.scores {
		if !verbose {
			break
		}
		if s.Omitted != "" {
			fmt.Fprintf(w, "indices k=%d: left out: %s\n", s.K, s.Omitted)
			continue
		}
		sil := "silhouette left out: " + s.SilhouetteOmitted
		if s.SilhouetteOmitted == "" {
			sil = fmt.Sprintf("silhouette %.4f", s.Silhouette)
		}
		ch := fmt.Sprintf("Calinski-Harabasz %.1f", s.CalinskiHarabasz)
		if s.CalinskiHarabaszOmitted != "" {
			ch = "Calinski-Harabasz unbounded: " + s.CalinskiHarabaszOmitted
		}
		fmt.Fprintf(w, "indices k=%d: %s, Davies-Bouldin %.4f, %s\n", s.K, sil, s.DaviesBouldin, ch)
	}
	fmt.Fprintf(w, "tilekmeans: %s\n", ri.line())
}

// indexEntry is a k's indices in summary.json (embedded in runEntry).
type indexEntry struct {
	Silhouette        *float64  `json:"silhouette,omitempty"`
	ClusterSilhouette []float64 `json:"cluster_silhouette,omitempty"`
	DaviesBouldin     *float64  `json:"davies_bouldin,omitempty"`
	CalinskiHarabasz  *float64  `json:"calinski_harabasz,omitempty"`
	// IndicesNote says why the k has no indices; SilhouetteNote why it has
	// no silhouette, CalinskiHarabaszNote why no Calinski-Harabasz (it is
	// unbounded), when it has the others.
	IndicesNote          string `json:"indices_note,omitempty"`
	SilhouetteNote       string `json:"silhouette_note,omitempty"`
	CalinskiHarabaszNote string `json:"calinski_harabasz_note,omitempty"`
}

// indicesSummary is summary.json's "indices": how the silhouette was
// computed, what chose the recommended k, each index's best k and the
// cautions.
type indicesSummary struct {
	// Seconds is the time the indices took (first: not the last line of
	// the block, which tests drop as a timing).
	Seconds float64 `json:"seconds"`
	// Silhouette is exact, sample or off; SilhouetteTiles the tiles it
	// scored and SilhouetteHow the same for a person ("" when off).
	Silhouette      string `json:"silhouette"`
	SilhouetteTiles int    `json:"silhouette_tiles"`
	SilhouetteHow   string `json:"silhouette_how,omitempty"`
	Backend         string `json:"backend"` // where the pairwise pass ran
	GPUNote         string `json:"gpu_note,omitempty"`
	// RecommendedBy is the index that chose recommended_k (silhouette or
	// davies_bouldin; null: none), RecommendedValue its value there, and
	// Structure Kaufman and Rousseeuw's reading of that silhouette
	// (strong, reasonable, weak, none; null when the silhouette did not
	// choose).
	RecommendedBy    *string    `json:"recommended_by"`
	RecommendedValue *float64   `json:"recommended_value"`
	Structure        *string    `json:"structure"`
	BestK            bestKEntry `json:"best_k"`
	InertiaKnee      *int       `json:"inertia_knee"` // null: no knee
	// Cautions say when not to trust recommended_k as it stands.
	Cautions []string   `json:"cautions"`
	Verify   *sumsStats `json:"verify,omitempty"`
}

// bestKEntry is each index's best k (null: no k has it).
type bestKEntry struct {
	Silhouette       *int `json:"silhouette"`
	DaviesBouldin    *int `json:"davies_bouldin"`
	CalinskiHarabasz *int `json:"calinski_harabasz"`
}

// addTo puts the indices into s (its runs in the order of ri's).
func (ri *runIndices) addTo(s *summary) {
	if ri == nil {
		return
	}
	ptr := func(k int) *int {
		if k == 0 {
			return nil
		}
		return &k
	}
	str := func(v string) *string {
		if v == "" {
			return nil
		}
		return &v
	}
	rec := ri.rec
	s.Indices = &indicesSummary{
		Silhouette: ri.mode, SilhouetteTiles: ri.tiles, SilhouetteHow: ri.how, Backend: ri.backend, GPUNote: ri.gpuNote,
		RecommendedBy: str(rec.Index), Structure: str(rec.Structure),
		BestK:       bestKEntry{ptr(rec.BestSilhouette), ptr(rec.BestDaviesBouldin), ptr(rec.BestCalinskiHarabasz)},
		InertiaKnee: ptr(rec.Knee), Cautions: ri.cautions, Verify: ri.verify, Seconds: ri.seconds,
	}
	if rec.K > 0 {
		s.Indices.RecommendedValue = &rec.Value
	}
	if s.Indices.Cautions == nil {
		s.Indices.Cautions = []string{}
	}
	s.RecommendedK, s.RecommendedRule = ptr(rec.K), ri.rule()
	for i := range s.Runs {
		sc := ri.scores[i]
		e := &s.Runs[i].indexEntry
		if sc.Omitted != "" {
			e.IndicesNote = sc.Omitted
			continue
		}
		e.DaviesBouldin, e.CalinskiHarabasz = &sc.DaviesBouldin, &sc.CalinskiHarabasz
		if sc.CalinskiHarabaszOmitted != "" {
			e.CalinskiHarabasz, e.CalinskiHarabaszNote = nil, sc.CalinskiHarabaszOmitted
		}
		if sc.SilhouetteOmitted != "" {
			e.SilhouetteNote = sc.SilhouetteOmitted
			continue
		}
		e.Silhouette, e.ClusterSilhouette = &sc.Silhouette, sc.ClusterSilhouette
	}
}

// sumsStats counts what -verify checked of the GPU's pairwise sums.
type sumsStats struct {
	Sums       int     `json:"sums"`       // row x cluster sums compared
	Mismatches int     `json:"mismatches"` // sums whose bits differed
	MaxRelDiff float64 `json:"max_relative_difference"`
}

// verifiedSums is the GPU's pairwise pass checked against the CPU's: every
// sum compared bit for bit (-verify), a difference an error wrapping
// verify.ErrMismatch.
type verifiedSums struct {
	kmeans.Assigner
	ref   kmeans.DistanceSummer
	stats *sumsStats
}

func (v *verifiedSums) SumDistances(ctx context.Context, rows []int32, labels [][]int32, ks []int, sums [][]float64) error {
	if err := v.Assigner.(kmeans.DistanceSummer).SumDistances(ctx, rows, labels, ks, sums); err != nil {
		return err
	}
	want := make([][]float64, len(sums))
	for l := range sums {
		want[l] = make([]float64, len(sums[l]))
	}
	if err := v.ref.SumDistances(ctx, rows, labels, ks, want); err != nil {
		return err
	}
	for l := range sums {
		for i, g := range sums[l] {
			v.stats.Sums++
			if w := want[l][i]; math.Float64bits(g) != math.Float64bits(w) {
				v.stats.Mismatches++
				v.stats.MaxRelDiff = max(v.stats.MaxRelDiff, math.Abs(g-w)/math.Abs(w))
			}
		}
	}
	if v.stats.Mismatches > 0 {
		return fmt.Errorf("-verify: the GPU's pairwise pass %w: %d of its %d sums of distances are not the CPU's (largest relative difference %.3g)",
			verify.ErrMismatch, v.stats.Mismatches, v.stats.Sums, v.stats.MaxRelDiff)
	}
	return nil
}

// writeNpy writes silhouette_k{K}.npy for each k with a silhouette: each of
// the n tiles' s(i) as float64, NaN for a tile outside a sample.
func (ri *runIndices) writeNpy(root string, n int) error {
	if ri == nil {
		return nil
	}
	for _, s := range ri.scores {
		if s.RowSilhouette == nil {
			continue
		}
		v := s.RowSilhouette
		if s.SilhouetteRows != nil {
			v = make([]float64, n)
			for i := range v {
				v[i] = math.NaN()
			}
			for i, r := range s.SilhouetteRows {
				v[r] = s.RowSilhouette[i]
			}
		}
		if err := outdir.WriteStaged(outfiles.Path(root, outfiles.SilhouetteNpy, s.K), func(w io.Writer) error {
			return npy.Write(w, v, n)
		}); err != nil {
			return err
		}
	}
	return nil
}

// report returns what the report shows of the indices; nil when none.
func (ri *runIndices) report() *htmlreport.Indices {
	if ri == nil {
		return nil
	}
	return &htmlreport.Indices{Rec: ri.rec, Line: ri.verdict(), How: ri.how, Cautions: ri.cautions}
}

// scoresOf returns the indices of the i-th run, or nil.
func (ri *runIndices) scoresOf(i int) *kmeans.Scores {
	if ri == nil {
		return nil
	}
	return &ri.scores[i]
}
