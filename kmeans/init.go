package kmeans

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// InitMethod says how the initial centroids are chosen.
type InitMethod int

const (
	// InitRandom picks k distinct rows from a seeded permutation, as the
	// notebook does.
	InitRandom InitMethod = iota
	// InitKMeansPP is greedy k-means++ as scikit-learn implements it:
	// 2 + ln k candidates per step, keeping the one that lowers the
	// potential most.
	InitKMeansPP
	// InitRows uses explicit row indices.
	InitRows
)

// Init says how the initial centroids are chosen. Its text form, read by
// UnmarshalText (so it works with flag.TextVar) and written by MarshalText
// and String, is "random", "kmeans++" or "rows:i,j,...".
type Init struct {
	Method InitMethod
	Rows   []int // for InitRows: 0-based row indices, one per cluster
}

// ParseInit parses "random", "kmeans++" or "rows:i,j,..."; errors wrap
// ErrInit and read `kmeans: bad init "TEXT": what is wrong`.
func ParseInit(s string) (Init, error) {
	bad := func(format string, args ...any) (Init, error) {
		return Init{}, fmt.Errorf("kmeans: %w %q: %s", ErrInit, s, fmt.Sprintf(format, args...))
	}
	switch {
	case s == "random":
		return Init{Method: InitRandom}, nil
	case s == "kmeans++":
		return Init{Method: InitKMeansPP}, nil
	case strings.HasPrefix(s, "rows:"):
		list := strings.TrimPrefix(s, "rows:")
		if list == "" {
			return bad("lists no rows")
		}
		var rows []int
		for _, f := range strings.Split(list, ",") {
			r, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || r < 0 {
				return bad("row %q is not a non-negative integer", f)
			}
			if slices.Contains(rows, r) {
				return bad("row %d is repeated", r)
			}
			rows = append(rows, r)
		}
		return Init{Method: InitRows, Rows: rows}, nil
	}
	return bad("want random, kmeans++ or rows:i,j,...")
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseInit.
func (in *Init) UnmarshalText(text []byte) error {
	v, err := ParseInit(string(text))
	if err != nil {
		return err
	}
	*in = v
	return nil
}

// MarshalText implements encoding.TextMarshaler: the form ParseInit reads.
func (in Init) MarshalText() ([]byte, error) { return []byte(in.String()), nil }

// String returns the form ParseInit accepts.
func (in Init) String() string {
	switch in.Method {
	case InitKMeansPP:
		return "kmeans++"
	case InitRows:
		s := make([]string, len(in.Rows))
		for i, r := range in.Rows {
			s[i] = strconv.Itoa(r)
		}
		return "rows:" + strings.Join(s, ",")
	}
	return "random"
}

// check reports whether in can seed k clusters on n rows, as a
// *ConfigError about Init.
func (in Init) check(n, k int) error {
	if in.Method != InitRows {
		return nil
	}
	bad := func(format string, args ...any) error {
		return &ConfigError{Field: "Init", Value: in.String(), Msg: fmt.Sprintf(format, args...)}
	}
	if len(in.Rows) != k {
		return bad("%d rows for k=%d", len(in.Rows), k)
	}
	seen := make(map[int]bool, len(in.Rows))
	for _, r := range in.Rows {
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
func (in Init) chooseRows(data Data, k int, rng *rand.Rand) []int {
	switch in.Method {
	case InitRows:
		return slices.Clone(in.Rows)
	case InitKMeansPP:
		return KMeansPP(data, k, rng)
	}
	return rng.Perm(data.N)[:k]
}

// KMeansPP returns k rows chosen by greedy k-means++ (Arthur & Vassilvitskii,
// with scikit-learn's 2 + floor(ln k) local trials per step): the first row
// uniformly, each next one among candidates drawn with probability
// proportional to the squared distance to the nearest row chosen so far,
// keeping the candidate that lowers the total most. Distances between uint8
// rows are exact integers, so no rounding enters the choice. The rows are
// distinct indices: once every row equals a chosen one (fewer distinct rows
// than k), the rest are drawn uniformly from the rows not chosen.
func KMeansPP(data Data, k int, rng *rand.Rand) []int {
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
