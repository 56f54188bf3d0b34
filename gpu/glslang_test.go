package gpu

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/gpuhooks"
	"github.com/tilekmeans/tilekmeans/tiles/tilestest"
)

// TestGLSLangValidator compiles every program exactly as the driver
// receives it (programSource: shaders' splices and #defines included) with
// glslangValidator, the Khronos reference compiler, which is stricter than
// Mesa. It needs Debian's glslang-tools (.ci/deps installs it): absent, the
// test skips, except under CI=true.
func TestGLSLangValidator(t *testing.T) {
	tool, err := exec.LookPath("glslangValidator")
	if err != nil {
		tilestest.Missing(t, "glslangValidator not found (Debian package glslang-tools)")
	}
	dir := t.TempDir()
	sources := map[string]string{}
	for _, name := range programs {
		sources[name] = programSource(name)
		if sources[name] == "" {
			t.Fatalf("program %s has no source", name)
		}
	}
	// The arithmetic faults the canary tests inject must be valid GLSL
	// too, or those tests would prove nothing on a stricter driver.
	for _, fault := range gpuhooks.Faults {
		src, err := gpuhooks.FaultySource(fault, programSource(programAssign))
		if err != nil {
			t.Fatal(err)
		}
		sources[programAssign+"-"+fault] = src
	}
	for name, src := range sources {
		path := filepath.Join(dir, name+".comp")
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(tool, "-S", "comp", path).CombinedOutput()
		if err != nil || strings.Contains(string(out), "ERROR") || strings.Contains(string(out), "WARNING") {
			t.Errorf("glslangValidator on the %s program: %v\n%s", name, err, out)
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
}
