//go:build linux

package tiles_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

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
