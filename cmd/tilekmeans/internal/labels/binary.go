package labels

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/tilekmeans/tilekmeans/internal/npyformat"
	"github.com/tilekmeans/tilekmeans/tiles"
)

// parseAny parses a label file: binary (an IDX labels file, gzipped or
// not, or a .npy of integers), else text (Parse).
func parseAny(path string, data []byte) (*Parsed, error) {
	fail := func(format string, a ...any) (*Parsed, error) {
		return nil, &FileError{Path: path, Err: fmt.Errorf(format, a...)}
	}
	if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		z, err := gzip.NewReader(bytes.NewReader(data))
		if err == nil {
			data, err = io.ReadAll(io.LimitReader(z, maxLabelBytes+1))
		}
		if err != nil {
			return fail("broken gzip stream: %v", err)
		}
		if len(data) > maxLabelBytes {
			return fail("larger than %d bytes once decompressed", maxLabelBytes)
		}
		if !isIDX(data) {
			return fail("a gzipped file that is not an IDX labels file (magic % x, want 00 00 08 01)", data[:min(4, len(data))])
		}
	}
	var values []int64
	switch {
	case isIDX(data):
		v, err := idxLabels(data)
		if err != nil {
			return fail("%v", err)
		}
		values = v
	case bytes.HasPrefix(data, []byte(npyformat.Magic)):
		v, err := npyLabels(data)
		if err != nil {
			return fail("%v", err)
		}
		values = v
	default:
		return Parse(path, data)
	}
	if len(values) == 0 {
		return fail("empty: no labels")
	}
	p := &Parsed{Values: make([]string, len(values)), Columns: 1}
	seen := map[int64]bool{}
	var order []int64
	for i, v := range values {
		p.Values[i] = strconv.FormatInt(v, 10)
		if !seen[v] {
			seen[v] = true
			order = append(order, v)
		}
	}
	slices.Sort(order)
	for _, v := range order {
		p.Order = append(p.Order, strconv.FormatInt(v, 10))
	}
	return p, nil
}

// isIDX reports whether data starts like an IDX file: two zero bytes, a
// data type code (LeCun's 0x08..0x0E), a dimension count.
func isIDX(data []byte) bool {
	return len(data) >= 4 && data[0] == 0 && data[1] == 0 && data[2] >= 0x08 && data[2] <= 0x0E && data[3] >= 1
}

// idxLabels reads an IDX labels file: unsigned bytes (0x08) or 32-bit
// integers (0x0C), one dimension, the count matching the size exactly.
func idxLabels(data []byte) ([]int64, error) {
	typ, dims := data[2], int(data[3])
	if dims != 1 {
		return nil, fmt.Errorf("an IDX file of %d dimensions holds images, not labels: want 1 (idx1-ubyte)", dims)
	}
	if len(data) < 8 {
		return nil, errors.New("IDX header: file too short")
	}
	n := int64(binary.BigEndian.Uint32(data[4:]))
	size := map[byte]int64{0x08: 1, 0x09: 1, 0x0B: 2, 0x0C: 4}[typ]
	if size == 0 {
		return nil, fmt.Errorf("IDX data type 0x%02x: want integers (0x08 unsigned byte, 0x09 signed byte, 0x0B short, 0x0C int)", typ)
	}
	if got := int64(len(data) - 8); got != n*size {
		what := "truncated"
		if got > n*size {
			what = "the count does not match the size"
		}
		return nil, fmt.Errorf("%s: the IDX header says %d labels (%d bytes of data), the file holds %d", what, n, n*size, got)
	}
	out := make([]int64, n)
	for i := range out {
		p := data[8+int64(i)*size:]
		switch typ {
		case 0x08:
			out[i] = int64(p[0])
		case 0x09:
			out[i] = int64(int8(p[0]))
		case 0x0B:
			out[i] = int64(int16(binary.BigEndian.Uint16(p)))
		case 0x0C:
			out[i] = int64(int32(binary.BigEndian.Uint32(p)))
		}
	}
	return out, nil
}

// npyLabels reads a .npy of integers (any size, either byte order) or
// booleans of shape (N,).
func npyLabels(data []byte) ([]int64, error) {
	r := bytes.NewReader(data)
	h, err := npyformat.ReadHeader(r)
	if err != nil {
		return nil, err
	}
	if len(h.Descr) < 3 || (h.Descr[1] != 'i' && h.Descr[1] != 'u' && h.Descr[1] != 'b') {
		return nil, fmt.Errorf(".npy of dtype %s (%q): want integer labels", npyformat.DtypeName(h.Descr), h.Descr)
	}
	if len(h.Shape) != 1 && !(len(h.Shape) == 2 && h.Shape[1] == 1) {
		return nil, fmt.Errorf(".npy of shape %v: want one label per sample, shape (N,)", h.Shape)
	}
	size, err := npyformat.ItemSize(h.Descr)
	if err != nil || (size != 1 && size != 2 && size != 4 && size != 8) {
		return nil, fmt.Errorf(".npy of dtype %q: want integers of 1, 2, 4 or 8 bytes", h.Descr)
	}
	n := h.Shape[0]
	if int64(r.Len()) < int64(n)*int64(size) {
		return nil, fmt.Errorf("truncated: shape %v needs %d data bytes, the file holds %d", h.Shape, int64(n)*int64(size), r.Len())
	}
	var order binary.ByteOrder = binary.LittleEndian
	if h.Descr[0] == '>' {
		order = binary.BigEndian
	}
	body := data[h.Offset:]
	signed := h.Descr[1] == 'i'
	out := make([]int64, n)
	for i := range out {
		p := body[i*size:]
		var u uint64
		switch size {
		case 1:
			u = uint64(p[0])
		case 2:
			u = uint64(order.Uint16(p))
		case 4:
			u = uint64(order.Uint32(p))
		case 8:
			u = order.Uint64(p)
		}
		if signed && size < 8 {
			shift := 64 - 8*size
			out[i] = int64(u<<shift) >> shift
		} else {
			out[i] = int64(u)
		}
	}
	return out, nil
}

// FolderClasses gives t's samples their class by -labels folders: the
// first folder below the folder each file was found in, as folderOf
// says. Classes are numbered in natural order of their names.
func FolderClasses(t *tiles.Set, folderOf func(path string) (string, error), compare func(a, b string) int) (*Classes, error) {
	c := &Classes{Of: make([]int, t.N())}
	names := make([]string, len(t.Sheets))
	seen := map[string]bool{}
	for i, sh := range t.Sheets {
		name, err := folderOf(sh.Path)
		if err != nil {
			return nil, fmt.Errorf("folders: %w", err)
		}
		names[i] = name
		if !seen[name] {
			seen[name] = true
			c.Names = append(c.Names, name)
		}
	}
	slices.SortFunc(c.Names, compare)
	index := map[string]int{}
	for i, n := range c.Names {
		index[n] = i
	}
	c.Sizes = make([]int, len(c.Names))
	for i, o := range t.Origins {
		k := index[names[o.Sheet]]
		c.Of[i] = k
		c.Sizes[k]++
	}
	return c, nil
}
