package gpu

import "github.com/tilekmeans/tilekmeans/shaders"

// The compute programs a Device builds, by name (the names the test hook
// gpuhooks.Hooks.Source receives).
const (
	programAssign = "assign" // shaders.Assign: Assign, Finish's reassignment, the canary
	programStep   = "step"   // shaders.Step: the device loop's assignment pass
	programUpdate = "update" // shaders.Update: check, means and move passes
)

// programSource returns the GLSL source of program name exactly as it goes
// to the driver (shaders' splices and #defines included), before any test
// hook. TestGLSLangValidator compiles each with the Khronos reference
// compiler.
func programSource(name string) string {
	switch name {
	case programAssign:
		return shaders.Assign
	case programStep:
		return shaders.Step
	case programUpdate:
		return shaders.Update
	}
	return ""
}

// programs lists every program name.
var programs = []string{programAssign, programStep, programUpdate}
