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
// "3/img10.png". Entries are taken by the flat listing's rule (entryKind:
// files that are not images by their extension, such as .txt, Thumbs.db or
// a .DS_Store, and hidden ones skipped silently; links followed, one that
// cannot be followed named like an image an error), and so are folders and
// links to folders, which the walk enters, each folder once, however it is
// linked (a link back up the tree is not a loop; a folder reached both by
// its own path and through a link is read under its own path, the links
// being followed once the tree is read); tilekmeans output folders and the
// excluded trees are left out.
func Recursive() ExpandOption {
	return func(c *expandConfig) { c.recursive = true }
}

// walkDir lists the image files under dir, recursively (see Recursive).
// excluded says which paths the options leave out (by the tree they lie
// in: "" for none). The folders below dir are read first, links to
// folders after them (each a tree walked the same way), so that a folder
// reached both by its own path and through a link is read under its own
// path, and its files take their classes from it.
func walkDir(dir string, excluded func(string) string) ([]string, error) {
	var files []string
	var seen []os.FileInfo // folders read (os.SameFile: device and inode)
	var links []string     // links to folders, entered once the tree is read
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
			kind, err := entryKind(p, e.Type())
			switch {
			case err != nil:
				return err
			case kind == folder && excluded(p) == "" && e.Type()&os.ModeSymlink != 0:
				links = append(links, p)
			case kind == folder && excluded(p) == "":
				if err := walk(p); err != nil {
					return err
				}
			case kind == imageFile:
				files = append(files, p)
			}
		}
		return nil
	}
	if err := walk(dir); err != nil {
		return nil, err
	}
	for len(links) > 0 {
		p := links[0]
		links = links[1:]
		if err := walk(p); err != nil {
			return nil, err
		}
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
