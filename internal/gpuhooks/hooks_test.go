package gpuhooks

import (
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/shaders"
)

func TestFaultySource(t *testing.T) {
	for _, src := range []string{shaders.Assign, shaders.Step} {
		for _, fault := range Faults {
			out, err := FaultySource(fault, src)
			if err != nil {
				t.Fatalf("%s: %v", fault, err)
			}
			if out == src || !strings.Contains(out, "float nearest(") {
				t.Errorf("%s: source unchanged or nearest() gone", fault)
			}
		}
	}
	if _, err := FaultySource("fma", shaders.Update); err == nil || !strings.Contains(err.Error(), "does not apply") {
		t.Errorf("fault on a source without nearest(): %v", err)
	}
	if _, err := FaultySource("bogus", shaders.Assign); err == nil || !strings.Contains(err.Error(), "unknown fault") {
		t.Errorf("unknown fault: %v", err)
	}
}
