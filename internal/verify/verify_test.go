package verify

import (
	"errors"
	"testing"

	"github.com/tilekmeans/tilekmeans/kmeans"
)

// tiesHigh breaks ties towards the highest index: wrong by the contract.
type tiesHigh struct{ Reference }

func (a tiesHigh) Assign(cent []float32, k int, labels []int32, dists []float32) error {
	dim := a.Data.D
	for i := range a.Data.N {
		best, bestD := int32(0), kmeans.Distance(a.Data.Row(i), cent[:dim])
		for c := 1; c < k; c++ {
			if d := kmeans.Distance(a.Data.Row(i), cent[c*dim:(c+1)*dim]); d <= bestD {
				best, bestD = int32(c), d
			}
		}
		labels[i], dists[i] = best, bestD
	}
	return nil
}

func TestVerifier(t *testing.T) {
	data := kmeans.Data{N: 4, D: 1, X: []uint8{5, 0, 10, 5}}
	cent := []float32{3, 7} // rows 0 and 3 tie
	v := &Verifier{Assigner: Reference{Data: data}, Data: data}
	labels, dists := make([]int32, 4), make([]float32, 4)
	if err := v.Assign(cent, 2, labels, dists); err != nil {
		t.Fatal(err)
	}
	if st := v.Stats(); st != (Stats{Assignments: 1, Rows: 4, Ties: 2}) {
		t.Errorf("stats %+v", st)
	}
	bad := &Verifier{Assigner: tiesHigh{Reference{Data: data}}, Data: data}
	err := bad.Assign(cent, 2, labels, dists)
	var me *MismatchError
	if !errors.Is(err, ErrMismatch) || !errors.As(err, &me) || me.Rows != 2 || me.First != 0 || me.Label != 1 || me.RefLabel != 0 {
		t.Errorf("ties-high backend: %v (%+v)", err, me)
	}
	if st := bad.StatsAndReset(); st.Mismatches != 2 || bad.Stats() != (Stats{}) {
		t.Errorf("StatsAndReset %+v, then %+v", st, bad.Stats())
	}
}
