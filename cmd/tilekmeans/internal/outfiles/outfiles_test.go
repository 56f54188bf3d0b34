package outfiles

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// oldOutputFile is the expression the command matched its files with
// before this table: Owns must agree with it.
var oldOutputFile = regexp.MustCompile(`^(\.tilekmeans|summary\.json|labels\.csv|elbow\.png|report\.html|tiles\.npy|(labels|centroids)_k[0-9]+\.npy|[0-9]+/(centroid[0-9]+|montage)\.png)$`)

var names = []string{
	".tilekmeans", "summary.json", "labels.csv", "elbow.png", "report.html", "tiles.npy",
	"labels_k3.npy", "centroids_k12.npy", "3/centroid1.png", "12/centroid12.png", "3/montage.png", "007/centroid01.png",
	"notes.txt", "3/notes.txt", "photos/p.jpg", "centroid1.png", "3/centroid1.jpg", "labels_k3.npy.bak", "labels_k.npy",
	"x/centroid1.png", "3/4/centroid1.png", "/3/montage.png", "3/montage.png.tmp", ".summary.json", "summary.json/x", "",
}

func TestOwnsAsBefore(t *testing.T) {
	for _, n := range names {
		if got, want := Owns(n), oldOutputFile.MatchString(n); got != want {
			t.Errorf("Owns(%q) = %v, want %v", n, got, want)
		}
	}
	if got := Centroid.Expand(5, 2); got != "5/centroid2.png" {
		t.Errorf("Centroid.Expand(5, 2) = %q", got)
	}
}

func FuzzOwns(f *testing.F) {
	for _, n := range names {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, rel string) {
		if got, want := Owns(rel), oldOutputFile.MatchString(rel); got != want {
			t.Errorf("Owns(%q) = %v, want %v", rel, got, want)
		}
	})
}

func TestIsOutputDir(t *testing.T) {
	dir := t.TempDir()
	mk := func(rel string) {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mk("marked/.tilekmeans")
	mk("old/summary.json")
	mk("old/labels.csv")
	mk("half/summary.json")
	os.MkdirAll(filepath.Join(dir, "dirmarker", ".tilekmeans"), 0o755)
	for name, want := range map[string]bool{"marked": true, "old": true, "half": false, "dirmarker": false, "missing": false} {
		if got := IsOutputDir(filepath.Join(dir, name)); got != want {
			t.Errorf("IsOutputDir(%s) = %v, want %v", name, got, want)
		}
	}
}
