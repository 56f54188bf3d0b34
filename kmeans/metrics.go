package kmeans

import "math"

// Quality is a clustering's agreement with known classes (for tiles: the
// sheet each came from), as scikit-learn's metrics define it.
type Quality struct {
	Purity float64 // share of rows in their cluster's majority class
	NMI    float64 // normalized_mutual_info_score, arithmetic mean of the entropies (scikit-learn's default)
	ARI    float64 // adjusted_rand_score
	// Confusion[class][cluster] counts rows.
	Confusion [][]int
}

// CompareClasses scores labels (clusters 0..k-1, one per row) against the
// rows' known classes (0..m-1, as long as labels). NMI and ARI are 1 for
// identical partitions whatever the numbering, and follow scikit-learn 1.2
// where the partitions are degenerate (both a single block: NMI 1).
func CompareClasses(classes []int, m int, labels []int32, k int) Quality {
	conf := make([][]int, m)
	for i := range conf {
		conf[i] = make([]int, k)
	}
	for i, c := range classes {
		conf[c][labels[i]]++
	}
	return Quality{
		Purity:    purity(conf),
		NMI:       nmi(conf),
		ARI:       ari(conf),
		Confusion: conf,
	}
}

// marginals returns the row sums, column sums and total of a contingency table.
func marginals(conf [][]int) (rows, cols []int, n int) {
	rows = make([]int, len(conf))
	for i, r := range conf {
		if cols == nil {
			cols = make([]int, len(r))
		}
		for j, v := range r {
			rows[i] += v
			cols[j] += v
			n += v
		}
	}
	return rows, cols, n
}

func purity(conf [][]int) float64 {
	_, cols, n := marginals(conf)
	if n == 0 {
		return 0
	}
	hit := 0
	for j := range cols {
		best := 0
		for i := range conf {
			best = max(best, conf[i][j])
		}
		hit += best
	}
	return float64(hit) / float64(n)
}

func entropy(counts []int, n int) float64 {
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / float64(n)
			h -= p * math.Log(p)
		}
	}
	return h
}

func nmi(conf [][]int) float64 {
	rows, cols, n := marginals(conf)
	if n == 0 {
		return 0
	}
	hu, hv := entropy(rows, n), entropy(cols, n)
	if hu == 0 && hv == 0 {
		// Both partitions are a single block: identical, as scikit-learn says.
		return 1
	}
	mi := 0.0
	for i, r := range conf {
		for j, v := range r {
			if v > 0 {
				nij := float64(v)
				mi += nij / float64(n) * math.Log(nij*float64(n)/(float64(rows[i])*float64(cols[j])))
			}
		}
	}
	return max(mi, 0) / ((hu + hv) / 2)
}

func comb2(x int) float64 { return float64(x) * float64(x-1) / 2 }

func ari(conf [][]int) float64 {
	rows, cols, n := marginals(conf)
	sumIJ, sumA, sumB := 0.0, 0.0, 0.0
	for _, r := range conf {
		for _, v := range r {
			sumIJ += comb2(v)
		}
	}
	for _, v := range rows {
		sumA += comb2(v)
	}
	for _, v := range cols {
		sumB += comb2(v)
	}
	total := comb2(n)
	if total == 0 {
		return 1
	}
	expected := sumA * sumB / total
	maxIdx := (sumA + sumB) / 2
	if maxIdx == expected {
		// Both partitions trivial (one block or all singletons).
		return 1
	}
	return (sumIJ - expected) / (maxIdx - expected)
}
