package gpudiag

import (
	"encoding/json"
	"errors"
	"regexp"
	"testing"

	"github.com/tilekmeans/tilekmeans/gpu"
	"github.com/tilekmeans/tilekmeans/internal/glenv"
)

// TestJSONKeys: every key that `devices -json` writes (a Result with gpu's
// Info and EGLDevice, glenv's EGLSetup) is snake_case, the style of every
// -json output of the command.
func TestJSONKeys(t *testing.T) {
	dev := &gpu.EGLDevice{Index: 1, CUDA: 0}
	info := gpu.Info{Context: "egl", Device: dev, Canary: gpu.Canary{Passed: true, Probes: []gpu.CanaryProbe{{Name: "ties", Program: "assign", Passed: true}}}}
	values := []any{
		info,
		Result{Context: "egl", Device: dev, Available: true, Info: info},
		Result{Context: "glfw", Err: errors.New("no display")},
		glenv.CheckEGL(),
		[]gpu.EGLDevice{*dev},
	}
	key := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if !key.MatchString(k) {
					t.Errorf("%s: key %q is not snake_case", path, k)
				}
				walk(path+"."+k, x)
			}
		case []any:
			for _, x := range v {
				walk(path+"[]", x)
			}
		}
	}
	for _, v := range values {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		walk("", m)
	}
	b, _ := json.Marshal(Result{Context: "glfw", Err: errors.New("no display")})
	if want := `{"context":"glfw","available":false,"auto":false,"error":"no display"}`; string(b) != want {
		t.Errorf("unavailable probe: %s, want %s", b, want)
	}
}
