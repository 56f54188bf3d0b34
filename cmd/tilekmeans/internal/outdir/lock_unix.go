//go:build unix

package outdir

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// lock is a held flock on a lock file.
type lock struct {
	f    *os.File
	path string
}

// acquire takes the lock file at path without waiting. It creates the file,
// locks it, and checks that the path still names the locked file (a
// releasing holder removes it, and a new file may have taken its place); it
// writes its pid for the message a second process shows.
func acquire(path string) (*lock, error) {
	for range 10 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, unwrap(err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			b := make([]byte, 32)
			n, _ := f.ReadAt(b, 0)
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				if pid, perr := strconv.Atoi(strings.TrimSpace(string(b[:n]))); perr == nil {
					return nil, fmt.Errorf("%w (pid %d, lock %s)", ErrLocked, pid, path)
				}
				return nil, fmt.Errorf("%w (lock %s)", ErrLocked, path)
			}
			return nil, err
		}
		held, err1 := f.Stat()
		now, err2 := os.Stat(path)
		if err1 != nil || err2 != nil || !os.SameFile(held, now) {
			f.Close() // removed or replaced while we waited: try again
			continue
		}
		f.Truncate(0)
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		return &lock{f: f, path: path}, nil
	}
	return nil, fmt.Errorf("%w (lock %s keeps changing)", ErrLocked, path)
}

// release removes the lock file, then unlocks it; safe to call twice.
func (l *lock) release() {
	if l == nil || l.f == nil {
		return
	}
	os.Remove(l.path)
	l.f.Close() // closing drops the flock
	l.f = nil
}
