package kmeans_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/tilekmeans/tilekmeans/kmeans"
)

func TestCompareClasses(t *testing.T) {
	// NMI and ARI expectations come from scikit-learn 1.2
	// (normalized_mutual_info_score, adjusted_rand_score) on the same labels.
	tests := []struct {
		name           string
		classes        []int
		labels         []int32
		m, k           int
		purity, nmi, a float64
	}{
		{"perfect, permuted", []int{0, 0, 1, 1, 2, 2}, []int32{2, 2, 0, 0, 1, 1}, 3, 3, 1, 1, 1},
		{"mixed", []int{0, 0, 0, 1, 1, 1, 2, 2, 2, 2}, []int32{0, 0, 1, 1, 1, 2, 2, 2, 0, 1}, 3, 3, 0.6, 0.2673369203999457, -0.022727272727272728},
		{"one cluster", []int{0, 0, 1, 1}, []int32{0, 0, 0, 0}, 2, 1, 0.5, 0, 0},
	}
	for _, tt := range tests {
		q := kmeans.CompareClasses(tt.classes, tt.m, tt.labels, tt.k)
		for _, c := range []struct {
			what      string
			got, want float64
		}{{"purity", q.Purity, tt.purity}, {"nmi", q.NMI, tt.nmi}, {"ari", q.ARI, tt.a}} {
			if math.Abs(c.got-c.want) > 1e-12 {
				t.Errorf("%s: %s = %v, want %v", tt.name, c.what, c.got, c.want)
			}
		}
		total := 0
		for _, row := range q.Confusion {
			for _, v := range row {
				total += v
			}
		}
		if len(q.Confusion) != tt.m || len(q.Confusion[0]) != tt.k || total != len(tt.classes) {
			t.Errorf("%s: confusion %v has wrong shape or total", tt.name, q.Confusion)
		}
	}
}

func ExampleCompareClasses() {
	// Two sheets (classes), clustered into two clusters with one mistake.
	classes := []int{0, 0, 0, 1, 1, 1}
	labels := []int32{1, 1, 0, 0, 0, 0}
	q := kmeans.CompareClasses(classes, 2, labels, 2)
	fmt.Printf("purity %.3f\nconfusion %v\n", q.Purity, q.Confusion)
	// Output:
	// purity 0.833
	// confusion [[1 2] [3 0]]
}
