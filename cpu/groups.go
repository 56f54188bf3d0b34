package cpu

import (
	"math"
	"slices"
	"sort"
)

// Grouping the centroids: pruning keeps one bound per group of up to L
// centroids (the task kernel's width), so a group's bound is only as good
// as its farthest drift and nearest member: close centroids belong
// together. Both functions return members (groups*lanes: the centroid in
// each lane, -1 past the group's size, each group in ascending index
// order) and size (groups: centroids in each group).

// indexGroups puts centroids into groups by index (a test hook).
func indexGroups(k, groups, lanes int) (members, size []int32) {
	members = slices.Repeat([]int32{-1}, groups*lanes)
	size = make([]int32, groups)
	for c := range k {
		g := c / lanes
		members[g*lanes+int(size[g])] = int32(c)
		size[g]++
	}
	return members, size
}

// formGroups splits the k centroids into groups of at most lanes, close
// centroids together (a group's bound is only as good as its farthest
// drift and nearest member): recursively at the median of the projection
// on the principal direction (a few steps of power iteration from the
// feature of largest variance), the group counts of the halves in
// proportion. Each group lists its centroids in ascending index order.
// Non-finite values make odd groups, never wrong results.
func formGroups(cent []float32, k, dim, groups, lanes int) (members, size []int32) {
	members = slices.Repeat([]int32{-1}, groups*lanes)
	size = make([]int32, groups)
	idx := make([]int32, k)
	for i := range idx {
		idx[i] = int32(i)
	}
	mean, v, w := make([]float64, dim), make([]float64, dim), make([]float64, dim)
	proj := make([]float64, k)
	next := 0
	var split func(set []int32, g int)
	split = func(set []int32, g int) {
		if g == 1 {
			slices.Sort(set)
			copy(members[next*lanes:], set)
			size[next] = int32(len(set))
			next++
			return
		}
		clear(mean)
		for _, c := range set {
			for j, x := range cent[int(c)*dim : int(c+1)*dim] {
				mean[j] += float64(x)
			}
		}
		best, bestVar := 0, -1.0
		for j := range mean {
			mean[j] /= float64(len(set))
			s2 := 0.0
			for _, c := range set {
				d := float64(cent[int(c)*dim+j]) - mean[j]
				s2 += d * d
			}
			if s2 > bestVar {
				best, bestVar = j, s2
			}
		}
		clear(v)
		v[best] = 1
		for range 8 {
			clear(w)
			for _, c := range set {
				row := cent[int(c)*dim : int(c+1)*dim]
				p := 0.0
				for j, x := range row {
					p += (float64(x) - mean[j]) * v[j]
				}
				for j, x := range row {
					w[j] += p * (float64(x) - mean[j])
				}
			}
			norm := 0.0
			for _, x := range w {
				norm += x * x
			}
			if !(norm > 0) || math.IsInf(norm, 0) {
				break
			}
			norm = math.Sqrt(norm)
			for j, x := range w {
				v[j] = x / norm
			}
		}
		for _, c := range set {
			p := 0.0
			for j, x := range cent[int(c)*dim : int(c+1)*dim] {
				p += float64(x) * v[j]
			}
			proj[c] = p
		}
		sort.SliceStable(set, func(p, q int) bool { return proj[set[p]] < proj[set[q]] })
		gl := g / 2
		nl := len(set) * gl / g
		split(set[:nl], gl)
		split(set[nl:], g-gl)
	}
	split(idx, groups)
	return members, size
}
