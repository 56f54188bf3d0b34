package main

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/gpu"
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
	if v["go_version"] != runtime.Version() || v["gpu_built"] != gpu.Built || v["platform"] != runtime.GOOS+"/"+runtime.GOARCH {
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
