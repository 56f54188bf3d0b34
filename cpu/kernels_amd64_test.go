//go:build amd64 && !purego

package cpu

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/kmeans"
)

// The Go twins of the assembly functions that only tests call (see
// kernels_amd64.go; goFilter and transposeGo are in kernels_go.go).

// assignBlocksGo is the twin of assignAVX2 (lanes = 8) and assignAVX512
// (lanes = 16): kmeans.Nearest for every tile of the blocks, against the
// centroids read back from their groups.
func assignBlocksGo(lanes int, x []uint8, nblocks, dim int, ct []float32, ng, ng1, s1 int, labels []int32, dists []float32) {
	k := ng1*s1 + (ng-ng1)*(s1-1)
	cent := make([]float32, k*dim)
	base := 0
	for g := range ng {
		c := s1
		if g >= ng1 {
			c--
		}
		for i := range c {
			for j := range dim {
				cent[(base+i)*dim+j] = ct[base*dim+j*c+i]
			}
		}
		base += c
	}
	row := make([]uint8, dim)
	for b := range nblocks {
		for t := range lanes {
			for j := range row {
				row[j] = x[b*dim*lanes+j*lanes+t]
			}
			labels[b*lanes+t], dists[b*lanes+t] = kmeans.Nearest(row, cent, k)
		}
	}
}

// tasksGo is the twin of tasksAVX2 (lanes = stride = 8) and tasksAVX512
// (16), and computes goTasks's results with lanes = goLanes and stride = 1:
// for each task, the distances (summed as kmeans.Distance sums) of the tile
// whose feature j is at x[xoff+j*stride] to the lanes centroids at ct
// (feature-major from the task's offset), reduced to the smallest, its
// lowest lane, and the smallest of the other lanes. The sums are finite or
// +Inf (pruning passes no other centroid values), so min has no NaN to
// order.
func tasksGo(lanes, stride int, x []uint8, ct []float32, tasks []uint32, ntasks, dim int, out []float32) {
	s := make([]float32, lanes)
	for t := range ntasks {
		xoff, coff, slot := int(tasks[4*t]), int(tasks[4*t+1]), int(tasks[4*t+2])
		clear(s)
		for j := range dim {
			v := float32(x[xoff+j*stride])
			for l := range s {
				d := v - ct[coff+j*lanes+l]
				s[l] += float32(d * d)
			}
		}
		l1 := 0
		for l, v := range s {
			if v < s[l1] {
				l1 = l
			}
		}
		m2 := float32(math.Inf(1))
		for l, v := range s {
			if l != l1 {
				m2 = min(m2, v)
			}
		}
		o := out[4*slot : 4*slot+4]
		o[0], o[1], o[2], o[3] = s[l1], math.Float32frombits(uint32(l1)), m2, 0
	}
}

// ownGo is the twin of ownAVX2 (lanes = 8) and ownAVX512 (16): out[t] is
// the distance of the block's tile t to its own centroid labels[t] if
// scored holds that index, else 0.
func ownGo(lanes int, blk []uint8, dim int, cent []float32, scored, labels []int32, out []float32) {
	row := make([]uint8, dim)
	for t := range lanes {
		out[t] = 0
		c := int(labels[t])
		if !slices.Contains(scored, labels[t]) {
			continue
		}
		for j := range row {
			row[j] = blk[j*lanes+t]
		}
		out[t] = kmeans.Distance(row, cent[c*dim:(c+1)*dim])
	}
}

// twinChecks compares each assembly function with its Go twin on random
// inputs; TestTwins requires one for every function in kernels_amd64.s.
var twinChecks = map[string]func(t *testing.T, rng *rand.Rand){
	"assignAVX2":      func(t *testing.T, rng *rand.Rand) { checkAssignTwin(t, rng, kernAVX2, assignAVX2) },
	"assignAVX512":    func(t *testing.T, rng *rand.Rand) { checkAssignTwin(t, rng, kernAVX512, assignAVX512) },
	"tasksAVX2":       func(t *testing.T, rng *rand.Rand) { checkTasksTwin(t, rng, kernAVX2, tasksAVX2) },
	"tasksAVX512":     func(t *testing.T, rng *rand.Rand) { checkTasksTwin(t, rng, kernAVX512, tasksAVX512) },
	"ownAVX2":         func(t *testing.T, rng *rand.Rand) { checkOwnTwin(t, rng, kernAVX2, ownAVX2) },
	"ownAVX512":       func(t *testing.T, rng *rand.Rand) { checkOwnTwin(t, rng, kernAVX512, ownAVX512) },
	"transposeRows16": func(t *testing.T, rng *rand.Rand) { checkTransposeTwin(t, rng, 16, transposeRows16) },
	"transposeRows8":  func(t *testing.T, rng *rand.Rand) { checkTransposeTwin(t, rng, 8, transposeRows8) },
	"filterAVX512":    checkFilterTwin,
}

// TestTwins checks every assembly function against its Go twin, and that
// no function in kernels_amd64.s lacks a check.
func TestTwins(t *testing.T) {
	src, err := os.ReadFile("kernels_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	var funcs []string
	for _, m := range regexp.MustCompile(`(?m)^TEXT ·(\w+)\(SB\)`).FindAllStringSubmatch(string(src), -1) {
		funcs = append(funcs, m[1])
	}
	if len(funcs) != len(twinChecks) {
		t.Errorf("kernels_amd64.s has %d functions, twinChecks %d", len(funcs), len(twinChecks))
	}
	for _, name := range funcs {
		check := twinChecks[name]
		if check == nil {
			t.Errorf("%s: no check against a Go twin", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			if !hasKernel(name) {
				t.Skipf("this CPU does not run %s", name)
			}
			check(t, rand.New(rand.NewPCG(19, uint64(len(name)))))
		})
	}
}

// hasKernel reports whether this CPU runs the assembly function name (the
// transposes run with either kernel).
func hasKernel(name string) bool {
	for _, k := range simdKernels {
		if strings.HasSuffix(strings.ToLower(name), k.name) || strings.HasPrefix(name, "transpose") {
			return true
		}
	}
	return false
}

// twinValue returns a random centroid value: an integer (ties with the
// tiles' bytes and with each other), a half, or any value in [-10, 265).
func twinValue(rng *rand.Rand) float32 {
	switch rng.IntN(3) {
	case 0:
		return float32(rng.IntN(256))
	case 1:
		return float32(rng.IntN(256)) + 0.5
	}
	return -10 + 275*rng.Float32()
}

func randBytes(rng *rand.Rand, n int) []uint8 {
	b := make([]uint8, n)
	for i := range b {
		b[i] = uint8(rng.IntN(256))
	}
	return b
}

func checkAssignTwin(t *testing.T, rng *rand.Rand, kern *kernel, asm func(x *uint8, nblocks, dim int, ct *float32, ng, ng1, s1 int, labels *int32, dists *float32)) {
	l := kern.lanes
	for _, dim := range []int{1, 2, 3, 16, 33} {
		for _, k := range []int{1, 2, 5, kern.cmax - 1, kern.cmax, kern.cmax + 1, 3*kern.cmax + 2} {
			nblocks := 1 + rng.IntN(3)
			x := randBytes(rng, nblocks*l*dim)
			ng := (k + kern.cmax - 1) / kern.cmax
			s1 := (k + ng - 1) / ng
			ng1 := k - ng*(s1-1)
			ct := make([]float32, k*dim)
			for i := range ct {
				ct[i] = twinValue(rng)
			}
			want, wantD := make([]int32, nblocks*l), make([]float32, nblocks*l)
			got, gotD := make([]int32, nblocks*l), make([]float32, nblocks*l)
			assignBlocksGo(l, x, nblocks, dim, ct, ng, ng1, s1, want, wantD)
			asm(&x[0], nblocks, dim, &ct[0], ng, ng1, s1, &got[0], &gotD[0])
			if !slices.Equal(got, want) || !equalBits(gotD, wantD) {
				t.Fatalf("D=%d k=%d: labels %v dists %v, twin %v %v", dim, k, got, gotD, want, wantD)
			}
		}
	}
}

func checkTasksTwin(t *testing.T, rng *rand.Rand, kern *kernel, asm func(x *uint8, ct *float32, tasks *uint32, ntasks, dim int, out *float32)) {
	l := kern.lanes
	inf := float32(math.Inf(1))
	for _, dim := range []int{1, 2, 7, 16, 40} {
		for _, ntasks := range []int{1, 2, 3, 4, 5, 8, 13} {
			const ntiles, ngroups = 3 * 16, 3
			x := randBytes(rng, ntiles*dim)
			ct := make([]float32, ngroups*dim*l)
			for g := range ngroups {
				pad := rng.IntN(l) // the last lanes of a short group hold +Inf
				for j := range dim {
					for lane := range l {
						v := twinValue(rng)
						if lane >= l-pad && lane > 0 {
							v = inf
						}
						ct[(g*dim+j)*l+lane] = v
					}
				}
			}
			tasks := make([]uint32, 4*ntasks)
			shared := rng.IntN(2) == 0 // every task of a batch in one group
			g0 := rng.IntN(ngroups)
			for i, slot := range rng.Perm(ntasks) {
				tile, g := rng.IntN(ntiles/l*l), g0
				if !shared {
					g = rng.IntN(ngroups)
				}
				tasks[4*i] = uint32(tile/l*l*dim + tile%l)
				tasks[4*i+1] = uint32(g * dim * l)
				tasks[4*i+2] = uint32(slot)
			}
			want, got := make([]float32, 4*ntasks), make([]float32, 4*ntasks)
			tasksGo(l, l, x, ct, tasks, ntasks, dim, want)
			asm(&x[0], &ct[0], &tasks[0], ntasks, dim, &got[0])
			if !equalBits(got, want) {
				t.Fatalf("D=%d tasks=%d shared=%v: %v, twin %v", dim, ntasks, shared, got, want)
			}
		}
	}
}

// TestGoTasksTwin: the portable task code computes tasksGo's results with
// lanes = goLanes and tiles in rows.
func TestGoTasksTwin(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 4))
	for _, dim := range []int{1, 5, 16} {
		const ntiles, ngroups, ntasks = 20, 3, 30
		x := randBytes(rng, ntiles*dim)
		ct := make([]float32, ngroups*dim*goLanes)
		for i := range ct {
			ct[i] = twinValue(rng)
		}
		tasks := make([]uint32, 4*ntasks)
		for i := range ntasks {
			tasks[4*i], tasks[4*i+1], tasks[4*i+2] = uint32(rng.IntN(ntiles)*dim), uint32(rng.IntN(ngroups)*dim*goLanes), uint32(i)
		}
		want, got := make([]float32, 4*ntasks), make([]float32, 4*ntasks)
		tasksGo(goLanes, 1, x, ct, tasks, ntasks, dim, want)
		goTasks(x, ct, tasks, ntasks, dim, got)
		if !equalBits(got, want) {
			t.Fatalf("D=%d: %v, twin %v", dim, got, want)
		}
	}
}

func checkOwnTwin(t *testing.T, rng *rand.Rand, kern *kernel, asm func(blk *uint8, dim int, cent *float32, scored *int32, nscored int, labels *int32, out *float32)) {
	l := kern.lanes
	for _, dim := range []int{1, 3, 16, 37} {
		for _, k := range []int{1, 2, 5, 9, 40} {
			blk := randBytes(rng, l*dim)
			cent := make([]float32, k*dim)
			for i := range cent {
				cent[i] = twinValue(rng)
			}
			labels := make([]int32, l)
			for i := range labels {
				labels[i] = int32(rng.IntN(k))
			}
			perm := rng.Perm(k)
			scored := make([]int32, 1+rng.IntN(min(k, 9)))
			for i := range scored {
				scored[i] = int32(perm[i])
			}
			want, got := make([]float32, l), make([]float32, l)
			ownGo(l, blk, dim, cent, scored, labels, want)
			asm(&blk[0], dim, &cent[0], &scored[0], len(scored), &labels[0], &got[0])
			if !equalBits(got, want) {
				t.Fatalf("D=%d k=%d scored %v labels %v: %v, twin %v", dim, k, scored, labels, got, want)
			}
		}
	}
}

func checkTransposeTwin(t *testing.T, rng *rand.Rand, l int, asm func(dst *uint8, rows **uint8, steps int)) {
	for _, steps := range []int{1, 2, 5} {
		dim := 16 * steps
		var rows [16][]uint8
		var ptr [16]*uint8
		for i := range l {
			rows[i] = randBytes(rng, dim)
			ptr[i] = &rows[i][0]
		}
		want, got := make([]uint8, dim*l), make([]uint8, dim*l)
		transposeGo(want, &rows, l, 0, dim)
		asm(&got[0], &ptr[0], steps)
		if !slices.Equal(got, want) {
			t.Fatalf("steps=%d: the transposes differ", steps)
		}
	}
}

func checkFilterTwin(t *testing.T, rng *rand.Rand) {
	for nbounds := 1; nbounds <= 16; nbounds++ {
		for _, ntiles := range []int{1, 2, 9} {
			lower, drift, threshold := randomBounds(rng, ntiles, nbounds)
			want, got := slices.Clone(lower), slices.Clone(lower)
			wantF, gotF := make([]uint64, ntiles), make([]uint64, ntiles)
			goFilter(want, ntiles, nbounds, drift, threshold, wantF)
			filterAVX512(&got[0], ntiles, nbounds, &drift[0], &threshold[0], &gotF[0])
			if !slices.Equal(got, want) || !slices.Equal(gotF, wantF) {
				t.Fatalf("nbounds=%d ntiles=%d: bounds or masks differ from goFilter", nbounds, ntiles)
			}
		}
	}
}

// TestDetect checks the kernels found against the CPU flags Linux reports
// (it lists avx512f and avx2 only where it also saves their registers).
func TestDetect(t *testing.T) {
	if runtime.GOOS != "linux" || strings.Contains(os.Getenv("GODEBUG"), "cpu.") {
		t.Skip("needs Linux's /proc/cpuinfo and no GODEBUG cpu options")
	}
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	flags := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if name, list, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(name) == "flags" {
			for _, fl := range strings.Fields(list) {
				flags[fl] = true
			}
			break
		}
	}
	base := flags["avx"] && flags["popcnt"]
	var want []string
	if base && flags["avx512f"] {
		want = append(want, "avx512")
	}
	if base && flags["avx2"] {
		want = append(want, "avx2")
	}
	var got []string
	for _, k := range simdKernels {
		got = append(got, k.name)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("kernels %v, /proc/cpuinfo says %v", got, want)
	}
}
