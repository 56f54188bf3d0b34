//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
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

// Pipes and FIFOs as sheets: /dev/fd and the FIFO semantics tested are
// Linux's.

// pipeFile returns a pipe from which the file's bytes can be read once
// (sharedtest.Pipe).
func pipeFile(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return sharedtest.Pipe(t, data)
}

// TestCase_pipe_input_message_command: a sheet read through a pipe (what
// bash's <(cat base.png) names /dev/fd/N) gives base.png's 20 tiles.
func TestCase_pipe_input_message_command(t *testing.T) {
	s, _, out := runOut(t, "run", "-images", pipeFile(t, sharedCase(t, "pipe_input_message/base.png")), "-tile", "8", "-k", "2", "-backend", "cpu", "-export", "npy")
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
		// Once the child has opened the FIFO (a non-blocking open for
		// writing succeeds only then), it waits for data that never comes.
		var w *os.File
		code, stderr := interruptChild(t, sig, func(int) bool {
			f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
			w = f
			return err == nil
		}, "run", "-images", sheet, fifo, "-k", "2", "-backend", "cpu", "-out", out)
		if code != exitSignal || !strings.Contains(stderr, "interrupted; no output written") {
			t.Errorf("%v: exit %d, stderr %q", sig, code, stderr)
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

// interruptChild runs the command with args in a child process, sends it
// sig once ready(pid) says so (asked every few milliseconds, for at most a
// minute), and returns its exit code and stderr; a child still running a
// minute after the signal fails the test.
func interruptChild(t *testing.T, sig syscall.Signal, ready func(pid int) bool, args ...string) (code int, stderr string) {
	t.Helper()
	cmd, errb := childCLI(args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); !ready(cmd.Process.Pid); time.Sleep(2 * time.Millisecond) {
		if time.Since(start) > time.Minute {
			cmd.Process.Kill()
			t.Fatalf("the child was never ready to be signalled; stderr %q", errb)
		}
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return exitCode(err), errb.String()
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatalf("%v: still running a minute after the signal", sig)
	}
	return 0, ""
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

// hasOpen reports whether process pid has the file path open (its
// /proc/PID/fd links).
func hasOpen(pid int, path string) bool {
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, fd := range fds {
		if target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); err == nil && target == path {
			return true
		}
	}
	return false
}

// TestInterruptWhileLoadingSamples: SIGINT or SIGTERM once the run has
// opened an IDX file of 60,000 images to stream them in (resized, so that
// loading takes a while) ends it with exit 130 and "interrupted", no line
// of samples loaded, the earlier output as it was (that the stream stops
// within 4 MB of the array, rather than at its end, is
// TestSamplesInterrupted's; BENCHMARKS.md has the latency); a file of
// several images read through a pipe gives the file's samples.
func TestInterruptWhileLoadingSamples(t *testing.T) {
	dir := t.TempDir()
	const n = 60000
	idx := []byte{0, 0, 8, 3}
	for _, d := range []int{n, 28, 28} {
		idx = binary.BigEndian.AppendUint32(idx, uint32(d))
	}
	px := make([]byte, n*28*28)
	for i := range px {
		px[i] = byte(i*31 + i/784)
	}
	arr := writeFile(t, dir, "digits-idx3-ubyte", append(idx, px...))
	sheet := writeFile(t, dir, "s.png", pngOf(t, 64, 32))
	out := filepath.Join(dir, "out")
	if code, _, stderr := runCLI(t, "run", "-q", "-images", sheet, "-k", "2", "-backend", "cpu", "-out", out); code != exitOK {
		t.Fatalf("earlier run: exit %d: %s", code, stderr)
	}
	before := outputFiles(t, out)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		code, stderr := interruptChild(t, sig, func(pid int) bool { return hasOpen(pid, arr) },
			"run", "-images", arr, "-resize", "32x32", "-k", "2", "-backend", "cpu", "-out", out)
		if code != exitSignal || !strings.Contains(stderr, "interrupted; no output written") || strings.Contains(stderr, "samples of 32x32") {
			t.Errorf("%v: exit %d, stderr %q; want 130, interrupted before the samples were counted", sig, code, stderr)
		}
		if after := outputFiles(t, out); !equalFiles(before, after) {
			t.Errorf("%v: the earlier output changed", sig)
		}
	}

	// A file of several images through a pipe, with -resize.
	s, stderr, out := runOut(t, "run", "-images", pipeFile(t, formatFile("gif_frames.gif")), "-resize", "8x8", "-k", "2", "-backend", "cpu", "-export", "npy")
	want, err := tiles.Load([]string{formatFile("gif_frames.gif")}, tiles.Options{Resize: image.Pt(8, 8)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "1 image file holding 3 images (pages and frames), 3 samples of 8x8") || s.Tiles != 3 || !bytes.Equal(readTilesNpy(t, out), want.Pix) {
		t.Errorf("a GIF through a pipe: %d samples, stderr %q", s.Tiles, stderr)
	}
	// -export folders cannot link or copy what came through a pipe (read
	// once): it writes the sample's pixels, beside a file's link.
	pipe := pipeFile(t, formatFile("png_gray8.png"))
	_, _, out = runOut(t, "run", "-images", pipe, formatFile("png_rgb8.png"), "-resize", "8x8", "-k", "1", "-backend", "cpu", "-export", "folders")
	members := dirNames(t, filepath.Join(out, "clusters", "1", "1"))
	for _, m := range members {
		st, err := os.Stat(filepath.Join(out, "clusters", "1", "1", m))
		switch base := strings.SplitN(m, "_", 2)[1]; {
		case base == filepath.Base(pipe)+".png":
			if img := decodePNG(t, filepath.Join(out, "clusters", "1", "1", m)); img.Bounds().Dx() != 8 {
				t.Errorf("%s: %v, want the 8x8 sample", m, img.Bounds())
			}
		case base == "png_rgb8.png" && err == nil && st.Size() > 0:
		default:
			t.Errorf("member %s (%v)", m, err)
		}
	}
	if len(members) != 2 {
		t.Errorf("members %v", members)
	}
}
