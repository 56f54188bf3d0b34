package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/outfiles"
	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
)

// snapshot returns every file under root with its bytes.
func snapshot(t *testing.T, root string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		m[rel], err = os.ReadFile(p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sameFiles compares two snapshots, summary.json and report.html with
// their timings masked (they are the only bytes two runs may differ in).
func sameFiles(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for name, x := range a {
		y, ok := b[name]
		if !ok || !bytes.Equal(maskTimings(name, x), maskTimings(name, y)) {
			return false
		}
	}
	return true
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n []string
	for _, e := range es {
		n = append(n, e.Name())
	}
	sort.Strings(n)
	return n
}

// childCLI starts the command in a child process (TestMain's child mode,
// which runs it as main does, with signals), in the current directory.
func childCLI(args ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	return cmd, &stderr
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		if st, ok := ee.Sys().(syscall.WaitStatus); ok && st.Signaled() {
			return 128 + int(st.Signal())
		}
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// copyTree copies src to dst (which must not exist).
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
}

// TestInterruptLeavesAWholeRun kills a real run at random moments, while
// it loads, clusters and writes, with SIGTERM, SIGINT and SIGKILL, over an
// earlier run in -out. After each, -out must hold the earlier run byte for
// byte or a complete new run, and nothing else may lie beside it; what a
// SIGKILL leaves behind (a staging folder) the next run removes.
func TestInterruptLeavesAWholeRun(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	args := func(seed string) []string {
		return []string{"run", "-q", "-backend", "cpu", "-k", "3-7", "-export", "npy", "-seed", seed, "-out", out}
	}
	// The earlier run (seed 1) and, elsewhere, what a complete new run
	// (seed 2) writes.
	for _, seed := range []string{"2", "1"} {
		cmd, stderr := childCLI(args(seed)...)
		start := time.Now()
		if err := cmd.Run(); err != nil {
			t.Fatalf("seed %s: %v: %s", seed, err, stderr)
		}
		t.Logf("a whole run takes %v", time.Since(start))
		if seed == "2" {
			copyTree(t, out, filepath.Join(t.TempDir(), "new"))
			if err := os.RemoveAll(out); err != nil {
				t.Fatal(err)
			}
		}
	}
	earlier := filepath.Join(t.TempDir(), "earlier")
	copyTree(t, out, earlier)
	oldFiles := snapshot(t, earlier)
	cmd, _ := childCLI(args("2")...)
	full := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	whole := time.Since(full)
	newFiles := snapshot(t, out)
	if sameFiles(oldFiles, newFiles) {
		t.Fatal("seeds 1 and 2 give the same files: the test could not tell them apart")
	}

	rng := rand.New(rand.NewPCG(9, 9))
	sigs := []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGKILL}
	counts := map[string]int{}
	for i := range 36 {
		if err := os.RemoveAll(out); err != nil {
			t.Fatal(err)
		}
		copyTree(t, earlier, out)
		sig := sigs[i%len(sigs)]
		delay := time.Duration(rng.Float64() * 1.4 * float64(whole))
		cmd, stderr := childCLI(args("2")...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Signal(sig)
		code := exitCode(cmd.Wait())
		got := snapshot(t, out)
		switch {
		case sameFiles(got, oldFiles):
			counts["earlier run"]++
		case sameFiles(got, newFiles):
			counts["new run"]++
		default:
			t.Fatalf("%v after %v (exit %d, %s): -out holds neither run whole: %d files", sig, delay, code, stderr, len(got))
		}
		switch {
		case sig == syscall.SIGKILL:
			// Leftovers are allowed (the last kill shows the next run
			// removes them); clear them so they do not count against the
			// next iteration, which may be signalled before it gets there.
			for _, n := range dirNames(t, parent) {
				if n != "out" {
					os.RemoveAll(filepath.Join(parent, n))
				}
			}
		case code == 128+int(sig):
			// Signalled before main installed its handler (process
			// start-up): nothing was written.
		case code != exitOK && code != exitSignal:
			t.Errorf("%v after %v: exit %d, want 0 or 130: %s", sig, delay, code, stderr)
		}
		if names := dirNames(t, parent); len(names) != 1 {
			t.Errorf("%v after %v: beside -out: %v", sig, delay, names)
		}
		counts[fmt.Sprintf("exit %d", code)]++
	}
	t.Logf("outcomes: %v", counts)
	if counts["earlier run"] == 0 || counts["new run"] == 0 || counts["exit 130"] == 0 {
		t.Errorf("the kills did not cover both outcomes and a clean interrupt: %v", counts)
	}
	// The next run clears whatever a SIGKILL left beside -out: kill one
	// while it writes (after the lock file appears), then run again.
	kill, _ := childCLI(args("2")...)
	if err := kill.Start(); err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(parent, ".out.tilekmeans-lock")
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(lock); err == nil {
			break
		}
	}
	time.Sleep(whole / 2)
	kill.Process.Kill()
	kill.Wait()
	if names := dirNames(t, parent); len(names) < 2 {
		t.Logf("the SIGKILL left nothing beside -out: %v", names)
	}
	cmd, stderr := childCLI(args("2")...)
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	if names := dirNames(t, parent); len(names) != 1 {
		t.Errorf("after a clean run: beside -out: %v", names)
	}
}

// TestConcurrentRunsOnOneOut: while one run holds -out, a second fails at
// once with one clear line, and the first completes.
func TestConcurrentRunsOnOneOut(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	first, stderr1 := childCLI("run", "-q", "-backend", "cpu", "-k", "3-7", "-fixed-iters", "-iters", "400", "-out", out)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	// The lock is held once its file names the holder's pid (written
	// after flock succeeds; the file itself exists a moment before).
	lock := filepath.Join(parent, ".out.tilekmeans-lock")
	for start := time.Now(); ; time.Sleep(2 * time.Millisecond) {
		if b, err := os.ReadFile(lock); err == nil && len(b) > 0 {
			break
		}
		if time.Since(start) > 20*time.Second {
			first.Process.Kill()
			t.Fatal("the first run never took the lock")
		}
	}
	code, _, stderr := runCLI(t, "run", "-q", "-backend", "cpu", "-k", "3", "-out", out)
	want := fmt.Sprintf("-out %s: another tilekmeans run is writing it (pid %d", out, first.Process.Pid)
	if code != exitFailure || !strings.Contains(stderr, want) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("second run: exit %d, stderr %q, want one line with %q", code, stderr, want)
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("first run: %v: %s", err, stderr1)
	}
	if _, err := os.Stat(filepath.Join(out, "7", "centroid7.png")); err != nil {
		t.Errorf("the first run's output is not whole: %v", err)
	}
	if names := dirNames(t, parent); len(names) != 1 {
		t.Errorf("beside -out: %v", names)
	}
}

// TestOutFolderRules: -out is replaced whole (a rerun with fewer k leaves
// none of the earlier ks), an empty folder tree is fine, and a folder of
// other files is refused without touching it.
func TestOutFolderRules(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	if code, _, stderr := runCLI(t, "run", "-q", "-backend", "cpu", "-k", "3-5", "-export", "npy", "-out", out); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "run", "-q", "-backend", "cpu", "-k", "3", "-out", out); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	files := snapshot(t, out)
	for name := range files {
		if strings.HasPrefix(name, "4/") || strings.HasPrefix(name, "5/") || strings.HasSuffix(name, ".npy") {
			t.Errorf("the earlier run's %s is still in -out", name)
		}
	}
	if files["3/centroid3.png"] == nil || files["summary.json"] == nil {
		t.Errorf("the new run is not whole: %d files", len(files))
	}

	tree := filepath.Join(parent, "centroids")
	for k := 3; k <= 7; k++ {
		os.MkdirAll(filepath.Join(tree, fmt.Sprint(k)), 0o755)
	}
	if code, _, stderr := runCLI(t, "run", "-q", "-backend", "cpu", "-k", "3", "-out", tree); code != exitOK {
		t.Errorf("over an empty folder tree: exit %d: %s", code, stderr)
	}

	sheets := filepath.Join(parent, "sheets")
	os.MkdirAll(sheets, 0o755)
	os.WriteFile(filepath.Join(sheets, "notes.txt"), []byte("mine"), 0o644)
	code, _, stderr := runCLI(t, "run", "-q", "-backend", "cpu", "-k", "3", "-out", sheets)
	want := fmt.Sprintf("-out %s: not empty and not a tilekmeans output folder (it holds notes.txt); choose another folder", sheets)
	if code != exitFailure || !strings.Contains(stderr, want) {
		t.Errorf("foreign -out: exit %d, %q, want %q", code, stderr, want)
	}
	if names := dirNames(t, sheets); strings.Join(names, " ") != "notes.txt" {
		t.Errorf("the refused folder now holds %v", names)
	}
}

// TestRunFullDisk: on a small tmpfs, a run whose output does not fit fails
// with one line and leaves the earlier run whole and nothing beside it.
func TestRunFullDisk(t *testing.T) {
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt).CombinedOutput(); err != nil {
		sharedtest.Missing(t, fmt.Sprintf("cannot mount a small tmpfs (needs root): %v %s", err, out))
	}
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })
	out := filepath.Join(mnt, "out")
	if code, _, stderr := runCLI(t, "run", "-q", "-backend", "cpu", "-k", "2", "-out", out); code != exitOK {
		t.Fatalf("the earlier run does not fit 1 MiB: exit %d: %s", code, stderr)
	}
	before := snapshot(t, out)
	code, _, stderr := runCLI(t, "run", "-q", "-backend", "cpu", "-k", "3-7", "-export", "npy", "-out", out)
	if code != exitFailure || !strings.Contains(stderr, "no space left on device") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q, want one line saying no space", code, stderr)
	}
	if !sameFiles(before, snapshot(t, out)) {
		t.Error("the earlier run changed")
	}
	if names := dirNames(t, mnt); len(names) != 1 {
		t.Errorf("on the tmpfs: %v", names)
	}
}

// TestOwnsEveryOutputFile: every file a run writes (with every option that
// adds files) is one outfiles.Owns recognises, so the next run may replace
// the folder; and a file it does not write is not.
func TestOwnsEveryOutputFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := runCLI(t, "run", "-q", "-backend", "cpu", "-k", "2,3,12", "-export", "npy", "-out", out); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for name := range snapshot(t, out) {
		if !outfiles.Owns(filepath.ToSlash(name)) {
			t.Errorf("the run wrote %s, which outfiles.Owns does not recognise", name)
		}
	}
	for _, foreign := range []string{"notes.txt", "3/notes.txt", "photos/p.jpg", "centroid1.png", "3/centroid1.jpg", "labels_k3.npy.bak"} {
		if outfiles.Owns(foreign) {
			t.Errorf("outfiles.Owns(%q) = true", foreign)
		}
	}
	// The reviewer's case: an old folder with summary.json and labels.csv
	// beside a user's notes is refused and left as it was.
	old := filepath.Join(t.TempDir(), "old")
	os.MkdirAll(filepath.Join(old, "photos"), 0o755)
	for name, data := range map[string]string{"summary.json": "{}", "labels.csv": "a,b\n", "notes.txt": "notes", "photos/p.jpg": "x"} {
		os.WriteFile(filepath.Join(old, name), []byte(data), 0o644)
	}
	code, _, stderr := runCLI(t, "run", "-q", "-backend", "cpu", "-k", "3", "-out", old)
	if code != exitFailure || !strings.Contains(stderr, "which tilekmeans does not write") {
		t.Errorf("exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(old, "notes.txt")); err != nil {
		t.Errorf("notes.txt: %v", err)
	}
}
