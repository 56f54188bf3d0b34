package report

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/tilekmeans/tilekmeans/tiles"
)

// The map's principal components: the first two eigenvectors of the
// tiles' covariance matrix C, as numpy's or scikit-learn's PCA gives them
// (gonum's stat.PC would take the SVD of the tiles, O(N D min(N, D)):
// seconds for the USPS sheets, which is why the map used to fit a hundred
// tiles, and then its second component was 35 to 52 degrees off). They
// are computed by subspace iteration (Golub and Van Loan, "Matrix
// Computations", 4th ed., §8.2.4: orthogonal iteration with Rayleigh–Ritz)
// on a block of pcaBlock vectors until, for both Ritz pairs (θ, v), the
// residual ‖C v - θ v‖ over the gap to the next Ritz value, which bounds
// the sine of v's angle to the true eigenvector (Davis and Kahan), is
// below pcaTol (an angle of 0.006 degrees). With D <= pcaCovMax
// features C itself is formed (gonum's SymRankK, D x D) and iterated on,
// which costs next to nothing beside forming it; with more, C v is formed
// from the tiles, Xcᵀ(Xc v)/(m-1), two passes over them per iteration on
// every core (the real Kenney sheet, 1,767 tiles of 12,288 features, takes
// about 8 iterations).

// Limits of the fit.
const (
	// MapFitWork bounds the fit's multiply-adds: all the tiles while they
	// fit it, else a seeded sample of the most that do, but at least
	// mapFitMin (all when there are fewer).
	MapFitWork = 2e8
	mapFitMin  = 2000
	pcaCovMax  = 1024 // the most features for which the covariance matrix is formed
	pcaBlock   = 6    // vectors iterated: the 2 sought and 4 to speed convergence
	pcaTol     = 1e-4 // radians
	pcaIters   = 300  // at most, on the covariance matrix; a tenth of it on the tiles
	pcaDataIts = 10   // iterations a fit on the tiles is assumed to take, for MapFitWork
	pcaChunk   = 128  // rows converted to float64 at a time for the covariance matrix
)

// pcaFit is the first two principal components of a set of tiles and the
// share of their variance each explains.
type pcaFit struct {
	mean  []float64
	axes  [2][]float64
	share [2]float64 // of the total variance, each component's
}

// fitCost is the fit's multiply-adds per tile of d features.
func fitCost(d int) float64 {
	if d <= pcaCovMax {
		return float64(d) * float64(d) / 2
	}
	return 2 * pcaBlock * pcaDataIts * float64(d)
}

// fitRows is how many of n tiles of d features the fit uses (see
// MapFitWork).
func fitRows(n, d int) int {
	if float64(n)*fitCost(d) <= MapFitWork {
		return n
	}
	return min(n, max(mapFitMin, int(MapFitWork/fitCost(d))))
}

// fitPCA fits the first two principal components of the given tiles of t
// (at least 2), with rng for the starting block.
func fitPCA(t *tiles.Set, rows []int, rng *rand.Rand) (*pcaFit, error) {
	m, d := len(rows), t.D
	// Exact integer sums for the mean and the total variance.
	sum, sq := make([]int64, d), make([]int64, d)
	for _, i := range rows {
		for f, v := range t.Tile(i) {
			sum[f] += int64(v)
			sq[f] += int64(v) * int64(v)
		}
	}
	fit := &pcaFit{mean: make([]float64, d)}
	total := 0.0
	for f := range d {
		fit.mean[f] = float64(sum[f]) / float64(m)
		// Σ (x - μ)² = Σ x² - (Σ x)²/m
		total += (float64(sq[f]) - float64(sum[f])*float64(sum[f])/float64(m)) / float64(m-1)
	}
	// apply sets z = C q.
	var apply func(z, q *mat.Dense)
	if d <= pcaCovMax {
		// C = Σ (x - μ)(x - μ)ᵀ / (m-1), pcaChunk tiles at a time.
		cov := mat.NewSymDense(d, nil)
		buf := mat.NewDense(pcaChunk, d, nil)
		for r0 := 0; r0 < m; r0 += pcaChunk {
			n := min(pcaChunk, m-r0)
			for r := range n {
				row := buf.RawRowView(r)
				for f, v := range t.Tile(rows[r0+r]) {
					row[f] = float64(v) - fit.mean[f]
				}
			}
			cov.SymRankK(cov, 1/float64(m-1), buf.Slice(0, n, 0, d).T())
		}
		apply = func(z, q *mat.Dense) { z.Mul(cov, q) }
	} else {
		apply = func(z, q *mat.Dense) { applyTiles(z, q, t, rows, fit.mean) }
	}
	b := min(pcaBlock, d)
	q := mat.NewDense(d, b, nil)
	for i := range d {
		for j := range b {
			q.Set(i, j, rng.NormFloat64())
		}
	}
	orthonormalize(q)
	maxIts := pcaIters
	if d > pcaCovMax {
		maxIts /= 10
	}
	z := mat.NewDense(d, b, nil)
	var h, v, zw mat.Dense
	var resid mat.VecDense
	var theta []float64
	for it := 0; ; it++ {
		apply(z, q)
		h.Mul(q.T(), z)
		var es mat.EigenSym
		if !es.Factorize(mat.NewSymDense(b, symmetrize(&h)), true) {
			return nil, fmt.Errorf("map: principal components: the eigenvalues of a %dx%d matrix did not converge", b, b)
		}
		var w mat.Dense
		es.VectorsTo(&w)
		theta = es.Values(nil) // ascending
		order := make([]int, b)
		for i := range order {
			order[i] = b - 1 - i
		}
		w = *permuteCols(&w, order)
		slices.Reverse(theta)
		v.Mul(q, &w)  // the Ritz vectors
		zw.Mul(z, &w) // C v
		worst := 0.0  // the largest bound on sin(angle)
		for i := range min(2, b) {
			resid.ScaleVec(theta[i], v.ColView(i))
			resid.SubVec(zw.ColView(i), &resid)
			gap := theta[i] - theta[min(i+1, b-1)]
			if i == 1 {
				gap = min(gap, theta[0]-theta[1])
			}
			worst = max(worst, resid.Norm(2)/math.Max(gap, math.SmallestNonzeroFloat64))
		}
		// With b = D the block spans every direction: the Ritz pairs are
		// exact at once.
		if b == d || worst <= pcaTol || it+1 >= maxIts {
			break
		}
		q.Copy(&zw)
		orthonormalize(q)
	}
	for ax := range 2 {
		fit.axes[ax] = make([]float64, d)
		if ax >= b {
			continue
		}
		// A component's sign is arbitrary: make its largest loading
		// positive, so that the map does not flip between runs.
		mat.Col(fit.axes[ax], ax, &v)
		big := 0.0
		for _, x := range fit.axes[ax] {
			if math.Abs(x) > math.Abs(big) {
				big = x
			}
		}
		if big < 0 {
			for f := range fit.axes[ax] {
				fit.axes[ax][f] = -fit.axes[ax][f]
			}
		}
		if total > 0 {
			fit.share[ax] = max(0, theta[ax]) / total
		}
	}
	return fit, nil
}

// orthonormalize replaces the columns of q by an orthonormal basis of
// their span: modified Gram-Schmidt, twice ("twice is enough": Giraud et
// al., 2005), a column that vanishes replaced by a unit vector.
func orthonormalize(q *mat.Dense) {
	r, c := q.Dims()
	for range 2 {
		for j := range c {
			col := q.ColView(j).(*mat.VecDense)
			for i := range j {
				col.AddScaledVec(col, -mat.Dot(q.ColView(i), col), q.ColView(i))
			}
			if n := col.Norm(2); n > 0 {
				col.ScaleVec(1/n, col)
			} else {
				col.SetVec(j%r, 1)
			}
		}
	}
}

// symmetrize returns h's values averaged with its transpose's, row-major.
func symmetrize(h *mat.Dense) []float64 {
	n, _ := h.Dims()
	s := make([]float64, n*n)
	for i := range n {
		for j := range n {
			s[i*n+j] = (h.At(i, j) + h.At(j, i)) / 2
		}
	}
	return s
}

// permuteCols returns the columns of w in the given order.
func permuteCols(w *mat.Dense, order []int) *mat.Dense {
	r, _ := w.Dims()
	p := mat.NewDense(r, len(order), nil)
	for j, c := range order {
		p.SetCol(j, mat.Col(nil, c, w))
	}
	return p
}

// sampleRows returns m of n rows, ascending: all, or a seeded sample drawn
// with rng.
func sampleRows(n, m int, rng *rand.Rand) []int {
	if m >= n {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	idx := rng.Perm(n)[:m]
	slices.SortFunc(idx, cmp.Compare)
	return idx
}

// pcaParts is how many parts of the tiles applyTiles sums separately: a
// fixed number, so that the sums, added in part order, are the same on
// every machine.
const pcaParts = 8

// applyTiles sets z = C q for the covariance C of the given tiles of t
// (mean μ): Xcᵀ (Xc q) / (m-1), Xc the centred tiles, from the bytes
// themselves in one pass over the tiles, pcaParts parts at once: per tile
// y = (x - μ)·q, then Σ x yᵀ, less μ (Σ y)ᵀ. q and z are D x pcaBlock.
func applyTiles(z, q *mat.Dense, t *tiles.Set, rows []int, mu []float64) {
	d, m := t.D, len(rows)
	qd := q.RawMatrix()
	var muq [pcaBlock]float64 // μ·q
	for f := range d {
		qf := qd.Data[f*qd.Stride:][:pcaBlock]
		for j := range pcaBlock {
			muq[j] += mu[f] * qf[j]
		}
	}
	parts := make([][]float64, pcaParts)
	ysum := make([][pcaBlock]float64, pcaParts)
	var wg sync.WaitGroup
	for p := range pcaParts {
		wg.Go(func() {
			zp := make([]float64, d*pcaBlock)
			for _, i := range rows[p*m/pcaParts : (p+1)*m/pcaParts] {
				x := t.Tile(i)
				var y [pcaBlock]float64
				for f, v := range x {
					xv, qf := float64(v), (*[pcaBlock]float64)(qd.Data[f*qd.Stride:])
					y[0] += xv * qf[0]
					y[1] += xv * qf[1]
					y[2] += xv * qf[2]
					y[3] += xv * qf[3]
					y[4] += xv * qf[4]
					y[5] += xv * qf[5]
				}
				for j := range pcaBlock {
					y[j] -= muq[j]
					ysum[p][j] += y[j]
				}
				for f, v := range x {
					xv, zf := float64(v), (*[pcaBlock]float64)(zp[f*pcaBlock:])
					zf[0] += xv * y[0]
					zf[1] += xv * y[1]
					zf[2] += xv * y[2]
					zf[3] += xv * y[3]
					zf[4] += xv * y[4]
					zf[5] += xv * y[5]
				}
			}
			parts[p] = zp
		})
	}
	wg.Wait()
	var ys [pcaBlock]float64
	for p := range pcaParts {
		for j := range pcaBlock {
			ys[j] += ysum[p][j]
		}
	}
	zd := z.RawMatrix()
	for f := range d {
		zf := zd.Data[f*zd.Stride:][:pcaBlock]
		for j := range pcaBlock {
			v := -mu[f] * ys[j]
			for p := range pcaParts {
				v += parts[p][f*pcaBlock+j]
			}
			zf[j] = v / float64(m-1)
		}
	}
}
