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

// TestStepSources: Step and Update start with the version line, carry the
// status block once, and agree with the constants the host decodes by.
func TestStepSources(t *testing.T) {
	decl := fmt.Sprintf("layout(local_size_x = %d) in;", AssignGroupSize)
	for name, src := range map[string]string{"Step": Step, "Update": Update} {
		if !strings.HasPrefix(src, "#version 430\n") {
			t.Errorf("%s must start with the #version line, starts with %.20q", name, src)
		}
		if n := strings.Count(src, "buffer Status"); n != 1 {
			t.Errorf("%s declares the status block %d times", name, n)
		}
		if !strings.Contains(src, fmt.Sprintf("Slot slots[%d];", StatusSlots)) {
			t.Errorf("%s: status slots disagree with StatusSlots=%d", name, StatusSlots)
		}
		if !strings.Contains(src, decl) {
			t.Errorf("%s lacks %q", name, decl)
		}
		if !strings.Contains(src, "\n#line 2\n") {
			t.Errorf("%s does not reset its line numbers after the splice", name)
		}
	}
	if !strings.Contains(Step, "#define STEP 1\n") || !strings.Contains(Step, "float nearest(") {
		t.Error("Step is not assign.comp with STEP defined")
	}
	for _, name := range []string{"uPass", "uGroups", "meanBits", "stopped()"} {
		if !strings.Contains(Update, name) {
			t.Errorf("update.comp lacks %q", name)
		}
	}
	if StatusPartials%8 != 0 || StatusSlotBytes%8 != 0 {
		t.Errorf("status layout: partials at %d, slots of %d bytes: doubles need 8-byte alignment", StatusPartials, StatusSlotBytes)
	}
}
