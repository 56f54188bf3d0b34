package kmeans

import (
	"errors"
	"fmt"

	"github.com/tilekmeans/tilekmeans/kmeans/driver"
)

// Data is a row-major matrix of N rows of D uint8 features: one row per tile.
type Data struct {
	N, D int
	X    []uint8 // len N*D
}

// Row returns row i.
func (d Data) Row(i int) []uint8 { return d.X[i*d.D : (i+1)*d.D] }

// Validate reports whether d is a matrix k-means can work on: at least one
// row of at least one feature, and exactly N*D values. The error is a
// *ConfigError about the field "Data" (Run, Predict and Config.Validate
// return it; package cpu's Assign does too, for an Assigner made for such
// data).
func (d Data) Validate() error {
	if d.N < 1 || d.D < 1 || len(d.X) != d.N*d.D {
		return &ConfigError{Field: "Data", Msg: fmt.Sprintf("%d rows x %d features with %d values", d.N, d.D, len(d.X))}
	}
	return nil
}

// Assigner is the assignment step of Lloyd's algorithm, the part a backend
// implements. An Assigner is made for one Data (a GPU backend uploads it
// once) and is reused for every k and every iteration.
//
// An Assigner may say which Data it was made for with a method
//
//	MadeFor() Data
//
// (the Assigners of packages cpu and gpu do: the shape only for the GPU,
// which keeps no reference to the host's rows). Run and Predict then check
// it against the Data they are given (the same N and D, and the same values
// slice, not a copy, unless MadeFor's X is nil) and fail with ErrOtherData
// when it differs: an Assigner labels the rows it was made for, whatever
// Data is passed beside it. An Assigner that runs whole iterations on its
// device has a method Stepper (see package kmeans/driver).
type Assigner interface {
	// Assign writes, for every row i, labels[i]: the index of the nearest of
	// the k centroids (row-major, k*D float32 values), and dists[i]: the
	// squared Euclidean distance to it, following the arithmetic contract in
	// the package documentation. len(labels) and len(dists) are N.
	Assign(centroids []float32, k int, labels []int32, dists []float32) error
	// Name says which backend this is, for reports ("cpu", "gpu").
	Name() string
}

// dataAssigner is an Assigner that says which Data it was made for (see
// Assigner).
type dataAssigner interface {
	Assigner
	MadeFor() Data
}

// deviceAssigner is an Assigner that keeps the Lloyd loop on its device
// (see package kmeans/driver).
type deviceAssigner interface {
	Assigner
	Stepper() driver.Stepper
}

// ErrOtherData reports an Assigner made for other data than the Data given
// with it (see Assigner).
var ErrOtherData = errors.New("the Assigner was made for other data")

// checkMadeFor returns an error wrapping ErrOtherData when a is a
// dataAssigner made for other data than data.
func checkMadeFor(data Data, a Assigner) error {
	m, ok := a.(dataAssigner)
	if !ok {
		return nil
	}
	got := m.MadeFor()
	if got.N != data.N || got.D != data.D {
		return fmt.Errorf("%w: %s Assigner of %d rows x %d features, given %d x %d", ErrOtherData, a.Name(), got.N, got.D, data.N, data.D)
	}
	if n := data.N * data.D; n > 0 && len(got.X) >= n && len(data.X) >= n && &got.X[0] != &data.X[0] {
		return fmt.Errorf("%w: %s Assigner of %d rows x %d features made for other values than those given", ErrOtherData, a.Name(), got.N, got.D)
	}
	return nil
}
