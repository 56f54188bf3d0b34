package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"image"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/tiles"
	"github.com/tilekmeans/tilekmeans/tiles/embedded"
	"github.com/tilekmeans/tilekmeans/tiles/npy"
)

// readNpy reads a .npy file of T elements whose header says dtype descr.
func readNpy[T uint8 | int32 | float32 | float64](t *testing.T, path, descr string) *npy.Array[T] {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data[:min(len(data), 128)], []byte("{'descr': '"+descr+"'")) {
		t.Fatalf("%s: header %q, want dtype %s", path, data[:min(len(data), 128)], descr)
	}
	a, err := npy.Read[T](bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return a
}

// readCSV reads a CSV file's records, header first.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

func TestExportNpy(t *testing.T) {
	t.Chdir(t.TempDir())
	code, _, stderr := runCLI(t, "run", "-q", "-backend", "cpu", "-k", "3,5", "-export", "npy", "-out", "o")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	srcs := embedded.Sheets()
	want, err := tiles.LoadSources(srcs, tiles.Options{Size: 16})
	if err != nil {
		t.Fatal(err)
	}

	a := readNpy[uint8](t, filepath.Join("o", "tiles.npy"), "|u1")
	if !slices.Equal(a.Shape, []int{5610, 256}) || !bytes.Equal(a.Data, want.Pix) {
		t.Errorf("tiles.npy: %v: want the 5610x256 uint8 tile matrix", a.Shape)
	}
	recs := readCSV(t, filepath.Join("o", "labels.csv"))
	for j, k := range []int{3, 5} {
		a := readNpy[int32](t, filepath.Join("o", fmt.Sprintf("labels_k%d.npy", k)), "<i4")
		labels := a.Data
		if !slices.Equal(a.Shape, []int{5610}) {
			t.Fatalf("labels_k%d.npy: %v", k, a.Shape)
		}
		for i, l := range labels {
			if strconv.Itoa(int(l)+1) != recs[1+i][4+j] {
				t.Fatalf("labels_k%d.npy[%d] = %d, labels.csv says cluster %s (npy counts from 0)", k, i, l, recs[1+i][4+j])
			}
		}
		c := readNpy[float32](t, filepath.Join("o", fmt.Sprintf("centroids_k%d.npy", k)), "<f4")
		cents := c.Data
		if !slices.Equal(c.Shape, []int{k, 256}) {
			t.Fatalf("centroids_k%d.npy: %v", k, c.Shape)
		}
		// Each centroid is the mean of its tiles, rounded to float32, and
		// rounds to the pixels of centroid{c}.png.
		sums := make([]float64, k*256)
		counts := make([]int, k)
		for i, l := range labels {
			counts[l]++
			for f, v := range want.Tile(i) {
				sums[int(l)*256+f] += float64(v)
			}
		}
		for cl := range k {
			gray, ok := decodePNG(t, filepath.Join("o", strconv.Itoa(k), fmt.Sprintf("centroid%d.png", cl+1))).(*image.Gray)
			if !ok {
				t.Fatal("centroid PNG is not gray")
			}
			for f := range 256 {
				v := cents[cl*256+f]
				if m := float32(sums[cl*256+f] / float64(counts[cl])); v != m {
					t.Fatalf("centroids_k%d.npy[%d,%d] = %v, the mean of its tiles is %v", k, cl, f, v, m)
				}
			}
			for f := range 256 {
				if r := uint8(math.Round(float64(cents[cl*256+f]))); r != gray.Pix[f] {
					t.Fatalf("centroids_k%d.npy[%d,%d] = %v rounds to %d, centroid%d.png has %d", k, cl, f, cents[cl*256+f], r, cl+1, gray.Pix[f])
				}
			}
		}
	}

	// numpy reads them, and finds the same nearest centroids.
	py := sharedtest.NumpyPython(t)
	script := `
import sys, numpy as np
t = np.load("o/tiles.npy")
assert t.dtype == np.uint8 and t.shape == (5610, 256), (t.dtype, t.shape)
for k in (3, 5):
    l = np.load(f"o/labels_k{k}.npy"); c = np.load(f"o/centroids_k{k}.npy")
    assert l.dtype == np.int32 and l.shape == (5610,), (l.dtype, l.shape)
    assert c.dtype == np.float32 and c.shape == (k, 256), (c.dtype, c.shape)
    assert l.min() == 0 and l.max() == k - 1
    d = ((t[:, None, :].astype(np.float64) - c[None, :, :]) ** 2).sum(-1)
    agree = (d.argmin(1) == l).mean()
    assert agree > 0.999, agree
print("ok")
`
	out, err := exec.Command(py, "-c", script).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("numpy: %v\n%s", err, out)
	}
}

func TestExportFlag(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.png", pngOf(t, 64, 32))
	tests := []struct {
		name string
		args []string
		msg  string
	}{
		{"unknown format", []string{"-export", "csv"}, `-export csv: "csv" is not a format (want npy, folders or folders:copy)`},
		{"empty", []string{"-export", ""}, `"" is not a format`},
		{"one bad in a list", []string{"-export", "npy,parquet"}, `"parquet" is not a format`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "o")
			code, _, stderr := runCLI(t, append([]string{"run", "-backend", "cpu", "-images", good, "-k", "2", "-out", out}, tt.args...)...)
			if code != exitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.msg) {
				t.Errorf("exit %d, stderr %q; want exit 2 and one line with %q", code, stderr, tt.msg)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a usage error left output")
			}
		})
	}
	// Repeated and listed: each format once.
	var e exportFlag
	if err := e.Set("npy, npy"); err != nil || e.Set("npy") != nil || e.String() != "npy" {
		t.Errorf("exportFlag %v, %v", e, err)
	}
}
