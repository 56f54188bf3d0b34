//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tilekmeans/tilekmeans/tiles"
)

// Pipes and FIFOs as sheets: /dev/fd and the FIFO semantics tested are
// Linux's.

// TestCase_pipe_input_message_command: a sheet read through a pipe (what
// bash's <(cat base.png) names /dev/fd/N) gives base.png's 20 tiles.
func TestCase_pipe_input_message_command(t *testing.T) {
	data, err := os.ReadFile(sharedCase(t, "pipe_input_message/base.png"))
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() { w.Write(data); w.Close() }()
	s, _, out := runOut(t, "run", "-images", fmt.Sprintf("/dev/fd/%d", r.Fd()), "-tile", "8", "-k", "2", "-backend", "cpu", "-export", "npy")
	want, err := tiles.Load([]string{sharedCase(t, "pipe_input_message/base.png")}, tiles.Options{Size: 8})
	if err != nil {
		t.Fatal(err)
	}
	if got := readTilesNpy(t, out); s.Tiles != 20 || s.Sheets[0].Format != "png" || !bytes.Equal(got, want.Pix) {
		t.Errorf("%d tiles, sheet %+v, the pixels of base.png: %v", s.Tiles, s.Sheets[0], bytes.Equal(got, want.Pix))
	}
}

// TestCase_sigint_ignored_while_loading_command: a run waiting for data
// from a FIFO named as a sheet ends on SIGTERM and on SIGINT with exit 130,
// "interrupted", the earlier output as it was; in-process, a FIFO whose
// writer never comes ends when the context is cancelled.
func TestCase_sigint_ignored_while_loading_command(t *testing.T) {
	dir := t.TempDir()
	sheet := writeFile(t, dir, "s.png", pngOf(t, 64, 32))
	out := filepath.Join(dir, "out")
	if code, _, stderr := runCLI(t, "run", "-q", "-images", sheet, "-k", "2", "-backend", "cpu", "-out", out); code != exitOK {
		t.Fatalf("earlier run: exit %d: %s", code, stderr)
	}
	before := outputFiles(t, out)
	fifo := filepath.Join(dir, "f.png")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		cmd, stderr := childCLI("run", "-images", sheet, fifo, "-k", "2", "-backend", "cpu", "-out", out)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Once the child has opened the FIFO (a non-blocking open for
		// writing succeeds only then), it waits for data that never comes.
		var w *os.File
		for start := time.Now(); w == nil; time.Sleep(10 * time.Millisecond) {
			if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				w = f
			} else if time.Since(start) > time.Minute {
				cmd.Process.Kill()
				t.Fatalf("the child never opened the FIFO: %v; stderr %q", err, stderr)
			}
		}
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if code := exitCode(err); code != exitSignal || !strings.Contains(stderr.String(), "interrupted; no output written") {
				t.Errorf("%v: exit %d, stderr %q", sig, code, stderr)
			}
		case <-time.After(time.Minute):
			cmd.Process.Kill()
			t.Fatalf("%v: still running a minute after the signal", sig)
		}
		w.Close()
		if after := outputFiles(t, out); !equalFiles(before, after) {
			t.Errorf("%v: the earlier output changed", sig)
		}
	}
	// Cancelled in-process (as the signal context is), the same.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	var errb bytes.Buffer
	if code := run(ctx, []string{"run", "-images", fifo, "-k", "2", "-backend", "cpu", "-out", out}, &bytes.Buffer{}, &errb); code != exitSignal {
		t.Errorf("cancelled: exit %d, %q", code, errb.String())
	}
}

func equalFiles(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
