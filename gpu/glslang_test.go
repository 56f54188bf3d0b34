package gpu

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/gpuhooks"
	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
)

// TestGLSLangValidator compiles every program exactly as the driver
// receives it (programSource: shaders' splices and #defines included) with
// glslangValidator, the Khronos reference compiler, which is stricter than
// Mesa, and checks that none needs fp64 but the silhouette's (its square
// roots are doubles): each is also compiled to SPIR-V for OpenGL, where a
// double would need the Float64 capability. It needs
// Debian's glslang-tools (.ci/deps installs it): absent, the test skips,
// except under CI=true.
func TestGLSLangValidator(t *testing.T) {
	tool, err := exec.LookPath("glslangValidator")
	if err != nil {
		sharedtest.Missing(t, "glslangValidator not found (Debian package glslang-tools)")
	}
	dir := t.TempDir()
	sources := map[string]string{}
	for _, name := range programs {
		sources[name] = programSource(name)
		if sources[name] == "" {
			t.Fatalf("program %s has no source", name)
		}
	}
	compile := func(name, src string, args ...string) string {
		path := filepath.Join(dir, name+".comp")
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(tool, append(args, "-S", "comp", path)...).CombinedOutput()
		if err != nil || strings.Contains(string(out), "ERROR") || strings.Contains(string(out), "WARNING") {
			t.Errorf("glslangValidator %v on the %s program: %v\n%s", args, name, err, out)
		}
		return string(out)
	}
	for name, src := range sources {
		compile(name, src)
		spirv := compile(name, src, "-G", "--auto-map-locations", "-H", "-o", filepath.Join(dir, name+".spv"))
		if name == programSilhouette {
			if !strings.Contains(spirv, "Capability Float64") || strings.Contains(spirv, "Int64") {
				t.Errorf("the %s program should need fp64 and no 64-bit integers:\n%.2000s", name, spirv)
			}
			continue
		}
		if !strings.Contains(spirv, "Capability Shader") || strings.Contains(spirv, "Float64") || strings.Contains(spirv, "Int64") {
			t.Errorf("the %s program needs more than 32-bit arithmetic (or its SPIR-V listing is not what this test reads):\n%.2000s", name, spirv)
		}
	}
	// The arithmetic faults the canary tests inject must be valid GLSL
	// too, or those tests would prove nothing on a stricter driver.
	for _, name := range programs {
		if name == programUpdate || name == programSilhouette {
			continue
		}
		for _, fault := range gpuhooks.Faults {
			src, err := gpuhooks.FaultySource(fault, programSource(name))
			if err != nil {
				t.Fatal(err)
			}
			compile(name+"-"+fault, src)
		}
	}
	// It does find errors: a broken source fails.
	path := filepath.Join(dir, "broken.comp")
	if err := os.WriteFile(path, []byte("#version 430\nlayout(local_size_x = 64) in;\nvoid main() { float x = 1; x += undeclared; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool, "-S", "comp", path).CombinedOutput(); err == nil {
		t.Fatalf("glslangValidator accepted a broken shader:\n%s", out)
	}
	// And the fp64 check sees a double.
	dbl := compile("double", "#version 430\nlayout(local_size_x = 64) in;\nlayout(std430, binding = 0) buffer B { double x[]; };\nvoid main() { x[0] += 1.0LF; }\n", "-G", "--auto-map-locations", "-H", "-o", filepath.Join(dir, "double.spv"))
	if !strings.Contains(dbl, "Float64") {
		t.Fatalf("a shader with a double compiles to SPIR-V without Float64:\n%s", dbl)
	}
}
