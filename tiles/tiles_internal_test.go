package tiles

import (
	"math/rand/v2"
	"testing"
)

// TestIsBlank checks isBlank against its definition (every pixel, ch
// bytes, equal to the first) on tiles that are blank, blank but for one
// byte anywhere, and random, gray and RGB.
func TestIsBlank(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	want := func(tile []uint8, ch int) bool {
		for i := range tile {
			if tile[i] != tile[i%ch] {
				return false
			}
		}
		return true
	}
	blanks := 0
	for range 20000 {
		ch := []int{1, 3}[rng.IntN(2)]
		n := ch * rng.IntN(70)
		tile := make([]uint8, n)
		px := []uint8{uint8(rng.IntN(2)), uint8(rng.IntN(2)), uint8(rng.IntN(2))}
		for i := range tile {
			tile[i] = px[i%ch]
		}
		switch rng.IntN(3) {
		case 1:
			if n > 0 {
				tile[rng.IntN(n)] ^= 1 // one byte differs (or the first pixel does)
			}
		case 2:
			for i := range tile {
				tile[i] = uint8(rng.IntN(2))
			}
		}
		got := isBlank(tile, ch)
		if got != want(tile, ch) {
			t.Fatalf("isBlank(%v, %d) = %v", tile, ch, got)
		}
		if got {
			blanks++
		}
	}
	if blanks < 5000 {
		t.Errorf("only %d of 20000 tiles blank: the test no longer tries blank tiles", blanks)
	}
}
