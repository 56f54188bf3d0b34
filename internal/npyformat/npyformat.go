// Package npyformat reads and writes the preamble of NumPy .npy files (the
// magic, the version, and the header dict; format versions 1.0, 2.0 and
// 3.0, https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html),
// for package tiles/npy, which reads and writes whole arrays, and package
// tiles, which streams the data of large uint8 arrays into a tile matrix
// without holding the file in memory.
package npyformat

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
	// Magic starts every .npy file.
	Magic = "\x93NUMPY"
	// align is the alignment of the data that numpy uses and requires.
	align = 64
	// maxHeader bounds the header a reader accepts (numpy's own limit
	// since 1.24 is 10000 bytes; shapes of many dimensions need more).
	maxHeader = 1 << 20
)

// ErrFormat reports data that is not a valid .npy file.
var ErrFormat = errors.New("not a valid .npy file")

// Header is what a .npy header dict says, and where the data starts.
type Header struct {
	Descr   string // numpy's dtype string: "|u1", "<i4", "<f8", "|O"...
	Fortran bool   // fortran_order: the data is column-major
	Shape   []int
	Offset  int64 // bytes before the data: magic, version, length and dict
}

// Preamble returns the complete version 1.0 preamble (magic, version,
// length and padded header) for an array of the given dtype and shape in
// C order, as numpy.save writes it.
func Preamble(descr string, shape []int) ([]byte, error) {
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
	pre := len(Magic) + 2 + 2
	total := pre + dict.Len() + 1 // + the final newline
	pad := (align - total%align) % align
	hlen := dict.Len() + pad + 1
	if hlen > math.MaxUint16 {
		return nil, fmt.Errorf("npy: header of %d bytes is too long for format 1.0", hlen)
	}
	out := make([]byte, 0, pre+hlen)
	out = append(out, Magic...)
	out = append(out, 1, 0)
	out = binary.LittleEndian.AppendUint16(out, uint16(hlen))
	out = append(out, dict.String()...)
	out = append(out, bytes.Repeat([]byte{' '}, pad)...)
	return append(out, '\n'), nil
}

// ReadHeader reads the preamble from r, leaving r at the first data byte.
// Errors wrap ErrFormat.
func ReadHeader(r io.Reader) (*Header, error) {
	pre := make([]byte, len(Magic)+2)
	if _, err := io.ReadFull(r, pre); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, NoEOF(err))
	}
	if string(pre[:len(Magic)]) != Magic {
		return nil, fmt.Errorf("%w: bad magic %q", ErrFormat, pre[:len(Magic)])
	}
	major, minor := pre[len(Magic)], pre[len(Magic)+1]
	var hlen int
	offset := int64(len(pre))
	switch {
	case major == 1 && minor == 0:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFormat, NoEOF(err))
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
		offset += 2
	case (major == 2 || major == 3) && minor == 0:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFormat, NoEOF(err))
		}
		n := binary.LittleEndian.Uint32(b[:])
		if n > maxHeader {
			return nil, fmt.Errorf("%w: header of %d bytes", ErrFormat, n)
		}
		hlen = int(n)
		offset += 4
	default:
		return nil, fmt.Errorf("%w: unsupported version %d.%d", ErrFormat, major, minor)
	}
	head := make([]byte, hlen)
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrFormat, NoEOF(err))
	}
	h, err := parseHeader(string(head))
	if err != nil {
		return nil, fmt.Errorf("%w: header %q: %v", ErrFormat, strings.TrimSpace(string(head)), err)
	}
	h.Offset = offset + int64(hlen)
	return h, nil
}

// DataBytes is the size of the data the header describes: the product of
// the shape times the item size of a plain numeric dtype (see ItemSize).
// Errors wrap ErrFormat.
func (h *Header) DataBytes() (int64, error) {
	size, err := ItemSize(h.Descr)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	n := int64(size)
	for _, d := range h.Shape {
		if d > 0 && n > math.MaxInt64/int64(d) {
			return 0, fmt.Errorf("%w: shape %v is too large", ErrFormat, h.Shape)
		}
		n *= int64(d)
	}
	return n, nil
}

// NoEOF words a short read as "file too short".
func NoEOF(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("file too short")
	}
	return err
}

// ItemSize returns the byte size of one element of a plain numeric dtype
// (a byte order '<', '>', '|' or '=', a kind b, i, u or f, and a size).
func ItemSize(descr string) (int, error) {
	if len(descr) < 3 || !strings.ContainsRune("<>|=", rune(descr[0])) || !strings.ContainsRune("biuf", rune(descr[1])) {
		return 0, fmt.Errorf("unsupported dtype %q", descr)
	}
	n, err := strconv.Atoi(descr[2:])
	if err != nil || n < 1 || n > 16 {
		return 0, fmt.Errorf("unsupported dtype %q", descr)
	}
	return n, nil
}

// DtypeName is a dtype string as numpy prints the dtype, for messages:
// "uint8", "int64", "float32", "object"; the string itself when it is not
// a plain one.
func DtypeName(descr string) string {
	if len(descr) >= 2 && descr[1] == 'O' {
		return "object"
	}
	n, err := ItemSize(descr)
	if err != nil {
		return descr
	}
	kind := map[byte]string{'b': "bool", 'i': "int", 'u': "uint", 'f': "float"}[descr[1]]
	if kind == "bool" {
		return kind
	}
	return kind + strconv.Itoa(8*n)
}

// parseHeader parses the header dict: exactly the keys descr,
// fortran_order and shape, as numpy requires.
func parseHeader(s string) (*Header, error) {
	p := &parser{s: s}
	if !p.eat('{') {
		return nil, errors.New("not a dict")
	}
	a := &Header{}
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
				a.Fortran = true
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
