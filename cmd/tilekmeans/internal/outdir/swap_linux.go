package outdir

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// swapIn puts the folder staging at target in one step. When target exists
// the two are exchanged atomically (renameat2 RENAME_EXCHANGE), and old is
// the staging path, which then holds the previous folder; on a file system
// without the exchange, target is first renamed to the staging name with a
// suffix, leaving a moment in which target is absent.
func swapIn(staging, target string) (old string, err error) {
	if _, err := os.Lstat(target); errors.Is(err, os.ErrNotExist) {
		return "", unwrap(os.Rename(staging, target))
	}
	err = unix.Renameat2(unix.AT_FDCWD, staging, unix.AT_FDCWD, target, unix.RENAME_EXCHANGE)
	if err == nil {
		return staging, nil
	}
	if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EOPNOTSUPP) {
		return "", err
	}
	return swapByRenames(staging, target)
}
