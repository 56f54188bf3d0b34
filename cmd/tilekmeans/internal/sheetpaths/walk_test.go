package sheetpaths_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/outfiles"
	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/sheetpaths"
)

// TestRecursive: a folder is read recursively, folder by folder in
// natural order; non-images, hidden files and folders and output folders
// are skipped; links to files and folders are followed, a link back up
// the tree read once; Rel is the path below the folder argument.
func TestRecursive(t *testing.T) {
	root := filepath.Join(t.TempDir(), "imgs")
	for _, f := range []string{"10/a.png", "2/img10.png", "2/img9.png", "2/deep/x.jpg", "2/notes.txt", "Thumbs.db", "1.png",
		".hidden/h.png", "2/.DS_Store", "out/summary.json", "out/labels.csv", "out/3/centroid1.png"} {
		p := filepath.Join(root, filepath.FromSlash(f))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(root, "out", string(outfiles.Marker)), []byte("x"), 0o644)
	if err := os.Symlink(root, filepath.Join(root, "2", "up")); err != nil { // a loop
		t.Fatal(err)
	}
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "linked.png"), []byte("x"), 0o644)
	os.Symlink(filepath.Join(other, "linked.png"), filepath.Join(root, "10", "b.png"))
	files, err := sheetpaths.ExpandFiles([]string{root}, sheetpaths.Recursive(), sheetpaths.SkipOutputDirs())
	if err != nil {
		t.Fatal(err)
	}
	var rels []string
	for _, f := range files {
		if f.Root != root {
			t.Errorf("%s: root %q, want %q", f.Path, f.Root, root)
		}
		rels = append(rels, f.Rel())
	}
	want := []string{"1.png", "2/deep/x.jpg", "2/img9.png", "2/img10.png", "10/a.png", "10/b.png"}
	if !slices.Equal(rels, want) {
		t.Errorf("files %v, want %v", rels, want)
	}
	// Without Recursive, only the folder's own images.
	flat, err := sheetpaths.ExpandFiles([]string{root})
	if err != nil || len(flat) != 1 || flat[0].Rel() != "1.png" {
		t.Errorf("flat: %v %v", flat, err)
	}
	// A folder of no images at any depth.
	empty := t.TempDir()
	os.MkdirAll(filepath.Join(empty, "a", "b"), 0o755)
	os.WriteFile(filepath.Join(empty, "a", "readme.txt"), []byte("x"), 0o644)
	if _, err := sheetpaths.ExpandFiles([]string{empty}, sheetpaths.Recursive()); !errors.Is(err, sheetpaths.ErrNoImages) {
		t.Errorf("no images: %v", err)
	}
}
