package kmeans

// Data is a row-major matrix of N rows of D uint8 features: one row per tile.
type Data struct {
	N, D int
	X    []uint8 // len N*D
}

// Row returns row i.
func (d Data) Row(i int) []uint8 { return d.X[i*d.D : (i+1)*d.D] }

// Assigner is the assignment step of Lloyd's algorithm, the part a backend
// implements. An Assigner is made for one Data (a GPU backend uploads it
// once) and is reused for every k and every iteration.
type Assigner interface {
	// Assign writes, for every row i, labels[i]: the index of the nearest of
	// the k centroids (row-major, k*D float32 values), and dists[i]: the
	// squared Euclidean distance to it, following the arithmetic contract in
	// the package documentation. len(labels) and len(dists) are N.
	Assign(centroids []float32, k int, labels []int32, dists []float32) error
	// Name says which backend this is, for reports ("cpu", "gpu").
	Name() string
}
