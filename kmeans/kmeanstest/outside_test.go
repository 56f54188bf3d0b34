package kmeanstest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestOutsideModule: a backend in a module of its own runs the suite under
// CI=true with nothing of this repository's surroundings (no ../shared):
// the suite needs only what it is given. The throwaway module lives in a
// temporary folder and uses this checkout through a replace directive,
// offline (GOPROXY=off: the module cache already holds what the build
// needs).
func TestOutsideModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a throwaway module (-short)")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/backend\n\ngo 1.26.0\n\n" +
			"require github.com/tilekmeans/tilekmeans v0.0.0-00010101000000-000000000000\n\n" +
			"replace github.com/tilekmeans/tilekmeans => " + root + "\n",
		"go.sum": string(sum),
		"backend.go": `// Package backend is a brute-force kmeans.Assigner of its own.
package backend

import "github.com/tilekmeans/tilekmeans/kmeans"

type Assigner struct{ Data kmeans.Data }

func (a Assigner) Name() string { return "outside" }

func (a Assigner) Assign(cent []float32, k int, labels []int32, dists []float32) error {
	for i := range a.Data.N {
		labels[i], dists[i] = kmeans.Nearest(a.Data.Row(i), cent, k)
	}
	return nil
}
`,
		"backend_test.go": `package backend

import (
	"testing"

	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/kmeans/kmeanstest"
)

func newAssigner(t *testing.T, data kmeans.Data) kmeans.Assigner { return Assigner{data} }

func TestConformance(t *testing.T) {
	kmeanstest.TestAssigner(t, newAssigner)
	kmeanstest.TestRun(t, newAssigner)
}
`,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "test", "-count=1", "-v", "./...")
	cmd.Dir = dir
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TILEKMEANS_") && !strings.HasPrefix(kv, "CI=") && !strings.HasPrefix(kv, "GOFLAGS=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "CI=true", "GOPROXY=off", "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test in a module outside: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestConformance") || strings.Contains(string(out), "SKIP") {
		t.Errorf("the outside module's suite did not pass in full:\n%s", out)
	}
}
