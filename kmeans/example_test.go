package kmeans_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tilekmeans/tilekmeans/cpu"
	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/tiles"
	"github.com/tilekmeans/tilekmeans/tiles/embedded"
)

// The whole library use, as in the README: load sheets, fit k=5 on the CPU,
// predict the clusters of other tiles, write the centroids as PNG files.
func Example() {
	// Load the five embedded 528x544 sheets and cut them into 16x16 tiles.
	srcs := embedded.Sheets()
	t, err := tiles.LoadSources(srcs, tiles.Options{Size: 16})
	if err != nil {
		fmt.Println(err)
		return
	}
	data := kmeans.Data{N: t.N(), D: t.D, X: t.Pix}

	// Fit k=5 on the CPU: random initial rows from seed 0, up to 100
	// iterations, stopping at the fixed point.
	res, err := kmeans.Run(context.Background(), data, cpu.New(data, cpu.Options{}), kmeans.Config{K: 5})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d tiles, inertia %.6g after %d iterations (converged %v), sizes %v\n",
		data.N, res.Inertia, res.Iterations, res.Converged, res.Sizes)

	// Predict: the nearest centroid of the first sheet's tiles alone.
	first := kmeans.Data{N: 1122, D: t.D, X: t.Pix[:1122*t.D]}
	labels, _, err := kmeans.Predict(first, cpu.New(first, cpu.Options{}), res.Centroids, res.K)
	if err != nil {
		fmt.Println(err)
		return
	}
	same := 0
	for i, l := range labels {
		if l == res.Labels[i] {
			same++
		}
	}
	fmt.Printf("predicted %d tiles, %d in the cluster the fit gave them\n", len(labels), same)

	// Write the centroids (exact means, rounded): centroid1.png ..
	// centroid5.png, in the tiles' size and colour.
	dir, err := os.MkdirTemp("", "centroids")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	imgs, err := tiles.WriteCentroids(filepath.Join(dir, "5"), res.Means, res.K, t.Width, t.Height, t.Color)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("wrote", len(imgs), "centroid PNGs")
	// Output:
	// 5610 tiles, inertia 9.03066e+09 after 28 iterations (converged true), sizes [1134 1287 997 801 1391]
	// predicted 1122 tiles, 1122 in the cluster the fit gave them
	// wrote 5 centroid PNGs
}

func ExampleRun() {
	// Six one-pixel "tiles" in two obvious groups.
	data := kmeans.Data{N: 6, D: 1, X: []uint8{1, 2, 3, 200, 201, 205}}
	res, err := kmeans.Run(context.Background(), data, cpu.New(data, cpu.Options{Workers: 1}), kmeans.Config{
		K:        2,
		InitRows: []int{0, 5},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("labels:", res.Labels)
	fmt.Println("means:", res.Means)
	fmt.Printf("inertia %.3f after %d iterations, converged %v\n", res.Inertia, res.Iterations, res.Converged)
	// Output:
	// labels: [0 0 0 1 1 1]
	// means: [2 202]
	// inertia 16.000 after 2 iterations, converged true
}

func ExampleConfig_Validate() {
	data := kmeans.Data{N: 3, D: 1, X: []uint8{1, 2, 3}}
	fmt.Println(kmeans.Config{K: 4}.Validate(data))
	// Output:
	// kmeans: K 4: more clusters than the 3 tiles
}
