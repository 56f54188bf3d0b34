// Package outfiles is the one table of the files a tilekmeans run writes
// into its output folder (-out). The writers name their files from it, the
// check that a folder may be replaced (every file in it is one of these)
// matches against it, and so does the test that a folder is an output
// folder, whose files are never read as sheets. The centroid files are
// those of tiles.WriteCentroids and tiles.ReadCentroids, whose name
// (internal/filename) the table builds on.
package outfiles

import (
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/tilekmeans/tilekmeans/internal/filename"
)

// The files of an output folder, by path relative to it: {k} is a k of the
// run, {i} a centroid's number (1..k).
const (
	// Marker marks a folder as a tilekmeans output folder.
	Marker        filename.Template = ".tilekmeans"
	Summary       filename.Template = "summary.json"
	Labels        filename.Template = "labels.csv"
	Elbow         filename.Template = "elbow.png"
	Report        filename.Template = "report.html"
	TilesNpy      filename.Template = "tiles.npy"           // -export npy
	LabelsNpy     filename.Template = "labels_k{k}.npy"     // -export npy
	CentroidsNpy  filename.Template = "centroids_k{k}.npy"  // -export npy
	SilhouetteNpy filename.Template = "silhouette_k{k}.npy" // -export npy
	Centroid      filename.Template = "{k}/" + filename.Centroid
	Montage       filename.Template = "{k}/montage.png"
	// MontagePart is part 2, 3, ... of a montage split into several files
	// (part 1 is Montage).
	MontagePart filename.Template = "{k}/montage{i}.png"
	// ClusterDir holds a cluster's members (-export folders), each named
	// "{rank}_{name}": its rank by distance to the centroid, nearest
	// first, zero-padded, and the file or tile it is (see Member).
	ClusterDir filename.Template = "clusters/{k}/{i}"
)

// table lists every file a run writes.
var table = [...]filename.Template{Marker, Summary, Labels, Elbow, Report, TilesNpy, LabelsNpy, CentroidsNpy, SilhouetteNpy, Centroid, Montage, MontagePart}

// Owns reports whether rel (slash-separated, relative to an output folder)
// is a file a run writes.
func Owns(rel string) bool {
	if dir, name := path.Split(rel); dir != "" && Member(name) {
		if _, ok := ClusterDir.Match(strings.TrimSuffix(dir, "/")); ok {
			return true
		}
	}
	for _, t := range table {
		if _, ok := t.Match(rel); ok {
			return true
		}
	}
	return false
}

// Member reports whether name is a cluster member's file name: digits,
// an underscore, and at least one more character.
func Member(name string) bool {
	d := 0
	for d < len(name) && '0' <= name[d] && name[d] <= '9' {
		d++
	}
	return d > 0 && d+1 < len(name) && name[d] == '_' && !strings.Contains(name, "/")
}

// Path is the file t names (its numbers written in) inside the folder root.
func Path(root string, t filename.Template, nums ...int) string {
	return filepath.Join(root, filepath.FromSlash(t.Expand(nums...)))
}

// IsOutputDir reports whether dir is a tilekmeans output folder: it holds
// Marker, or (output folders written before the marker existed) both
// Summary and Labels.
func IsOutputDir(dir string) bool {
	exists := func(t filename.Template) bool {
		st, err := os.Stat(Path(dir, t))
		return err == nil && st.Mode().IsRegular()
	}
	return exists(Marker) || exists(Summary) && exists(Labels)
}
