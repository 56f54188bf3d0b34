package outdir

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/outfiles"
	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
)

// tree returns every file under root (relative path -> contents) and every
// folder (relative path -> nil).
func tree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			m[rel+"/"] = nil
			return nil
		}
		b, err := os.ReadFile(p)
		m[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameTree(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}

// entries lists a folder's names.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ownsAll says every file is the tool's: the tests of the folder rules
// that do not depend on names.
func ownsAll(string) bool { return true }

// build stages files into a new output folder at target and commits.
func build(t *testing.T, target string, files map[string]string) {
	t.Helper()
	d, err := Begin(target, ownsAll)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range files {
		write(t, filepath.Join(d.Path(), name), s)
	}
	if err := d.Commit(); err != nil {
		t.Fatal(err)
	}
}

func TestDirReplacesWholly(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	build(t, out, map[string]string{"3/a.png": "a3", "4/a.png": "a4", "labels_k4.npy": "x", "summary.json": "{}"})
	if !outfiles.IsOutputDir(out) {
		t.Fatal("a committed folder is not recognised as an output folder")
	}
	// A rerun with fewer files leaves nothing of the first.
	build(t, out, map[string]string{"3/a.png": "b3", "summary.json": "{2}"})
	got := tree(t, out)
	if len(got) != 5 || string(got["3/a.png"]) != "b3" || got["4/a.png"] != nil || got[string(outfiles.Marker)] == nil {
		t.Errorf("after the rerun: %v", keys(got))
	}
	if names := entries(t, parent); len(names) != 1 || names[0] != "out" {
		t.Errorf("beside the output: %v, want only out (no staging, no lock)", names)
	}
}

func keys(m map[string][]byte) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}

func TestAbortLeavesTargetAsItWas(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	build(t, out, map[string]string{"summary.json": "old"})
	before := tree(t, out)
	d, err := Begin(out, ownsAll)
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(d.Path(), "summary.json"), "new")
	d.Abort()
	d.Abort() // twice is fine
	if !sameTree(before, tree(t, out)) {
		t.Error("Abort changed the target")
	}
	if names := entries(t, parent); len(names) != 1 {
		t.Errorf("beside the output: %v", names)
	}
	if err := d.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
}

func TestForeignFolderRefused(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sheets")
	write(t, filepath.Join(out, "usps_1.jpg"), "a sheet")
	write(t, filepath.Join(out, "sub", "notes.txt"), "notes")
	before := tree(t, out)
	_, err := Begin(out, ownsAll)
	if !errors.Is(err, ErrForeign) || !strings.Contains(err.Error(), "it holds ") {
		t.Errorf("Begin on a folder of sheets: %v, want ErrForeign naming a file", err)
	}
	if !sameTree(before, tree(t, out)) {
		t.Error("the refused folder changed")
	}
	// A file where the folder should be.
	f := filepath.Join(t.TempDir(), "file")
	write(t, f, "x")
	if _, err := Begin(f, ownsAll); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("Begin on a file: %v", err)
	}
}

func TestEmptyTreeReplaced(t *testing.T) {
	out := filepath.Join(t.TempDir(), "centroids")
	for k := 3; k <= 7; k++ {
		if err := os.MkdirAll(filepath.Join(out, fmt.Sprint(k)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	build(t, out, map[string]string{"5/centroid1.png": "c"})
	if got := tree(t, out); len(got) != 4 || string(got["5/centroid1.png"]) != "c" {
		t.Errorf("after replacing an empty tree: %v", keys(got))
	}
}

func TestLegacyOutputRecognised(t *testing.T) {
	out := filepath.Join(t.TempDir(), "old")
	write(t, filepath.Join(out, "summary.json"), "{}")
	write(t, filepath.Join(out, "labels.csv"), "tile")
	if !outfiles.IsOutputDir(out) {
		t.Fatal("a pre-marker output folder is not recognised")
	}
	build(t, out, map[string]string{"summary.json": "new"})
	if got := tree(t, out); got["labels.csv"] != nil {
		t.Errorf("the old labels.csv survived: %v", keys(got))
	}
}

func TestLockedTargetFails(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	d, err := Begin(out, ownsAll)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Begin(out, ownsAll)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Errorf("second Begin: %v, want ErrLocked naming pid %d", err, os.Getpid())
	}
	if _, err := Create(out); !errors.Is(err, ErrLocked) {
		t.Errorf("Create while the folder is being written: %v", err)
	}
	d.Abort()
	d2, err := Begin(out, ownsAll)
	if err != nil {
		t.Fatalf("Begin after the first released: %v", err)
	}
	d2.Abort()
}

// A lock file left by a killed process (no flock held) does not block,
// and staging left by it is removed.
func TestStaleLockAndStagingCleaned(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	build(t, out, map[string]string{"summary.json": "old"})
	lock, prefix := names(out)
	write(t, lock, "99999\n")
	write(t, filepath.Join(parent, prefix+"123", "3", "centroid1.png"), "half")
	write(t, filepath.Join(parent, prefix+"456"), "a staged file")
	other := filepath.Join(parent, ".out.tmp-keep")
	write(t, other, "not ours")
	build(t, out, map[string]string{"summary.json": "new"})
	if names := entries(t, parent); strings.Join(names, " ") != ".out.tmp-keep out" {
		t.Errorf("beside the output: %v, want only what the tool did not write and out", names)
	}
}

func TestFileAllOrNothing(t *testing.T) {
	parent := t.TempDir()
	p := filepath.Join(parent, "labels.csv")
	if err := WriteFile(p, func(w io.Writer) error { _, err := io.WriteString(w, "one"); return err }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := WriteFile(p, func(w io.Writer) error { io.WriteString(w, "two, half"); return boom }); !errors.Is(err, boom) {
		t.Errorf("failed write: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "one" {
		t.Errorf("after a failed write: %q", b)
	}
	if names := entries(t, parent); len(names) != 1 {
		t.Errorf("beside the file: %v", names)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", st.Mode())
	}
	if _, err := Create(parent); err == nil {
		t.Error("Create on a folder succeeded")
	}
}

func TestSymlinkedTargetWritesThrough(t *testing.T) {
	parent := t.TempDir()
	real := filepath.Join(parent, "real")
	build(t, real, map[string]string{"summary.json": "old"})
	link := filepath.Join(parent, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	build(t, link, map[string]string{"summary.json": "new"})
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced: %v %v", st.Mode(), err)
	}
	if b, _ := os.ReadFile(filepath.Join(real, "summary.json")); string(b) != "new" {
		t.Errorf("through the link: %q", b)
	}
}

// TestFullDisk: on a small tmpfs, a run that does not fit fails with ENOSPC
// and leaves the earlier output whole and nothing else.
func TestFullDisk(t *testing.T) {
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt).CombinedOutput(); err != nil {
		sharedtest.Missing(t, fmt.Sprintf("cannot mount a small tmpfs (needs root): %v %s", err, out))
	}
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })
	out := filepath.Join(mnt, "out")
	build(t, out, map[string]string{"summary.json": strings.Repeat("x", 64<<10)})
	before := tree(t, out)
	d, err := Begin(out, ownsAll)
	if err != nil {
		t.Fatal(err)
	}
	err = os.WriteFile(filepath.Join(d.Path(), "tiles.npy"), make([]byte, 512<<10), 0o644)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("writing past the tmpfs: %v, want ENOSPC", err)
	}
	d.Abort()
	if !sameTree(before, tree(t, out)) {
		t.Error("the earlier output changed")
	}
	if names := entries(t, mnt); len(names) != 1 {
		t.Errorf("on the tmpfs: %v", names)
	}
	// The same for one file.
	p := filepath.Join(mnt, "labels.csv")
	err = WriteFile(p, func(w io.Writer) error { _, err := w.Write(make([]byte, 512<<10)); return err })
	if !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("WriteFile past the tmpfs: %v", err)
	}
	if names := entries(t, mnt); len(names) != 1 {
		t.Errorf("on the tmpfs: %v", names)
	}
}

// TestOutputWithForeignFilesRefused: an output folder (marker, or the
// legacy summary.json and labels.csv) that also holds a file the tool does
// not write is refused, and nothing in it is touched.
func TestOutputWithForeignFilesRefused(t *testing.T) {
	owns := func(rel string) bool {
		return rel == "summary.json" || rel == "labels.csv" || rel == string(outfiles.Marker)
	}
	for _, marker := range []string{string(outfiles.Marker), "labels.csv"} {
		out := filepath.Join(t.TempDir(), "old")
		write(t, filepath.Join(out, "summary.json"), "{}")
		write(t, filepath.Join(out, marker), "x")
		write(t, filepath.Join(out, "photos", "p.jpg"), "mine")
		before := tree(t, out)
		_, err := Begin(out, owns)
		if !errors.Is(err, ErrForeign) || !strings.Contains(err.Error(), filepath.Join("photos", "p.jpg")+", which tilekmeans does not write") {
			t.Errorf("marker %s: %v, want ErrForeign naming photos/p.jpg", marker, err)
		}
		if !sameTree(before, tree(t, out)) {
			t.Errorf("marker %s: the refused folder changed", marker)
		}
		// Without the stranger it is replaced.
		os.RemoveAll(filepath.Join(out, "photos"))
		d, err := Begin(out, owns)
		if err != nil {
			t.Fatalf("marker %s: %v", marker, err)
		}
		d.Abort()
	}
	if _, err := Begin("/", ownsAll); err == nil || !strings.Contains(err.Error(), "root of the file system") {
		t.Errorf("Begin(/): %v", err)
	}
}

// TestWriteStaged: a file written in place inside the staging folder, an
// ordinary 0644 file; a failing writer's error names the file.
func TestWriteStaged(t *testing.T) {
	d, err := Begin(filepath.Join(t.TempDir(), "out"), func(string) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	defer d.Abort()
	p := filepath.Join(d.Path(), "summary.json")
	if err := WriteStaged(p, func(w io.Writer) error { _, err := io.WriteString(w, "{}\n"); return err }); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(p); err != nil || string(data) != "{}\n" {
		t.Errorf("read back %q, %v", data, err)
	}
	if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, %v; want 0644", st.Mode(), err)
	}
	boom := errors.New("boom")
	err = WriteStaged(p, func(io.Writer) error { return boom })
	if !errors.Is(err, boom) || err.Error() != "write "+p+": boom" {
		t.Errorf("failing writer: %v", err)
	}
	missing := filepath.Join(d.Path(), "3", "montage.png")
	if err := WriteStaged(missing, func(io.Writer) error { return nil }); err == nil || err.Error() != "write "+missing+": no such file or directory" {
		t.Errorf("missing folder: %v", err)
	}
}
