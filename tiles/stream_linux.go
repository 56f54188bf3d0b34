package tiles

import (
	"context"
	"io"
	"os"
	"syscall"
	"time"
)

// openStream opens a pipe, FIFO or character device so that neither the
// open nor a read outlasts ctx. A blocking open(2) of a FIFO waits for a
// writer, and no signal interrupts it; so the file is opened non-blocking,
// and reads wait in Go's poller (epoll), which a read deadline, set when
// ctx is done, wakes.
func openStream(ctx context.Context, name string, mode os.FileMode) (io.ReadCloser, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	s := &stream{f: f, rc: rc, fifo: mode&os.ModeNamedPipe != 0}
	s.stop = context.AfterFunc(ctx, func() { f.SetReadDeadline(time.Now()) })
	return s, nil
}

// stream reads a non-blocking file through the poller.
type stream struct {
	f    *os.File
	rc   syscall.RawConn
	stop func() bool
	// fifo: a read of nothing before any byte came may mean that no writer
	// has opened the FIFO yet (read(2) then says end of file); the stream
	// waits once for the poller, which on Linux reports such a FIFO
	// readable only when a writer has come (and written, or gone).
	fifo, waited, got bool
}

func (s *stream) Read(p []byte) (int, error) {
	var n int
	var rerr error
	err := s.rc.Read(func(fd uintptr) bool {
		for {
			n, rerr = syscall.Read(int(fd), p)
			if rerr != syscall.EINTR {
				break
			}
		}
		switch {
		case rerr == syscall.EAGAIN:
			return false // nothing yet: wait in the poller
		case n == 0 && rerr == nil && s.fifo && !s.got && !s.waited:
			s.waited = true
			return false
		}
		return true
	})
	switch {
	case err != nil: // os.ErrDeadlineExceeded once ctx is done
		return 0, err
	case rerr != nil:
		return 0, rerr
	case n == 0 && len(p) > 0:
		return 0, io.EOF
	}
	s.got = true
	return n, nil
}

func (s *stream) Close() error {
	s.stop()
	return s.f.Close()
}
