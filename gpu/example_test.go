package gpu_test

import (
	"context"
	"fmt"

	"github.com/tilekmeans/tilekmeans/cpu"
	"github.com/tilekmeans/tilekmeans/gpu"
	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/tiles"
	"github.com/tilekmeans/tilekmeans/tiles/embedded"
)

// Cluster on the GPU when one can be opened, else on the CPU: both follow
// the arithmetic contract of package kmeans, so the result is the same bit
// for bit, and so is this example's output.
func Example_fallback() {
	srcs := embedded.Sheets()
	t, err := tiles.LoadSources(srcs, tiles.Options{Size: 16})
	if err != nil {
		fmt.Println(err)
		return
	}
	data := kmeans.Data{N: t.N(), D: t.D, X: t.Pix}

	var a kmeans.Assigner = cpu.New(data, cpu.Options{})
	if dev, err := gpu.Open(gpu.Options{}); err == nil {
		defer dev.Close()
		// A software renderer (Mesa's llvmpipe) is right but slower than
		// the CPU backend: use the GPU only when it is hardware.
		if ga, err := dev.NewAssigner(data); err == nil && !dev.Info().Software {
			defer ga.Close()
			a = ga // kmeans.Run runs the whole Lloyd loop on the GPU (Stepper)
		}
	}
	res, err := kmeans.Run(context.Background(), data, a, kmeans.Config{K: 5})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("inertia %.6g after %d iterations, sizes %v\n", res.Inertia, res.Iterations, res.Sizes)
	// Output:
	// inertia 9.03066e+09 after 28 iterations, sizes [1134 1287 997 801 1391]
}
