//go:build !cgo || nogpu

package glenv

import "errors"

// canLoad cannot ask the dynamic loader in this build.
func canLoad(name string) error {
	return errors.New("not checked: built without GPU support")
}
