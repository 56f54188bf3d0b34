package gpu

import (
	"encoding/binary"
	"fmt"
	"reflect"

	"github.com/tilekmeans/tilekmeans/shaders"
)

// This file mirrors the device loop's status block (shaders/status.glsl)
// in Go structs. The byte offsets the host decodes by and the offsets the
// layout check (statusLayout, on the driver's program) verifies come from
// the same table, built from these structs, so the two cannot drift apart.

// statusHeader mirrors the block's header: uint halted, uint statusPad.
type statusHeader struct {
	Halted uint32 `glsl:"halted"`
	_      uint32 // statusPad: aligns the slots' doubles
}

// statusSlot mirrors struct Slot: one iteration of a batch.
type statusSlot struct {
	Changed uint32  `glsl:"changed"`
	Empty   uint32  `glsl:"empty"`
	Moved   uint32  `glsl:"moved"`
	Ran     uint32  `glsl:"ran"`
	Inertia float64 `glsl:"inertia"`
}

// statusField is one buffer variable of the status block: its GLSL name,
// as program interface queries name it, its byte offset, and the strides
// the layout check compares (-1: not checked).
type statusField struct {
	name             string
	offset           int
	topStride, array int
}

// statusFields lists the block's variables with the offsets the Go side
// uses: the header's fields, the first slot's fields at
// shaders.StatusHeaderBytes (the slots array's stride the size of
// statusSlot), and partials[0] at shaders.StatusPartials, stride 8.
func statusFields() []statusField {
	var fs []statusField
	add := func(t reflect.Type, base int, prefix string, top int) {
		for i := range t.NumField() {
			f := t.Field(i)
			name := f.Tag.Get("glsl")
			if name == "" {
				continue
			}
			fs = append(fs, statusField{name: prefix + name, offset: base + int(f.Offset), topStride: -1, array: -1})
			if i == 0 {
				fs[len(fs)-1].topStride = top
			}
		}
	}
	add(reflect.TypeFor[statusHeader](), 0, "", -1)
	add(reflect.TypeFor[statusSlot](), shaders.StatusHeaderBytes, "slots[0].", binary.Size(statusSlot{}))
	fs = append(fs, statusField{name: "partials[0]", offset: shaders.StatusPartials, topStride: -1, array: 8})
	return fs
}

// decodeStatus decodes the header and the first len(slots) slots from buf,
// as read back from the status buffer's start.
func decodeStatus(buf []byte, slots []statusSlot) (statusHeader, error) {
	var h statusHeader
	if _, err := binary.Decode(buf, binary.LittleEndian, &h); err != nil {
		return h, fmt.Errorf("status header: %w", err)
	}
	if _, err := binary.Decode(buf[shaders.StatusHeaderBytes:], binary.LittleEndian, slots); err != nil {
		return h, fmt.Errorf("status slots: %w", err)
	}
	return h, nil
}
