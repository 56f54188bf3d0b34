package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// maskTimings replaces what differs between two runs with the same flags:
// "seconds" in summary.json, and the numbers on report.html's lines marked
// with the class "seconds".
func maskTimings(name string, b []byte) []byte {
	switch filepath.Ext(name) {
	case ".json":
		return regexp.MustCompile(`("seconds": )[0-9.e+-]+`).ReplaceAll(b, []byte("${1}0"))
	case ".html":
		num := regexp.MustCompile(`[0-9]+\.[0-9]+`)
		lines := strings.SplitAfter(string(b), "\n")
		for i, l := range lines {
			if strings.Contains(l, `seconds"`) {
				lines[i] = num.ReplaceAllString(l, "#.###")
			}
		}
		return []byte(strings.Join(lines, ""))
	}
	return b
}

// TestGoldenOutputs runs the default job on the embedded sheets for two ks
// and compares summary.json and report.html, timings masked, with the
// golden copies under testdata/golden, so that any change in the output is
// a visible diff (go test -run TestGoldenOutputs -update rewrites them).
func TestGoldenOutputs(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := runCLI(t, "run", "-k", "2,3", "-backend", "cpu", "-q", "-out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, name := range []string{"summary.json", "report.html"} {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		got = maskTimings(name, got)
		golden := filepath.Join("testdata", "golden", name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (go test -run TestGoldenOutputs -update writes it)", err)
		}
		if !bytes.Equal(got, want) {
			gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
			for i := range max(len(gl), len(wl)) {
				var g, w string
				if i < len(gl) {
					g = gl[i]
				}
				if i < len(wl) {
					w = wl[i]
				}
				if g != w {
					t.Errorf("%s differs from %s from line %d:\n got: %.300s\nwant: %.300s", name, golden, i+1, g, w)
					break
				}
			}
		}
	}
}

func TestMaskTimings(t *testing.T) {
	j := maskTimings("a.json", []byte(`{"seconds": 0.0123, "inertia": 1.5}`))
	if string(j) != `{"seconds": 0, "inertia": 1.5}` {
		t.Errorf("json: %s", j)
	}
	h := maskTimings("a.html", []byte("<td class=\"num seconds\">0.010</td></tr>\n<td>1.5</td>\n"))
	if string(h) != "<td class=\"num seconds\">#.###</td></tr>\n<td>1.5</td>\n" {
		t.Errorf("html: %s", h)
	}
}
