package embedded

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"testing"

	"github.com/tilekmeans/tilekmeans/tiles"
)

func decode(t *testing.T, s tiles.Source) *image.Gray {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(s.Data))
	if err != nil {
		t.Fatalf("%s: decode: %v", s.Name, err)
	}
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("%s: decoded as %T, want *image.Gray", s.Name, img)
	}
	return g
}

func TestSheets(t *testing.T) {
	sheets := Sheets()
	if len(sheets) != numSheets {
		t.Fatalf("got %d sheets, want %d", len(sheets), numSheets)
	}
	for i, s := range sheets {
		if want := fmt.Sprintf("mnist_%d.png", i+1); s.Name != want {
			t.Errorf("sheet %d: name %q, want %q", i, s.Name, want)
		}
		g := decode(t, s)
		want := image.Rect(0, 0, sheetCols*tileSize, sheetRows*tileSize)
		if g.Bounds() != want {
			t.Errorf("%s: bounds %v, want %v (528x544)", s.Name, g.Bounds(), want)
		}
	}
}

func TestSheetsAreCopies(t *testing.T) {
	a := Sheets()
	a[0].Data[0] ^= 0xff
	if b := Sheets(); b[0].Data[0] == a[0].Data[0] {
		t.Fatal("modifying one Sheets result changed another")
	}
}

// TestTilesLookLikeDigits checks every tile of every sheet: it must have
// ink, and since each digit was scaled to fill its tile, ink must reach
// (within one pixel, as area averaging can round a faint edge to zero) all
// four tile edges. The sheet as a whole must be strokes on black: a good
// share of its pixels exactly 0 (about 40% in practice).
func TestTilesLookLikeDigits(t *testing.T) {
	for _, s := range Sheets() {
		g := decode(t, s)
		bad, zeros := 0, 0
		for _, v := range g.Pix {
			if v == 0 {
				zeros++
			}
		}
		if frac := float64(zeros) / float64(len(g.Pix)); frac < 0.25 {
			t.Errorf("%s: only %.0f%% of pixels are black background", s.Name, 100*frac)
		}
		for ty := range sheetRows {
			for tx := range sheetCols {
				x0, y0 := tx*tileSize, ty*tileSize
				at := func(x, y int) uint8 { return g.GrayAt(x0+x, y0+y).Y }
				var maxv uint8
				// ink[e] is set when edge e (top, bottom, left, right)
				// or the line next to it has ink.
				var ink [4]bool
				for y := range tileSize {
					for x := range tileSize {
						v := at(x, y)
						maxv = max(maxv, v)
						if v == 0 {
							continue
						}
						ink[0] = ink[0] || y <= 1
						ink[1] = ink[1] || y >= tileSize-2
						ink[2] = ink[2] || x <= 1
						ink[3] = ink[3] || x >= tileSize-2
					}
				}
				if maxv < 128 || ink != [4]bool{true, true, true, true} {
					bad++
					if bad <= 5 {
						t.Errorf("%s: tile (%d,%d): max %d, edges with ink (t,b,l,r) %v", s.Name, tx, ty, maxv, ink)
					}
				}
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d tiles not digit-like", s.Name, bad, sheetCols*sheetRows)
		}
	}
}
