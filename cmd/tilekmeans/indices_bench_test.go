package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tilekmeans/tilekmeans/cpu"
	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/tiles/npy"
)

// BenchmarkSilhouettePeer times the exact silhouette of a k = 64
// clustering, kmeans.Score on the CPU backend (all cores; Davies-Bouldin
// and Calinski-Harabasz included), at the 5,610 USPS tiles and at 56,100
// (10 copies with seeded +-1 noise, as bench -sizes 10 makes them), and in
// the same run scikit-learn's silhouette_score (exact) on the same tiles
// and labels (testdata/sklearn_indices.py --time, the median of 3, with
// OpenBLAS's SkylakeX kernels: OPENBLAS_CORETYPE=SkylakeX and
// OPENBLAS_L2_SIZE unset in the peer's environment only). It reports
// scikit-learn's seconds, the ratio of ours to it (means, and the least of
// each, which a shared machine disturbs least), the bytes Score
// allocates (B/op: the memory it holds) against the tile matrix, and the
// peer's peak RSS; the silhouettes must agree to 1e-9.
func BenchmarkSilhouettePeer(b *testing.B) {
	py := sklearnPython(b)
	usps := sharedtest.Data(b)
	for _, copies := range []int{1, 10} {
		data := replicate(usps, copies, 0)
		const k = 64
		res, err := kmeans.Run(context.Background(), data, cpu.New(data, cpu.Options{}), kmeans.Config{K: k, MaxIter: 20})
		if err != nil {
			b.Fatal(err)
		}
		dir := b.TempDir()
		write := func(name string, f func(*os.File) error) {
			fh, err := os.Create(filepath.Join(dir, name))
			if err != nil {
				b.Fatal(err)
			}
			if err := f(fh); err != nil {
				b.Fatal(err)
			}
			if err := fh.Close(); err != nil {
				b.Fatal(err)
			}
		}
		write("tiles.npy", func(f *os.File) error { return npy.Write(f, data.X, data.N, data.D) })
		write(fmt.Sprintf("labels_k%d.npy", k), func(f *os.File) error { return npy.Write(f, res.Labels, data.N) })
		b.Run(fmt.Sprintf("N=%d/k=%d", data.N, k), func(b *testing.B) {
			a := cpu.New(data, cpu.Options{})
			var s []kmeans.Scores
			b.ReportAllocs()
			least := math.Inf(1)
			for b.Loop() {
				start := time.Now()
				if s, err = kmeans.Score(context.Background(), data, a, [][]int32{res.Labels}, []int{k}, kmeans.ScoreOptions{}); err != nil {
					b.Fatal(err)
				}
				least = min(least, time.Since(start).Seconds())
			}
			ours := b.Elapsed().Seconds() / float64(b.N)
			b.StopTimer()
			cmd := exec.Command(py, filepath.Join("testdata", "sklearn_indices.py"), dir, "--time", "--reps", "3")
			for _, e := range os.Environ() {
				if !strings.HasPrefix(e, "OPENBLAS_L2_SIZE=") && !strings.HasPrefix(e, "OPENBLAS_CORETYPE=") {
					cmd.Env = append(cmd.Env, e)
				}
			}
			cmd.Env = append(cmd.Env, "OPENBLAS_CORETYPE=SkylakeX")
			out, err := cmd.Output()
			if err != nil {
				b.Fatalf("sklearn_indices.py: %v", err)
			}
			var peer struct {
				Silhouette float64 `json:"silhouette"`
				Seconds    float64 `json:"silhouette_seconds"`
				Least      float64 `json:"silhouette_seconds_min"`
				RSS        float64 `json:"max_rss_kib"`
			}
			if err := json.Unmarshal(out, &peer); err != nil {
				b.Fatalf("%q: %v", out, err)
			}
			if math.Abs(peer.Silhouette-s[0].Silhouette) > 1e-9*math.Abs(peer.Silhouette) {
				b.Errorf("silhouette %v, scikit-learn %v", s[0].Silhouette, peer.Silhouette)
			}
			b.ReportMetric(peer.Seconds, "sklearn-s")
			b.ReportMetric(ours/peer.Seconds, "ratio")
			b.ReportMetric(least, "min-s")
			b.ReportMetric(peer.Least, "sklearn-min-s")
			b.ReportMetric(least/peer.Least, "min-ratio")
			b.ReportMetric(float64(len(data.X))/1e6, "tile-MB")
			b.ReportMetric(peer.RSS/1024, "sklearn-RSS-MB")
		})
	}
}
