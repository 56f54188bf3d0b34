package tiles

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ErrNoImages reports a path, directory or glob that names no image.
var ErrNoImages = errors.New("no image matched")

// imageExts are the file name extensions a directory listing keeps.
var imageExts = []string{".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff"}

func isImageName(name string) bool {
	return slices.Contains(imageExts, strings.ToLower(filepath.Ext(name)))
}

// Expand turns files, directories and glob patterns into a list of image
// files in natural file-name order (usps_2 before usps_10), without
// duplicates. A directory contributes its image files (by extension, not
// recursively); a named file is kept whatever its extension, so a non-image
// file fails later with a clear decode error. Each argument must match
// something.
func Expand(args []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		p = filepath.Clean(p)
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, arg := range args {
		st, err := os.Stat(arg)
		switch {
		case err == nil && st.IsDir():
			files, err := listDir(arg)
			if err != nil {
				return nil, err
			}
			for _, f := range files {
				add(f)
			}
		case err == nil:
			add(arg)
		case errors.Is(err, fs.ErrNotExist) && strings.ContainsAny(arg, "*?["):
			matches, gerr := filepath.Glob(arg)
			if gerr != nil {
				return nil, fmt.Errorf("%s: bad pattern: %w", arg, gerr)
			}
			n := 0
			for _, m := range matches {
				if st, err := os.Stat(m); err == nil && !st.IsDir() {
					add(m)
					n++
				}
			}
			if n == 0 {
				return nil, fmt.Errorf("%s: %w", arg, ErrNoImages)
			}
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("%s: no such file or directory", arg)
		default:
			return nil, fmt.Errorf("%s: %w", arg, err)
		}
	}
	slices.SortStableFunc(out, func(a, b string) int {
		if c := NaturalCompare(filepath.Base(a), filepath.Base(b)); c != 0 {
			return c
		}
		return NaturalCompare(a, b)
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
		if e.Type().IsRegular() && isImageName(e.Name()) {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: %w (directory holds no %s file)", dir, ErrNoImages, strings.Join(imageExts, " "))
	}
	return files, nil
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
