package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
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
// pairwise pass multiplies n(n-1)/2 x D pairs of bytes; up to 2^39 (5.5e11:
// 56,100 USPS tiles of 256 features are 4.0e11) it is exact, which takes
// seconds on a few AVX-512 cores (BENCHMARKS.md). Beyond, it takes a
// seeded sample of the most tiles within the bound (65,536 at D = 256),
// whose mean silhouette is within about ±0.002 of the exact one (the
// standard error of a mean of 65,536 values spread at most ~0.3), plenty
// to rank the ks, so that no run spends minutes on its indices.
const exactPairWork = 1 << 39

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
// scores (n: all of them, exactly; 0: none), and how, for a person.
func (f silhouetteFlag) sampleSize(n, d int) (size int, how string) {
	switch f.mode {
	case silhouetteOff:
		return 0, "off (-silhouette off)"
	case silhouetteExact:
		return n, fmt.Sprintf("exact over all %d tiles", n)
	case silhouetteSample:
		if f.n >= n {
			return n, fmt.Sprintf("exact over all %d tiles (-silhouette %s asks for at least as many)", n, f)
		}
		return f.n, fmt.Sprintf("a seeded sample of %d of the %d tiles (-silhouette %s)", f.n, n, f)
	}
	m := maxExactTiles(d)
	if n <= m {
		return n, fmt.Sprintf("exact over all %d tiles", n)
	}
	return m, fmt.Sprintf("a seeded sample of %d of the %d tiles (-silhouette auto: exact over all of them would multiply %.2g pairs of bytes, more than the bound of %.2g)",
		m, n, float64(n)*float64(n-1)/2*float64(d), float64(exactPairWork))
}

// maxExactTiles is the most tiles of d features whose pairs are within
// exactPairWork: the largest m with m(m-1)/2 * d <= exactPairWork.
func maxExactTiles(d int) int {
	m := int((1 + math.Sqrt(1+8*float64(exactPairWork)/float64(d))) / 2)
	for m > 2 && m*(m-1)/2*d > exactPairWork {
		m--
	}
	return max(m, 2)
}

// runIndices are the indices of a run's ks.
type runIndices struct {
	scores  []kmeans.Scores // in the order of the runs
	mode    string          // exact, sample or off
	how     string          // for a person: "exact over all 5610 tiles", ...
	tiles   int             // tiles the silhouette scored
	backend string          // where the pairwise pass ran
	seconds float64
	verify  *sumsStats // with -verify on the GPU
	gpuNote string     // why the GPU did not compute the sums, when it was asked to
	best    bestKs
	knee    int // the Kneedle knee of the inertia; 0: none
	rec     int // the recommended k; 0: none
	rule    string
}

// bestKs are each index's best k (0: no k has it).
type bestKs struct{ silhouette, daviesBouldin, calinskiHarabasz int }

// computeIndices scores the runs' clusterings in one pass over the pairs,
// on the GPU when the run's backend is one that offers the pairwise pass
// (the CPU otherwise, and also when the GPU fails under -backend auto),
// and picks the recommended k.
func computeIndices(ctx context.Context, o *runOptions, data kmeans.Data, be *backend, runs []kRun) (*runIndices, error) {
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
	for i, r := range runs {
		labels[i], ks[i] = r.res.Labels, r.res.K
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
	ri.best = bestOf(scores)
	ri.rec, ri.rule = kmeans.Recommend(scores)
	inertia := make([]float64, len(runs))
	for i, r := range runs {
		inertia[i] = r.res.Inertia
	}
	if i, ok := kneedle(ks, inertia); ok {
		ri.knee = ks[i]
	}
	ri.seconds = time.Since(start).Seconds()
	return ri, nil
}

// bestOf returns each index's best k among the scores that have it: the
// highest silhouette and Calinski-Harabasz, the lowest Davies-Bouldin
// (ties to the smaller k).
func bestOf(scores []kmeans.Scores) bestKs {
	var b bestKs
	var sil, db, ch kmeans.Scores
	for _, s := range scores {
		if s.Omitted != "" {
			continue
		}
		better := func(cur int, curV, v float64, higher bool) bool {
			return cur == 0 || (higher && v > curV) || (!higher && v < curV) || v == curV && s.K < cur
		}
		if s.SilhouetteOmitted == "" && better(b.silhouette, sil.Silhouette, s.Silhouette, true) {
			b.silhouette, sil = s.K, s
		}
		if better(b.daviesBouldin, db.DaviesBouldin, s.DaviesBouldin, false) {
			b.daviesBouldin, db = s.K, s
		}
		if better(b.calinskiHarabasz, ch.CalinskiHarabasz, s.CalinskiHarabasz, true) {
			b.calinskiHarabasz, ch = s.K, s
		}
	}
	return b
}

// kneedle returns the index of the knee of a decreasing convex curve (the
// inertia against k) by Kneedle (Satopaa, Albrecht, Irwin and Raghavan,
// 2011) as the kneed package computes it offline with sensitivity S = 1,
// which Yellowbrick's KElbowVisualizer uses: x and y normalised to 0..1,
// y flipped to 1 - y, the difference curve d = y - x; the knee is the
// first local maximum of d after which d falls below its value minus S
// times the mean step of x before d rises to another local maximum. It
// needs xs ascending and at least 3 points; ok is false when there is no
// knee.
func kneedle(xs []int, ys []float64) (knee int, ok bool) {
	n := len(xs)
	if n < 3 || len(ys) != n {
		return 0, false
	}
	norm := func(v []float64) []float64 {
		lo, hi := v[0], v[0]
		for _, x := range v {
			lo, hi = min(lo, x), max(hi, x)
		}
		out := make([]float64, len(v))
		for i, x := range v {
			if hi > lo {
				out[i] = (x - lo) / (hi - lo)
			}
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
	isMax := func(i int) bool { return i > 0 && i < n-1 && d[i] > d[i-1] && d[i] > d[i+1] }
	isMin := func(i int) bool { return i > 0 && i < n-1 && d[i] < d[i-1] && d[i] < d[i+1] }
	first := -1
	for i := range n {
		if isMax(i) {
			first = i
			break
		}
	}
	if first < 0 {
		return 0, false
	}
	threshold, at := 0.0, first
	for i := first; i < n-1; i++ {
		if isMax(i) {
			threshold, at = d[i]-step, i
		}
		if isMin(i) {
			threshold = 0
		}
		if d[i+1] < threshold {
			return at, true
		}
	}
	return 0, false
}

// line is the one line after the sweep that names the recommended k.
func (ri *runIndices) line() string {
	if ri.rec == 0 {
		return "no recommended k: " + ri.ruleText()
	}
	return fmt.Sprintf("recommended k = %d: %s", ri.rec, ri.ruleText())
}

// ruleText is the rule that chose the recommended k with the index's value
// and the other indices' opinions (summary.json's recommended_rule), or why
// there is no recommended k.
func (ri *runIndices) ruleText() string {
	if ri.rec == 0 {
		return ri.rule
	}
	var b strings.Builder
	b.WriteString(ri.rule)
	if ri.mode != silhouetteOff && strings.Contains(ri.rule, "silhouette") {
		fmt.Fprintf(&b, ", %s", ri.how)
	}
	var second []string
	if ri.knee > 0 {
		second = append(second, fmt.Sprintf("Kneedle knee of the inertia k = %d", ri.knee))
	}
	if ri.best.daviesBouldin > 0 {
		second = append(second, fmt.Sprintf("lowest Davies-Bouldin k = %d", ri.best.daviesBouldin))
	}
	if ri.best.calinskiHarabasz > 0 {
		second = append(second, fmt.Sprintf("highest Calinski-Harabasz k = %d", ri.best.calinskiHarabasz))
	}
	if len(second) > 0 {
		fmt.Fprintf(&b, "; %s", strings.Join(second, ", "))
	}
	return b.String()
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
		fmt.Fprintf(w, "indices k=%d: %s, Davies-Bouldin %.4f, Calinski-Harabasz %.1f\n", s.K, sil, s.DaviesBouldin, s.CalinskiHarabasz)
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
	// no silhouette when it has the others.
	IndicesNote    string `json:"indices_note,omitempty"`
	SilhouetteNote string `json:"silhouette_note,omitempty"`
}

// indicesSummary is summary.json's "indices": how the silhouette was
// computed and each index's best k.
type indicesSummary struct {
	// Seconds is the time the indices took (first: not the last line of
	// the block, which tests drop as a timing).
	Seconds float64 `json:"seconds"`
	// Silhouette is exact, sample or off; SilhouetteTiles the tiles it
	// scored and SilhouetteHow the same for a person.
	Silhouette      string     `json:"silhouette"`
	SilhouetteTiles int        `json:"silhouette_tiles"`
	SilhouetteHow   string     `json:"silhouette_how"`
	Backend         string     `json:"backend"` // where the pairwise pass ran
	GPUNote         string     `json:"gpu_note,omitempty"`
	BestK           bestKEntry `json:"best_k"`
	InertiaKnee     *int       `json:"inertia_knee"` // null: no knee
	Verify          *sumsStats `json:"verify,omitempty"`
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
	s.Indices = &indicesSummary{
		Silhouette: ri.mode, SilhouetteTiles: ri.tiles, SilhouetteHow: ri.how, Backend: ri.backend, GPUNote: ri.gpuNote,
		BestK:       bestKEntry{ptr(ri.best.silhouette), ptr(ri.best.daviesBouldin), ptr(ri.best.calinskiHarabasz)},
		InertiaKnee: ptr(ri.knee), Verify: ri.verify, Seconds: ri.seconds,
	}
	s.RecommendedK, s.RecommendedRule = ptr(ri.rec), ri.ruleText()
	for i := range s.Runs {
		sc := ri.scores[i]
		e := &s.Runs[i].indexEntry
		if sc.Omitted != "" {
			e.IndicesNote = sc.Omitted
			continue
		}
		e.DaviesBouldin, e.CalinskiHarabasz = &sc.DaviesBouldin, &sc.CalinskiHarabasz
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
		return fmt.Errorf("-verify: the GPU's sums of distances %w in %d of %d (largest relative difference %.3g)",
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
	return &htmlreport.Indices{
		Recommended: ri.rec, Line: ri.line(), How: ri.how, Knee: ri.knee,
		BestSilhouette: ri.best.silhouette, BestDaviesBouldin: ri.best.daviesBouldin, BestCalinskiHarabasz: ri.best.calinskiHarabasz,
	}
}

// scoresOf returns the indices of the i-th run, or nil.
func (ri *runIndices) scoresOf(i int) *kmeans.Scores {
	if ri == nil {
		return nil
	}
	return &ri.scores[i]
}

// recommended is summary.json's recommended k, 0 for none.
func (s summary) recommended() int {
	if s.RecommendedK == nil {
		return 0
	}
	return *s.RecommendedK
}
