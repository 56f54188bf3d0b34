package gpu

import (
	"encoding/binary"
	"math"
	"reflect"
	"testing"
	"unsafe"

	"github.com/tilekmeans/tilekmeans/shaders"
)

// TestStatusStructs: the Go structs that mirror status.glsl have the sizes
// the shaders package declares and no padding of Go's own, so their field
// offsets are the std430 offsets the layout check verifies on the driver.
func TestStatusStructs(t *testing.T) {
	if got := binary.Size(statusHeader{}); got != shaders.StatusHeaderBytes {
		t.Errorf("statusHeader is %d bytes, status.glsl's header %d", got, shaders.StatusHeaderBytes)
	}
	if got := binary.Size(statusSlot{}); got != shaders.StatusSlotBytes {
		t.Errorf("statusSlot is %d bytes, status.glsl's Slot %d", got, shaders.StatusSlotBytes)
	}
	if unsafe.Sizeof(statusSlot{}) != uintptr(binary.Size(statusSlot{})) || unsafe.Sizeof(statusHeader{}) != uintptr(binary.Size(statusHeader{})) {
		t.Error("the status structs have Go padding: reflect offsets would not be the bytes decoded")
	}
	want := []statusField{
		{"halted", 0, -1, -1},
		{"slots[0].changed", 8, 24, -1},
		{"slots[0].empty", 12, -1, -1},
		{"slots[0].moved", 16, -1, -1},
		{"slots[0].ran", 20, -1, -1},
		{"slots[0].inertia", 24, -1, -1},
		{"partials[0]", shaders.StatusPartials, -1, 8},
	}
	if got := statusFields(); !reflect.DeepEqual(got, want) {
		t.Errorf("statusFields() =\n%v\nwant\n%v", got, want)
	}
}

// TestDecodeStatus decodes bytes laid out by the field table.
func TestDecodeStatus(t *testing.T) {
	buf := make([]byte, shaders.StatusHeaderBytes+2*shaders.StatusSlotBytes)
	le := binary.LittleEndian
	le.PutUint32(buf[0:], 1)
	for i, v := range []struct {
		changed, empty, moved, ran uint32
		inertia                    float64
	}{{7, 0, 1, 1, 1234.5}, {0, 1, 0, 1, math.Inf(1)}} {
		s := buf[shaders.StatusHeaderBytes+i*shaders.StatusSlotBytes:]
		le.PutUint32(s[0:], v.changed)
		le.PutUint32(s[4:], v.empty)
		le.PutUint32(s[8:], v.moved)
		le.PutUint32(s[12:], v.ran)
		le.PutUint64(s[16:], math.Float64bits(v.inertia))
	}
	slots := make([]statusSlot, 2)
	h, err := decodeStatus(buf, slots)
	if err != nil {
		t.Fatal(err)
	}
	want := []statusSlot{{7, 0, 1, 1, 1234.5}, {0, 1, 0, 1, math.Inf(1)}}
	if h.Halted != 1 || !reflect.DeepEqual(slots, want) {
		t.Fatalf("decoded %+v %+v, want halted 1 and %+v", h, slots, want)
	}
	if _, err := decodeStatus(buf[:20], slots); err == nil {
		t.Fatal("a short buffer decoded")
	}
}
