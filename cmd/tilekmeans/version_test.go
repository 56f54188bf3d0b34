package main

import (
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/glenv"
)

func TestVersionCommand(t *testing.T) {
	code, stdout, stderr := runCLI(t, "version", "-json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatalf("version -json: %v\n%s", err, stdout)
	}
	if v["go_version"] != runtime.Version() || v["gpu_built"] != glenv.BuiltWithGPU || v["platform"] != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("version -json: %v", v)
	}
	if _, ok := v["settings"].(map[string]any); !ok {
		t.Errorf("no settings: %v", v)
	}
	code, stdout, _ = runCLI(t, "version")
	if code != exitOK || !strings.HasPrefix(stdout, "tilekmeans ") || !strings.Contains(stdout, runtime.Version()) {
		t.Errorf("version: exit %d %q", code, stdout)
	}
}

// TestUsageListsEveryCommand: the top-level usage is made from the command
// table, and an unknown command names them all.
func TestUsageListsEveryCommand(t *testing.T) {
	code, stdout, _ := runCLI(t, "-h")
	_, _, stderr := runCLI(t, "nope")
	for _, c := range commands {
		if code != exitOK || !strings.Contains(stdout, "\n  "+c.name+" ") || !strings.Contains(stderr, c.name) {
			t.Errorf("command %s missing from usage %q or error %q", c.name, stdout, stderr)
		}
	}
	if code, _, stderr := runCLI(t); code != exitUsage || !strings.HasPrefix(stderr, "usage: tilekmeans") {
		t.Errorf("no command: exit %d, %q", code, stderr)
	}
}

func TestFlagError(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`invalid value "cmyk" for flag -color: colour "cmyk": want gray or rgb`, "-color cmyk: want gray or rgb"},
		{`invalid value "x" for flag -seed: parse error`, "-seed x: not a number"},
		{`invalid value "9999999999999999999999" for flag -k: value out of range`, "-k 9999999999999999999999: out of range"},
		{`invalid value "a:b" for flag -labels: no such file`, "-labels a:b: no such file"},
		{"flag provided but not defined: -bogus", "run: flag provided but not defined: -bogus"},
	} {
		if got := flagError("run", errors.New(tt.in)); got != tt.want {
			t.Errorf("flagError(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
