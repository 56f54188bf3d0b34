package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/glenv"
	"github.com/tilekmeans/tilekmeans/kmeans"
)

func TestReplicate(t *testing.T) {
	base := kmeans.Data{N: 3, D: 2, X: []uint8{0, 255, 10, 20, 128, 7}}
	r := replicate(base, 4, 1)
	if r.N != 12 || r.D != 2 || len(r.X) != 24 || !slices.Equal(r.X[:6], base.X) {
		t.Fatalf("replicate: %+v", r)
	}
	same := 0
	for i := 6; i < 24; i++ {
		d := int(r.X[i]) - int(base.X[i%6])
		if d < -1 || d > 1 {
			t.Errorf("value %d moved by %d", i, d)
		}
		if d == 0 {
			same++
		}
	}
	if same == 18 {
		t.Error("no noise in the copies")
	}
	if !slices.Equal(replicate(base, 4, 1).X, r.X) || slices.Equal(replicate(base, 4, 2).X, r.X) {
		t.Error("the noise does not follow the seed")
	}
}

func TestBenchCommand(t *testing.T) {
	dir := t.TempDir()
	img := writeFile(t, dir, "s.png", pngOf(t, 64, 64))
	plotPath := filepath.Join(dir, "bench.png")
	backends := "cpu"
	if glenv.BuiltWithGPU {
		backends = "cpu,gpu"
	}
	code, stdout, stderr := runCLI(t, "bench", "-images", img, "-sizes", "1,3", "-k", "2,5", "-iters", "3", "-reps", "2", "-backends", backends, "-plot", plotPath, "-json")
	if code != exitOK {
		if strings.Contains(stderr, "OpenGL context unavailable") && os.Getenv("CI") != "true" {
			t.Skipf("no OpenGL here: %s", stderr)
		}
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var cells []map[string]any
	if err := json.Unmarshal([]byte(stdout), &cells); err != nil {
		t.Fatalf("-json output: %v\n%s", err, stdout)
	}
	want := 2 * 2 * len(strings.Split(backends, ","))
	if len(cells) != want {
		t.Fatalf("%d cells, want %d", len(cells), want)
	}
	for _, c := range cells {
		iter := c["iteration"].(map[string]any)
		if iter["median_s"].(float64) <= 0 || iter["min_s"].(float64) > iter["median_s"].(float64) || iter["max_s"].(float64) < iter["median_s"].(float64) {
			t.Errorf("cell %v: bad iteration stat", c)
		}
		if c["tiles"] != 16.0 && c["tiles"] != 48.0 {
			t.Errorf("cell tiles %v, want 16 or 48", c["tiles"])
		}
		if c["backend"] == "gpu" && (c["speed_up"] == nil || c["setup_s"].(float64) <= 0) {
			t.Errorf("gpu cell without speed-up or setup: %v", c)
		}
	}
	for _, c := range cells {
		share, _ := c["computed_share"].(float64)
		if c["backend"] == "cpu" && (share <= 0 || share > 1) {
			t.Errorf("cpu cell: computed_share %v", c["computed_share"])
		}
	}
	if img := decodePNG(t, plotPath); img.Bounds().Dx() < 100 {
		t.Errorf("plot %v", img.Bounds())
	}
	// One size: a plot all the same (its axes cannot be logarithmic).
	code, stdout, stderr = runCLI(t, "bench", "-images", img, "-sizes", "1", "-k", "2", "-iters", "2", "-reps", "1", "-backends", "cpu", "-plot", plotPath)
	if code != exitOK || !strings.Contains(stdout, "backend  tiles") || !strings.Contains(stdout, "cpu: ") {
		t.Errorf("table output: exit %d, %s\n%s", code, stderr, stdout)
	}
	// k above the smaller sizes' tiles: measured at the larger ones, and said.
	code, stdout, stderr = runCLI(t, "bench", "-images", img, "-sizes", "1,3", "-k", "20", "-iters", "2", "-reps", "1", "-backends", "cpu", "-json")
	if code != exitOK || !strings.Contains(stderr, "k=20 is measured only at the sizes with at least 20 tiles") || strings.Count(stdout, `"k": 20`) != 1 {
		t.Errorf("k=20 over 16 and 48 tiles: exit %d, %q\n%s", code, stderr, stdout)
	}
}

// TestBenchPruneShare: with pruning the CPU's iterations compute fewer
// distances than there are tile x centroid pairs; with -prune off all.
func TestBenchPruneShare(t *testing.T) {
	dir := t.TempDir()
	img := writeFile(t, dir, "s.png", pngOf(t, 256, 256)) // 256 tiles
	for _, tt := range []struct {
		prune string
		ok    func(float64) bool
	}{
		{"auto", func(s float64) bool { return s > 0 && s < 1 }},
		{"off", func(s float64) bool { return s == 1 }},
	} {
		code, stdout, stderr := runCLI(t, "bench", "-images", img, "-sizes", "1", "-k", "40", "-iters", "10", "-reps", "1", "-backends", "cpu", "-prune", tt.prune, "-json")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var cells []map[string]any
		if err := json.Unmarshal([]byte(stdout), &cells); err != nil {
			t.Fatal(err)
		}
		if s, _ := cells[0]["computed_share"].(float64); !tt.ok(s) {
			t.Errorf("-prune %s: computed_share %v", tt.prune, cells[0]["computed_share"])
		}
	}
}

func TestBenchBadFlags(t *testing.T) {
	for _, tt := range []struct{ args, msg string }{
		{"-sizes 0", `-sizes "0": "0" is not a positive integer`},
		{"-sizes 99999999999999999999", `-sizes "99999999999999999999": "99999999999999999999" is out of range (want 1..9223372036854775807)`},
		{"-k x", `-k "x"`},
		{"-iters 0", "-iters 0: want >= 1"},
		{"-reps 0", "-reps 0: want >= 1"},
		{"-backends cpu,tpu", `"tpu" is not cpu or gpu`},
		{"-budget -1s", "-budget -1s: want > 0"},
		{"-prune some", "-prune some: want auto or off"},
		{"-k 6000 -sizes 1", "-k 6000: more clusters than the 5610 tiles of the largest size"},
		// Checked before any sheet is read: the missing file is not reached.
		{"-context foo -images /nonexistent/x.png", `-context "foo": want auto, glfw or egl`},
	} {
		code, _, stderr := runCLI(t, append([]string{"bench"}, strings.Fields(tt.args)...)...)
		if code != exitUsage || !strings.Contains(stderr, tt.msg) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("bench %s: exit %d, stderr %q, want %q", tt.args, code, stderr, tt.msg)
		}
	}
}
