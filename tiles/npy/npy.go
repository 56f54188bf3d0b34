// Package npy writes and reads NumPy .npy files (format version 1.0 on
// write; 1.0, 2.0 and 3.0 on read), the format numpy.save writes and
// numpy.load reads, for arrays of uint8, int32, float32 or float64:
//
//	err := npy.Write(w, t.Pix, t.N(), t.D) // numpy: uint8, shape (N, D)
//	a, err := npy.Read[float32](r)         // a.Shape, a.Data
//
// A file is the magic "\x93NUMPY", two version bytes, the little-endian
// length of a header, and the header: a Python dict literal such as
//
//	{'descr': '<f4', 'fortran_order': False, 'shape': (5610, 256), }
//
// padded with spaces and a final newline so that the data starts at a
// multiple of 64 bytes. The data follows, in C (row-major) order.
package npy

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/tilekmeans/tilekmeans/internal/npyformat"
)

// ErrFormat reports data that is not a valid .npy file.
var ErrFormat = npyformat.ErrFormat

// Array is an array read from a .npy file.
type Array[T uint8 | int32 | float32 | float64] struct {
	Shape        []int
	FortranOrder bool // Data is column-major (numpy's fortran_order)
	Data         []T  // the product of Shape elements (1 for a scalar)
}

// descr is the dtype of T as numpy spells it: "|u1", "<i4" (little-endian
// int32), "<f4" or "<f8" (little-endian IEEE float32, float64).
func descr[T uint8 | int32 | float32 | float64]() string {
	var zero T
	switch any(zero).(type) {
	case int32:
		return "<i4"
	case float32:
		return "<f4"
	case float64:
		return "<f8"
	}
	return "|u1"
}

// Write writes data as a .npy file (format version 1.0, C order) holding an
// array of the given shape: uint8 as "|u1", int32 as "<i4", float32 as
// "<f4", float64 as "<f8", as numpy.save writes them. The shape must hold len(data) values.
func Write[T uint8 | int32 | float32 | float64](w io.Writer, data []T, shape ...int) error {
	want := 1
	for _, d := range shape {
		if d < 0 {
			return fmt.Errorf("npy: negative dimension %d in shape %v", d, shape)
		}
		want *= d
	}
	if want != len(data) {
		return fmt.Errorf("npy: shape %v holds %d values, got %d", shape, want, len(data))
	}
	h, err := preamble(descr[T](), shape)
	if err != nil {
		return err
	}
	if _, err := w.Write(h); err != nil {
		return err
	}
	var buf []byte
	switch v := any(data).(type) {
	case []uint8:
		buf = v
	case []int32:
		buf = make([]byte, 4*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint32(buf[4*i:], uint32(x))
		}
	case []float32:
		buf = make([]byte, 4*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(x))
		}
	case []float64:
		buf = make([]byte, 8*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint64(buf[8*i:], math.Float64bits(x))
		}
	}
	_, err = w.Write(buf)
	return err
}

// remaining returns the bytes left to read in r when r can say (an
// *os.File, or a reader with a Len method such as *bytes.Reader), else 0.
func remaining(r io.Reader) int64 {
	switch v := r.(type) {
	case interface{ Len() int }:
		return int64(v.Len())
	case interface {
		io.Seeker
		Stat() (os.FileInfo, error)
	}:
		st, err := v.Stat()
		if err != nil || !st.Mode().IsRegular() {
			return 0
		}
		pos, err := v.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0
		}
		return st.Size() - pos
	}
	return 0
}

// preamble returns the complete version 1.0 preamble for an array of the
// given dtype and shape.
func preamble(descr string, shape []int) ([]byte, error) { return npyformat.Preamble(descr, shape) }

// Read reads one array of element type T from r: a .npy file of format
// version 1.0, 2.0 or 3.0 whose dtype is T's in either byte order ("|u1",
// "<u1" ... for uint8; "<i4", ">i4", "=i4" for int32; "<f4", ">f4", "=f4"
// for float32; "<f8" ... for float64). A file that is not a valid .npy file is an error wrapping
// ErrFormat; a valid one of another dtype is an error naming both.
func Read[T uint8 | int32 | float32 | float64](r io.Reader) (*Array[T], error) {
	h, err := npyformat.ReadHeader(r)
	if err != nil {
		return nil, err
	}
	n, err := h.DataBytes()
	if err != nil {
		return nil, err
	}
	// Copy rather than allocate n bytes up front, so that a header that
	// promises more than the file holds costs no more than the file; but
	// where the bytes left are known (a file, a bytes.Reader), allocate
	// them once, so that a 2 GB array does not pass through a buffer
	// grown by doubling (up to 4 GB).
	var buf bytes.Buffer
	if left := remaining(r); left > 0 {
		buf.Grow(int(min(n, left)))
	}
	got, err := io.CopyN(&buf, r, n)
	if err != nil {
		return nil, fmt.Errorf("%w: shape %v needs %d data bytes, found %d", ErrFormat, h.Shape, n, got)
	}
	order, err := byteOrder[T](h.Descr)
	if err != nil {
		return nil, err
	}
	a := &Array[T]{Shape: h.Shape, FortranOrder: h.Fortran}
	switch data := any(&a.Data).(type) {
	case *[]uint8:
		*data = buf.Bytes()
	case *[]int32:
		*data = make([]int32, buf.Len()/4)
		for i := range *data {
			(*data)[i] = int32(order.Uint32(buf.Bytes()[4*i:]))
		}
	case *[]float32:
		*data = make([]float32, buf.Len()/4)
		for i := range *data {
			(*data)[i] = math.Float32frombits(order.Uint32(buf.Bytes()[4*i:]))
		}
	case *[]float64:
		*data = make([]float64, buf.Len()/8)
		for i := range *data {
			(*data)[i] = math.Float64frombits(order.Uint64(buf.Bytes()[8*i:]))
		}
	}
	return a, nil
}

// byteOrder checks that a file's dtype (a plain code, see itemSize) is T's
// in some byte order, and returns that order.
func byteOrder[T uint8 | int32 | float32 | float64](d string) (binary.ByteOrder, error) {
	want := descr[T]()
	if d[1:] != want[1:] {
		return nil, fmt.Errorf("npy: dtype %q is not %s", d, map[string]string{"|u1": "uint8", "<i4": "int32", "<f4": "float32", "<f8": "float64"}[want])
	}
	switch d[0] {
	case '>':
		return binary.BigEndian, nil
	case '|':
		if want == "|u1" {
			return binary.LittleEndian, nil // one byte: no order
		}
		return nil, fmt.Errorf("npy: dtype %q has no byte order", d)
	}
	return binary.LittleEndian, nil // '<', or '=' native: every platform Go's numpy peers use here is little-endian
}
