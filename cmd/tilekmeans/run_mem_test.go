package main

import (
	"runtime/debug"
	"testing"
)

// TestCollectEarly: a large tile matrix lowers GOGC to 2 until restored;
// a small one leaves it alone.
func TestCollectEarly(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	restore := collectEarly(largeTiles - 1)
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("small matrix: GOGC %d, want 100 unchanged", got)
	}
	restore()
	restore = collectEarly(largeTiles)
	if got := debug.SetGCPercent(2); got != 2 {
		t.Errorf("large matrix: GOGC %d, want 2", got)
	}
	restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("after restore: GOGC %d, want 100", got)
	}
}
