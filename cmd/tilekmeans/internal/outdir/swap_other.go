//go:build !linux

package outdir

import (
	"errors"
	"os"
)

// swapIn puts the folder staging at target: target (if any) is renamed
// aside first, leaving a moment in which it is absent.
func swapIn(staging, target string) (old string, err error) {
	if _, err := os.Lstat(target); errors.Is(err, os.ErrNotExist) {
		return "", unwrap(os.Rename(staging, target))
	}
	return swapByRenames(staging, target)
}
