package kmeans

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// InitMethod says how Run chooses the initial centroids (scikit-learn's
// init); explicit rows are Config.InitRows.
type InitMethod string

const (
	// InitRandom picks k distinct rows from a permutation drawn from
	// Config.Rand, as the notebook does (scikit-learn's init="random" draws
	// them the same way from its own generator).
	InitRandom InitMethod = "random"
	// InitKMeansPP is greedy k-means++ (Arthur and Vassilvitskii, 2007) as
	// scikit-learn implements it: the first row uniformly, then 2 +
	// floor(ln k) candidates per step drawn with probability proportional to
	// the squared distance to the nearest row chosen so far, keeping the one
	// that lowers the total most. Distances between uint8 rows are exact
	// integers, so no rounding enters the choice. The rows are distinct: once
	// every row equals a chosen one (fewer distinct rows than k), the rest
	// are drawn uniformly from the rows not chosen.
	InitKMeansPP InitMethod = "k-means++"
)

// checkInit reports whether cfg's Init and InitRows can seed cfg.K clusters
// on n rows, as a *ConfigError.
func (cfg Config) checkInit(n int) error {
	switch cfg.Init {
	case "", InitRandom, InitKMeansPP:
	default:
		return &ConfigError{Field: "Init", Value: string(cfg.Init), Msg: fmt.Sprintf("want %q or %q", InitRandom, InitKMeansPP)}
	}
	if cfg.InitRows == nil {
		return nil
	}
	bad := func(format string, args ...any) error {
		return &ConfigError{Field: "InitRows", Value: fmt.Sprint(cfg.InitRows), Msg: fmt.Sprintf(format, args...)}
	}
	if cfg.Init != "" {
		return bad("explicit rows with Init %q: leave Init empty", cfg.Init)
	}
	if len(cfg.InitRows) != cfg.K {
		return bad("%d rows for k=%d", len(cfg.InitRows), cfg.K)
	}
	seen := make(map[int]bool, len(cfg.InitRows))
	for _, r := range cfg.InitRows {
		switch {
		case r < 0 || r >= n:
			return bad("row %d is out of range (%d tiles: 0..%d)", r, n, n-1)
		case seen[r]:
			return bad("row %d is repeated", r)
		}
		seen[r] = true
	}
	return nil
}

// chooseRows returns the k rows whose values become the initial centroids.
func (cfg Config) chooseRows(data Data) []int {
	switch {
	case cfg.InitRows != nil:
		return slices.Clone(cfg.InitRows)
	case cfg.Init == InitKMeansPP:
		return kmeansPP(data, cfg.K, cfg.Rand)
	}
	return cfg.Rand.Perm(data.N)[:cfg.K]
}

// kmeansPP returns k rows chosen by greedy k-means++ (Arthur & Vassilvitskii,
// with scikit-learn's 2 + floor(ln k) local trials per step): the first row
// uniformly, each next one among candidates drawn with probability
// proportional to the squared distance to the nearest row chosen so far,
// keeping the candidate that lowers the total most. Distances between uint8
// rows are exact integers, so no rounding enters the choice. The rows are
// distinct indices: once every row equals a chosen one (fewer distinct rows
// than k), the rest are drawn uniformly from the rows not chosen.
func kmeansPP(data Data, k int, rng *rand.Rand) []int {
	n := data.N
	trials := 2 + int(math.Log(float64(k)))
	rows := make([]int, 0, k)
	first := rng.IntN(n)
	rows = append(rows, first)
	closest := make([]float64, n)
	pot := 0.0
	for i := range n {
		closest[i] = float64(sqDistU8(data.Row(i), data.Row(first)))
		pot += closest[i]
	}
	cum := make([]float64, n)
	cand := make([][]float64, trials)
	for t := range cand {
		cand[t] = make([]float64, n)
	}
	chosen := make([]bool, n)
	chosen[first] = true
	for len(rows) < k {
		if pot == 0 {
			// Every row equals a chosen one: there are fewer distinct rows
			// than k. Where scikit-learn draws row 0 again and again, take
			// a row not chosen yet, uniformly, so that the k rows are
			// distinct and can be given back as explicit rows.
			r := rng.IntN(n - len(rows))
			for i, c := range chosen {
				if !c {
					if r == 0 {
						rows = append(rows, i)
						chosen[i] = true
						break
					}
					r--
				}
			}
			continue
		}
		s := 0.0
		for i, d := range closest {
			s += d
			cum[i] = s
		}
		ids := make([]int, trials)
		bestT, bestPot := -1, 0.0
		for t := range trials {
			// searchsorted(cum, u*pot, side=left), clipped to n-1.
			v := rng.Float64() * pot
			id, _ := slices.BinarySearch(cum, v)
			id = min(id, n-1)
			ids[t] = id
			p := 0.0
			c := data.Row(id)
			for i := range n {
				d := min(closest[i], float64(sqDistU8(data.Row(i), c)))
				cand[t][i] = d
				p += d
			}
			if bestT < 0 || p < bestPot {
				bestT, bestPot = t, p
			}
		}
		rows = append(rows, ids[bestT])
		chosen[ids[bestT]] = true
		copy(closest, cand[bestT])
		pot = bestPot
	}
	return rows
}

// sqDistU8 is the exact squared distance of two uint8 rows.
func sqDistU8(a, b []uint8) int64 {
	b = b[:len(a)]
	var s int64
	for j, v := range a {
		d := int64(v) - int64(b[j])
		s += d * d
	}
	return s
}
