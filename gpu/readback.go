//go:build cgo && !nogpu

package gpu

import (
	"fmt"
	"time"
	"unsafe"

	"github.com/go-gl/gl/v4.3-core/gl"
)

// readback brings a few bytes (the device loop's status) from a device
// buffer to the host without glGetBufferSubData's pipeline stall: a GPU
// copy into one of two regions of a host-visible buffer, persistently
// mapped (glBufferStorage with MAP_PERSISTENT and MAP_COHERENT) and
// double-buffered, a fence after the copy, and a wait on the fence that
// checks for a lost context while it waits. The two regions let a copy be
// started while the host still reads the other one (start, then wait);
// each region's fence says when it may be written again. Where the driver
// lacks glBufferStorage (a GL 4.3 driver without ARB_buffer_storage), the
// regions are an ordinary buffer read with glGetBufferSubData once the
// fence has signalled. The zero value is unallocated. Device thread only.
type readback struct {
	id     uint32
	region int            // bytes per region
	ptr    unsafe.Pointer // the persistent mapping, or nil
	fence  [2]uintptr     // per region: the sync object of its last copy, or 0
	next   int            // the region the next copy goes to
}

// allocReadback makes the buffer with two regions of at least size bytes.
func (d *Device) allocReadback(rb *readback, size int) error {
	region := (size + 63) &^ 63
	var id uint32
	gl.GenBuffers(1, &id)
	gl.BindBuffer(gl.COPY_WRITE_BUFFER, id)
	if d.persistent {
		flags := uint32(gl.MAP_READ_BIT | gl.MAP_PERSISTENT_BIT | gl.MAP_COHERENT_BIT)
		gl.BufferStorage(gl.COPY_WRITE_BUFFER, 2*region, nil, flags)
		if err := d.glErr(fmt.Sprintf("allocate a %d-byte mapped status buffer", 2*region)); err != nil {
			gl.DeleteBuffers(1, &id)
			return err
		}
		rb.ptr = gl.MapBufferRange(gl.COPY_WRITE_BUFFER, 0, 2*region, flags)
		if rb.ptr == nil {
			err := d.glErr("map the status buffer")
			gl.DeleteBuffers(1, &id)
			if err == nil {
				err = fmt.Errorf("map the status buffer: glMapBufferRange returned NULL")
			}
			return err
		}
	} else {
		gl.BufferData(gl.COPY_WRITE_BUFFER, 2*region, nil, gl.STREAM_READ)
		if err := d.glErr(fmt.Sprintf("allocate a %d-byte status buffer", 2*region)); err != nil {
			gl.DeleteBuffers(1, &id)
			return err
		}
	}
	d.buffers++
	rb.id, rb.region = id, region
	return nil
}

// freeReadback deletes the fences and the buffer (which unmaps it); idempotent.
func (d *Device) freeReadback(rb *readback) {
	for i, f := range rb.fence {
		if f != 0 {
			gl.DeleteSync(f)
			rb.fence[i] = 0
		}
	}
	d.deleteBuffer(&rb.id)
	*rb = readback{}
}

// startReadback copies n bytes from the start of buffer src into the next region
// and fences the copy; it returns the region, for wait. Shader writes to
// src before it are included.
func (d *Device) startReadback(rb *readback, src uint32, n int) (int, error) {
	if n > rb.region {
		return 0, fmt.Errorf("status readback of %d bytes, regions of %d", n, rb.region)
	}
	r := rb.next
	rb.next ^= 1
	// The region's previous copy has been read (wait returned) or is
	// abandoned; either way it must land before this one overwrites it.
	if err := d.waitFence(&rb.fence[r]); err != nil {
		return 0, err
	}
	gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT)
	gl.BindBuffer(gl.COPY_READ_BUFFER, src)
	gl.BindBuffer(gl.COPY_WRITE_BUFFER, rb.id)
	gl.CopyBufferSubData(gl.COPY_READ_BUFFER, gl.COPY_WRITE_BUFFER, 0, r*rb.region, n)
	gl.MemoryBarrier(gl.CLIENT_MAPPED_BUFFER_BARRIER_BIT)
	rb.fence[r] = gl.FenceSync(gl.SYNC_GPU_COMMANDS_COMPLETE, 0)
	if rb.fence[r] == 0 {
		if err := d.glErr("fence the status readback"); err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("fence the status readback: glFenceSync returned 0")
	}
	return r, nil
}

// waitReadback waits for region r's copy and copies its first len(dst) bytes into
// dst.
func (d *Device) waitReadback(rb *readback, r int, dst []byte) error {
	if err := d.waitFence(&rb.fence[r]); err != nil {
		return err
	}
	if rb.ptr != nil {
		copy(dst, unsafe.Slice((*byte)(unsafe.Add(rb.ptr, r*rb.region)), len(dst)))
	} else if len(dst) > 0 {
		gl.BindBuffer(gl.COPY_WRITE_BUFFER, rb.id)
		gl.GetBufferSubData(gl.COPY_WRITE_BUFFER, r*rb.region, len(dst), unsafe.Pointer(&dst[0]))
	}
	return d.glErr("read back the status")
}

// waitFence waits until *f has signalled (flushing the commands before
// it), then deletes it and sets *f to 0. No fence is no wait. Between
// waits of a second it checks for a lost context, which ends the wait with
// ErrContextLost (a slow renderer may take minutes for a batch; a lost one
// never signals).
func (d *Device) waitFence(f *uintptr) error {
	if *f == 0 {
		return nil
	}
	defer func() {
		gl.DeleteSync(*f)
		*f = 0
	}()
	flags := uint32(gl.SYNC_FLUSH_COMMANDS_BIT)
	for {
		switch gl.ClientWaitSync(*f, flags, uint64(time.Second)) {
		case gl.ALREADY_SIGNALED, gl.CONDITION_SATISFIED:
			return nil
		case gl.WAIT_FAILED:
			if err := d.glErr("wait for the GPU"); err != nil {
				return err
			}
			return fmt.Errorf("wait for the GPU: glClientWaitSync failed")
		}
		flags = 0 // flushed once is enough
		if err := d.glErr("wait for the GPU"); err != nil {
			return err
		}
	}
}
