package kmeans

import "github.com/tilekmeans/tilekmeans/kmeans/driver"

// NewHostStepper is the host loop's driver.Stepper over a, for tests that
// wrap it into a device loop of their own.
func NewHostStepper(data Data, a Assigner) driver.Stepper { return newHostStepper(data, a) }

// KMeansPP is the k-means++ choice of initial rows, for tests.
var KMeansPP = kmeansPP

// SetMaxBatchSums sets the sums one pass over the pairs computes at most,
// and returns what restores it.
func SetMaxBatchSums(n int) (restore func()) {
	old := maxBatchSums
	maxBatchSums = n
	return func() { maxBatchSums = old }
}

// Kneedle is Recommend's knee of a curve, for tests.
var Kneedle = kneedle
