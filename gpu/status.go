package gpu

import (
	"encoding/binary"
	"fmt"
	"math"
	"reflect"

	"github.com/tilekmeans/tilekmeans/gpu/internal/shaders"
	"github.com/tilekmeans/tilekmeans/internal/exactsum"
)

// This file mirrors the device loop's status block
// (internal/shaders/status.glsl) in Go structs. The byte offsets the host decodes by and the offsets the
// layout check (statusLayout, on the driver's programs) verifies come from
// the same table, built from these structs, so the two cannot drift apart.

// statusHeader mirrors the block's header: uint halted, groupsDone,
// meansDone.
type statusHeader struct {
	Halted     uint32 `glsl:"halted"`
	GroupsDone uint32 `glsl:"groupsDone"`
	MeansDone  uint32 `glsl:"meansDone"`
}

// statusSlot mirrors struct Slot: one iteration of a batch.
type statusSlot struct {
	Changed uint32 `glsl:"changed"`
	Empty   uint32 `glsl:"empty"`
	Moved   uint32 `glsl:"moved"`
	Ran     uint32 `glsl:"ran"`
	Special uint32 `glsl:"special"` // bit 0: a NaN distance, bit 1: +Inf
	// Inertia is the exact sum of the finite distances, in 32-bit digits
	// of 2^-149, least significant first: exactsum.Accumulator's digits.
	Inertia [shaders.InertiaDigits]uint32 `glsl:"inertia"`
}

// inertia is the slot's inertia rounded once to float64, exactly as
// exactsum.Sum rounds the same distances on the host.
func (s statusSlot) inertia() float64 {
	var acc exactsum.Accumulator
	acc.AddDigits(s.Inertia[:])
	if s.Special&1 != 0 {
		acc.Add(float32(math.NaN()))
	}
	if s.Special&2 != 0 {
		acc.Add(float32(math.Inf(1)))
	}
	return acc.Float64()
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
// statusSlot, its inertia digits 4 bytes apart), and work[0] at
// shaders.StatusWork, stride 4.
func statusFields() []statusField {
	var fs []statusField
	add := func(t reflect.Type, base int, prefix string, top int) {
		for i := range t.NumField() {
			f := t.Field(i)
			name := f.Tag.Get("glsl")
			if name == "" {
				continue
			}
			sf := statusField{name: prefix + name, offset: base + int(f.Offset), topStride: -1, array: -1}
			if i == 0 {
				sf.topStride = top
			}
			if f.Type.Kind() == reflect.Array {
				sf.name += "[0]"
				sf.array = int(f.Type.Elem().Size())
			}
			fs = append(fs, sf)
		}
	}
	add(reflect.TypeFor[statusHeader](), 0, "", -1)
	add(reflect.TypeFor[statusSlot](), shaders.StatusHeaderBytes, "slots[0].", binary.Size(statusSlot{}))
	fs = append(fs, statusField{name: "work[0]", offset: shaders.StatusWork, topStride: -1, array: 4})
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
