package labels_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/labels"
	"github.com/tilekmeans/tilekmeans/internal/npyformat"
	"github.com/tilekmeans/tilekmeans/tiles"
)

// samples is a set of n samples from one array file.
func samples(n int) *tiles.Set {
	t := &tiles.Set{Sheets: []tiles.Sheet{{Path: "a.npy", Format: "npy", Rows: n, Cols: 1}}}
	for i := range n {
		t.Origins = append(t.Origins, tiles.Origin{Row: int32(i)})
	}
	return t
}

// TestBinaryLabels: an IDX labels file (plain or gzipped) and a .npy of
// integers (int64, as numpy saves Python ints; uint8; big-endian int16)
// give classes numbered in the numbers' order; broken ones are one line.
func TestBinaryLabels(t *testing.T) {
	dir := t.TempDir()
	vals := []uint8{5, 0, 4, 1, 9, 2, 1, 3, 1, 4}
	idx := append([]byte{0, 0, 8, 1, 0, 0, 0, 10}, vals...)
	var gz bytes.Buffer
	z := gzip.NewWriter(&gz)
	z.Write(idx)
	z.Close()
	npyOf := func(descr string, put func([]byte, int) []byte) []byte {
		h, _ := npyformat.Preamble(descr, []int{len(vals)})
		for _, v := range vals {
			h = put(h, int(v))
		}
		return h
	}
	files := map[string][]byte{
		"l-idx1-ubyte":    idx,
		"l-idx1-ubyte.gz": gz.Bytes(),
		"i8.npy":          npyOf("<i8", func(b []byte, v int) []byte { return binary.LittleEndian.AppendUint64(b, uint64(v)) }),
		"u1.npy":          npyOf("|u1", func(b []byte, v int) []byte { return append(b, byte(v)) }),
		"i2.npy":          npyOf(">i2", func(b []byte, v int) []byte { return binary.BigEndian.AppendUint16(b, uint16(v)) }),
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		os.WriteFile(p, data, 0o644)
		c, err := labels.Spec{Kind: labels.File, File: p}.Classes(samples(10))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !slices.Equal(c.Names, []string{"0", "1", "2", "3", "4", "5", "9"}) || c.Of[0] != 5 || c.Of[4] != 6 || c.Sizes[1] != 3 {
			t.Errorf("%s: names %v of %v sizes %v", name, c.Names, c.Of, c.Sizes)
		}
	}
	bad := map[string][]byte{
		"short-idx1-ubyte":  idx[:12],
		"long-idx1-ubyte":   append(slices.Clone(idx), 7),
		"images-idx3-ubyte": []byte{0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0},
		"f.npy":             npyOf("<f4", func(b []byte, v int) []byte { return binary.LittleEndian.AppendUint32(b, uint32(v)) }),
		"trunc.npy":         npyOf("<i8", func(b []byte, v int) []byte { return binary.LittleEndian.AppendUint64(b, uint64(v)) })[:150],
	}
	msgs := map[string]string{
		"short-idx1-ubyte":  "truncated: the IDX header says 10 labels (10 bytes of data), the file holds 4",
		"long-idx1-ubyte":   "the count does not match the size",
		"images-idx3-ubyte": "holds images, not labels",
		"f.npy":             "dtype float32",
		"trunc.npy":         "truncated",
	}
	for name, data := range bad {
		p := filepath.Join(dir, name)
		os.WriteFile(p, data, 0o644)
		_, err := labels.Spec{Kind: labels.File, File: p}.Classes(samples(10))
		var fe *labels.FileError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), msgs[name]) || !strings.HasPrefix(err.Error(), p) {
			t.Errorf("%s: %v, want a FileError naming it with %q", name, err, msgs[name])
		}
	}
	// The count must fit the samples.
	p := filepath.Join(dir, "l-idx1-ubyte")
	if _, err := (labels.Spec{Kind: labels.File, File: p}).Classes(samples(9)); !errors.Is(err, labels.ErrCount) {
		t.Errorf("9 samples, 10 labels: %v", err)
	}
}

// TestFolderClasses: -labels folders numbers the class folders in natural
// order; a file outside a class folder is an error naming it.
func TestFolderClasses(t *testing.T) {
	set := &tiles.Set{}
	for i, p := range []string{"r/b/1.png", "r/a/2.png", "r/b/3.png", "r/10/4.png", "r/9/5.png"} {
		set.Sheets = append(set.Sheets, tiles.Sheet{Path: p, Rows: 1, Cols: 1})
		set.Origins = append(set.Origins, tiles.Origin{Sheet: int32(i)})
	}
	folder := func(p string) (string, error) {
		if p == "bad" {
			return "", errors.New("bad is not in a class folder")
		}
		return strings.Split(p, "/")[1], nil
	}
	natural := func(a, b string) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(a, b)
	}
	c, err := labels.FolderClasses(set, folder, natural)
	if err != nil || !slices.Equal(c.Names, []string{"9", "a", "b", "10"}) || !slices.Equal(c.Of, []int{2, 1, 2, 3, 0}) || !slices.Equal(c.Sizes, []int{1, 1, 2, 1}) {
		t.Errorf("classes %v %v %v, %v", c.Names, c.Of, c.Sizes, err)
	}
	set.Sheets[2].Path = "bad"
	if _, err := labels.FolderClasses(set, folder, natural); err == nil || !strings.Contains(err.Error(), "folders: bad is not in a class folder") {
		t.Errorf("bad: %v", err)
	}
	var s labels.Spec
	if err := s.UnmarshalText([]byte("folders")); err != nil || s.Kind != labels.Folders || s.String() != "folders" {
		t.Errorf("folders spec: %v %v", s, err)
	}
}
