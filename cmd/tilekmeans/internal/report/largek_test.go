package report

import (
	"image"
	"slices"
	"strings"
	"testing"
)

// TestCase_large_k_montage: at k = 20,000 of 16x16 tiles the montage was
// one strip of 2032 x 181416 pixels, beyond what Pillow and ImageMagick
// open by default. Right: a near-square grid once one row passes
// MaxWidth, and files of at most MaxEdge pixels a side (PerPart images
// each), whatever the tile shape; k = 3..7 stay one row, as before.
func TestCase_large_k_montage(t *testing.T) {
	l := MontageLayout{Scale: 8, Gap: 8}
	for _, c := range []struct {
		n, cellW, cellH int
		cols, rows      int
	}{
		{7, 128, 128, 7, 1},      // one row: the seed job's montages
		{64, 128, 128, 13, 5},    // wrapped within 2048 px, as before
		{225, 128, 128, 15, 15},  // square already
		{300, 128, 128, 18, 17},  // wider than 2048 px rather than taller
		{900, 128, 128, 30, 30},  // one full part: 4072 x 4072
		{1000, 128, 128, 30, 34}, // more than a part holds: laid out as asked, but no wider than a part
		{1380, 80, 128, 46, 30},  // 10x16 tiles: a full part, 4040 x 4072
		{5, 4000, 100, 1, 5},     // cells as wide as a part
	} {
		cols, rows := l.Grid(c.n, c.cellW, c.cellH)
		if cols != c.cols || rows != c.rows || cols*rows < c.n {
			t.Errorf("Grid(%d, %dx%d) = %dx%d, want %dx%d", c.n, c.cellW, c.cellH, cols, rows, c.cols, c.rows)
		}
	}
	for _, c := range []struct{ w, h, per int }{{16, 16, 900}, {10, 16, 46 * 30}, {64, 64, 30 * 30}, {2, 2, 171 * 171}} {
		scale := MontageScale(c.w, c.h)
		ml := MontageLayout{Scale: scale, Gap: 8}
		per := ml.PerPart(c.w, c.h)
		if per != c.per {
			t.Errorf("PerPart(%dx%d) = %d, want %d", c.w, c.h, per, c.per)
		}
		// Every n up to a part stays within MaxEdge both ways.
		for _, n := range []int{per / 3, per/2 + 1, per - 1, per} {
			cols, rows := ml.Grid(n, c.w*scale, c.h*scale)
			if w, h := cols*(c.w*scale+8)-8, rows*(c.h*scale+8)-8; w > MontageMaxEdge || h > MontageMaxEdge || cols*rows < n {
				t.Errorf("%dx%d tiles, %d of them: %dx%d cells, %dx%d pixels", c.w, c.h, n, cols, rows, w, h)
			}
		}
	}
	// A montage of a part: its pixels where the grid says.
	imgs := make([]image.Image, 900)
	for i := range imgs {
		g := image.NewGray(image.Rect(0, 0, 16, 16))
		g.Pix[0] = uint8(i)
		imgs[i] = g
	}
	m := Montage(imgs, l).(*image.Gray)
	if m.Rect != image.Rect(0, 0, 4072, 4072) || m.GrayAt(29*136, 0).Y != 29 || m.GrayAt(0, 136).Y != 30 || m.GrayAt(29*136, 29*136).Y != uint8(899%256) {
		t.Errorf("900 centroids: %v", m.Rect)
	}
}

// TestCase_large_k_report: at k = 20,000 the report was 39 MB. Right: the
// galleries show at most GalleryClusters clusters (the largest, in their
// order) and the heat map at most MaxHeatClusters columns, each cap said
// on the page; a montage in several files is left off the page.
func TestCase_large_k_report(t *testing.T) {
	sizes := []int{5, 9, 9, 1, 7}
	if got := galleryClusters(sizes); !slices.Equal(got, []int{0, 1, 2, 3, 4}) {
		t.Errorf("5 clusters: %v", got)
	}
	big := make([]int, 1000)
	for c := range big {
		big[c] = c % 7 // 142 or 143 each of 0..6
	}
	got := galleryClusters(big)
	if len(got) != GalleryClusters || !slices.IsSorted(got) || got[0] != 5 || got[1] != 6 {
		t.Fatalf("1000 clusters: %d shown, first %d (size %d)", len(got), got[0], big[got[0]])
	}
	for _, c := range got { // the 142 of size 6, then 114 of size 5, lowest numbers first
		if big[c] < 5 || big[c] == 5 && c > 5+7*113 {
			t.Errorf("cluster %d of size %d shown", c, big[c])
		}
	}

	tl, r := fixture(3000, 8, 1000, []string{"a.png", "b.png"})
	r.Montage = nil
	r.Notes = []string{"Too large for this page, the montage is split into 2 files."}
	page := render(t, &Input{Title: "t", Tiles: tl, Runs: []Run{r}, Classes: []string{"a.png", "b.png"}, ClassesBy: "sheet"})
	for _, want := range []string{
		"The 256 largest of the 1000 clusters are shown below",
		"Each cluster shows its 4 nearest and 4 farthest tiles",
		"The sheet x cluster table has 1000 columns, more than 256: it is left out",
		"Too large for this page, the montage is split into 2 files.",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
	if n := strings.Count(page, `<div class="cluster"`); n != GalleryClusters {
		t.Errorf("%d clusters on the page, want %d", n, GalleryClusters)
	}
	if strings.Contains(page, `class="px montage"`) || strings.Contains(page, `class="heat`) || len(page) > 2<<20 {
		t.Errorf("montage on the page %v, heat map %v, %d bytes", strings.Contains(page, `class="px montage"`), strings.Contains(page, `class="heat`), len(page))
	}
}
