// Package npy writes and reads NumPy .npy files (format version 1.0 on
// write; 1.0, 2.0 and 3.0 on read), the format numpy.save writes and
// numpy.load reads.
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

// The dtypes this package writes: descr strings as numpy spells them.
const (
	Uint8   = "|u1" // uint8
	Int32   = "<i4" // little-endian int32
	Float32 = "<f4" // little-endian IEEE float32
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
type Array struct {
	Descr        string // dtype, e.g. "|u1", "<f4"
	FortranOrder bool   // column-major data
	Shape        []int
	Data         []byte // raw element bytes, len = product(Shape) * item size
}

// Len is the number of elements: the product of the shape (1 for a scalar).
func (a *Array) Len() int {
	n := 1
	for _, d := range a.Shape {
		n *= d
	}
	return n
}

// WriteUint8 writes data as a uint8 array of the given shape.
func WriteUint8(w io.Writer, data []uint8, shape ...int) error {
	if err := writeHeader(w, Uint8, shape, len(data)); err != nil {
		return err
	}
	_, err := w.Write(data)
	return err
}

// WriteInt32 writes data as a little-endian int32 array of the given shape.
func WriteInt32(w io.Writer, data []int32, shape ...int) error {
	if err := writeHeader(w, Int32, shape, len(data)); err != nil {
		return err
	}
	buf := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(buf[4*i:], uint32(v))
	}
	_, err := w.Write(buf)
	return err
}

// WriteFloat32 writes data as a little-endian float32 array of the given
// shape.
func WriteFloat32(w io.Writer, data []float32, shape ...int) error {
	if err := writeHeader(w, Float32, shape, len(data)); err != nil {
		return err
	}
	buf := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
	}
	_, err := w.Write(buf)
	return err
}

// Header returns the complete version 1.0 preamble (magic, version, length
// and padded header) for an array of the given dtype and shape.
func Header(descr string, shape []int) ([]byte, error) {
	var dict strings.Builder
	fmt.Fprintf(&dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr)
	for i, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("npy: negative dimension %d in shape %v", d, shape)
		}
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

func writeHeader(w io.Writer, descr string, shape []int, n int) error {
	want := 1
	for _, d := range shape {
		if d < 0 {
			return fmt.Errorf("npy: negative dimension %d in shape %v", d, shape)
		}
		want *= d
	}
	if want != n {
		return fmt.Errorf("npy: shape %v holds %d values, got %d", shape, want, n)
	}
	h, err := Header(descr, shape)
	if err != nil {
		return err
	}
	_, err = w.Write(h)
	return err
}

// Read reads one array from r. It accepts format versions 1.0, 2.0 and 3.0
// and any dtype whose descr is a plain [<>|=][biuf]N code; element bytes are
// returned as they are (see Uint8, Int32, Float32 for typed access).
func Read(r io.Reader) (*Array, error) {
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
	a, err := parseHeader(string(head))
	if err != nil {
		return nil, fmt.Errorf("%w: header %q: %v", ErrFormat, strings.TrimSpace(string(head)), err)
	}
	size, err := itemSize(a.Descr)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	n := int64(size)
	for _, d := range a.Shape {
		if d > 0 && n > math.MaxInt64/int64(d) {
			return nil, fmt.Errorf("%w: shape %v is too large", ErrFormat, a.Shape)
		}
		n *= int64(d)
	}
	// Copy rather than allocate n bytes up front, so that a header that
	// promises more than the file holds costs no more than the file.
	var buf bytes.Buffer
	got, err := io.CopyN(&buf, r, n)
	if err != nil {
		return nil, fmt.Errorf("%w: shape %v needs %d data bytes, found %d", ErrFormat, a.Shape, n, got)
	}
	a.Data = buf.Bytes()
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

// Uint8 returns the elements of a uint8 array.
func (a *Array) Uint8() ([]uint8, error) {
	if a.Descr != Uint8 && a.Descr != "<u1" && a.Descr != ">u1" && a.Descr != "=u1" {
		return nil, fmt.Errorf("npy: dtype %q is not uint8", a.Descr)
	}
	return a.Data, nil
}

// Int32 returns the elements of an int32 array (either byte order).
func (a *Array) Int32() ([]int32, error) {
	order, err := a.order4('i')
	if err != nil {
		return nil, err
	}
	out := make([]int32, len(a.Data)/4)
	for i := range out {
		out[i] = int32(order.Uint32(a.Data[4*i:]))
	}
	return out, nil
}

// Float32 returns the elements of a float32 array (either byte order).
func (a *Array) Float32() ([]float32, error) {
	order, err := a.order4('f')
	if err != nil {
		return nil, err
	}
	out := make([]float32, len(a.Data)/4)
	for i := range out {
		out[i] = math.Float32frombits(order.Uint32(a.Data[4*i:]))
	}
	return out, nil
}

func (a *Array) order4(kind byte) (binary.ByteOrder, error) {
	if len(a.Descr) != 3 || a.Descr[1] != kind || a.Descr[2] != '4' {
		name := map[byte]string{'i': "int32", 'f': "float32"}[kind]
		return nil, fmt.Errorf("npy: dtype %q is not %s", a.Descr, name)
	}
	switch a.Descr[0] {
	case '<', '=': // '=' is native: every platform Go's numpy peers use here is little-endian
		return binary.LittleEndian, nil
	case '>':
		return binary.BigEndian, nil
	}
	return nil, fmt.Errorf("npy: dtype %q has no byte order", a.Descr)
}

// parseHeader parses the header dict: exactly the keys descr,
// fortran_order and shape, as numpy requires.
func parseHeader(s string) (*Array, error) {
	p := &parser{s: s}
	if !p.eat('{') {
		return nil, errors.New("not a dict")
	}
	a := &Array{}
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
			if a.Descr, err = p.str(); err != nil {
				return nil, fmt.Errorf("descr: %v", err)
			}
		case "fortran_order":
			switch {
			case p.word("True"):
				a.FortranOrder = true
			case p.word("False"):
			default:
				return nil, errors.New("fortran_order is not True or False")
			}
		case "shape":
			if a.Shape, err = p.tuple(); err != nil {
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
