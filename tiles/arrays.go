package tiles

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tilekmeans/tilekmeans/internal/imageformat"
	"github.com/tilekmeans/tilekmeans/internal/memcheck"
	"github.com/tilekmeans/tilekmeans/internal/npyformat"
)

// Arrays of images: NumPy .npy files and IDX files (the format of MNIST,
// Fashion-MNIST and EMNIST), read as a stream so that a 2 GB file costs the
// tile matrix it fills and no more.

// Array formats, as Sheet.Format and imageformat.ArrayFormat name them.
const (
	formatNpy = "npy"
	formatIDX = "idx"
)

// arrayFormat returns the array format a file name stands for ("" for
// none; see imageformat.ArrayFormat).
func arrayFormat(name string) string { return imageformat.ArrayFormat(name) }

// sniffArray returns the array format of data held in memory, by its first
// bytes: the .npy magic, an IDX magic (0x00 0x00, a type, a dimension
// count of 1 to 4), or gzip's.
func sniffArray(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte(npyformat.Magic)):
		return formatNpy
	case len(data) >= 4 && data[0] == 0 && data[1] == 0 && data[2] >= 0x08 && data[3] >= 1 && data[3] <= 4:
		return formatIDX
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		return formatIDX // only IDX files are read gzipped
	}
	return ""
}

// arrayHeader is what an array file's header says: n images of h x w
// pixels of c channels (1: gray, 3: RGB), uint8, row-major, starting
// offset bytes into the (decompressed) stream.
type arrayHeader struct {
	format     string // formatNpy or formatIDX
	n, h, w, c int
	offset     int64
	// exact: the data must end the file (IDX says nothing of trailing
	// bytes, so a count that does not match the size is an error; numpy
	// ignores bytes after the array, and so does this package).
	exact bool
	// left is the bytes the stream holds after the header, -1 when
	// unknown (gzip).
	left int64
}

// desc says what the header describes: "60000 images of 28x28".
func (a *arrayHeader) desc() string {
	s := fmt.Sprintf("%d images of %dx%d", a.n, a.w, a.h)
	if a.c == 3 {
		s += "x3"
	}
	return s
}

// bytes is the size of the data.
func (a *arrayHeader) bytes() int64 { return int64(a.n) * int64(a.h) * int64(a.w) * int64(a.c) }

// arrayReader opens an array input: its stream (decompressed when
// gzipped), positioned at the start, and the bytes the stream holds
// (-1 when unknown: gzipped), or at most (packed, for a gzipped file: its
// size times maxDeflateRatio). close releases it.
func (in input) arrayReader() (r io.Reader, size int64, most uint64, close func(), err error) {
	var raw io.Reader
	closeFn := func() {}
	if in.inMemory {
		raw, size = bytes.NewReader(in.data), int64(len(in.data))
	} else {
		f, err := os.Open(in.name)
		if err != nil {
			return nil, 0, 0, nil, fmt.Errorf("load %w", err)
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, 0, 0, nil, fmt.Errorf("load %w", err)
		}
		if st.IsDir() {
			f.Close()
			return nil, 0, 0, nil, fmt.Errorf("load %s: is a directory", in.name)
		}
		raw, size, closeFn = f, st.Size(), func() { f.Close() }
	}
	br := bufio.NewReaderSize(raw, 1<<16)
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		z, err := gzip.NewReader(br)
		if err != nil {
			closeFn()
			return nil, 0, 0, nil, fmt.Errorf("load %s: %w", in.name, &arrayError{err: fmt.Errorf("broken gzip stream: %v", err)})
		}
		z.Multistream(false)
		return bufio.NewReaderSize(z, 1<<16), -1, memcheck.Mul(uint64(max(0, size)), maxDeflateRatio), closeFn, nil
	}
	return br, size, uint64(max(0, size)), closeFn, nil
}

// maxDeflateRatio bounds what a gzipped file can hold: deflate (RFC 1951)
// codes at most 258 bytes, a match of the longest length, in 2 bits, so
// that a stream decompresses to at most 1032 times its size. A gzipped
// array's header is never trusted with more: the matrix it sizes is
// allocated before the data arrive.
const maxDeflateRatio = 1032

// arrayError is a malformed or refused array file; it matches ErrCorrupt
// when the file is broken (truncated, a count that does not match its
// size), errors.ErrUnsupported when it is a valid array of a kind that
// is not images (another dtype, Fortran order).
type arrayError struct {
	err         error
	unsupported bool
}

func (e *arrayError) Error() string { return e.err.Error() }
func (e *arrayError) Unwrap() error { return e.err }
func (e *arrayError) Is(target error) bool {
	if e.unsupported {
		return target == errors.ErrUnsupported
	}
	return target == ErrCorrupt
}

// readArrayHeader reads the header of the array input in (format npy or
// idx) from r, whose stream holds size bytes (-1: unknown, gzipped), and
// at most most bytes (for a gzipped stream, what its file can hold). tile
// is the
// image size that a .npy of shape (N, D) is read with (0x0: none given);
// limit the most pixels an image may have (0: maxPixels).
func readArrayHeader(name, format string, r io.Reader, size int64, most uint64, tw, th int, limit int64) (*arrayHeader, error) {
	fail := func(unsupported bool, f string, args ...any) (*arrayHeader, error) {
		return nil, fmt.Errorf("load %s: %w", name, &arrayError{err: fmt.Errorf(f, args...), unsupported: unsupported})
	}
	a := &arrayHeader{format: format, c: 1}
	switch format {
	case formatNpy:
		h, err := npyformat.ReadHeader(r)
		if err != nil {
			return fail(false, "%v", err)
		}
		a.offset = h.Offset
		switch {
		case h.Descr != "|u1" && h.Descr != "<u1" && h.Descr != "=u1" && h.Descr != ">u1":
			return fail(true, ".npy of dtype %s (%q): want uint8 images (numpy: a.astype(np.uint8) after scaling to 0..255)", npyformat.DtypeName(h.Descr), h.Descr)
		case h.Fortran:
			return fail(true, ".npy in Fortran order: want C order, as numpy.save writes a C-contiguous array (numpy: np.save(f, np.ascontiguousarray(a)))")
		}
		switch s := h.Shape; {
		case len(s) == 3:
			a.n, a.h, a.w = s[0], s[1], s[2]
		case len(s) == 4 && (s[3] == 3 || s[3] == 1):
			a.n, a.h, a.w, a.c = s[0], s[1], s[2], s[3]
		case len(s) == 2:
			a.n = s[0]
			switch d := s[1]; {
			case tw == 0 || th == 0:
				return fail(true, ".npy of shape %s holds rows of %d values: give the image size (-tile WxH) they are laid out in", shapeText(s), d)
			case d == tw*th:
				a.h, a.w = th, tw
			case d == 3*tw*th:
				a.h, a.w, a.c = th, tw, 3
			default:
				return fail(true, ".npy of shape %s: rows of %d values are not %dx%d images (%d values gray, %d RGB)", shapeText(s), d, tw, th, tw*th, 3*tw*th)
			}
		default:
			return fail(true, ".npy of shape %s: want images as (N, H, W), (N, H, W, 3) or (N, D)", shapeText(s))
		}
	case formatIDX:
		var m [4]byte
		if _, err := io.ReadFull(r, m[:]); err != nil {
			return fail(false, "not an IDX file: %v", npyformat.NoEOF(err))
		}
		if m[0] != 0 || m[1] != 0 {
			return fail(false, "not an IDX file: magic % x, want 00 00 08 03 (unsigned bytes, 3 dimensions: images)", m)
		}
		if m[2] != 0x08 {
			return fail(true, "IDX data type 0x%02x (%s): want 0x08, unsigned bytes", m[2], idxType(m[2]))
		}
		if m[3] == 1 {
			return fail(true, "an IDX file of 1 dimension holds labels, not images (use it with -labels)")
		}
		if m[3] != 3 {
			return fail(true, "IDX file of %d dimensions: want 3 (images, N x rows x columns)", m[3])
		}
		var dims [3]uint32
		if err := binary.Read(r, binary.BigEndian, &dims); err != nil {
			return fail(false, "IDX header: %v", npyformat.NoEOF(err))
		}
		a.n, a.h, a.w, a.offset, a.exact = int(dims[0]), int(dims[1]), int(dims[2]), 16, true
	}
	if a.n > 0 && (a.h < 1 || a.w < 1) {
		return fail(false, "%s images of %dx%d pixels", strings.ToUpper(format), a.w, a.h)
	}
	if limit <= 0 {
		limit = maxPixels
	}
	if int64(a.h)*int64(a.w) > limit {
		return nil, &tooLargeError{path: name, format: strings.ToUpper(format) + " array", width: a.w, height: a.h, limit: limit}
	}
	if memcheck.Mul(uint64(a.n), uint64(a.h), uint64(a.w), uint64(a.c)) >= 1<<62 {
		return fail(false, "%s: more than 2^62 bytes of data, no array at all", a.desc())
	}
	if size < 0 && uint64(a.offset+a.bytes()) > most {
		return fail(false, "the count does not match the size: the %s header says %s (%d bytes of data), more than a gzipped file of %d bytes can hold (deflate packs at most %d bytes into one)",
			strings.ToUpper(a.format), a.desc(), a.bytes(), most/maxDeflateRatio, maxDeflateRatio)
	}
	a.left = -1
	if size >= 0 {
		a.left = size - a.offset
		if err := a.checkSize(name, a.left); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// checkSize checks the data bytes a stream holds after the header against
// what the header says.
func (a *arrayHeader) checkSize(name string, left int64) error {
	if left < a.bytes() || a.exact && left > a.bytes() {
		what := "truncated"
		if left > a.bytes() {
			what = "the count does not match the size"
		}
		return fmt.Errorf("load %s: %w", name, &arrayError{err: fmt.Errorf("%s: the %s header says %s (%d bytes of data), the file holds %d",
			what, strings.ToUpper(a.format), a.desc(), a.bytes(), left)})
	}
	return nil
}

// idxType names an IDX data type code (LeCun, "THE IDX FILE FORMAT",
// http://yann.lecun.com/exdb/mnist/).
func idxType(t byte) string {
	switch t {
	case 0x08:
		return "unsigned byte"
	case 0x09:
		return "signed byte"
	case 0x0B:
		return "short"
	case 0x0C:
		return "int"
	case 0x0D:
		return "float"
	case 0x0E:
		return "double"
	}
	return "unknown"
}

// shapeText writes a shape as Python does: (3,), (2, 3).
func shapeText(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	if len(s) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
