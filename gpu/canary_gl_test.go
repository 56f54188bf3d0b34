//go:build cgo && !nogpu

package gpu

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/gpu/internal/shaders"
	"github.com/tilekmeans/tilekmeans/internal/gpuhooks"
)

// TestCanaryPasses: every context under test passes every probe through
// every program that assigns (each kernel's assign and step), each kernel
// and each program with and without splitting the centroids over work
// groups, and says so in Info.
func TestCanaryPasses(t *testing.T) {
	forEachContext(t, func(t *testing.T, kind string) {
		c := openDevice(t, kind, nil).Info().Canary
		t.Logf("canary %s", c)
		want := 2 * len(shaders.Kernels) * len(canaryProbes)
		if !c.Passed || len(c.Probes) != want {
			t.Fatalf("canary %+v: want %d passed probes (assign and step of each kernel)", c, want)
		}
		split := map[string]bool{}
		for i, p := range c.Probes {
			run := i / len(canaryProbes)
			kern := shaders.Kernels[run/2]
			prog := programName([]string{programAssign, programStep}[run%2], kern)
			if !p.Passed || p.Program != prog || p.Name != canaryProbes[i%len(canaryProbes)].name || p.Splits < 1 {
				t.Errorf("probe %d: %+v, want %s", i, p, prog)
			}
			split[kern.Name+"/"+fmt.Sprint(p.Splits > 1)] = true
			split[prog[:strings.IndexByte(prog, '-')]+"/"+fmt.Sprint(p.Splits > 1)] = true
		}
		for _, k := range shaders.Kernels {
			for _, s := range []string{k.Name, programAssign, programStep} {
				if !split[s+"/true"] || !split[s+"/false"] {
					t.Errorf("%s: not run both with and without a split: %v", s, split)
				}
			}
		}
	})
}

// faulty returns a Source hook that injects fault into the programs that
// assign (the assignment and the device loop's step).
func faulty(t testing.TB, fault string) func(name, src string) string {
	return func(name, src string) string {
		if !strings.HasPrefix(name, programAssign+"-") && !strings.HasPrefix(name, programStep+"-") {
			return src
		}
		out, err := gpuhooks.FaultySource(fault, src)
		if err != nil {
			t.Error(err)
			return src
		}
		return out
	}
}

// TestCanaryCatchesFaults injects each arithmetic fault into the shaders
// for real: Open refuses the device with a *ParityError naming the probe
// that caught it on both programs, unless AllowMismatch, which opens it
// with the failure in Info.Canary.
func TestCanaryCatchesFaults(t *testing.T) {
	forEachContext(t, func(t *testing.T, kind string) {
		for _, fault := range gpuhooks.Faults {
			t.Run(fault, func(t *testing.T) {
				hooks := &gpuhooks.Hooks{Source: faulty(t, fault)}
				d, err := openWithHooks(Options{Context: kind}, hooks)
				if err == nil {
					d.Close()
					t.Fatalf("Open with the %s fault succeeded: the canary did not catch it", fault)
				}
				var pe *ParityError
				if !errors.Is(err, ErrParity) || !errors.As(err, &pe) {
					t.Fatalf("Open with the %s fault: %v, want a *ParityError", fault, err)
				}
				t.Logf("%v", err)
				for _, prog := range programs {
					if prog == programUpdate || prog == programSilhouette {
						continue // no assignment: silProbe is its canary
					}
					caught := false
					for _, p := range pe.Canary.Probes {
						if p.Program == prog && p.Name == fault && !p.Passed && p.Detail != "" {
							caught = true
						}
					}
					if !caught {
						t.Errorf("%s fault: the %s probe on the %s shader passed: %s", fault, fault, prog, pe.Canary)
					}
				}
				if !strings.HasPrefix(err.Error(), "gpu: open: "+kind+": parity canary failed: ") {
					t.Errorf("error %q", err)
				}
				d = openDevice(t, kind, hooks, func(o *Options) { o.AllowMismatch = true })
				if c := d.Info().Canary; c.Passed || c.String() != pe.Canary.String() {
					t.Fatalf("AllowMismatch: Info.Canary %s, want the failure %s", c, pe.Canary)
				}
			})
		}
	})
}
