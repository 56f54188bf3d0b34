package cpu

import (
	"fmt"
	"testing"
)

// BenchmarkTaskOrder: the task kernel on a chunk of 64 tiles x G groups of
// 16 (D=256), tasks ordered group by group or tile by tile.
func BenchmarkTaskOrder(b *testing.B) {
	if len(simdKernels) == 0 {
		b.Skip("no SIMD")
	}
	a := &Assigner{kern: simdKernels[0]}
	const dim, tiles = 256, 64
	lanes := a.kern.lanes
	for _, groups := range []int{4, 16} {
		x := make([]uint8, tiles*dim) // blocks of lanes tiles
		ct := make([]float32, groups*dim*lanes)
		for i := range x {
			x[i] = uint8(i % 251)
		}
		for i := range ct {
			ct[i] = float32(i % 239)
		}
		out := make([]float32, 4*tiles*groups)
		for _, order := range []string{"group", "tile"} {
			var tasks []uint32
			if order == "group" {
				for g := range groups {
					for t := range tiles {
						tasks = append(tasks, uint32(t/lanes*lanes*dim+t%lanes), uint32(g*dim*lanes), uint32(len(tasks)/4), 0)
					}
				}
			} else {
				for t := range tiles {
					for g := range groups {
						tasks = append(tasks, uint32(t/lanes*lanes*dim+t%lanes), uint32(g*dim*lanes), uint32(len(tasks)/4), 0)
					}
				}
			}
			b.Run(fmt.Sprintf("G=%d/%s", groups, order), func(b *testing.B) {
				for b.Loop() {
					a.runTasks(x, ct, tasks, tiles*groups, dim, out)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(tiles*groups*dim), "ns/task-feature")
			})
		}
	}
}
