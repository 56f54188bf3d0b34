package tiles_test

import (
	"context"
	"errors"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
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
	testFIFOWithoutWriter(t, sheet)
}
