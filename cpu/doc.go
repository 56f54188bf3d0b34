// Package cpu is the CPU backend of package kmeans: an Assigner that labels
// every tile with its nearest centroid on all cores, with the exact results
// of kmeans.Nearest (package kmeans states the arithmetic contract).
//
// # Use
//
// Make one Assigner for a kmeans.Data and use it for every k and every
// iteration:
//
//	a := cpu.New(data, cpu.Options{}) // all cores, pruning where it pays
//	res, err := kmeans.Run(ctx, data, a, kmeans.Config{K: 5})
//
// kmeans.Run drives it from the host, keeping the exact integer cluster
// sums itself. The Assigner reads data.X, which must
// not change while it is in use; Assign may be called from several
// goroutines at once.
//
// # Kernels
//
// On amd64 with AVX-512 or AVX2 (detected at run time through
// golang.org/x/sys/cpu, which also checks that the OS saves the registers)
// New copies the tiles once into blocks of 16 or 8, feature-major, so that
// each SIMD lane computes one tile's distance with separate subtract,
// multiply and add instructions, never a fused multiply-add: the
// contract's sums, bit for bit. Elsewhere, or with the build tag purego,
// portable Go code computes the same sums. Assigner.Kernel says which
// runs; GODEBUG=cpu.avx512f=off (or cpu.avx2=off) keeps New from choosing
// that kernel. genkernels.go writes the assembly (go generate ./cpu), and every
// assembly function is tested against a Go twin.
//
// # Pruning
//
// Across the calls of a run most distances cannot change a label. Unless
// Options.BruteForce is set, an Assigner keeps bounds from one call to the
// next and computes only the distances they cannot exclude, with results
// equal to brute force's bit for bit (labels and distances, and so every
// centroid, iteration count and output byte). Assigner.Computed counts the
// distances computed, Assigner.Pruning describes the pruning for a k, and
// Assigner.Reset starts afresh (for benchmarks).
//
// The scheme is Yinyang K-Means (Ding, Zhao, Shen, Musuvathi and Mytkowicz,
// ICML 2015) with groups the width of the SIMD kernel: the k centroids are
// split into G = ceil(k/L) groups of at most L (16 with AVX-512, 8 with
// AVX2, 4 in portable Go), close centroids together. Each tile keeps one
// lower bound per group on its real distance to the group's nearest
// centroid other than its own; a call lowers it by the group's largest
// centroid drift, computed from the old and new centroids, so the bounds
// hold for any new centroids (relocations, restarts, jumps). A tile's
// distance to its own centroid is computed again whenever that centroid
// moved, and a group's L distances are computed, in one SIMD task, unless
// its bound proves every centroid in it strictly farther than the own one
// under the float32 contract (the bounds carry a rounding margin): such a
// centroid can neither win nor tie, so ties still go to the lowest index.
// With k <= L (one group) every distance is computed. Bounds per centroid
// (Elkan) would skip more distances but cost k bounds per tile and scalar
// distance chains; BENCHMARKS.md has the measurements behind these
// choices.
//
// # Memory
//
// Besides data.X, a SIMD kernel keeps its re-laid copy (N*D bytes), made
// in New or, with Options.DeferLayout, at the first Assign.
// Pruning keeps 12+4G bytes per tile (label, distance, threshold and one
// bound per group): 43 MB for 561,000 tiles at k = 256 with AVX-512
// (G = 16). With a SIMD kernel it also keeps the tiles ordered by cluster
// in the re-laid copy, so that the own distances of a block take one pass
// over it, for 24+4G more bytes per tile (92 MB in all for that case).
// Options.MaxBoundBytes (1 GiB by default) caps this memory: beyond it,
// the tiles stay in their order, several groups share one bound (down to
// one bound per tile: Hamerly's scheme), and with no room for even one
// bound the Assigner computes every distance. Assigner.Pruning reports the
// memory for a k.
//
// # Silhouette
//
// Assigner.SumDistances is kmeans.DistanceSummer on all cores, so that
// kmeans.Score computes the silhouette here, in one pass over the pairs
// for every labelling of a sweep:
//
//	scores, err := kmeans.Score(ctx, data, a, [][]int32{res3.Labels, res5.Labels}, []int{3, 5}, kmeans.ScoreOptions{})
//
// The rows are cut into blocks of 64, and each pair of blocks is computed
// once (the distance is symmetric): the exact squared distances as |x|² +
// |y|² - 2 x·y in int32, x·y by AVX-512 VNNI's VPDPBUSD (64 byte products
// per instruction; exact while D*256*255 < 2^31, that is up to 32,896
// features; more are cut into chunks of 32,768, whose distances add in
// int64, with the same kernels on every core), their correctly rounded
// float64 square roots, each split exactly into two integers, and those
// added to the sums of both blocks' rows, cluster by cluster, 8 rows per
// instruction. Integer sums do not depend on the order of the terms, so
// the workers need no order among them and every worker count gives the
// same bits, kmeans.SumDistances's. Without VNNI (or AVX-512) the same
// code runs with portable Go kernels, with the same bits, many times
// slower. Memory: a packed copy of the rows (N*D bytes), 16 bytes per row
// and cluster of each labelling, and about 0.5 MB per worker.
package cpu
