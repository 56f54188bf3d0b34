package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/glenv"
	"github.com/tilekmeans/tilekmeans/internal/gputest"
	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
)

// runSummary runs the command and returns its summary.json and stderr.
func runSummary(t *testing.T, args ...string) (s summary, stderr string) {
	t.Helper()
	s, stderr, _ = runOut(t, args...)
	return s, stderr
}

// TestFewerDistinctTilesCases: ../shared/cases/dup_fewer_distinct (17
// tiles, 9 distinct, k=10) and constant_tiles (12 identical tiles, k=3):
// the run stops at the fixed point, converged, inertia 0, with one warning
// line that is also in summary.json and the empty clusters named there.
//
// scikit-learn 1.2.1 reports 4 iterations for dup_fewer_distinct from the
// same rows: its float64 means are not exact (inertia 1.4e-27 after the
// first update), and the noise makes it relocate rows at distance ~1e-28
// and reshuffle equal centres for two more iterations before its labels
// repeat. Here the means are exact: after iteration 2 no centroid bit
// changes and no relocation can improve anything, which is the fixed point.
func TestFewerDistinctTilesCases(t *testing.T) {
	dup := sharedtest.Shared(t, "cases/dup_fewer_distinct/dup.png")
	backends := [][]string{{"-backend", "cpu"}}
	if glenv.BuiltWithGPU { // the device loop too, on each context under test
		for _, kind := range gputest.Contexts(t) {
			backends = append(backends, []string{"-backend", "gpu", "-context", kind})
		}
	}
	for _, backend := range backends {
		t.Run(strings.Join(backend, " "), func(t *testing.T) {
			args := append([]string{"run", "-images", dup, "-tile", "4", "-k", "10", "-seed", "0", "-v"}, backend...)
			s, stderr := runSummary(t, args...)
			r := s.Runs[0]
			if s.DistinctTiles != 9 || r.Inertia != 0 || !r.Converged || r.Iterations != 2 || r.Relocated != 3 ||
				!slices.Equal(r.EmptyClusters, []int{9}) || slices.Contains(r.Sizes[:8], 0) {
				t.Errorf("dup_fewer_distinct: distinct %d, inertia %v, converged %v, %d iterations, %d relocations, sizes %v, empty %v",
					s.DistinctTiles, r.Inertia, r.Converged, r.Iterations, r.Relocated, r.Sizes, r.EmptyClusters)
			}
			warn := "tilekmeans: warning: only 9 distinct tiles, fewer than k=10:"
			if strings.Count(stderr, warn) != 1 || len(s.Warnings) != 1 || !strings.Contains(warn, s.Warnings[0][:30]) {
				t.Errorf("want one warning %q in stderr and summary.json; stderr %q, warnings %q", warn, stderr, s.Warnings)
			}
		})
	}
	constant := sharedtest.Shared(t, "cases/constant_tiles/const.png")
	s, stderr := runSummary(t, "run", "-images", constant, "-tile", "4", "-k", "3", "-backend", "cpu")
	if r := s.Runs[0]; r.Iterations != 1 || !r.Converged || r.Relocated != 0 || !slices.Equal(r.Sizes, []int{12, 0, 0}) ||
		!slices.Equal(r.EmptyClusters, []int{2, 3}) || s.DistinctTiles != 1 || !strings.Contains(stderr, "only 1 distinct tile, fewer than k=3") {
		t.Errorf("constant_tiles: %+v, distinct %d, stderr %q", r, s.DistinctTiles, stderr)
	}
	two := sharedtest.Shared(t, "cases/constant_tiles/two_distinct.png")
	s, stderr = runSummary(t, "run", "-images", two, "-tile", "4", "-k", "2", "-backend", "cpu")
	if r := s.Runs[0]; !slices.Equal(r.Sizes, []int{200, 49}) || r.Inertia != 0 || !r.Converged || len(s.Warnings) != 0 || strings.Contains(stderr, "warning") {
		t.Errorf("two_distinct: %+v, warnings %q", r, s.Warnings)
	}
}

// TestKMeansPPInitRowsFeedBack: ../shared/cases/kmeanspp_repeated_row:
// the init rows k-means++ reports are 10 distinct rows, and giving them
// back with -init rows: reproduces the run.
func TestKMeansPPInitRowsFeedBack(t *testing.T) {
	dup := sharedtest.Shared(t, "cases/kmeanspp_repeated_row/dup.png")
	s, _ := runSummary(t, "run", "-images", dup, "-tile", "4", "-k", "10", "-init", "kmeans++", "-seed", "0", "-backend", "cpu")
	r := s.Runs[0]
	rows := slices.Clone(r.InitRows)
	slices.Sort(rows)
	if len(slices.Compact(rows)) != 10 {
		t.Fatalf("init rows %v repeat a row", r.InitRows)
	}
	list := strings.Trim(strings.Join(strings.Fields(fmt.Sprint(r.InitRows)), ","), "[]")
	again, _ := runSummary(t, "run", "-images", dup, "-tile", "4", "-k", "10", "-init", "rows:"+list, "-backend", "cpu")
	a := again.Runs[0]
	if a.Inertia != r.Inertia || a.Iterations != r.Iterations || !slices.Equal(a.Sizes, r.Sizes) || !slices.Equal(a.InitRows, r.InitRows) {
		t.Errorf("rows:%s gives %+v, k-means++ gave %+v", list, a, r)
	}
}

// TestWarningsInReport: the fewer-distinct-tiles warning is on the report
// page too, where the empty cluster shows.
func TestWarningsInReport(t *testing.T) {
	dup := sharedtest.Shared(t, "cases/dup_fewer_distinct/dup.png")
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := runCLI(t, "run", "-q", "-images", dup, "-tile", "4", "-k", "10", "-backend", "cpu", "-out", out); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	page, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "<tr><th>warning</th><td>only 9 distinct tiles, fewer than k=10:") {
		t.Error("report.html does not show the warning")
	}
}
