//go:build !linux

package tiles

import (
	"context"
	"io"
	"os"
	"time"
)

// openStream opens a pipe, FIFO or character device, giving up when ctx
// is done first: the open (which for a FIFO waits for a writer) runs in a
// goroutine, which closes the file if it opens after all; reads are given
// a deadline when ctx is done, where the poller supports one.
func openStream(ctx context.Context, name string, mode os.FileMode) (io.ReadCloser, error) {
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.Open(name)
		ch <- opened{f, err}
	}()
	select {
	case o := <-ch:
		if o.err != nil {
			return nil, o.err
		}
		stop := context.AfterFunc(ctx, func() { o.f.SetReadDeadline(time.Now()) })
		return &closer{o.f, stop}, nil
	case <-ctx.Done():
		go func() {
			if o := <-ch; o.f != nil {
				o.f.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

type closer struct {
	*os.File
	stop func() bool
}

func (c *closer) Close() error {
	c.stop()
	return c.File.Close()
}
