// Command tilekmeans clusters the square tiles of image sheets with k-means
// and writes each centroid as a PNG.
//
//	tilekmeans run [-images PATH...] [-k 3-7] [-iters 100] [-init random] [-out centroids]
//
// See README.md for every flag and the output layout.
package main
