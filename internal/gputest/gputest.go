// Package gputest says which OpenGL contexts the tests of this module must
// run on, so that the gpu package's tests and the command's tests agree.
//
// TILEKMEANS_GPU_CONTEXTS (a comma list of glfw, egl) names them; unset, it
// is "egl", plus "glfw" when DISPLAY is set. A requested context that cannot
// be made skips the test with the reason, except under CI=true, where it is
// a failure: CI must exercise the shader path for real (on Mesa llvmpipe).
package gputest

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/glenv"
	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
)

// Contexts returns the context kinds under test.
func Contexts(tb testing.TB) []string {
	tb.Helper()
	if v := os.Getenv("TILEKMEANS_GPU_CONTEXTS"); v != "" {
		var kinds []string
		for _, k := range strings.Split(v, ",") {
			switch k = strings.TrimSpace(k); k {
			case glenv.ContextGLFW, glenv.ContextEGL:
				kinds = append(kinds, k)
			case "":
			default:
				tb.Fatalf("TILEKMEANS_GPU_CONTEXTS: unknown context %q (want glfw, egl)", k)
			}
		}
		return kinds
	}
	kinds := []string{glenv.ContextEGL}
	if os.Getenv("DISPLAY") != "" {
		kinds = append(kinds, glenv.ContextGLFW)
	}
	return kinds
}

// Unavailable fails the test under CI=true and skips it otherwise: a
// requested context (or its input) is missing.
func Unavailable(tb testing.TB, format string, args ...any) {
	tb.Helper()
	sharedtest.Missing(tb, fmt.Sprintf(format, args...))
}
