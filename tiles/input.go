package tiles

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
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
// (a pipe, a FIFO, /dev/stdin) cannot be read twice, and opening a FIFO
// waits for its writer: it is read whole here, giving up when ctx is done,
// and kept in memory.
func (in *input) headers(ctx context.Context, limit int64) ([]header, error) {
	if in.inMemory {
		return sniffPages(in.name, bytes.NewReader(in.data), int64(len(in.data)), limit)
	}
	st, err := os.Stat(in.name)
	if err != nil {
		return nil, fmt.Errorf("load %w", err) // *PathError names the file
	}
	switch {
	case st.IsDir():
		return nil, fmt.Errorf("load %s: is a directory", in.name)
	case !st.Mode().IsRegular():
		data, err := readStream(ctx, in.name, st.Mode())
		if err != nil {
			return nil, err
		}
		in.data, in.inMemory = data, true
		return sniffPages(in.name, bytes.NewReader(in.data), int64(len(in.data)), limit)
	}
	f, err := os.Open(in.name)
	if err != nil {
		return nil, fmt.Errorf("load %w", err)
	}
	defer f.Close()
	return sniffPages(in.name, f, st.Size(), limit)
}

// readStream reads a file that is not a regular file whole, giving up
// with ctx's error when ctx is done first (see openStream for how the wait
// is interrupted).
func readStream(ctx context.Context, name string, mode os.FileMode) ([]byte, error) {
	if mode&os.ModeDevice != 0 && mode&os.ModeCharDevice == 0 {
		return nil, fmt.Errorf("load %s: is a block device, not an image file", name)
	}
	r, err := openStream(ctx, name, mode)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("load %s: %w", name, ctx.Err())
		}
		return nil, fmt.Errorf("load %w", err)
	}
	defer r.Close()
	// The first bytes tell an image from anything else (/dev/zero, a
	// terminal's text) before the rest is read into memory.
	const head = 512
	var buf bytes.Buffer
	_, err = io.CopyN(&buf, r, head)
	if err == nil || err == io.EOF {
		if _, _, cerr := image.DecodeConfig(bytes.NewReader(buf.Bytes())); errors.Is(cerr, image.ErrFormat) && ctx.Err() == nil {
			return nil, fmt.Errorf("load %s: %w", name, ErrNotImage)
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

// bytes returns the encoded file.
func (in *input) bytes() ([]byte, error) {
	if in.inMemory {
		return in.data, nil
	}
	data, err := os.ReadFile(in.name)
	if err != nil {
		return nil, fmt.Errorf("load %w", err)
	}
	return data, nil
}

// decode reads and decodes the file and hands emit its pages, in order (hs:
// its headers); the encoded bytes are garbage once it returns.
func (in *input) decode(ctx context.Context, hs []header, emit func(page int, img image.Image) error) error {
	data, err := in.bytes()
	if err != nil {
		return err
	}
	return decodePages(ctx, in.name, hs, data, emit)
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
