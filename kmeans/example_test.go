package kmeans_test

import (
	"context"
	"fmt"

	"github.com/tilekmeans/tilekmeans/cpu"
	"github.com/tilekmeans/tilekmeans/kmeans"
)

func ExampleRun() {
	// Six one-pixel "tiles" in two obvious groups.
	data := kmeans.Data{N: 6, D: 1, X: []uint8{1, 2, 3, 200, 201, 205}}
	res, err := kmeans.Run(context.Background(), data, cpu.New(data, 1), kmeans.Config{
		K:       2,
		MaxIter: 100,
		NInit:   1,
		Init:    kmeans.Init{Method: kmeans.InitRows, Rows: []int{0, 5}},
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
