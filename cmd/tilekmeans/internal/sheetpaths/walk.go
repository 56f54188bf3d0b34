package sheetpaths

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/outfiles"
	"github.com/tilekmeans/tilekmeans/internal/imageformat"
)

// Recursive makes a folder contribute the image files in it and in every
// folder below it (for one image, one sample: class folders as
// torchvision's ImageFolder lays them out), in natural order folder by
// folder: "2/x.png" before "10/a.png", and "3/img9.png" before
// "3/img10.png". Files that are not images by their extension (.txt,
// Thumbs.db, a .DS_Store) are skipped silently, and so are hidden files
// and folders, tilekmeans output folders and the excluded trees. Links to
// files and folders are followed, each folder read once (a link back up
// the tree is not a loop).
func Recursive() ExpandOption {
	return func(c *expandConfig) { c.recursive = true }
}

// walkDir lists the image files under dir, recursively (see Recursive).
// excluded says which paths the options leave out (by the tree they lie
// in: "" for none).
func walkDir(dir string, excluded func(string) string) ([]string, error) {
	var files []string
	var seen []os.FileInfo // folders read (os.SameFile: device and inode)
	var walk func(d string) error
	walk = func(d string) error {
		if st, err := os.Stat(d); err == nil {
			if slices.ContainsFunc(seen, func(s os.FileInfo) bool { return os.SameFile(s, st) }) {
				return nil
			}
			seen = append(seen, st)
		}
		if d != dir && outfiles.IsOutputDir(d) {
			return nil
		}
		entries, err := os.ReadDir(d)
		if err != nil {
			return fmt.Errorf("%s: %w", d, err)
		}
		for _, e := range entries {
			if hidden(e.Name()) {
				continue
			}
			p := filepath.Join(d, e.Name())
			mode := e.Type()
			if mode&os.ModeSymlink != 0 {
				st, err := os.Stat(p)
				if err != nil {
					continue // a dangling link is no image
				}
				mode = st.Mode().Type()
			}
			switch {
			case mode.IsDir():
				if excluded(p) != "" {
					continue
				}
				if err := walk(p); err != nil {
					return err
				}
			case mode.IsRegular() && imageformat.HasExtension(e.Name()):
				files = append(files, p)
			}
		}
		return nil
	}
	if err := walk(dir); err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: %w (no %s file in it or in any folder below it; .npy and IDX files are read when named themselves)", dir, ErrNoImages, strings.Join(imageformat.Extensions(), " "))
	}
	return files, nil
}

// naturalPathCompare orders paths folder by folder, each name in natural
// order (NaturalCompare).
func naturalPathCompare(a, b string) int {
	as, bs := strings.Split(filepath.ToSlash(a), "/"), strings.Split(filepath.ToSlash(b), "/")
	for i := range min(len(as), len(bs)) {
		if c := NaturalCompare(as[i], bs[i]); c != 0 {
			return c
		}
	}
	return compareInt(len(as), len(bs))
}
