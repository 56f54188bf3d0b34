package gpu

import "github.com/tilekmeans/tilekmeans/gpu/internal/shaders"

// The compute programs a Device builds, by name (the names the test hook
// gpuhooks.Hooks.Source receives): an assignment and a device Lloyd step
// program per kernel blocking (shaders.Kernels), and the update passes.
const (
	programAssign = "assign" // + "-" + kernel: Assign, Finish's reassignment, the canary
	programStep   = "step"   // + "-" + kernel: a whole device Lloyd iteration
	programUpdate = "update" // shaders.Update: the means and move passes of a relocation
	// programSilhouette is shaders.Silhouette, the silhouette's sums of
	// distances (SumDistances), built on its first use.
	programSilhouette = "silhouette"
)

// programName is the name of the assign or step program of kernel k.
func programName(kind string, k shaders.Kernel) string { return kind + "-" + k.Name }

// programSource returns the GLSL source of program name exactly as it goes
// to the driver (shaders' splices and #defines included), before any test
// hook. TestGLSLangValidator compiles each with the Khronos reference
// compiler.
func programSource(name string) string {
	switch name {
	case programUpdate:
		return shaders.Update
	case programSilhouette:
		return shaders.Silhouette
	}
	for _, k := range shaders.Kernels {
		switch name {
		case programName(programAssign, k):
			return shaders.Assign(k)
		case programName(programStep, k):
			return shaders.Step(k)
		}
	}
	return ""
}

// programs lists every program name.
var programs = func() []string {
	var p []string
	for _, k := range shaders.Kernels {
		p = append(p, programName(programAssign, k), programName(programStep, k))
	}
	return append(p, programUpdate, programSilhouette)
}()
