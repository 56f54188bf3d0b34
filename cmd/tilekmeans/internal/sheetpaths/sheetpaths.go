// Package sheetpaths turns the command's -images arguments (files,
// folders, glob patterns) into the sheet files to load, in natural order,
// leaving out the tool's own output folders (package outfiles).
package sheetpaths

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/outfiles"
	"github.com/tilekmeans/tilekmeans/internal/imageformat"
)

// ErrNoImages reports a path, directory or glob that names no image.
var ErrNoImages = errors.New("no image matched")

// ExpandOption changes what Expand keeps.
type ExpandOption func(*expandConfig)

type expandConfig struct {
	exclude    []string // absolute, cleaned
	skipOutput bool
	recursive  bool
}

// ExcludeTree leaves out every file inside dir or its subfolders (a run's
// output folder while it is written), however either is named (relative,
// absolute, through symbolic links).
func ExcludeTree(dir string) ExpandOption {
	return func(c *expandConfig) {
		if p := canonical(dir); p != "" {
			c.exclude = append(c.exclude, p)
		}
	}
}

// canonical is p absolute, with symbolic links resolved where it exists.
func canonical(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return ""
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	return abs
}

// SkipOutputDirs leaves out of folder listings, walks and glob matches
// every file that lies in a tilekmeans output folder (outfiles.IsOutputDir)
// or in a direct subfolder of one (the per-k centroid folders): the tool's
// montages, centroids and elbow.png are never sheets. A file named itself
// is kept (a run's tiles.npy read back: -images out/tiles.npy). Only the
// file's folder and its parent are checked, so a project folder higher up
// that happens to hold a summary.json does not hide its sheets.
func SkipOutputDirs() ExpandOption {
	return func(c *expandConfig) { c.skipOutput = true }
}

// ExcludedError reports an argument that matched files, all of which the
// options left out. Dir is the output folder (or excluded tree) that held
// the first of them.
type ExcludedError struct {
	Arg   string
	Dir   string
	Files int
	Tree  bool // Dir is an ExcludeTree: the output folder being written
}

func (e *ExcludedError) Error() string {
	if e.Tree {
		return fmt.Sprintf("%s: %v: its %d file(s) lie in %s, the output folder this run writes, whose files are never read as sheets (copy them elsewhere, or write another folder)", e.Arg, ErrNoImages, e.Files, e.Dir)
	}
	return fmt.Sprintf("%s: %v: its %d file(s) lie in tilekmeans output folder %s, whose files are never read as sheets from a folder or a glob (name a file itself to read it)", e.Arg, ErrNoImages, e.Files, e.Dir)
}

// Unwrap makes an ExcludedError match ErrNoImages.
func (e *ExcludedError) Unwrap() error { return ErrNoImages }

// Expand turns files, directories and glob patterns into a list of image
// files in natural file-name order (usps_2 before usps_10), without
// duplicates. A directory contributes its image files (by extension, not
// recursively; Recursive walks it), symbolic links to files among them,
// by entryKind's rule, which the walk and glob matches follow too; a file
// named or matched by a glob is kept whatever its extension, so a
// non-image file fails later with a clear decode error. Hidden files (a
// leading dot) come only by name: folders and globs leave them out, as a
// shell does. Pipes, FIFOs and devices come only by name. Each argument must match
// something: one that matches nothing is an error wrapping ErrNoImages, and
// one whose every match the options exclude is an *ExcludedError (which
// wraps ErrNoImages too); an argument that keeps at least one file loses its
// excluded ones silently.
func Expand(args []string, opts ...ExpandOption) ([]string, error) {
	files, err := ExpandFiles(args, opts...)
	if err != nil {
		return nil, err
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.Path
	}
	return paths, nil
}

// File is a file Expand found: its path, and the folder argument it was
// found in ("" for a file or glob match named directly).
type File struct {
	Path string
	Root string
}

// Rel is the file's path relative to its Root ("" without one), slash
// separated: "3/00010.png" for a file found in folder "mnist".
func (f File) Rel() string {
	if f.Root == "" {
		return ""
	}
	rel, err := filepath.Rel(f.Root, f.Path)
	if err != nil {
		return ""
	}
	return filepath.ToSlash(rel)
}

// ExpandFiles is Expand, telling each file's folder argument.
func ExpandFiles(args []string, opts ...ExpandOption) ([]File, error) {
	var cfg expandConfig
	for _, o := range opts {
		o(&cfg)
	}
	outputDir := map[string]bool{} // folder -> outfiles.IsOutputDir, cached
	// excludedBy is the excluded tree or output folder that holds p ("":
	// none); a file named itself (named) is excluded only by the trees.
	excludedBy := func(p string, named bool) string {
		abs := canonical(p)
		if abs == "" {
			return ""
		}
		for _, d := range cfg.exclude {
			if abs == d || strings.HasPrefix(abs, d+string(filepath.Separator)) {
				return d
			}
		}
		if cfg.skipOutput && !named {
			dir := filepath.Dir(abs)
			for _, d := range []string{dir, filepath.Dir(dir)} {
				is, ok := outputDir[d]
				if !ok {
					is = outfiles.IsOutputDir(d)
					outputDir[d] = is
				}
				if is {
					return d
				}
			}
		}
		return ""
	}
	var out []File
	seen := map[string]bool{}
	// keep adds the files one argument matched, minus excluded ones.
	// A walked tree's files are filtered already, folder by folder.
	keep := func(arg, root string, files []string, walked, named bool) error {
		n, firstDir, tree := 0, "", false
		for _, p := range files {
			p = filepath.Clean(p)
			d := ""
			if !walked {
				d = excludedBy(p, named)
			}
			if d != "" {
				if firstDir == "" {
					firstDir, tree = d, slices.Contains(cfg.exclude, d)
				}
				continue
			}
			n++
			if !seen[p] {
				seen[p] = true
				out = append(out, File{Path: p, Root: root})
			}
		}
		if n == 0 && len(files) > 0 {
			return &ExcludedError{Arg: arg, Dir: firstDir, Files: len(files), Tree: tree}
		}
		return nil
	}
	for _, arg := range args {
		st, err := os.Stat(arg)
		var files []string
		root := ""
		switch {
		case err == nil && st.IsDir() && cfg.recursive:
			root = filepath.Clean(arg)
			files, err = walkDir(arg, func(p string) string { return excludedBy(p, false) })
			if err != nil {
				return nil, err
			}
		case err == nil && st.IsDir():
			root = filepath.Clean(arg)
			files, err = listDir(arg)
			if err != nil {
				return nil, err
			}
		case err == nil:
			files = []string{arg}
		case errors.Is(err, fs.ErrNotExist) && strings.ContainsAny(arg, "*?["):
			matches, gerr := filepath.Glob(arg)
			if gerr != nil {
				return nil, fmt.Errorf("%s: bad pattern: %w", arg, gerr)
			}
			for _, m := range matches {
				if hidden(m) && !hidden(arg) {
					continue // as a shell's glob: * does not match a leading dot
				}
				st, err := os.Lstat(m)
				if err != nil {
					continue // gone since the glob
				}
				// The folder's rule, but whatever the name: what the
				// pattern matched is named, and a file that is no image
				// fails with a clear decode error.
				kind, err := entryKind(m, st.Mode().Type())
				if err != nil {
					return nil, err
				}
				if kind == imageFile || kind == otherFile {
					files = append(files, m)
				}
			}
			if len(files) == 0 {
				return nil, fmt.Errorf("%s: %w", arg, ErrNoImages)
			}
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("%s: no such file or directory", arg)
		default:
			return nil, fmt.Errorf("%s: %w", arg, err)
		}
		named := err == nil && !st.IsDir()
		if err := keep(arg, root, files, root != "" && cfg.recursive, named); err != nil {
			return nil, err
		}
	}
	if cfg.recursive {
		// Folder by folder, as a tree is read: class folders stay whole.
		slices.SortStableFunc(out, func(a, b File) int { return naturalPathCompare(a.Path, b.Path) })
		return out, nil
	}
	slices.SortStableFunc(out, func(a, b File) int {
		if c := NaturalCompare(filepath.Base(a.Path), filepath.Base(b.Path)); c != 0 {
			return c
		}
		return NaturalCompare(a.Path, b.Path)
	})
	return out, nil
}

func listDir(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	var files []string
	for _, e := range entries {
		if hidden(e.Name()) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		kind, err := entryKind(p, e.Type())
		if err != nil {
			return nil, err
		}
		if kind == imageFile {
			files = append(files, p)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: %w (directory holds no %s file)", dir, ErrNoImages, strings.Join(imageformat.Extensions(), " "))
	}
	return files, nil
}

// kind is what a folder entry is to a listing (entryKind).
type kind uint8

const (
	skipped   kind = iota // not a file to read, nor a folder
	imageFile             // a regular file named like an image, or a link to one
	otherFile             // another regular file, or a link to one
	folder                // a folder, or a link to one
)

// entryKind says what the entry at p, of type typ (its own, links not
// followed: fs.DirEntry.Type, or Lstat's), is to a listing: one rule for a
// folder's flat listing, the recursive walk (Recursive) and glob matches
// (hidden entries, a leading dot, being skipped before, as a shell's globs
// skip them, unless a pattern names them).
//   - A regular file is an image file when its name has an image's
//     extension (imageformat.HasExtension), or one of an image format
//     that is not read (imageformat.Unread: .heic, .tga, ...), so that
//     loading it names it rather than the listing passing over it.
//   - Symbolic links are followed, as ls, a shell's glob and Python's
//     os.listdir do (folders of links are how DVC and git-annex check data
//     out): a link is what it points to, a file named by the link's name.
//     A link that cannot be followed (dangling, or a cycle of links) is an
//     error naming it when its name is an image's, so that no image is
//     dropped without a word; another is skipped, as any other name.
//   - A folder, or a link to one, is a folder: the walk descends into it
//     (each folder once, however linked, so a link back up the tree makes
//     no loop); the flat listing and globs do not.
//   - Pipes, FIFOs, sockets and devices, directly or through a link, are
//     skipped: they are read only when named themselves (a FIFO found in a
//     folder would wait for a writer).
func entryKind(p string, typ fs.FileMode) (kind, error) {
	name := filepath.Base(p)
	if typ&fs.ModeSymlink != 0 {
		st, err := os.Stat(p)
		if err != nil {
			if !imageName(name) {
				return skipped, nil
			}
			target, _ := os.Readlink(p)
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return skipped, fmt.Errorf("%s: symbolic link to %s that cannot be followed: %w", p, target, err)
		}
		typ = st.Mode().Type()
	}
	switch {
	case typ.IsDir():
		return folder, nil
	case typ.IsRegular() && imageName(name):
		return imageFile, nil
	case typ.IsRegular():
		return otherFile, nil
	}
	return skipped, nil
}

// imageName reports whether a file's name is an image's, read or not.
func imageName(name string) bool {
	return imageformat.HasExtension(name) || imageformat.Unread(name) != ""
}

// NaturalCompare orders strings so that runs of digits compare by value:
// "usps_2" < "usps_10". It returns -1, 0 or +1.
func NaturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := isDigit(a[0]), isDigit(b[0])
		switch {
		case da && db:
			na, ra := digitRun(a)
			nb, rb := digitRun(b)
			// Compare by value: strip leading zeros, then length, then digits.
			ta, tb := strings.TrimLeft(na, "0"), strings.TrimLeft(nb, "0")
			if c := compareInt(len(ta), len(tb)); c != 0 {
				return c
			}
			if c := strings.Compare(ta, tb); c != 0 {
				return c
			}
			// Equal values: fewer leading zeros first, for a total order.
			if c := compareInt(len(na), len(nb)); c != 0 {
				return c
			}
			a, b = ra, rb
		case a[0] != b[0]:
			return compareInt(int(a[0]), int(b[0]))
		default:
			a, b = a[1:], b[1:]
		}
	}
	return compareInt(len(a), len(b))
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func digitRun(s string) (run, rest string) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

func compareInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// hidden reports whether a path's last element starts with a dot: such
// files (a run's lock and staging files among them) are left out of folder
// listings and of glob matches whose pattern does not itself start the
// name with a dot, as shells do.
func hidden(p string) bool { return strings.HasPrefix(filepath.Base(p), ".") }
