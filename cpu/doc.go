// Package cpu is the CPU backend of package kmeans: an Assigner that labels
// every row with its nearest centroid on all cores, with the exact results
// of kmeans.Nearest (the arithmetic contract is stated in package kmeans).
//
// # Use
//
//	a := cpu.New(data, 0) // 0: one worker goroutine per core
//	res, err := kmeans.Run(ctx, data, a, kmeans.Config{K: 5})
//
// An Assigner is made for one kmeans.Data and reused for every k and every
// iteration; kmeans.Run drives it through kmeans.NewHostStepper, which keeps
// the exact integer cluster sums on the host.
//
// # Kernels
//
// On amd64 with AVX-512 or AVX2 (detected at run time) New re-lays the rows
// once into blocks of 16 or 8, feature-major, so that each SIMD lane
// computes one row's distance with separate subtract, multiply and add
// instructions, never a fused multiply-add: the contract's sums, bit for
// bit. Elsewhere, or with the build tag purego, portable Go code computes
// the same sums four rows at a time. Assigner.Kernel says which runs.
// genkernels.go writes the assembly (go generate ./cpu); a test checks that
// the committed file is what it writes.
package cpu
