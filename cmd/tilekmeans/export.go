package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/outdir"
	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/outfiles"
	"github.com/tilekmeans/tilekmeans/tiles/npy"
)

// The -export formats: NumPy .npy files; one folder per cluster (members
// linked, or copied with folders:copy).
const (
	exportNpy         = "npy"
	exportFolders     = "folders"
	exportFoldersCopy = "folders:copy"
)

// exportFlag is -export: a comma-separated list of formats, repeatable.
type exportFlag []string

func (e *exportFlag) String() string { return strings.Join(*e, ",") }

func (e *exportFlag) Set(s string) error {
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f != exportNpy && f != exportFolders && f != exportFoldersCopy {
			return fmt.Errorf("%q is not a format (want npy, folders or folders:copy)", f)
		}
		if f == exportFoldersCopy || f == exportFolders {
			*e = slices.DeleteFunc(*e, func(g string) bool { return g == exportFolders || g == exportFoldersCopy })
		}
		if !slices.Contains(*e, f) {
			*e = append(*e, f)
		}
	}
	return nil
}

// writeExports writes the -export files into root:
// for npy, tiles.npy (uint8, N x D), and per k labels_k{K}.npy (int32, N;
// clusters 0..k-1, so that centroids[labels] is each tile's centroid) and
// centroids_k{K}.npy (float32, k x D: the final centroids as the assignment
// step used them), and silhouette_k{K}.npy (float64, N) for the ks with a
// silhouette (indices.go).
func writeExports(root string, ro *runOutput) error {
	o, t, runs := ro.o, ro.t, ro.runs
	for _, f := range o.export {
		if f == exportFolders || f == exportFoldersCopy {
			if err := writeClusterFolders(root, ro, f == exportFoldersCopy); err != nil {
				return err
			}
		}
	}
	if !slices.Contains(o.export, exportNpy) {
		return nil
	}
	if err := outdir.WriteStaged(outfiles.Path(root, outfiles.TilesNpy), func(w io.Writer) error {
		return npy.Write(w, t.Pix, t.N(), t.D)
	}); err != nil {
		return err
	}
	for _, r := range runs {
		k := r.res.K
		if err := outdir.WriteStaged(outfiles.Path(root, outfiles.LabelsNpy, k), func(w io.Writer) error {
			return npy.Write(w, r.res.Labels, len(r.res.Labels))
		}); err != nil {
			return err
		}
		if err := outdir.WriteStaged(outfiles.Path(root, outfiles.CentroidsNpy, k), func(w io.Writer) error {
			return npy.Write(w, r.res.Centroids, k, t.D)
		}); err != nil {
			return err
		}
	}
	return ro.indices.writeNpy(root, t.N())
}
