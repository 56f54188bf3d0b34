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
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

const (
	magic = "\x93NUMPY"
	// align is the alignment of the data that numpy uses and requires.
	align = 64
	// maxHeader bounds the header a reader accepts (numpy's own limit
	// since 1.24 is 10000 bytes; shapes of many dimensions need more).
	maxHeader = 1 << 20
)

// ErrFormat reports data that is not a valid .npy file.
var ErrFormat = errors.New("not a valid .npy file")

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

// preamble returns the complete version 1.0 preamble (magic, version,
// length and padded header) for an array of the given dtype and shape.
func preamble(descr string, shape []int) ([]byte, error) {
	var dict strings.Builder
	fmt.Fprintf(&dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr)
	for i, d := range shape {
		if i > 0 {
			dict.WriteString(", ")
		}
		dict.WriteString(strconv.Itoa(d))
	}
	if len(shape) == 1 {
		dict.WriteString(",") // a 1-tuple in Python
	}
	dict.WriteString("), }")
	pre := len(magic) + 2 + 2
	total := pre + dict.Len() + 1 // + the final newline
	pad := (align - total%align) % align
	hlen := dict.Len() + pad + 1
	if hlen > math.MaxUint16 {
		return nil, fmt.Errorf("npy: header of %d bytes is too long for format 1.0", hlen)
	}
	out := make([]byte, 0, pre+hlen)
	out = append(out, magic...)
	out = append(out, 1, 0)
	out = binary.LittleEndian.AppendUint16(out, uint16(hlen))
	out = append(out, dict.String()...)
	out = append(out, bytes.Repeat([]byte{' '}, pad)...)
	return append(out, '\n'), nil
}

// Read reads one array of element type T from r: a .npy file of format
// version 1.0, 2.0 or 3.0 whose dtype is T's in either byte order ("|u1",
// "<u1" ... for uint8; "<i4", ">i4", "=i4" for int32; "<f4", ">f4", "=f4"
// for float32; "<f8" ... for float64). A file that is not a valid .npy file is an error wrapping
// ErrFormat; a valid one of another dtype is an error naming both.
func Read[T uint8 | int32 | float32 | float64](r io.Reader) (*Array[T], error) {
	pre := make([]byte, len(magic)+2)
	if _, err := io.ReadFull(r, pre); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, noEOF(err))
	}
	if string(pre[:len(magic)]) != magic {
		return nil, fmt.Errorf("%w: bad magic %q", ErrFormat, pre[:len(magic)])
	}
	major, minor := pre[len(magic)], pre[len(magic)+1]
	var hlen int
	switch {
	case major == 1 && minor == 0:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFormat, noEOF(err))
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case (major == 2 || major == 3) && minor == 0:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFormat, noEOF(err))
		}
		n := binary.LittleEndian.Uint32(b[:])
		if n > maxHeader {
			return nil, fmt.Errorf("%w: header of %d bytes", ErrFormat, n)
		}
		hlen = int(n)
	default:
		return nil, fmt.Errorf("%w: unsupported version %d.%d", ErrFormat, major, minor)
	}
	head := make([]byte, hlen)
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrFormat, noEOF(err))
	}
	h, err := parseHeader(string(head))
	if err != nil {
		return nil, fmt.Errorf("%w: header %q: %v", ErrFormat, strings.TrimSpace(string(head)), err)
	}
	size, err := itemSize(h.descr)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	n := int64(size)
	for _, d := range h.shape {
		if d > 0 && n > math.MaxInt64/int64(d) {
			return nil, fmt.Errorf("%w: shape %v is too large", ErrFormat, h.shape)
		}
		n *= int64(d)
	}
	// Copy rather than allocate n bytes up front, so that a header that
	// promises more than the file holds costs no more than the file.
	var buf bytes.Buffer
	got, err := io.CopyN(&buf, r, n)
	if err != nil {
		return nil, fmt.Errorf("%w: shape %v needs %d data bytes, found %d", ErrFormat, h.shape, n, got)
	}
	order, err := byteOrder[T](h.descr)
	if err != nil {
		return nil, err
	}
	a := &Array[T]{Shape: h.shape, FortranOrder: h.fortran}
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

func noEOF(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("file too short")
	}
	return err
}

// itemSize returns the byte size of one element of a plain numeric dtype.
func itemSize(descr string) (int, error) {
	if len(descr) < 3 || !strings.ContainsRune("<>|=", rune(descr[0])) || !strings.ContainsRune("biuf", rune(descr[1])) {
		return 0, fmt.Errorf("unsupported dtype %q", descr)
	}
	n, err := strconv.Atoi(descr[2:])
	if err != nil || n < 1 || n > 16 {
		return 0, fmt.Errorf("unsupported dtype %q", descr)
	}
	return n, nil
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

// parsedHeader is what a .npy header dict says.
type parsedHeader struct {
	descr   string
	fortran bool
	shape   []int
}

// parseHeader parses the header dict: exactly the keys descr,
// fortran_order and shape, as numpy requires.
func parseHeader(s string) (*parsedHeader, error) {
	p := &parser{s: s}
	if !p.eat('{') {
		return nil, errors.New("not a dict")
	}
	a := &parsedHeader{}
	seen := map[string]bool{}
	for {
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		if seen[key] {
			return nil, fmt.Errorf("key %q repeated", key)
		}
		seen[key] = true
		if !p.eat(':') {
			return nil, fmt.Errorf("no ':' after key %q", key)
		}
		switch key {
		case "descr":
			if a.descr, err = p.str(); err != nil {
				return nil, fmt.Errorf("descr: %v", err)
			}
		case "fortran_order":
			switch {
			case p.word("True"):
				a.fortran = true
			case p.word("False"):
			default:
				return nil, errors.New("fortran_order is not True or False")
			}
		case "shape":
			if a.shape, err = p.tuple(); err != nil {
				return nil, fmt.Errorf("shape: %v", err)
			}
		default:
			return nil, fmt.Errorf("unexpected key %q", key)
		}
		if p.eat('}') {
			break
		}
		if !p.eat(',') {
			return nil, errors.New("no ',' or '}' after a value")
		}
	}
	p.space()
	if p.i != len(p.s) {
		return nil, errors.New("text after the dict")
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return nil, fmt.Errorf("no %q key", k)
		}
	}
	return a, nil
}

type parser struct {
	s string
	i int
}

func (p *parser) space() {
	for p.i < len(p.s) && strings.ContainsRune(" \t\r\n", rune(p.s[p.i])) {
		p.i++
	}
}

func (p *parser) eat(c byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *parser) word(w string) bool {
	p.space()
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

// str parses a quoted string without escapes.
func (p *parser) str() (string, error) {
	p.space()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", errors.New("want a quoted string")
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", errors.New("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.ContainsRune(v, '\\') {
		return "", errors.New("escapes in strings are not supported")
	}
	p.i += end + 2
	return v, nil
}

// tuple parses a tuple of non-negative ints: (), (3,), (3, 4).
func (p *parser) tuple() ([]int, error) {
	if !p.eat('(') {
		return nil, errors.New("want a tuple")
	}
	shape := []int{}
	for {
		if p.eat(')') {
			return shape, nil
		}
		p.space()
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		if j == p.i {
			return nil, errors.New("want a non-negative integer")
		}
		d, err := strconv.Atoi(p.s[p.i:j])
		if err != nil {
			return nil, fmt.Errorf("dimension %s is too large", p.s[p.i:j])
		}
		p.i = j
		shape = append(shape, d)
		if p.eat(')') {
			if len(shape) == 1 {
				return nil, errors.New("(n) is not a tuple: want (n,)")
			}
			return shape, nil
		}
		if !p.eat(',') {
			return nil, errors.New("want ',' or ')'")
		}
	}
}
