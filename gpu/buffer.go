//go:build cgo && !nogpu

package gpu

import (
	"unsafe"

	"github.com/go-gl/gl/v4.3-core/gl"
)

// buffer is a shader storage buffer sized on demand (Gio's gpu/compute.go
// sizedBuffer): ensure grows it when a call needs more bytes than it holds,
// never shrinks it, and records the size in use, which binds cover. Growing
// reallocates, so the contents are lost: every user writes before it reads.
// The zero value is an empty buffer. Device thread only.
type buffer struct {
	id   uint32
	size int // bytes in use
	cap  int // bytes allocated
}

// ensure makes b hold at least size bytes, allocating with usage when it
// must grow, and sets b.size. On failure b is empty.
func (d *Device) ensure(b *buffer, size int, usage uint32) error {
	if size > b.cap {
		d.release(b)
		id, err := d.newBuffer(size, nil, usage)
		if err != nil {
			return err
		}
		b.id, b.cap = id, size
	}
	b.size = size
	return nil
}

// release deletes b's buffer object; idempotent.
func (d *Device) release(b *buffer) {
	d.deleteBuffer(&b.id)
	b.size, b.cap = 0, 0
}

// write copies size bytes from p to the start of b.
func (b *buffer) write(p unsafe.Pointer, size int) {
	if size == 0 {
		return
	}
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, b.id)
	gl.BufferSubData(gl.SHADER_STORAGE_BUFFER, 0, size, p)
}

// bind binds the bytes in use to a shader storage binding point.
func (b *buffer) bind(binding uint32) {
	gl.BindBufferRange(gl.SHADER_STORAGE_BUFFER, binding, b.id, 0, b.size)
}
