// Package verify checks Assigners against the reference arithmetic of
// package kmeans (kmeans.Distance and kmeans.Nearest): Reference is that
// arithmetic as a slow, obviously right Assigner, and Verifier wraps any
// Assigner and compares every assignment with it (tilekmeans run -verify,
// and the tests of every backend).
package verify

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/tilekmeans/tilekmeans/kmeans"
)

// Reference is the scalar reference Assigner: kmeans.Nearest for every row, on the
// calling goroutine. It is slow and obviously right; package cpu is the fast
// CPU backend with the same results.
type Reference struct{ Data kmeans.Data }

// Name implements kmeans.Assigner.
func (r Reference) Name() string { return "reference" }

// MadeFor returns the data r was made for (see kmeans.Assigner).
func (r Reference) MadeFor() kmeans.Data { return r.Data }

// Assign implements kmeans.Assigner.
func (r Reference) Assign(centroids []float32, k int, labels []int32, dists []float32) error {
	if err := checkAssign(r.Data, centroids, k, labels, dists); err != nil {
		return fmt.Errorf("reference: %w", err)
	}
	for i := range r.Data.N {
		labels[i], dists[i] = kmeans.Nearest(r.Data.Row(i), centroids, k)
	}
	return nil
}

// checkAssign checks the shapes of Assign's arguments for data.
func checkAssign(data kmeans.Data, centroids []float32, k int, labels []int32, dists []float32) error {
	if k < 1 || len(centroids) < k*data.D {
		return fmt.Errorf("assign: %d centroid values for k=%d and %d features", len(centroids), k, data.D)
	}
	if len(labels) < data.N || len(dists) < data.N {
		return fmt.Errorf("assign: output slices shorter than %d rows", data.N)
	}
	return nil
}

// ErrMismatch reports an Assigner result that differs from the reference;
// the error is a *MismatchError.
var ErrMismatch = errors.New("differs from the reference arithmetic")

// MismatchError says where a verified Assigner first differed from kmeans.Nearest.
type MismatchError struct {
	Backend     string // the verified Assigner's Name
	Rows, N     int    // rows that differed, of N
	First       int    // the first row that differed
	Label       int32  // what the backend gave for it
	Dist        float32
	RefLabel    int32 // what the reference gives
	RefDist     float32
	Assignments int // which assignment call (1-based) differed
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("verify: %s %s in %d of %d rows (first: row %d: label %d distance %v, reference label %d distance %v)",
		e.Backend, ErrMismatch, e.Rows, e.N, e.First, e.Label, e.Dist, e.RefLabel, e.RefDist)
}

// Is makes errors.Is(err, ErrMismatch) true.
func (e *MismatchError) Is(target error) bool { return target == ErrMismatch }

// Stats counts what a Verifier checked.
type Stats struct {
	Assignments int `json:"assignments"` // Assign calls
	Rows        int `json:"rows"`        // rows checked, summed over calls
	Mismatches  int `json:"mismatches"`  // rows whose label or distance bits differed
	Ties        int `json:"exact_ties"`  // rows with two or more nearest centroids at exactly the same distance
}

// Verifier is an Assigner that checks another one: after every Assign it
// recomputes each row with kmeans.Nearest (on all cores) and compares labels and
// distance bits, counting exact ties along the way. A difference fails the
// call with a *MismatchError. A Verifier never runs the loop on a device
// (it hides the checked Assigner's driver.Stepper), so every assignment
// comes back to the host.
type Verifier struct {
	kmeans.Assigner             // the Assigner checked
	Data            kmeans.Data // the data it was made for
	stats           Stats
}

// MadeFor returns the Verifier's Data (see kmeans.Assigner).
func (v *Verifier) MadeFor() kmeans.Data { return v.Data }

// Assign implements kmeans.Assigner.
func (v *Verifier) Assign(centroids []float32, k int, labels []int32, dists []float32) error {
	if err := v.Assigner.Assign(centroids, k, labels, dists); err != nil {
		return err
	}
	n, dim := v.Data.N, v.Data.D
	workers := runtime.GOMAXPROCS(0)
	chunk := (n + workers - 1) / workers
	type part struct{ bad, ties, first int }
	parts := make([]part, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*chunk, min((w+1)*chunk, n)
		wg.Go(func() {
			p := part{first: -1}
			for i := lo; i < hi; i++ {
				row := v.Data.Row(i)
				best, bestD, tie := 0, kmeans.Distance(row, centroids[:dim]), false
				for c := 1; c < k; c++ {
					d := kmeans.Distance(row, centroids[c*dim:(c+1)*dim])
					switch {
					case d < bestD:
						best, bestD, tie = c, d, false
					case d == bestD:
						tie = true
					}
				}
				if tie {
					p.ties++
				}
				if labels[i] != int32(best) || math.Float32bits(dists[i]) != math.Float32bits(bestD) {
					if p.first < 0 {
						p.first = i
					}
					p.bad++
				}
			}
			parts[w] = p
		})
	}
	wg.Wait()
	v.stats.Assignments++
	v.stats.Rows += n
	first, bad := -1, 0
	for _, p := range parts {
		v.stats.Ties += p.ties
		bad += p.bad
		if first < 0 && p.first >= 0 {
			first = p.first
		}
	}
	v.stats.Mismatches += bad
	if bad == 0 {
		return nil
	}
	wl, wd := kmeans.Nearest(v.Data.Row(first), centroids, k)
	return &MismatchError{
		Backend: v.Assigner.Name(), Rows: bad, N: n, First: first,
		Label: labels[first], Dist: dists[first], RefLabel: wl, RefDist: wd,
		Assignments: v.stats.Assignments,
	}
}

// Stats returns the counts since the Verifier was made or last reset.
func (v *Verifier) Stats() Stats { return v.stats }

// StatsAndReset returns the counts so far and starts counting afresh.
func (v *Verifier) StatsAndReset() Stats {
	s := v.stats
	v.stats = Stats{}
	return s
}
