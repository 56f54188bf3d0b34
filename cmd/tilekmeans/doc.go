// Command tilekmeans clusters the tiles of image sheets (any grid: square
// or not, Tiled's margin and spacing, gray or RGB) with k-means and writes
// each centroid as a PNG.
//
//	tilekmeans run [-images PATH...] [-tile 16] [-k 3-7] [-out centroids]
//	tilekmeans assign -centroids centroids/5 -images PATH... [-o labels.csv]
//	tilekmeans bench | devices | version
//
// 'tilekmeans <command> -h' lists a command's flags; README.md has every
// flag and the output layout.
package main
