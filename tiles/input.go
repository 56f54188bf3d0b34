package tiles

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"strings"
)

// input is a file to load (one sheet, or one per page of a multi-image
// file), or bytes in memory.
type input struct {
	name     string
	data     []byte // the encoded file, when in memory (a Source, or a stream read once)
	inMemory bool
	// fromSource: data is a Source's, which the caller keeps.
	fromSource bool
}

// maxStreamBytes bounds what is read from a pipe, FIFO or other file that
// is not a regular file (which must be read whole, once, into memory).
const maxStreamBytes = 1 << 31

// headers reads the file's image headers (one per page) without decoding
// the pixels; limit is Options.MaxPixels. A file that is not a regular file
// is read whole first (see stat).
func (in *input) headers(ctx context.Context, limit int64) ([]header, error) {
	size, err := in.stat(ctx)
	if err != nil {
		return nil, err
	}
	if in.inMemory {
		return sniffPages(in.name, bytes.NewReader(in.data), int64(len(in.data)), limit)
	}
	f, err := os.Open(in.name)
	if err != nil {
		return nil, fmt.Errorf("load %w", err)
	}
	defer f.Close()
	return sniffPages(in.name, f, size, limit)
}

// stat returns the size of a regular file. A file that is not a regular
// file (a pipe, a FIFO, /dev/stdin) cannot be read twice, and opening a
// FIFO waits for its writer: it is read whole here (readStream), giving up
// when ctx is done, and kept in memory. A folder is an error.
func (in *input) stat(ctx context.Context) (int64, error) {
	if in.inMemory {
		return int64(len(in.data)), nil
	}
	st, err := os.Stat(in.name)
	if err != nil {
		return 0, fmt.Errorf("load %w", err) // *PathError names the file
	}
	if !st.Mode().IsRegular() {
		data, err := readStream(ctx, in.name, st.Mode())
		if err != nil {
			return 0, err
		}
		in.data, in.inMemory = data, true
		return int64(len(data)), nil
	}
	return st.Size(), nil
}

// streamMode refuses what no stream of an image comes from: a folder, a
// block device.
func streamMode(name string, mode os.FileMode) error {
	switch {
	case mode.IsDir():
		return fmt.Errorf("load %s: is a directory", name)
	case mode&os.ModeDevice != 0 && mode&os.ModeCharDevice == 0:
		return fmt.Errorf("load %s: is a block device, not an image file", name)
	}
	return nil
}

// readStream reads a file that is not a regular file whole, giving up
// with ctx's error when ctx is done first (see openStream for how the wait
// is interrupted).
func readStream(ctx context.Context, name string, mode os.FileMode) ([]byte, error) {
	if err := streamMode(name, mode); err != nil {
		return nil, err
	}
	r, err := openStream(ctx, name, mode)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("load %s: %w", name, ctx.Err())
		}
		return nil, fmt.Errorf("load %w", err)
	}
	return readOpenStream(ctx, name, r)
}

// readOpenStream reads the opened stream r of the file name whole and
// closes it. Its first bytes tell an image from anything else (/dev/zero,
// a terminal's text, an array without an array's name) before the rest is
// read into memory; a file named as an array (arrayFormat) is read as it
// is.
func readOpenStream(ctx context.Context, name string, r io.ReadCloser) ([]byte, error) {
	defer r.Close()
	const head = 512
	var buf bytes.Buffer
	_, err := io.CopyN(&buf, r, head)
	if err == io.EOF && buf.Len() == 0 && ctx.Err() == nil {
		return nil, emptyFile(name)
	}
	if (err == nil || err == io.EOF) && arrayFormat(name) == "" && ctx.Err() == nil {
		if _, _, cerr := image.DecodeConfig(bytes.NewReader(buf.Bytes())); errors.Is(cerr, image.ErrFormat) {
			if f := sniffArray(buf.Bytes()); f != "" && !bytes.HasPrefix(buf.Bytes(), []byte{0x1f, 0x8b}) {
				return nil, fmt.Errorf("load %s: %w: it begins as %s array, and arrays are known by their file name (.npy, *-idx3-ubyte, .gz after either): save it as a file, or read it through a FIFO so named", name, ErrNotImage, strings.ToUpper(f))
			}
			return nil, notImage(name)
		}
	}
	if err == nil {
		_, err = buf.ReadFrom(io.LimitReader(r, maxStreamBytes+1-head))
	} else if err == io.EOF {
		err = nil
	}
	data := buf.Bytes()
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("load %s: %w", name, ctx.Err())
	case err != nil:
		return nil, fmt.Errorf("load %s: %w", name, pathCause(err))
	case len(data) > maxStreamBytes:
		return nil, fmt.Errorf("load %s: more than %d bytes from a pipe or device: save it as a file", name, int64(maxStreamBytes))
	}
	return data, nil
}

// read returns the encoded file: the bytes in memory, or the file read
// whole (readFileInto: into buf when it has room, a pipe or FIFO read as
// readStream reads it).
func (in *input) read(ctx context.Context, buf []byte) ([]byte, error) {
	if in.inMemory {
		return in.data, nil
	}
	return readFileInto(ctx, in.name, buf)
}

// decode reads and decodes the file and hands emit its pages, in order (hs:
// its headers); the encoded bytes are garbage once it returns.
func (in *input) decode(ctx context.Context, hs []header, emit func(page int, img image.Image) error) error {
	data, err := in.read(ctx, nil)
	if err != nil {
		return err
	}
	return decodePages(ctx, in.name, hs, data, nil, emit)
}

// decodePage decodes page p alone (to look at the pixels of a sheet the
// grid does not fit).
func (in *input) decodePage(ctx context.Context, hs []header, p int) (image.Image, error) {
	var img image.Image
	err := in.decode(ctx, hs, func(q int, m image.Image) error {
		if q < p {
			return nil
		}
		img = m
		return errStop
	})
	if err != errStop {
		return nil, err
	}
	return img, nil
}

// errStop ends decodePages early, from emit.
var errStop = errors.New("stop")

// ctxReader reads the encoded bytes of a sheet until ctx is done, then
// fails with ctx's error, so that a decoder working on a large sheet stops
// at its next read (a few kilobytes later) when the run is interrupted.
type ctxReader struct {
	ctx context.Context
	r   *io.SectionReader
}

func newCtxReader(ctx context.Context, r io.ReaderAt, size int64) *ctxReader {
	return &ctxReader{ctx: ctx, r: io.NewSectionReader(r, 0, size)}
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func (c *ctxReader) ReadAt(p []byte, off int64) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.ReadAt(p, off)
}
