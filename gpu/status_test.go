package gpu

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"unsafe"

	"github.com/tilekmeans/tilekmeans/internal/exactsum"

	"github.com/tilekmeans/tilekmeans/gpu/internal/shaders"
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
	if shaders.InertiaDigits != exactsum.Digits {
		t.Errorf("the shaders add %d inertia digits, exactsum.Accumulator has %d", shaders.InertiaDigits, exactsum.Digits)
	}
	want := []statusField{
		{"halted", 0, -1, -1},
		{"groupsDone", 4, -1, -1},
		{"meansDone", 8, -1, -1},
		{"slots[0].changed", 12, 60, -1},
		{"slots[0].empty", 16, -1, -1},
		{"slots[0].moved", 20, -1, -1},
		{"slots[0].ran", 24, -1, -1},
		{"slots[0].special", 28, -1, -1},
		{"slots[0].inertia[0]", 32, -1, 4},
		{"work[0]", shaders.StatusWork, -1, 4},
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
	le.PutUint32(buf[4:], 9)
	le.PutUint32(buf[8:], 3)
	want := []statusSlot{
		{Changed: 7, Moved: 1, Ran: 1, Inertia: [10]uint32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{Empty: 1, Ran: 1, Special: 2},
	}
	for i, v := range want {
		s := buf[shaders.StatusHeaderBytes+i*shaders.StatusSlotBytes:]
		for j, w := range []uint32{v.Changed, v.Empty, v.Moved, v.Ran, v.Special} {
			le.PutUint32(s[4*j:], w)
		}
		for j, w := range v.Inertia {
			le.PutUint32(s[20+4*j:], w)
		}
	}
	slots := make([]statusSlot, 2)
	h, err := decodeStatus(buf, slots)
	if err != nil {
		t.Fatal(err)
	}
	if h.Halted != 1 || h.GroupsDone != 9 || h.MeansDone != 3 || !reflect.DeepEqual(slots, want) {
		t.Fatalf("decoded %+v %+v, want halted 1 and %+v", h, slots, want)
	}
	if _, err := decodeStatus(buf[:20], slots); err == nil {
		t.Fatal("a short buffer decoded")
	}
}

// TestSlotInertia: the digits the shaders add (each distance's 24-bit
// significand shifted to its exponent, from 2^-149, summed with carries:
// simulated here as step.glsl does it) give, through statusSlot.inertia,
// the bits exactsum.Sum gives on the host, whatever the order; NaN and
// +Inf follow exactsum.Sum.
func TestSlotInertia(t *testing.T) {
	r := rand.New(rand.NewPCG(40, 40))
	for trial := range 200 {
		n := 1 + r.IntN(5000)
		v := make([]float32, n)
		for i := range v {
			switch r.IntN(6) {
			case 0:
				v[i] = math.Float32frombits(r.Uint32N(0x800000)) // subnormal
			case 1:
				v[i] = 0
			case 2:
				v[i] = math.Float32frombits(0x7F000000 + r.Uint32N(0x7FFFFF)) // near the top
			default:
				v[i] = float32(r.ExpFloat64() * 1e6)
			}
		}
		var s statusSlot
		for _, x := range v {
			addDigits(&s.Inertia, x)
		}
		if got, want := s.inertia(), exactsum.Sum(v); math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("trial %d: inertia %v, exactsum.Sum %v", trial, got, want)
		}
	}
	for _, c := range []struct {
		special uint32
		want    float64
	}{{1, math.NaN()}, {2, math.Inf(1)}, {3, math.NaN()}} {
		s := statusSlot{Special: c.special, Inertia: [10]uint32{5}}
		if got := s.inertia(); math.Float64bits(got) != math.Float64bits(c.want) && !(math.IsNaN(got) && math.IsNaN(c.want)) {
			t.Errorf("special %d: %v, want %v", c.special, got, c.want)
		}
	}
}

// addDigits adds a finite non-negative float32 into the digits exactly as
// step.glsl does: the significand shifted to bit exponent-1 from 2^-149,
// spanning digits w and w+1, with the carry propagated.
func addDigits(d *[shaders.InertiaDigits]uint32, x float32) {
	bits := math.Float32bits(x)
	e, m := bits>>23&0xFF, bits&0x7FFFFF
	p := uint32(0)
	if e != 0 {
		m |= 0x800000
		p = e - 1
	}
	s := p & 31
	lo, hi := m<<s, uint32(0)
	if s != 0 {
		hi = m >> (32 - s)
	}
	var add [shaders.InertiaDigits]uint32
	add[p>>5], add[p>>5+1] = lo, hi
	carry := uint64(0)
	for i := range d {
		v := uint64(d[i]) + uint64(add[i]) + carry
		d[i], carry = uint32(v), v>>32
	}
}
