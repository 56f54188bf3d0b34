package report

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/tiles"
)

// fullPCA returns the first two principal components of all of t's tiles
// and the share of the variance each explains, from gonum's full
// eigendecomposition of their covariance matrix (stat.CovarianceMatrix).
func fullPCA(t *tiles.Set) (axes [2][]float64, share [2]float64) {
	x := mat.NewDense(t.N(), t.D, nil)
	for i := range t.N() {
		for f, v := range t.Tile(i) {
			x.Set(i, f, float64(v))
		}
	}
	var cov mat.SymDense
	stat.CovarianceMatrix(&cov, x, nil)
	var es mat.EigenSym
	es.Factorize(&cov, true)
	vals := es.Values(nil)
	var vecs mat.Dense
	es.VectorsTo(&vecs)
	total := 0.0
	for _, v := range vals {
		total += v
	}
	for ax := range 2 {
		c := len(vals) - 1 - ax
		axes[ax] = mat.Col(nil, c, &vecs)
		share[ax] = vals[c] / total
	}
	return axes, share
}

// angle is the angle in degrees between the lines of a and b.
func angle(a, b []float64) float64 {
	va, vb := mat.NewVecDense(len(a), a), mat.NewVecDense(len(b), b)
	c := math.Abs(mat.Dot(va, vb)) / (va.Norm(2) * vb.Norm(2))
	return math.Acos(min(1, c)) * 180 / math.Pi
}

// TestPCAFit: the map's components equal a full PCA's of the same tiles
// (gonum's eigendecomposition of the covariance matrix), within 0.01
// degrees, and so do the shares of variance they explain: on the USPS
// tiles (256 features: the covariance matrix, all 5,610 tiles; the fit on
// 99 of them that the map used to make was 35 to 52 degrees off in its
// second component) and on tiles of 1,200 features (the iteration on the
// tiles themselves) with a planted structure.
func TestPCAFit(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 1200))
	wide := &tiles.Set{Width: 40, Height: 30, D: 1200, Pix: make([]uint8, 600*1200), Origins: make([]tiles.Origin, 600)}
	for i := range 600 {
		a, b := rng.NormFloat64(), rng.NormFloat64()
		for f := range 1200 {
			v := 128 + 40*a*math.Sin(float64(f)/50) + 25*b*math.Cos(float64(f)/13) + 10*rng.NormFloat64()
			wide.Pix[i*1200+f] = uint8(max(0, min(255, v)))
		}
	}
	sets := map[string]*tiles.Set{"wide": wide}
	if !testing.Short() {
		data := sharedtest.Data(t)
		sets["USPS"] = &tiles.Set{Width: 16, Height: 16, D: data.D, Pix: data.X, Origins: make([]tiles.Origin, data.N)}
	}
	for name, tl := range sets {
		rows := sampleRows(tl.N(), fitRows(tl.N(), tl.D), rand.New(rand.NewPCG(1, 1)))
		if len(rows) != tl.N() {
			t.Fatalf("%s: fitted on %d of %d tiles", name, len(rows), tl.N())
		}
		fit, err := fitPCA(tl, rows, rand.New(rand.NewPCG(2, 2)))
		if err != nil {
			t.Fatal(err)
		}
		axes, share := fullPCA(tl)
		for ax := range 2 {
			if a := angle(fit.axes[ax], axes[ax]); a > 0.01 {
				t.Errorf("%s: component %d is %.4f degrees off the full PCA's", name, ax+1, a)
			}
			if math.Abs(fit.share[ax]-share[ax]) > 1e-9 {
				t.Errorf("%s: component %d explains %.12f, the full PCA's %.12f", name, ax+1, fit.share[ax], share[ax])
			}
		}
	}
}

// TestFitRows: every tile while the fit is cheap (the USPS sheets), else a
// sample of at least mapFitMin.
func TestFitRows(t *testing.T) {
	for _, c := range []struct{ n, d, want int }{
		{5610, 256, 5610}, {56100, 256, 6103}, {60000, 784, 2000}, {1767, 12288, 1767}, {100000, 12288, 2000}, {10, 100000, 10},
	} {
		if got := fitRows(c.n, c.d); got != c.want {
			t.Errorf("%d tiles of %d features: %d fitted, want %d", c.n, c.d, got, c.want)
		}
	}
	if r := sampleRows(10, 4, rand.New(rand.NewPCG(1, 1))); len(r) != 4 || !slices.IsSorted(r) {
		t.Errorf("sample %v", r)
	}
}
