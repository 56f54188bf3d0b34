package glenv

import (
	"strings"
	"testing"
)

func TestParseChoice(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Choice
		err  bool
	}{
		{"", Choice{}, false},
		{"0", Choice{set: true, n: 0}, false},
		{" 3 ", Choice{set: true, n: 3}, false},
		{"cuda:1", Choice{set: true, cuda: true, n: 1}, false},
		{"-1", Choice{}, true},
		{"+1", Choice{}, true},
		{"cuda:", Choice{}, true},
		{"cuda:-2", Choice{}, true},
		{"gpu0", Choice{}, true},
		{"1.5", Choice{}, true},
	} {
		got, err := ParseChoice(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseChoice(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
			continue
		}
		if err != nil {
			if !strings.Contains(err.Error(), "cuda:N") {
				t.Errorf("ParseChoice(%q) error %q does not say what is wanted", tt.in, err)
			}
			continue
		}
		back, _ := ParseChoice(got.String())
		if back != got {
			t.Errorf("%q: String %q does not parse back", tt.in, got)
		}
	}
	if !(Choice{}).IsZero() {
		t.Error("zero Choice claims a device")
	}
}
