//go:build !unix

package outdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// lock is a lock file made with O_EXCL (no flock here): a crashed run's
// lock file must be removed by hand, and the error says where it is.
type lock struct{ path string }

func acquire(path string) (*lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("%w (lock %s; remove it if no run is writing)", ErrLocked, path)
	}
	if err != nil {
		return nil, unwrap(err)
	}
	f.Close()
	return &lock{path: path}, nil
}

func (l *lock) release() {
	if l != nil && l.path != "" {
		os.Remove(l.path)
		l.path = ""
	}
}
