package tiles_test

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tilekmeans/tilekmeans/tiles"
)

// countdown is a context that is done after its Err has been asked n
// times: it interrupts a load at a point the test chooses, without timing.
type countdown struct {
	context.Context
	n atomic.Int64
}

func (c *countdown) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// hangGuard fails the test if f has not returned within a minute (a hang,
// not a speed measure) and returns f's error.
func hangGuard(t *testing.T, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		t.Fatal("still blocked after a minute")
		return nil
	}
}

// TestCase_sigint_ignored_while_loading: ../shared/cases/
// sigint_ignored_while_loading: loading took no context, so SIGINT was
// acted on only after every sheet had loaded, and a FIFO named as a sheet
// blocked forever. Options.Context interrupts loading: before any file,
// inside a decode (at the decoder's next read, for every format's
// decoder), and while waiting for a FIFO's writer; the error wraps the
// context's, never "corrupt".
func TestCase_sigint_ignored_while_loading(t *testing.T) {
	dir := t.TempDir()
	sheet := filepath.Join(dir, "s.png")
	if err := os.WriteFile(sheet, encodePNG(t, numberedSheet(64, 64)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tiles.Load([]string{sheet}, tiles.Options{Size: 8, Context: ctx}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before: %v", err)
	}
	// Anywhere inside: a whole load asks the context T times (once per
	// file and phase, at every read of a decoder, per frame); done after
	// any of them, the load stops with its error.
	big := image.NewGray(image.Rect(0, 0, 512, 512)) // noise: its PNG takes many reads
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range big.Pix {
		big.Pix[i] = uint8(rng.Uint32())
	}
	for _, f := range []string{"gif_frames.gif", "apng_frames.png", "webp_frames.webp", "tiff_pages.tif", "jpeg_gray.jpg", "bmp_rgb24.bmp"} {
		srcs := []tiles.Source{{Name: f, Data: readFormat(t, f)}, {Name: "big.png", Data: encodePNG(t, big)}}
		opts := tiles.Options{Grid: tiles.Grid{TileWidth: fw, TileHeight: fh}, Crop: true, Workers: 1}
		whole := &countdown{Context: context.Background()}
		whole.n.Store(1 << 40)
		opts.Context = whole
		if _, err := tiles.LoadSources(srcs, opts); err != nil {
			t.Fatal(err)
		}
		checks := 1<<40 - whole.n.Load()
		t.Logf("%s and a noisy 512x512 PNG: the context asked %d times", f, checks)
		if checks < 20 {
			t.Fatalf("%s: the context was asked %d times", f, checks)
		}
		for after := range checks {
			c := &countdown{Context: context.Background()}
			c.n.Store(after)
			opts.Context = c
			_, err := tiles.LoadSources(srcs, opts)
			if !errors.Is(err, context.Canceled) || errors.Is(err, tiles.ErrCorrupt) {
				t.Fatalf("%s, done after %d of %d checks: %v", f, after, checks, err)
			}
		}
	}
	if runtime.GOOS != "linux" {
		t.Skip("FIFOs: the Linux poller's semantics are tested")
	}
	fifo := filepath.Join(dir, "f.png")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// No writer ever comes: the wait ends when the context is done.
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	err := hangGuard(t, func() error {
		_, err := tiles.Load([]string{sheet, fifo}, tiles.Options{Size: 8, Context: ctx})
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("FIFO without a writer: %v", err)
	}
}

// TestCase_pipe_input_message: ../shared/cases/pipe_input_message: a sheet
// read through a pipe (bash's <(cat a.png), /dev/stdin) was "not a JPEG,
// PNG, ... image". A file that is not a regular file is read once, whole:
// a pipe, a FIFO whose writer comes before or after the loader opens it;
// one whose writer leaves without writing is an empty file, not a hang.
func TestCase_pipe_input_message(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/dev/fd and the FIFO semantics tested are Linux's")
	}
	want, err := tiles.Load([]string{filepath.Join(sharedDir(t, "cases", "pipe_input_message"), "base.png")}, tiles.Options{Size: 8})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(sharedDir(t, "cases", "pipe_input_message"), "base.png"))
	if err != nil {
		t.Fatal(err)
	}
	check := func(what, path string) {
		t.Helper()
		var got *tiles.Set
		err := hangGuard(t, func() (err error) {
			got, err = tiles.Load([]string{path}, tiles.Options{Size: 8})
			return err
		})
		if err != nil || got.N() != 20 || string(got.Pix) != string(want.Pix) || got.Sheets[0].Path != path {
			t.Errorf("%s: %v, want base.png's 20 tiles", what, err)
		}
	}
	// A pipe, as bash's process substitution gives it: /dev/fd/N.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() { w.Write(data); w.Close() }()
	check("pipe", fmt.Sprintf("/dev/fd/%d", r.Fd()))
	r.Close()

	dir := t.TempDir()
	fifo := filepath.Join(dir, "f.png")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	write := func(delay time.Duration, data []byte) {
		go func() {
			time.Sleep(delay)
			f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err != nil {
				t.Error(err)
				return
			}
			f.Write(data)
			f.Close()
		}()
	}
	write(0, data)
	check("FIFO, writer first", fifo)
	write(200*time.Millisecond, data)
	check("FIFO, reader first", fifo)
	write(200*time.Millisecond, nil)
	err = hangGuard(t, func() error {
		_, err := tiles.Load([]string{fifo}, tiles.Options{Size: 8})
		return err
	})
	if !errors.Is(err, tiles.ErrNotImage) {
		t.Errorf("FIFO whose writer writes nothing: %v, want ErrNotImage", err)
	}
}
