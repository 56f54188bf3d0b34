package kmeans

import (
	"math"
	"slices"
	"testing"
)

func TestRelocationDecisions(t *testing.T) {
	// Clusters 1 and 3 empty. Farthest rows: 4 (9.0, its cluster 0 has 3
	// rows), then 2 and 5 (tied at 8.0; 2 is lower but alone in cluster 2,
	// so 5 goes).
	counts := []int{3, 0, 1, 0, 2}
	owner := []int32{0, 0, 2, 4, 0, 4}
	dists := []float32{1, 2, 8, 3, 9, 8}
	rows, to := relocation(5, counts, owner, dists)
	if !slices.Equal(rows, []int{4, 5}) || !slices.Equal(to, []int32{1, 3}) {
		t.Errorf("relocation moves rows %v to %v, want [4 5] to [1 3]", rows, to)
	}
	if !slices.Equal(counts, []int{3, 0, 1, 0, 2}) {
		t.Errorf("relocation modified counts: %v", counts)
	}
}

// TestRelocationTiesAndZeros: among rows equally far, the lowest row index
// moves first; rows at distance 0 never move, so an empty cluster that
// only such rows could fill stays empty.
func TestRelocationTiesAndZeros(t *testing.T) {
	for _, tt := range []struct {
		name   string
		counts []int
		owner  []int32
		dists  []float32
		rows   []int
		to     []int32
	}{
		{"three-way tie", []int{0, 4, 0}, []int32{1, 1, 1, 1}, []float32{5, 7, 7, 7}, []int{1, 2}, []int32{0, 2}},
		{"all at zero", []int{3, 0}, []int32{0, 0, 0}, []float32{0, 0, 0}, nil, nil},
		{"one far, then zeros", []int{0, 3, 0, 0}, []int32{1, 1, 1}, []float32{0, 2.5, 0}, []int{1}, []int32{0}},
		{"negative zero", []int{2, 0}, []int32{0, 0}, []float32{float32(math.Copysign(0, -1)), 0}, nil, nil},
	} {
		rows, to := relocation(len(tt.counts), tt.counts, tt.owner, tt.dists)
		if !slices.Equal(rows, tt.rows) || !slices.Equal(to, tt.to) {
			t.Errorf("%s: moves rows %v to %v, want %v to %v", tt.name, rows, to, tt.rows, tt.to)
		}
	}
}
