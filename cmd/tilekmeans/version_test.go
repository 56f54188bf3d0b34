package main

import (
	"encoding/json"
	"errors"
	"flag"
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
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.Uint64("seed", 0, "")
	fs.Int("iters", 100, "")
	fs.String("k", "", "")
	fs.Duration("budget", 0, "")
	for _, tt := range []struct{ in, want string }{
		{`invalid value "cmyk" for flag -color: colour "cmyk": want gray or rgb`, "-color cmyk: want gray or rgb"},
		{`invalid value "x" for flag -seed: parse error`, "-seed x: not a number (want a whole number 0..18446744073709551615)"},
		{`invalid value "-1" for flag -seed: parse error`, "-seed -1: out of range (want a whole number 0..18446744073709551615)"},
		{`invalid value "x1" for flag -seed: parse error`, "-seed x1: not a number (want a whole number 0..18446744073709551615)"},
		{`invalid value "1.5" for flag -iters: parse error`, "-iters 1.5: not a number (want a whole number)"},
		{`invalid value "99999999999999999999" for flag -iters: value out of range`, "-iters 99999999999999999999: out of range (want a whole number -9223372036854775808..9223372036854775807)"},
		{`invalid value "9999999999999999999999" for flag -k: value out of range`, "-k 9999999999999999999999: out of range"},
		{`invalid value "-5" for flag -budget: parse error`, "-budget -5: not a number (want a duration: a number with its unit, like 30s, 1m or 1h30m)"},
		{`invalid value "soon" for flag -budget: parse error`, "-budget soon: not a number (want a duration: a number with its unit, like 30s, 1m or 1h30m)"},
		{`invalid value "a:b" for flag -labels: no such file`, "-labels a:b: no such file"},
		{"flag provided but not defined: -bogus", "run: flag provided but not defined: -bogus"},
	} {
		if got := flagError(fs, errors.New(tt.in)); got != tt.want {
			t.Errorf("flagError(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
