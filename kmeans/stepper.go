package kmeans

import (
	"fmt"
	"slices"

	"github.com/tilekmeans/tilekmeans/internal/exactsum"
	"github.com/tilekmeans/tilekmeans/kmeans/driver"
)

// newHostStepper returns a driver.Stepper that runs the iterations on the
// host: a.Assign does step 1, and the update keeps exact integer sums of the
// uint8 rows (moving only the rows that changed cluster, so once the
// clustering settles an update costs little more than comparing labels).
// It runs one iteration per Step call.
func newHostStepper(data Data, a Assigner) *hostStepper {
	return &hostStepper{Assigner: a, data: data}
}

// hostStepper is the driver.Stepper of newHostStepper.
type hostStepper struct {
	Assigner
	data   Data
	u      *updater // nil before Start
	labels []int32
	prev   []int32
	dists  []float32
}

func (h *hostStepper) Start(k int, cent []float32) error {
	n, dim := h.data.N, h.data.D
	if k < 1 || len(cent) < k*dim {
		return fmt.Errorf("host step: %d centroid values for k=%d and %d features", len(cent), k, dim)
	}
	h.u = newUpdater(h.data, k)
	copy(h.u.cent32, cent)
	if len(h.labels) != n {
		h.labels, h.prev, h.dists = make([]int32, n), make([]int32, n), make([]float32, n)
	}
	for i := range h.prev {
		h.prev[i] = -1
	}
	return nil
}

func (h *hostStepper) Step(stats []driver.StepStat, stop bool) (int, error) {
	if h.u == nil {
		return 0, errNotStarted
	}
	if len(stats) == 0 {
		return 0, nil
	}
	u := h.u
	if err := h.Assign(u.cent32, u.k, h.labels, h.dists); err != nil {
		return 0, err
	}
	st := driver.StepStat{Inertia: exactsum.Sum(h.dists)}
	for i, l := range h.labels {
		if l != h.prev[i] {
			st.Changed++
		}
	}
	copy(h.prev, h.labels)
	for i, l := range h.labels {
		if u.owner[i] != l {
			u.move(i, l)
		}
	}
	if slices.Contains(u.counts, 0) {
		st.Empty = true
	} else {
		st.Moved = u.means()
	}
	stats[0] = st
	return 1, nil
}

func (h *hostStepper) State(owner []int32, dists []float32, counts []int) error {
	if h.u == nil {
		return errNotStarted
	}
	copy(owner, h.u.owner)
	copy(dists, h.dists)
	copy(counts, h.u.counts)
	return nil
}

func (h *hostStepper) Move(rows []int, to []int32) (bool, error) {
	if h.u == nil {
		return false, errNotStarted
	}
	for i, r := range rows {
		h.u.move(r, to[i])
	}
	return h.u.means(), nil
}

func (h *hostStepper) Finish(reassign bool, labels []int32, dists []float32, sums []uint64, counts []int, cent []float32) error {
	u := h.u
	if u == nil {
		return errNotStarted
	}
	if reassign {
		if err := h.Assign(u.cent32, u.k, h.labels, h.dists); err != nil {
			return err
		}
	}
	copy(labels, h.labels)
	copy(dists, h.dists)
	copy(sums, u.sums)
	copy(counts, u.counts)
	copy(cent, u.cent32)
	return nil
}

// errNotStarted: a Stepper method other than Start before Start.
var errNotStarted = fmt.Errorf("host step: no run started (Start first)")

// updater holds the exact integer state of the update step: the sums are
// kept from one iteration to the next and only rows that change cluster
// move.
type updater struct {
	data   Data
	k      int
	sums   []uint64 // k*D integer sums of the rows in each cluster
	counts []int
	owner  []int32   // the cluster each row's values are summed into; -1 before the first update
	cent32 []float32 // the float32 means
}

func newUpdater(data Data, k int) *updater {
	owner := make([]int32, data.N)
	for i := range owner {
		owner[i] = -1
	}
	return &updater{
		data:   data,
		k:      k,
		sums:   make([]uint64, k*data.D),
		counts: make([]int, k),
		owner:  owner,
		cent32: make([]float32, k*data.D),
	}
}

// move moves row i's values from the cluster that holds them to cluster to.
func (u *updater) move(i int, to int32) {
	dim := u.data.D
	row := u.data.Row(i)
	add := u.sums[int(to)*dim : (int(to)+1)*dim]
	add = add[:len(row)]
	if from := u.owner[i]; from >= 0 {
		// One pass for both clusters: the row is read once.
		sub := u.sums[int(from)*dim : (int(from)+1)*dim]
		sub = sub[:len(row)]
		for j, v := range row {
			sub[j] -= uint64(v)
			add[j] += uint64(v)
		}
		u.counts[from]--
	} else {
		for j, v := range row {
			add[j] += uint64(v)
		}
	}
	u.counts[to]++
	u.owner[i] = to
}

// means sets the centroid of every non-empty cluster to the float32 mean of
// its sums and reports whether any bit changed; an empty cluster keeps its
// centroid.
func (u *updater) means() bool {
	dim := u.data.D
	changed := false
	for c := range u.k {
		if u.counts[c] == 0 {
			continue
		}
		cnt := float64(u.counts[c])
		for j := range dim {
			// Sums and counts are exact; the float64 quotient rounded once
			// more to float32 is the correctly rounded float32 mean (double
			// rounding is harmless for division from float64 to float32).
			f := float32(float64(u.sums[c*dim+j]) / cnt)
			if f != u.cent32[c*dim+j] {
				changed = true
			}
			u.cent32[c*dim+j] = f
		}
	}
	return changed
}

// relocation decides the moves that refill empty clusters: each empty
// cluster, in index order, takes the row farthest from its own centroid
// (largest dists, ties to the lowest row index) among rows whose cluster
// keeps at least one other row, as scikit-learn does. A row at distance 0
// from its centroid is never taken: every row left is then equal to its
// centroid (the clustering is exact, as with fewer distinct rows than k),
// and moving one would only copy a centroid into the empty cluster, which
// the next assignment empties again (ties go to the lower index). Such a
// cluster stays empty and keeps its centroid. counts and owner describe the
// sums before the moves; neither is modified.
func relocation(k int, counts []int, owner []int32, dists []float32) (rows []int, to []int32) {
	empty := 0
	for _, c := range counts[:k] {
		if c == 0 {
			empty++
		}
	}
	if empty == 0 {
		return nil, nil
	}
	order := make([]int, len(dists))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case dists[a] > dists[b]:
			return -1
		case dists[a] < dists[b]:
			return 1
		}
		return 0
	})
	left := slices.Clone(counts[:k])
	next := 0
	for c := range k {
		if left[c] != 0 {
			continue
		}
		for next < len(order) && left[owner[order[next]]] < 2 {
			next++
		}
		if next == len(order) || !(dists[order[next]] > 0) {
			break // nothing left that a move would improve
		}
		r := order[next]
		next++
		left[owner[r]]--
		left[c] = 1
		rows = append(rows, r)
		to = append(to, int32(c))
	}
	return rows, to
}
