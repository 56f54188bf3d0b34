package filename

import (
	"slices"
	"testing"
)

func TestExpandAndMatch(t *testing.T) {
	for _, c := range []struct {
		t    Template
		nums []int
		name string
	}{
		{Centroid, []int{1}, "centroid1.png"},
		{Centroid, []int{12}, "centroid12.png"},
		{"{k}/" + Centroid, []int{5, 2}, "5/centroid2.png"},
		{"labels_k{k}.npy", []int{30}, "labels_k30.npy"},
		{"summary.json", nil, "summary.json"},
	} {
		if got := c.t.Expand(c.nums...); got != c.name {
			t.Errorf("%s.Expand(%v) = %q, want %q", c.t, c.nums, got, c.name)
		}
		digits, ok := c.t.Match(c.name)
		var want []string
		for _, n := range c.nums {
			want = append(want, Template("{n}").Expand(n))
		}
		if !ok || !slices.Equal(digits, want) {
			t.Errorf("%s.Match(%q) = %v, %v; want %v", c.t, c.name, digits, ok, want)
		}
	}
	for _, name := range []string{"centroid.png", "centroidx.png", "centroid1.png.bak", "xcentroid1.png", "centroid1.jpg", "centroid-1.png", ""} {
		if _, ok := Centroid.Match(name); ok {
			t.Errorf("Centroid matches %q", name)
		}
	}
	if d, ok := Centroid.Match("centroid007.png"); !ok || d[0] != "007" {
		t.Errorf("leading zeros: %v %v, want them kept", d, ok)
	}
}
