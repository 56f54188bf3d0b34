package main

import (
	"cmp"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/outdir"
	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/outfiles"
	htmlreport "github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/report"
)

// writeClusterFolders writes -export folders: per k, clusters/{k}/{c}/
// with each member of cluster c, named "{rank}_{name}" so that the names
// sort by distance to the centroid, nearest first (ties: lower index
// first). A member that is a file of its own (-resize) is that file,
// hard-linked where the file system allows it (copied otherwise, or
// always with copyFiles); a tile of a sheet or an image of an array is a
// PNG of its pixels.
func writeClusterFolders(root string, ro *runOutput, copyFiles bool) error {
	t := ro.t
	wholeFiles := t.Resize != (image.Point{})
	for _, r := range ro.runs {
		res := r.res
		members := make([][]int, res.K)
		for i, l := range res.Labels {
			members[l] = append(members[l], i)
		}
		for c, idx := range members {
			dir := outfiles.Path(root, outfiles.ClusterDir, res.K, c+1)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			slices.SortFunc(idx, func(a, b int) int {
				return cmp.Or(cmp.Compare(res.Dists[a], res.Dists[b]), cmp.Compare(a, b))
			})
			width := len(fmt.Sprint(len(idx)))
			for rank, i := range idx {
				o := t.Origins[i]
				sh := t.Sheets[o.Sheet]
				prefix := fmt.Sprintf("%0*d_", width, rank+1)
				if wholeFiles && !isArraySheet(sh) {
					if err := linkOrCopy(sh.Path, filepath.Join(dir, prefix+filepath.Base(sh.Path)), copyFiles); err != nil {
						return err
					}
					continue
				}
				stem := strings.TrimSuffix(filepath.Base(sh.Path), filepath.Ext(sh.Path))
				name := fmt.Sprintf("%s-r%d-c%d.png", stem, o.Row, o.Col)
				if isArraySheet(sh) {
					name = fmt.Sprintf("%s-%d.png", strings.TrimSuffix(stem, ".gz"), o.Row)
				}
				if err := writePNG(filepath.Join(dir, prefix+name), htmlreport.TileImage(t, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// linkOrCopy makes dst the file src: a hard link (the same file, no
// space taken, and it stays valid when src moves), else a copy.
func linkOrCopy(src, dst string, copyFile bool) error {
	if !copyFile {
		if err := os.Link(src, dst); err == nil {
			return nil
		}
	}
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copy %w", err)
	}
	defer in.Close()
	return outdir.WriteStaged(dst, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		if err != nil {
			return errors.New("copy " + src + ": " + err.Error())
		}
		return nil
	})
}
