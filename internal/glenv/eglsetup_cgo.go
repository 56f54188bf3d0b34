//go:build cgo && !nogpu

package glenv

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>

// tkm_can_load loads and unloads a shared library; it returns NULL when
// that works, else dlerror's message.
static const char *tkm_can_load(const char *name) {
	void *h = dlopen(name, RTLD_LAZY | RTLD_LOCAL);
	if (h == NULL) {
		const char *e = dlerror();
		return e ? e : "dlopen failed";
	}
	dlclose(h);
	return NULL;
}
*/
import "C"

import (
	"errors"
	"unsafe"
)

// canLoad reports whether the dynamic loader can load the library name.
func canLoad(name string) error {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	if e := C.tkm_can_load(cs); e != nil {
		return errors.New(C.GoString(e))
	}
	return nil
}
