//go:build linux

package tiles_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/tiles"
)

// testFIFOWithoutWriter: a load waiting for a FIFO's writer, who never
// comes, ends when the context is done (sheet is a file loaded first).
func testFIFOWithoutWriter(t *testing.T, sheet string) {
	fifo := filepath.Join(t.TempDir(), "f.png")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
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
// one whose writer leaves without writing is an empty file, not a hang;
// /dev/zero is no image, said from its first bytes.
func TestCase_pipe_input_message(t *testing.T) {
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
	check("pipe", sharedtest.Pipe(t, data))

	fifo := filepath.Join(t.TempDir(), "f.png")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	write := func(delay time.Duration, data []byte) { fifoWriter(t, fifo, delay, data) }
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
	// An endless stream that is no image is refused from its first bytes,
	// not read into memory.
	err = hangGuard(t, func() error {
		_, err := tiles.Load([]string{"/dev/zero"}, tiles.Options{Size: 8})
		return err
	})
	if !errors.Is(err, tiles.ErrNotImage) || !strings.Contains(err.Error(), "/dev/zero") {
		t.Errorf("/dev/zero: %v, want ErrNotImage", err)
	}
}

// fifoWriter writes data into the FIFO after delay: it opens it for
// writing, which waits for a reader, writes and closes.
func fifoWriter(t *testing.T, fifo string, delay time.Duration, data []byte) {
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

// TestSamplesFromPipes: one image, one sample (Options.Resize) reads a
// pipe or FIFO as a sheet is read: once, whole, its pages each a sample;
// a FIFO whose writer waits for the loader's open, and one whose writer
// comes later, give the file's samples; one whose writer never comes ends
// with the context. An array through a FIFO named as an array is read
// (into memory); through a pipe with no array's name it is refused with
// one line saying arrays are known by their names.
func TestSamplesFromPipes(t *testing.T) {
	data := readFormat(t, "gif_frames.gif")
	dir := t.TempDir()
	opts := tiles.Options{Resize: image.Pt(8, 8)}
	want, err := tiles.Load([]string{write(t, dir, "g.gif", data)}, opts)
	if err != nil || want.N() != 3 {
		t.Fatalf("the file: %v", err)
	}
	load := func(paths []string, opts tiles.Options) (*tiles.Set, error) {
		t.Helper()
		var got *tiles.Set
		err := hangGuard(t, func() (err error) {
			got, err = tiles.Load(paths, opts)
			return err
		})
		return got, err
	}
	pipe := sharedtest.Pipe(t, data)
	got, err := load([]string{pipe}, opts)
	if err != nil || !bytes.Equal(got.Pix, want.Pix) || got.Sheets[2].Name() != pipe+"#3" {
		t.Errorf("pipe: %v", err)
	}

	fifo := filepath.Join(dir, "f.gif")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, delay := range []time.Duration{0, 200 * time.Millisecond} {
		fifoWriter(t, fifo, delay, data) // its open waits for the loader's
		got, err := load([]string{fifo}, opts)
		if err != nil || !bytes.Equal(got.Pix, want.Pix) {
			t.Errorf("FIFO, writer after %v: %v", delay, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	cancelled := opts
	cancelled.Context, cancelled.SkipBad = ctx, true
	if _, err := load([]string{fifo}, cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("FIFO without a writer: %v, want the context's error", err)
	}

	// Arrays.
	px := digits(5, 4, 4)
	npy := npyFile(t, px, 5, 4, 4)
	afifo := filepath.Join(dir, "d.npy")
	if err := syscall.Mkfifo(afifo, 0o600); err != nil {
		t.Fatal(err)
	}
	fifoWriter(t, afifo, 0, npy)
	got, err = load([]string{afifo}, tiles.Options{})
	if err != nil || !bytes.Equal(got.Pix, px) || got.Sheets[0].Format != "npy" {
		t.Errorf("an array through a FIFO named d.npy: %v", err)
	}
	pipe = sharedtest.Pipe(t, npy)
	_, err = load([]string{pipe}, opts)
	if !errors.Is(err, tiles.ErrNotImage) || !strings.Contains(err.Error(), pipe+": not a") || !strings.Contains(err.Error(), "it begins as NPY array, and arrays are known by their file name") {
		t.Errorf("an array through a pipe: %v", err)
	}
}
