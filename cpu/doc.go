// Package cpu is the CPU backend of package kmeans: an Assigner that labels
// every row with its nearest centroid on all cores, with the exact results
// of kmeans.Nearest (the arithmetic contract is stated in package kmeans).
//
// # Use
//
//	a := cpu.New(data, cpu.Options{}) // all cores, pruning where it pays
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
//
// # Pruning
//
// Across the calls of a run most distances cannot change a label: an
// Assigner (unless Options.BruteForce is set) keeps bounds
// from one call to the next and computes only the distances they cannot
// exclude, with results equal to brute force's bit for bit (labels,
// distances, and so every centroid, iteration count and output byte).
// Options.BruteForce computes every distance (the reference, and the baseline of
// benchmarks). Stats counts the distances computed; Scheme describes the
// pruning for a k.
//
// The scheme is Yinyang K-Means (Ding, Zhao, Shen, Musuvathi and Mytkowicz,
// ICML 2015) with groups the width of the SIMD kernel: the k centroids are
// split into G = ceil(k/L) groups of at most L (16 with AVX-512, 8 with
// AVX2, 4 in portable Go), close centroids together (median splits of the
// first call's centroids). Each tile keeps one lower bound per group on the
// real distance to the group's nearest centroid other than its own; a call
// lowers it by the group's largest centroid drift (the real distance each
// centroid moved since the previous call, computed here from the two sets
// of values, so bounds hold for any new centroids: relocations, restarts,
// jumps). The tile's distance to its own centroid is computed exactly every
// call in which that centroid moved (reused when it did not), and a group
// is computed, all L distances at once in one SIMD task, unless its bound
// exceeds the tile's threshold (see Bounds and the margin in prune.go):
// then every centroid in it is provably strictly farther than the own one
// under the float32 contract, so it can neither win nor tie, and ties still
// go to the lowest index. Per-centroid bounds (Elkan) skip more distances
// but cost k bounds per tile and scalar distance chains; at the SIMD
// kernel's granularity a group's bound loses little (measured on the USPS
// tiles: 10-25% of the distances computed over whole runs at k = 64 and
// 256).
//
// Memory: 12 bytes per tile (label, distance, threshold) and 4 per bound:
// N*(12+4G) bytes, 43 MB for 561,000 tiles at k = 256 (G = 16). With a
// SIMD kernel the tiles are also kept ordered by cluster (in the re-laid
// copy of the data the kernel reads anyway), so that the own distances of a
// block of L tiles take one pass over it: 24+4G more bytes per tile for the
// reordering's buffers, 92 MB in all for that case, besides the data and its
// re-laid copy (287 MB). When the bounds do not fit in
// Options.MaxBoundBytes (1 GiB by default) several groups share one bound
// (down to one bound per tile: Hamerly's scheme), the tiles stay in their
// order without room for the buffers, and with no room for even one bound
// the Assigner computes every distance. It also
// computes every distance when k fits in one group (k <= L).
package cpu
