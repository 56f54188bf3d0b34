package shaders

import (
	"fmt"
	"strings"
	"testing"
)

func TestAssignEmbedded(t *testing.T) {
	if !strings.HasPrefix(Assign, "#version 430") {
		t.Fatalf("assign.comp must start with #version 430, starts with %.20q", Assign)
	}
	decl := fmt.Sprintf("layout(local_size_x = %d) in;", AssignGroupSize)
	if !strings.Contains(Assign, decl) {
		t.Fatalf("assign.comp lacks %q: AssignGroupSize and the shader disagree", decl)
	}
	for _, name := range []string{"uN", "uD", "uK", "uStride", "uBase", "uOutBase", "precise"} {
		if !strings.Contains(Assign, name) {
			t.Errorf("assign.comp lacks %q", name)
		}
	}
}
