package gpu

import (
	"bytes"
	"testing"
)

// TestPlanLayout checks the split arithmetic without a GPU: every row is in
// exactly one slab and one dispatch, every bound range fits the block limit
// and starts at an aligned offset, and the shader's indices land on the
// right label.
func TestPlanLayout(t *testing.T) {
	cases := []struct {
		n, dim    int
		maxBlock  int64
		maxGroups int
		group     int
		align     int
	}{
		{5610, 256, 128 << 20, 65535, 64, 16},
		{1_000_000, 256, 128 << 20, 65535, 64, 16},
		{1000, 7, 512, 2, 64, 256},
		{1000, 255, 1024, 1, 64, 16},
		{777, 3, 64, 3, 64, 64},
		{5, 1, 4, 1, 64, 1},
		{100, 4, 300, 1000, 64, 12},
	}
	for _, c := range cases {
		l, err := planLayout(c.n, c.dim, c.maxBlock, c.maxGroups, c.group, c.align)
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		next := 0
		for si, s := range l.slabs {
			if s.first != next {
				t.Fatalf("%+v: slab %d starts at %d, want %d", c, si, s.first, next)
			}
			if int64(s.rows*l.strideBytes) > c.maxBlock || int64(s.outSize) > c.maxBlock {
				t.Fatalf("%+v: slab %d binds %d tile bytes and %d output bytes, limit %d", c, si, s.rows*l.strideBytes, s.outSize, c.maxBlock)
			}
			if s.outOffset%c.align != 0 || s.outOffset%4 != 0 || s.outOffset+s.outSize > 4*c.n {
				t.Fatalf("%+v: slab %d output range [%d,+%d) misaligned or past the end", c, si, s.outOffset, s.outSize)
			}
			if s.outOffset/4+s.outBase != s.first {
				t.Fatalf("%+v: slab %d writes row %d to label %d", c, si, s.first, s.outOffset/4+s.outBase)
			}
			b := 0
			for _, d := range s.dispatches {
				if d[0] != b || d[1] < 1 || d[1] > c.maxGroups*c.group {
					t.Fatalf("%+v: slab %d dispatch %v after row %d", c, si, d, b)
				}
				b += d[1]
			}
			if b != s.rows {
				t.Fatalf("%+v: slab %d dispatches cover %d of %d rows", c, si, b, s.rows)
			}
			next += s.rows
		}
		if next != c.n {
			t.Fatalf("%+v: slabs cover %d rows", c, next)
		}
	}
	if _, err := planLayout(10, 300, 256, 10, 64, 16); err == nil {
		t.Fatal("a row larger than the block limit must be an error")
	}
}

func TestPackRows(t *testing.T) {
	x := []uint8{1, 2, 3, 4, 5, 6, 7, 8, 9}
	dst := bytes.Repeat([]byte{0xEE}, 8)
	packRows(dst, x, 1, 2, 3, 4)
	want := []uint8{4, 5, 6, 0, 7, 8, 9, 0}
	if !bytes.Equal(dst, want) {
		t.Fatalf("packRows = %v, want %v", dst, want)
	}
}
