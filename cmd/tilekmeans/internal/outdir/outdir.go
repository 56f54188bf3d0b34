// Package outdir writes a command's outputs all or nothing.
//
// A run's output folder is built in a fresh staging folder beside it and
// switched into place in one step (Linux renameat2 with RENAME_EXCHANGE), so
// that after any failure or interruption — an error, a signal, a full disk,
// a crash at any moment — the folder holds either the previous run whole or
// the new run whole, never a mix. A single output file is written the same
// way: into a staging file beside it, renamed into place.
//
// Every target has a lock file beside it (".NAME.tilekmeans-lock", taken
// with flock and removed when released), so two runs never write one target
// at once: the second fails at once with ErrLocked, naming the first's pid.
// Staging files and folders beside a target (".NAME.tilekmeans-stage-*")
// that a killed run left behind are removed, under the lock, the next time
// that target is written.
//
// An existing output folder is replaced only when this tool wrote it
// (outfiles.IsOutputDir: it holds the marker file outfiles.Marker, or, from
// older versions, both summary.json and labels.csv) or when it holds no file
// at all (an empty folder tree, as
// the notebook pre-built centroids/3..7); anything else is refused with
// ErrForeign, and nothing is deleted.
package outdir

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/outfiles"
)

// ErrLocked: another process holds the target's lock. ErrForeign: the
// target folder holds files this tool did not write.
var (
	ErrLocked  = errors.New("another tilekmeans run is writing it")
	ErrForeign = errors.New("not empty and not a tilekmeans output folder")
)

// names returns the lock file and the staging pattern for target.
func names(target string) (lock, stagePrefix string) {
	dir, base := filepath.Split(target)
	return filepath.Join(dir, "."+base+".tilekmeans-lock"), "." + base + ".tilekmeans-stage-"
}

// begin resolves target, makes its parent (when mkParent), takes its lock
// and removes stale staging entries. On success the caller owns the lock.
func begin(target string, mkParent bool) (abs string, l *lock, err error) {
	abs, err = filepath.Abs(target)
	if err != nil {
		return "", nil, err
	}
	// Write where a symlink points, not over the symlink.
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	if filepath.Dir(abs) == abs {
		return "", nil, errors.New("is the root of the file system, which cannot be replaced")
	}
	if mkParent {
		if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
			return "", nil, unwrap(err)
		}
	}
	lockPath, prefix := names(abs)
	if l, err = acquire(lockPath); err != nil {
		return "", nil, err
	}
	entries, err := os.ReadDir(filepath.Dir(abs))
	if err != nil {
		l.release()
		return "", nil, unwrap(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			if err := os.RemoveAll(filepath.Join(filepath.Dir(abs), e.Name())); err != nil {
				l.release()
				return "", nil, fmt.Errorf("remove a stale staging entry: %w", unwrap(err))
			}
		}
	}
	return abs, l, nil
}

// Dir is an output folder being built. Write files under Path, then Commit;
// Abort (or a failed Commit) leaves the target as it was.
type Dir struct {
	target, staging string
	lock            *lock
	done            bool
}

// Begin checks that target may be replaced (owns tells the files the tool
// writes, by slash-separated path relative to the folder; see
// checkReplaceable), takes its lock, removes stale staging folders, and
// makes an empty staging folder beside it holding outfiles.Marker.
// Errors name no path: the caller adds the target's.
func Begin(target string, owns func(rel string) bool) (*Dir, error) {
	abs, l, err := begin(target, true)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Dir, error) {
		l.release()
		return nil, err
	}
	if err := checkReplaceable(abs, owns); err != nil {
		return fail(err)
	}
	_, prefix := names(abs)
	staging, err := os.MkdirTemp(filepath.Dir(abs), prefix)
	if err != nil {
		return fail(unwrap(err))
	}
	if err := os.Chmod(staging, 0o755); err != nil {
		os.RemoveAll(staging)
		return fail(unwrap(err))
	}
	if err := os.WriteFile(outfiles.Path(staging, outfiles.Marker), []byte("tilekmeans output folder\n"), 0o644); err != nil {
		os.RemoveAll(staging)
		return fail(unwrap(err))
	}
	return &Dir{target: abs, staging: staging, lock: l}, nil
}

// checkReplaceable reports whether the folder at abs (if any) may be
// replaced: absent, a tree of empty folders, or an output folder
// (outfiles.IsOutputDir) every file of which is one this tool writes (owns
// says which, by path relative to the folder). Anything else is refused
// with ErrForeign naming the first file that is not the tool's, so that
// nothing the tool did not write is ever deleted.
func checkReplaceable(abs string, owns func(rel string) bool) error {
	st, err := os.Lstat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return unwrap(err)
	case !st.IsDir():
		return errors.New("exists and is not a directory")
	}
	output := outfiles.IsOutputDir(abs)
	var found string
	err = filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(abs, p)
		if !output || !owns(filepath.ToSlash(rel)) {
			found = rel
			return fs.SkipAll
		}
		return nil
	})
	if err != nil {
		return unwrap(err)
	}
	switch {
	case found != "" && output:
		return fmt.Errorf("%w: it holds %s, which tilekmeans does not write; move it away or choose another folder", ErrForeign, found)
	case found != "":
		return fmt.Errorf("%w (it holds %s); choose another folder", ErrForeign, found)
	}
	return nil
}

// Path is the staging folder to write into (with WriteStaged, or any way:
// the folder is switched into place as a whole).
func (d *Dir) Path() string { return d.staging }

// WriteStaged writes the file at path, inside a staging folder (Dir.Path),
// through write. It writes in place: the folder is switched into place as
// a whole, so its files need no staging of their own. Errors name the path.
func WriteStaged(path string, write func(io.Writer) error) (err error) {
	fail := func(err error) error { return fmt.Errorf("write %s: %w", path, unwrap(err)) }
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fail(err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fail(cerr)
		}
	}()
	bw := bufio.NewWriter(f)
	if err := write(bw); err != nil {
		return fail(err)
	}
	if err := bw.Flush(); err != nil {
		return fail(err)
	}
	// Outputs are ordinary files whatever the umask, as the staging folder
	// is 0755.
	if err := f.Chmod(0o644); err != nil {
		return fail(err)
	}
	return nil
}

// Commit makes the staged files durable and switches the staging folder
// into place in one step, then removes the previous folder and releases
// the lock. After a failed Commit the target is as it was.
func (d *Dir) Commit() error {
	if d.done {
		return errors.New("output folder already committed or aborted")
	}
	if err := syncTree(d.staging); err != nil {
		d.Abort()
		return err
	}
	old, err := swapIn(d.staging, d.target)
	if err != nil {
		d.Abort()
		return err
	}
	d.done = true
	syncDir(filepath.Dir(d.target))
	var rerr error
	if old != "" {
		// The previous folder now sits at the staging name; a crash
		// before this removal leaves it to the next run's cleanup.
		rerr = os.RemoveAll(old)
	}
	d.lock.release()
	if rerr != nil {
		return fmt.Errorf("written, but removing the previous folder failed: %w", unwrap(rerr))
	}
	return nil
}

// Abort removes the staging folder and releases the lock; the target is
// untouched. It does nothing after Commit or a previous Abort.
func (d *Dir) Abort() {
	if d.done {
		return
	}
	d.done = true
	os.RemoveAll(d.staging)
	d.lock.release()
}

// File is one output file being written: write to it, then Commit to rename
// it into place, or Abort.
type File struct {
	*os.File
	target string
	lock   *lock
	done   bool
}

// Create takes target's lock, removes stale staging files beside it and
// opens a staging file to write. The folder must exist.
func Create(target string) (*File, error) {
	abs, l, err := begin(target, false)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(abs); err == nil && st.IsDir() {
		l.release()
		return nil, errors.New("is a directory")
	}
	_, prefix := names(abs)
	f, err := os.CreateTemp(filepath.Dir(abs), prefix)
	if err != nil {
		l.release()
		return nil, unwrap(err)
	}
	return &File{File: f, target: abs, lock: l}, nil
}

// Commit flushes the file to disk and renames it into place.
func (f *File) Commit() error {
	if f.done {
		return errors.New("output file already committed or aborted")
	}
	err := f.Chmod(0o644) // CreateTemp makes 0600 files; outputs are ordinary files
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), f.target)
	}
	if err != nil {
		f.Abort()
		return unwrap(err)
	}
	f.done = true
	syncDir(filepath.Dir(f.target))
	f.lock.release()
	return nil
}

// Abort removes the staging file and releases the lock.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.Close()
	os.Remove(f.Name())
	f.lock.release()
}

// WriteFile writes target through write, all or nothing.
func WriteFile(target string, write func(io.Writer) error) error {
	f, err := Create(target)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

// syncTree fsyncs every file and folder under root, so that the switch
// never publishes a folder whose files a crash could still lose.
func syncTree(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return unwrap(err)
		}
		if !d.IsDir() && !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return unwrap(err)
		}
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return unwrap(err)
	})
}

// syncDir fsyncs a folder so that a rename in it is durable; best effort.
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
}

// unwrap drops the path an *os.PathError or *os.LinkError repeats, for one
// short line under the caller's own naming of the target.
func unwrap(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// swapByRenames renames target aside (to the staging name with "-old"),
// then staging to target; on failure of the second rename the first is
// undone.
func swapByRenames(staging, target string) (old string, err error) {
	old = staging + "-old"
	if err := os.Rename(target, old); err != nil {
		return "", unwrap(err)
	}
	if err := os.Rename(staging, target); err != nil {
		os.Rename(old, target)
		return "", unwrap(err)
	}
	return old, nil
}
