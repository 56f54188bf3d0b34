package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
)

// TestPruneSameBytes: -prune auto (with -verify, which checks every
// assignment against the reference) and -prune off write the same bytes in
// every output file, -export npy included; only summary.json's "prune"
// differs (timings masked).
func TestPruneSameBytes(t *testing.T) {
	paths := sharedtest.Paths(t)
	var outs [2]map[string][]byte
	for i, prune := range []string{"auto", "off"} {
		out := filepath.Join(t.TempDir(), "o")
		args := []string{"run", "-q", "-backend", "cpu", "-k", "3,20,64,100", "-export", "npy", "-prune", prune, "-out", out}
		if prune == "auto" {
			args = append(args, "-verify")
		}
		code, _, stderr := runCLI(t, append(args, append([]string{"-images"}, paths...)...)...)
		if code != exitOK {
			t.Fatalf("-prune %s: exit %d: %s", prune, code, stderr)
		}
		outs[i] = outputFiles(t, out)
		sum := readSummary(t, out)
		if sum["prune"] != prune {
			t.Errorf("summary.json prune = %v, want %s", sum["prune"], prune)
		}
	}
	if len(outs[0]) != len(outs[1]) {
		t.Fatalf("%d files with -prune auto, %d with off", len(outs[0]), len(outs[1]))
	}
	for name, data := range outs[1] {
		got := outs[0][name]
		switch name {
		case "summary.json":
			// -verify adds its flag and counts; the runs' seconds are
			// already dropped.
			var g, w map[string]any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &w); err != nil {
				t.Fatal(err)
			}
			for _, m := range []map[string]any{g, w} {
				delete(m, "prune")
				delete(m, "verified")
				for _, r := range m["runs"].([]any) {
					delete(r.(map[string]any), "verify")
				}
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("summary.json differs between -prune auto and off")
			}
		case "report.html":
			// It says whether the run was verified.
			got = bytes.Replace(got, []byte("cpu (every assignment verified against the CPU reference)"), []byte("cpu"), 1)
			var keep [][]byte
			for _, l := range bytes.Split(got, []byte("\n")) {
				if !bytes.Contains(l, []byte(`<p class="note">-verify: `)) {
					keep = append(keep, l)
				}
			}
			got = bytes.Join(keep, []byte("\n"))
			if !bytes.Equal(got, data) {
				t.Errorf("%s differs between -prune auto and off", name)
			}
		default:
			if !bytes.Equal(got, data) {
				t.Errorf("%s differs between -prune auto and off", name)
			}
		}
	}
}
