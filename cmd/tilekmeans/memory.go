package main

import (
	"fmt"
	"strconv"

	htmlreport "github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/report"
	"github.com/tilekmeans/tilekmeans/internal/memcheck"
	"github.com/tilekmeans/tilekmeans/tiles"
)

// Sizes from flags are checked against the memory available before they
// are allocated (package memcheck): a size beyond it is a usage error
// naming the flag and the bytes, not the runtime's fatal "out of memory".
// The figures are estimates of what is surely allocated, so a run they
// let through may still need more (the Go runtime's own overhead).

// workerBytes is about what one CPU worker goroutine costs: its stack and
// the pruning's scratch for a chunk of up to 256 tiles.
const workerBytes = 16 << 10

// checkMemory returns a usage error for the first need beyond the memory
// available.
func (a *app) checkMemory(needs ...memcheck.Need) error {
	avail, source, ok := a.available()
	for _, n := range needs {
		if err := memcheck.Check(n, avail, source, ok); err != nil {
			return usagef("%v", err)
		}
	}
	return nil
}

// available is the memory available: memcheck.Available, or the tests'
// figure.
func (a *app) available() (uint64, string, bool) {
	if a.memAvailable != nil {
		return a.memAvailable()
	}
	return memcheck.Available()
}

// loadBudget is what the tile matrix may take as the sheets load, checked
// before it is allocated: the matrix and what the loader keeps beside it,
// and with cpuCopy the copy of the matrix the CPU backend makes. Beyond the
// memory available it is an error naming -resize when -resize sized the
// samples (a usage error: sheetFlags.load), else naming the files (the
// loader adds them).
func (a *app) loadBudget(sf *sheetFlags, cpuCopy bool) memcheck.Budget {
	return func(l memcheck.Load) error {
		need := memcheck.Need{Bytes: memcheck.Add(l.Matrix, l.Other), What: l.What}
		if cpuCopy {
			need.Bytes = memcheck.Add(need.Bytes, l.Matrix)
			need.What += ", and the CPU backend's copy"
		}
		if sf.samples() {
			need.Flag = "-resize " + sf.resize.dims()
		}
		avail, source, ok := a.available()
		return memcheck.Check(need, avail, source, ok)
	}
}

// workersNeed is what -workers costs.
func workersNeed(workers int) memcheck.Need {
	return memcheck.Need{Flag: fmt.Sprintf("-workers %d", workers), Bytes: memcheck.Mul(uint64(max(0, workers)), workerBytes),
		What: fmt.Sprintf("about %s of stack and scratch per worker", memcheck.Size(workerBytes))}
}

// runNeed is what clustering t for every k of -k (given as kFlag) holds
// besides the tiles: the CPU backend's copy of them; per k, kept until the
// outputs are written, its labels and distances (8 bytes a tile), its
// centroids and means (12 bytes a feature of each), its centroid images and
// montage; and while a k runs, the Lloyd loop's labels, previous labels,
// distances and owners (16 bytes a tile) and sums and centroids (16 bytes a
// feature of each centroid).
func runNeed(kFlag string, ks []int, t *tiles.Set) memcheck.Need {
	n, d := uint64(t.N()), uint64(t.D)
	bpp := uint64(1) // gray images; RGB ones are RGBA
	if t.Color != tiles.Gray {
		bpp = 4
	}
	scale := uint64(htmlreport.MontageScale(t.Width, t.Height))
	cell := memcheck.Mul(uint64(t.Width), uint64(t.Height), scale, scale, bpp)
	total, working := memcheck.Mul(n, d), uint64(0)
	for _, k := range ks {
		k := uint64(k)
		montage := min(memcheck.Mul(k, cell), memcheck.Mul(htmlreport.MontagePartPixels, bpp))
		total = memcheck.Add(total, memcheck.Mul(8, n), memcheck.Mul(12, k, d), memcheck.Mul(k, uint64(t.Width), uint64(t.Height), bpp), montage)
		working = max(working, memcheck.Add(memcheck.Mul(16, n), memcheck.Mul(16, k, d)))
	}
	return memcheck.Need{Flag: "-k " + kFlag, Bytes: memcheck.Add(total, working),
		What: fmt.Sprintf("%s tiles of %d features: the CPU backend's copy, and for %s the labels, distances, centroids and images",
			commas(n), d, plural(len(ks), "k"))}
}

// benchNeed is what bench's largest size holds: the tiles, replicated
// mult times, the CPU backend's copy of them (when it is timed), and the
// labels and distances (8 bytes a tile).
func benchNeed(sizesFlag string, mult int, t *tiles.Set, cpuCopy bool) memcheck.Need {
	n := memcheck.Mul(uint64(mult), uint64(t.N()))
	copies, what := uint64(1), ""
	if cpuCopy {
		copies, what = 2, ", twice (the data and the CPU backend's copy),"
	}
	return memcheck.Need{Flag: "-sizes " + sizesFlag, Bytes: memcheck.Add(memcheck.Mul(n, uint64(t.D), copies), memcheck.Mul(n, 8)),
		What: fmt.Sprintf("%d x %s tiles of %d features%s with their labels and distances", mult, commas(uint64(t.N())), t.D, what)}
}

// commas writes n with thousands separators: 5,610,000,000.
func commas(n uint64) string {
	s := strconv.FormatUint(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
