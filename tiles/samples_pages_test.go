package tiles_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/tiles"
)

// Where one image, one sample (Options.Resize) meets the files of several
// images: each page is a sample, read by the sheet loader's code.

// corruptFrame2 returns apng_frames.png with its second frame's image data
// broken (the zlib header of its first fdAT chunk): frame 1 decodes,
// frame 2 does not.
func corruptFrame2(t *testing.T) []byte {
	t.Helper()
	data := bytes.Clone(readFormat(t, "apng_frames.png"))
	i := bytes.Index(data, []byte("fdAT"))
	if i < 0 {
		t.Fatal("apng_frames.png has no fdAT chunk")
	}
	data[i+8], data[i+9] = 0xff, 0xff // after the type and the sequence number
	return data
}

// TestSamplePagesBadAndLimit: a file of several images whose second frame
// is corrupt fails as a sample with the error the sheet loader gives,
// naming the page; SkipBad leaves the file out whole (its good frame
// too), listed once, and keeps the files around it. The pixel limit holds
// for a sample's pages as for a sheet's: each page, and all together.
func TestSamplePagesBadAndLimit(t *testing.T) {
	good := readFormat(t, "png_gray8.png")
	srcs := []tiles.Source{{Name: "a.png", Data: good}, {Name: "anim.png", Data: corruptFrame2(t)}, {Name: "z.png", Data: good}}
	_, serr := tiles.LoadSources(srcs, tiles.Options{Grid: tiles.Grid{TileWidth: fw, TileHeight: fh}})
	_, err := tiles.LoadSources(srcs, tiles.Options{Resize: image.Pt(4, 4)})
	if err == nil || serr == nil || err.Error() != serr.Error() || !errors.Is(err, tiles.ErrCorrupt) || !strings.HasPrefix(err.Error(), "load anim.png#2: ") {
		t.Fatalf("a corrupt frame: as a sample %v, as a sheet %v; want the same ErrCorrupt naming anim.png#2", err, serr)
	}
	set, err := tiles.LoadSources(srcs, tiles.Options{Resize: image.Pt(4, 4), SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	if set.N() != 2 || len(set.Sheets) != 2 || set.Sheets[1].Path != "z.png" || len(set.Bad) != 1 || set.Bad[0].Path != "anim.png" ||
		!strings.Contains(set.Bad[0].Err.Error(), "anim.png#2") {
		t.Errorf("SkipBad: %d samples, sheets %+v, bad %v; want a.png and z.png, anim.png left out naming its frame 2", set.N(), set.Sheets, set.Bad)
	}

	// tiff_pages.tif: 3 pages of 37x29 (and a reduced copy, no page).
	pages := []tiles.Source{{Name: "p.tif", Data: readFormat(t, "tiff_pages.tif")}}
	for limit, refused := range map[int64]bool{3*fw*fh - 1: true, 3 * fw * fh: false, fw*fh - 1: true} {
		sheet, serr := tiles.LoadSources(pages, tiles.Options{Grid: tiles.Grid{TileWidth: fw, TileHeight: fh}, MaxPixels: limit})
		sample, err := tiles.LoadSources(pages, tiles.Options{Resize: image.Pt(4, 4), MaxPixels: limit})
		if errors.Is(err, tiles.ErrTooLarge) != refused || fmtErr(err) != fmtErr(serr) {
			t.Errorf("MaxPixels %d: as a sample %v, as a sheet %v; want refused %v alike", limit, err, serr, refused)
		}
		if !refused && (sample.N() != 3 || sheet.N() != 3) {
			t.Errorf("MaxPixels %d: %d samples, %d tiles; want 3", limit, sample.N(), sheet.N())
		}
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestSamplesInterrupted: Options.Context stops a samples load anywhere:
// between files, inside a decode of any frame of a file of several
// images, and while an array streams into the matrix (as it is and
// resized). Done after any of the context's checks, the load ends with
// the context's error, never a corrupt file, and SkipBad never takes the
// interruption for a bad file.
func TestSamplesInterrupted(t *testing.T) {
	dir := t.TempDir()
	const n = 12000 // 28x28: 9.4 MB, three chunks of the raw copy
	arr := write(t, dir, "d.npy", npyFile(t, digits(n, 28, 28), n, 28, 28))
	var files []string
	for _, f := range []string{"gif_frames.gif", "apng_frames.png", "webp_frames.webp", "tiff_pages.tif", "jpeg_gray.jpg"} {
		files = append(files, write(t, dir, f, readFormat(t, f)))
	}
	for _, c := range []struct {
		name  string
		paths []string
		opts  tiles.Options
	}{
		{"image files", files, tiles.Options{Resize: image.Pt(8, 8)}},
		{"array", []string{arr}, tiles.Options{}},
		{"array resized", []string{arr}, tiles.Options{Resize: image.Pt(8, 8)}},
	} {
		for _, skipBad := range []bool{false, true} {
			opts := c.opts
			opts.Workers, opts.SkipBad = 1, skipBad
			whole := &countdown{Context: context.Background()}
			whole.n.Store(1 << 40)
			opts.Context = whole
			want, err := tiles.Load(c.paths, opts)
			if err != nil {
				t.Fatal(err)
			}
			checks := 1<<40 - whole.n.Load()
			if checks < 4 {
				t.Fatalf("%s: the context was asked %d times", c.name, checks)
			}
			for after := range checks {
				cd := &countdown{Context: context.Background()}
				cd.n.Store(after)
				opts.Context = cd
				got, err := tiles.Load(c.paths, opts)
				if !errors.Is(err, context.Canceled) || errors.Is(err, tiles.ErrCorrupt) {
					t.Fatalf("%s (SkipBad %v), done after %d of %d checks: %v (%v)", c.name, skipBad, after, checks, err, got != nil)
				}
			}
			t.Logf("%s: %d samples; the context was asked %d times", c.name, want.N(), checks)
		}
	}
}
