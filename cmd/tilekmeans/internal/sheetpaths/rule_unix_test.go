//go:build unix

package sheetpaths_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/sheetpaths"
)

// TestOneListingRule: a folder's flat listing, the recursive walk and a
// glob take a folder's entries by one rule: links to files followed
// (nested or elsewhere), a link that cannot be followed named like an
// image an error naming it in all three (one not named like an image
// skipped), FIFOs and links to them skipped (they come only by name);
// links to folders entered by the walk alone, each folder once (a link
// back up the tree, a link to a folder already read).
func TestOneListingRule(t *testing.T) {
	root := makeFiles(t, "a.png", "sub/b.png", "elsewhere/c.png")
	link := func(target, rel string) {
		if err := os.Symlink(target, filepath.Join(root, filepath.FromSlash(rel))); err != nil {
			t.Fatal(err)
		}
	}
	link("sub/b.png", "nested.png")   // a link into a nested folder
	link("elsewhere", "sub/linked")   // a link to a folder: entered by the walk alone
	link("..", "sub/up")              // a loop
	link("../sub", "elsewhere/again") // a folder read already
	link("nowhere", "notes")          // dangling, not named like an image: skipped
	if err := syscall.Mkfifo(filepath.Join(root, "f.png"), 0o600); err != nil {
		t.Fatal(err)
	}
	link("f.png", "g.png") // a link to a FIFO
	rels := func(files []sheetpaths.File) []string {
		var out []string
		for _, f := range files {
			r, _ := filepath.Rel(root, f.Path)
			out = append(out, filepath.ToSlash(r))
		}
		return out
	}
	for _, c := range []struct {
		name string
		args []string
		opts []sheetpaths.ExpandOption
		want []string
	}{
		{"flat", []string{root}, nil, []string{"a.png", "nested.png"}},
		{"glob", []string{filepath.Join(root, "*.png")}, nil, []string{"a.png", "nested.png"}},
		{"recursive", []string{root}, []sheetpaths.ExpandOption{sheetpaths.Recursive()}, []string{"a.png", "elsewhere/c.png", "nested.png", "sub/b.png"}},
	} {
		files, err := sheetpaths.ExpandFiles(c.args, c.opts...)
		if got := rels(files); err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: %v %v, want %v", c.name, got, err, c.want)
		}
	}
	link("gone.png", "sub/dangling.png")
	link("../elsewhere/gone.png", "broken.png")
	for _, c := range []struct {
		name string
		args []string
		opts []sheetpaths.ExpandOption
		msg  string
	}{
		{"flat", []string{root}, nil, "broken.png: symbolic link to ../elsewhere/gone.png that cannot be followed: no such file or directory"},
		{"glob", []string{filepath.Join(root, "*.png")}, nil, "broken.png: symbolic link to ../elsewhere/gone.png that cannot be followed: no such file or directory"},
		{"recursive", []string{root}, []sheetpaths.ExpandOption{sheetpaths.Recursive()}, "broken.png: symbolic link to ../elsewhere/gone.png that cannot be followed: no such file or directory"},
		{"recursive, nested", []string{filepath.Join(root, "sub")}, []sheetpaths.ExpandOption{sheetpaths.Recursive()}, "dangling.png: symbolic link to gone.png that cannot be followed: no such file or directory"},
	} {
		_, err := sheetpaths.ExpandFiles(c.args, c.opts...)
		if err == nil || !strings.HasSuffix(err.Error(), c.msg) {
			t.Errorf("%s: %v, want an error ending %q", c.name, err, c.msg)
		}
	}
}
