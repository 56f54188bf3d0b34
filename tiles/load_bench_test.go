package tiles_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tilekmeans/tilekmeans/tiles"
	"github.com/tilekmeans/tilekmeans/tiles/embedded"
)

// benchSheets writes n PNG sheets (the embedded 528x544 gray sheets, in
// turn; 1122 16x16 tiles each) into dir and returns their paths. 500 sheets
// are 561,000 tiles: a 143.6 MB tile matrix.
func benchSheets(b *testing.B, dir string, n int) []string {
	b.Helper()
	src := embedded.Sheets()
	paths := make([]string, n)
	for i := range n {
		paths[i] = filepath.Join(dir, fmt.Sprintf("sheet_%03d.png", i))
		if err := os.WriteFile(paths[i], src[i%len(src)].Data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return paths
}

// peakSampler samples the Go heap in use every millisecond, and reads the
// process's peak resident set (VmHWM, reset through /proc/self/clear_refs
// on Linux; absent elsewhere).
type peakSampler struct {
	stop     chan struct{}
	done     sync.WaitGroup
	peakHeap atomic.Uint64
}

func startPeak() *peakSampler {
	runtime.GC()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // reset VmHWM
	p := &peakSampler{stop: make(chan struct{})}
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > p.peakHeap.Load() {
				p.peakHeap.Store(ms.HeapInuse)
			}
			select {
			case <-p.stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	return p
}

func (p *peakSampler) end() (heap, rss uint64) {
	close(p.stop)
	p.done.Wait()
	return p.peakHeap.Load(), vmHWM()
}

func vmHWM() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkLoad500 loads 500 gray PNG sheets (561,000 16x16 tiles) with 1
// and with GOMAXPROCS workers, and reports the peak Go heap and the peak RSS
// as multiples of the tile matrix (issue 13's target: at most 2.5). Run one
// sub-benchmark per process for a clean RSS peak:
//
//	go test -run '^$' -bench 'Load500/workers=1$' -benchtime 3x ./tiles/
func BenchmarkLoad500(b *testing.B) {
	paths := benchSheets(b, b.TempDir(), 500)
	for _, w := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run("workers="+strconv.Itoa(w), func(b *testing.B) {
			var heap, rss uint64
			var matrix int
			for b.Loop() {
				p := startPeak()
				t, err := tiles.Load(paths, tiles.Options{Size: 16, Workers: w})
				if err != nil {
					b.Fatal(err)
				}
				h, r := p.end()
				heap, rss = max(heap, h), max(rss, r)
				matrix = len(t.Pix)
			}
			b.ReportMetric(float64(heap)/float64(matrix), "peak-heap/matrix")
			if rss > 0 {
				b.ReportMetric(float64(rss)/float64(matrix), "peak-rss/matrix")
				b.ReportMetric(float64(rss)/1e6, "peak-rss-MB")
			}
			b.ReportMetric(float64(matrix)/1e6, "matrix-MB")
		})
	}
}
