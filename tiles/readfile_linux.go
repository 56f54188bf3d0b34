package tiles

import (
	"context"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// readFileInto reads the file at name whole into buf (grown as needed) and
// returns the bytes, for the loop over image files that Options.Resize
// makes. It is os.ReadFile without what a loop over 60,000 small files
// pays for and does not need: the descriptor's registration with the
// runtime poller (two fcntl calls) and a fresh buffer per file (open,
// fstat, read, close: four system calls where os.ReadFile makes seven; a
// third less time reading a folder of MNIST PNGs). The file is opened
// non-blocking, so that a FIFO's open does not wait for a writer; one that
// is not a regular file (a pipe, a FIFO, a terminal) is read by readStream's
// rules from the descriptor opened here (closing it would let a FIFO's
// writer, released by that open, write into a pipe with no reader), giving
// up when ctx is done. Errors start "load" and name the file.
func readFileInto(ctx context.Context, name string, buf []byte) ([]byte, error) {
	var fd int
	var err error
	for {
		fd, err = unix.Open(name, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("load %w", &os.PathError{Op: "open", Path: name, Err: err})
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("load %w", &os.PathError{Op: "stat", Path: name, Err: err})
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		f := os.NewFile(uintptr(fd), name)
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("load %w", err)
		}
		return readStreamFile(ctx, name, fi.Mode(), f)
	}
	defer unix.Close(fd)
	size := int(st.Size)
	if cap(buf) < size+1 {
		buf = make([]byte, 0, size+512)
	}
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("load %w", &os.PathError{Op: "read", Path: name, Err: err})
		}
		buf = buf[:len(buf)+n]
		// A regular file's read stops short only at its end: once the
		// size fstat gave is read, the read of nothing that os.ReadFile
		// makes to see the end is spared.
		if n == 0 || len(buf) == size {
			return buf, nil
		}
	}
}
