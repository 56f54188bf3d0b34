package sheetpaths_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/outfiles"
	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/sheetpaths"
)

func TestNaturalCompare(t *testing.T) {
	sorted := []string{"a", "a1", "a01", "a2", "a10", "b", "usps_2.jpg", "usps_10.jpg", "usps_10a.jpg"}
	for i := range sorted {
		for j := range sorted {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := sheetpaths.NaturalCompare(sorted[i], sorted[j]); got != want {
				t.Errorf("NaturalCompare(%q, %q) = %d, want %d", sorted[i], sorted[j], got, want)
			}
		}
	}
}

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"usps_10.jpg", "usps_2.jpg", "usps_1.PNG", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	empty := t.TempDir()
	base := func(ps []string) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = filepath.Base(p)
		}
		return out
	}
	got, err := sheetpaths.Expand([]string{dir})
	if want := []string{"usps_1.PNG", "usps_2.jpg", "usps_10.jpg"}; err != nil || !slices.Equal(base(got), want) {
		t.Errorf("dir: %v %v, want %v", base(got), err, want)
	}
	got, err = sheetpaths.Expand([]string{filepath.Join(dir, "usps_*.jpg"), filepath.Join(dir, "usps_2.jpg")})
	if want := []string{"usps_2.jpg", "usps_10.jpg"}; err != nil || !slices.Equal(base(got), want) {
		t.Errorf("glob + duplicate: %v %v, want %v", base(got), err, want)
	}
	got, err = sheetpaths.Expand([]string{filepath.Join(dir, "notes.txt")})
	if err != nil || len(got) != 1 {
		t.Errorf("named non-image file is kept for a decode error later: %v %v", got, err)
	}
	for _, bad := range []struct{ arg, msg string }{
		{filepath.Join(dir, "missing.jpg"), "no such file or directory"},
		{filepath.Join(dir, "*.gif"), "no image matched"},
		{empty, "no image matched"},
		{filepath.Join(dir, "[.jpg"), "bad pattern"},
	} {
		_, err := sheetpaths.Expand([]string{bad.arg})
		if err == nil || !strings.Contains(err.Error(), bad.msg) || !strings.HasPrefix(err.Error(), bad.arg) {
			t.Errorf("Expand(%q) = %v, want an error starting with the path and containing %q", bad.arg, err, bad.msg)
		}
	}
}

func TestExpandExclusions(t *testing.T) {
	root := t.TempDir()
	mk := func(rel ...string) {
		for _, r := range rel {
			p := filepath.Join(root, r)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	mk("sheets/a.png", "sheets/b.png",
		"sheets/out/"+string(outfiles.Marker), "sheets/out/elbow.png", "sheets/out/3/montage.png", "sheets/out/3/centroid1.png",
		"legacy/summary.json", "legacy/labels.csv", "legacy/elbow.png", "legacy/5/centroid1.png",
		"proj/summary.json", "proj/data/sheets/c.png")
	base := func(ps []string) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i], _ = filepath.Rel(root, p)
		}
		return out
	}
	if !outfiles.IsOutputDir(filepath.Join(root, "sheets/out")) || !outfiles.IsOutputDir(filepath.Join(root, "legacy")) ||
		outfiles.IsOutputDir(filepath.Join(root, "proj")) || outfiles.IsOutputDir(filepath.Join(root, "sheets")) {
		t.Error("IsOutputDir")
	}
	glob := filepath.Join(root, "sheets", "*", "*.png")
	all := []string{filepath.Join(root, "sheets"), filepath.Join(root, "sheets", "out"), filepath.Join(root, "legacy", "*.png"), glob}
	got, err := sheetpaths.Expand(all)
	if err != nil || len(got) != 4 {
		t.Fatalf("no options: %v %v", base(got), err)
	}
	var ee *sheetpaths.ExcludedError
	_, err = sheetpaths.Expand([]string{filepath.Join(root, "sheets"), glob}, sheetpaths.SkipOutputDirs())
	if !errors.As(err, &ee) || ee.Arg != glob || ee.Dir != filepath.Join(root, "sheets", "out") || !errors.Is(err, sheetpaths.ErrNoImages) {
		t.Errorf("glob of output files only: %v", err)
	}
	got, err = sheetpaths.Expand([]string{filepath.Join(root, "sheets"), filepath.Join(root, "proj/data/sheets"), glob}[:2], sheetpaths.SkipOutputDirs())
	if want := []string{"sheets/a.png", "sheets/b.png", "proj/data/sheets/c.png"}; err != nil || !slices.Equal(base(got), want) {
		t.Errorf("skip output dirs: %v %v, want %v", base(got), err, want)
	}
	// ExcludeTree: the -out being written, whether or not it is marked yet.
	mk("sheets/new/x.png", "sheets/more/d.png")
	got, err = sheetpaths.Expand([]string{filepath.Join(root, "sheets"), filepath.Join(root, "sheets", "*", "*.png")},
		sheetpaths.ExcludeTree(filepath.Join(root, "sheets", "new")), sheetpaths.SkipOutputDirs())
	if want := []string{"sheets/a.png", "sheets/b.png", "sheets/more/d.png"}; err != nil || !slices.Equal(base(got), want) {
		t.Errorf("exclude tree: %v %v, want %v", base(got), err, want)
	}
	// Through a symbolic link to the excluded tree.
	link := filepath.Join(root, "link")
	if err := os.Symlink(filepath.Join(root, "sheets", "more"), link); err != nil {
		t.Fatal(err)
	}
	if _, err := sheetpaths.Expand([]string{link}, sheetpaths.ExcludeTree(filepath.Join(root, "sheets", "more"))); !errors.As(err, &ee) {
		t.Errorf("symlinked tree: %v", err)
	}
	// Everything excluded: -images d -out d.
	d := filepath.Join(root, "sheets", "out")
	_, err = sheetpaths.Expand([]string{d}, sheetpaths.ExcludeTree(d))
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "never read as sheets") {
		t.Errorf("all excluded: %v", err)
	}
	// A file named outright inside an output folder is read (a run's
	// tiles.npy read back), unless it is in the tree being written.
	got, err = sheetpaths.Expand([]string{filepath.Join(d, "elbow.png")}, sheetpaths.SkipOutputDirs())
	if want := []string{"sheets/out/elbow.png"}; err != nil || !slices.Equal(base(got), want) {
		t.Errorf("named output file: %v %v, want %v", base(got), err, want)
	}
	_, err = sheetpaths.Expand([]string{filepath.Join(d, "elbow.png")}, sheetpaths.SkipOutputDirs(), sheetpaths.ExcludeTree(d))
	if !errors.As(err, &ee) || !ee.Tree || !strings.Contains(err.Error(), "the output folder this run writes") {
		t.Errorf("named file in the tree being written: %v", err)
	}
}

// TestExpandLeavesHiddenFilesOut: a folder listing and a glob skip files
// whose names start with a dot (a run's lock and staging files beside its
// -out among them), as a shell does; a hidden file named outright, or a
// pattern that starts with a dot, still finds it.
func TestExpandLeavesHiddenFilesOut(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.png", ".out.tilekmeans-lock", ".hidden.png"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		arg  string
		want []string
	}{
		{dir, []string{"a.png"}},
		{filepath.Join(dir, "*"), []string{"a.png"}},
		{filepath.Join(dir, ".*.png"), []string{".hidden.png"}},
		{filepath.Join(dir, ".hidden.png"), []string{".hidden.png"}},
	} {
		got, err := sheetpaths.Expand([]string{tt.arg})
		var names []string
		for _, g := range got {
			names = append(names, filepath.Base(g))
		}
		if err != nil || !slices.Equal(names, tt.want) {
			t.Errorf("Expand(%s) = %v, %v; want %v", tt.arg, names, err, tt.want)
		}
	}
}

// TestCase_dir_symlinks_skipped: ../shared/cases/dir_symlinks_skipped has
// sheets/a.png and sheets/b.png, a symbolic link to ../real_b.png (the
// layout is built here; the command's test runs the case). A folder
// lists links to files as files (as ls, a glob and Python's os.listdir do),
// so the three spellings of the same input agree; a folder of links only is
// not empty; links to folders (a parent folder among them) are not
// followed, so they make no loop; a link that cannot be followed is an
// error naming it.
func TestCase_dir_symlinks_skipped(t *testing.T) {
	root := t.TempDir()
	mk := func(rel string) string {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	link := func(target, rel string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	mk("sheets/a.png")
	mk("real_b.png")
	link("../real_b.png", "sheets/b.png")
	mk("sheets/nested/deeper/c.png")
	link("nested/deeper/c.png", "sheets/d.png") // a link into a nested folder
	link("..", "sheets/up")                     // a link to the parent folder
	link(".", "sheets/self.png")                // a link to the folder itself, named like an image
	mk("data/x/e.png")
	link("../../data/x/e.png", "links/only/e.png") // a folder of links only, nested
	link("../../data/x/missing.png", "links/broken/f.png")
	link("g.png", "links/cycle/h.png")
	link("h.png", "links/cycle/g.png")

	base := func(ps []string) []string {
		var out []string
		for _, p := range ps {
			r, _ := filepath.Rel(root, p)
			out = append(out, r)
		}
		return out
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"sheets"}, []string{"sheets/a.png", "sheets/b.png", "sheets/d.png"}},
		{[]string{"sheets/*.png"}, []string{"sheets/a.png", "sheets/b.png", "sheets/d.png"}},
		{[]string{"sheets/b.png"}, []string{"sheets/b.png"}},
		{[]string{"links/only"}, []string{"links/only/e.png"}},
	} {
		var args []string
		for _, a := range c.args {
			args = append(args, filepath.Join(root, a))
		}
		got, err := sheetpaths.Expand(args)
		if err != nil || !slices.Equal(base(got), c.want) {
			t.Errorf("%v: %v %v, want %v", c.args, base(got), err, c.want)
		}
	}
	for dir, msg := range map[string]string{
		"links/broken": "links/broken/f.png: symbolic link to ../../data/x/missing.png that cannot be followed: no such file or directory",
		"links/cycle":  "links/cycle/g.png: symbolic link to h.png that cannot be followed: too many levels of symbolic links",
	} {
		_, err := sheetpaths.Expand([]string{filepath.Join(root, dir)})
		if err == nil || !strings.HasSuffix(err.Error(), msg) {
			t.Errorf("%s: error %v, want one ending %q", dir, err, msg)
		}
	}

}
