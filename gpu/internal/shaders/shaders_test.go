package shaders

import (
	"fmt"
	"strings"
	"testing"
)

// TestSources: every program starts with the version line, declares the
// work group size the host dispatches by, carries the blocking it was made
// for, and (Step, Update) the status block once, agreeing with the
// constants the host decodes by.
func TestSources(t *testing.T) {
	decl := fmt.Sprintf("layout(local_size_x = %d) in;", GroupSize)
	srcs := map[string]string{"Update": Update}
	for _, k := range Kernels {
		if k.TX*k.CY != GroupSize || k.FC%4 != 0 || k.Tiles() > GroupSize || k.RT%4 != 0 || k.RC%4 != 0 {
			t.Errorf("kernel %s: %d x %d invocations (want %d), chunk of %d features (want a multiple of 4), %d tiles per block (at most %d), %d x %d per invocation (want multiples of 4)",
				k.Name, k.TX, k.CY, GroupSize, k.FC, k.Tiles(), GroupSize, k.RT, k.RC)
		}
		if k.SharedBytes() > 32768 {
			t.Errorf("kernel %s: %d bytes of shared memory, above GL 4.3's minimum of 32768", k.Name, k.SharedBytes())
		}
		srcs["Assign "+k.Name] = Assign(k)
		srcs["Step "+k.Name] = Step(k)
		for _, src := range []string{Assign(k), Step(k)} {
			if !strings.Contains(src, k.defines()) {
				t.Errorf("%s: lacks its blocking %q", k.Name, k.defines())
			}
			for _, name := range []string{"uN", "uD", "uK", "uStride", "uBase", "uOutBase", "uSplits", "precise"} {
				if !strings.Contains(src, name) {
					t.Errorf("%s lacks %q", k.Name, name)
				}
			}
		}
		if strings.Contains(Assign(k), "#define STEP") || strings.Contains(Assign(k), "finishIteration") {
			t.Errorf("Assign %s has the Step code", k.Name)
		}
		if !strings.Contains(Step(k), "#define STEP 1\n") || !strings.Contains(Step(k), "void finishIteration(") || strings.Contains(Step(k), stepMarker) {
			t.Errorf("Step %s is not assign.comp with STEP defined and step.glsl spliced in", k.Name)
		}
	}
	for name, src := range srcs {
		if !strings.HasPrefix(src, "#version 430\n") {
			t.Errorf("%s must start with the #version line, starts with %.20q", name, src)
		}
		if !strings.Contains(src, decl) {
			t.Errorf("%s lacks %q", name, decl)
		}
		if !strings.Contains(src, "\n#line 2\n") {
			t.Errorf("%s does not reset its line numbers after the splice", name)
		}
		if code := stripComments(src); strings.Contains(code, "double") || strings.Contains(code, "dvec") {
			t.Errorf("%s uses double: the device loop must run without fp64", name)
		}
		if strings.HasPrefix(name, "Assign") {
			continue
		}
		if n := strings.Count(src, "buffer Status"); n != 1 {
			t.Errorf("%s declares the status block %d times", name, n)
		}
		if !strings.Contains(src, fmt.Sprintf("Slot slots[%d];", StatusSlots)) {
			t.Errorf("%s: status slots disagree with StatusSlots=%d", name, StatusSlots)
		}
		if !strings.Contains(src, fmt.Sprintf("#define INERTIA_DIGITS %d\n", InertiaDigits)) {
			t.Errorf("%s: inertia digits disagree with InertiaDigits=%d", name, InertiaDigits)
		}
		if strings.Contains(src, "uint meanBits(") != (name == "Update") {
			t.Errorf("%s: meanBits present %v, want it in Update only", name, !(name == "Update"))
		}
	}
	if !strings.Contains(Update, "uPass") {
		t.Error("update.comp lacks uPass")
	}
}

// stripComments drops // comments (the shaders use no other kind).
func stripComments(src string) string {
	var b strings.Builder
	for line := range strings.Lines(src) {
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i] + "\n"
		}
		b.WriteString(line)
	}
	return b.String()
}
