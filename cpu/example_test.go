package cpu_test

import (
	"fmt"

	"github.com/tilekmeans/tilekmeans/cpu"
	"github.com/tilekmeans/tilekmeans/kmeans"
)

func ExampleNew() {
	// Four 2-pixel tiles and two centroids.
	data := kmeans.Data{N: 4, D: 2, X: []uint8{0, 0, 10, 10, 250, 250, 200, 255}}
	a := cpu.New(data, cpu.Options{})
	labels, dists := make([]int32, 4), make([]float32, 4)
	if err := a.Assign([]float32{5, 5, 230, 240}, 2, labels, dists); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(labels, dists)
	// Output:
	// [0 0 1 1] [50 50 500 1125]
}
