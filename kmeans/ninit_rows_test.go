package kmeans_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/tilekmeans/tilekmeans/cpu"
	"github.com/tilekmeans/tilekmeans/kmeans"
)

// TestCase_ninit_explicit_rows: ../shared/cases/ninit_explicit_rows. With
// explicit InitRows every restart would start from the same rows, so Run
// runs once whatever NInit says, as scikit-learn does for an explicit
// init (KMeans(init=array, n_init=4) warns and runs one init). Random and
// k-means++ starts still run NInit times.
func TestCase_ninit_explicit_rows(t *testing.T) {
	data := randomBlobs(rand.New(rand.NewPCG(5, 0)), 60, 8, 3)
	starts := func(cfg kmeans.Config) (restarts map[int]bool, res *kmeans.Result) {
		restarts = map[int]bool{}
		cfg.Progress = func(p kmeans.Progress) { restarts[p.Restart] = true }
		res, err := kmeans.Run(context.Background(), data, cpu.New(data, cpu.Options{}), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return restarts, res
	}
	one, want := starts(kmeans.Config{K: 3, InitRows: []int{0, 1, 2}})
	for _, n := range []int{0, 1, 4, 10} {
		got, res := starts(kmeans.Config{K: 3, InitRows: []int{0, 1, 2}, NInit: n})
		if len(got) != 1 || !got[0] || res.Restart != 0 || res.Inertia != want.Inertia || res.Iterations != want.Iterations {
			t.Errorf("InitRows, NInit %d: restarts %v, inertia %v after %d iterations; want one start as %v (%v, %d)",
				n, got, res.Inertia, res.Iterations, one, want.Inertia, want.Iterations)
		}
	}
	for _, init := range []kmeans.InitMethod{kmeans.InitRandom, kmeans.InitKMeansPP} {
		if got, _ := starts(kmeans.Config{K: 3, Init: init, NInit: 4}); len(got) != 4 {
			t.Errorf("%s, NInit 4: %d starts, want 4", init, len(got))
		}
	}
	if err := (kmeans.Config{K: 3, InitRows: []int{0, 1, 2}, NInit: -1}).Validate(data); err == nil {
		t.Error("InitRows with NInit -1: no error")
	}
}
