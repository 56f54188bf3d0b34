package main

import (
	"encoding/json"
	"flag"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/kmeans"
)

func TestInitFlagText(t *testing.T) {
	var in initFlag
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.TextVar(&in, "init", initFlag{}, "init")
	if err := fs.Parse([]string{"-init", "rows:4,2"}); err != nil || in.rows == nil || !slices.Equal(in.rows, []int{4, 2}) {
		t.Errorf("-init rows:4,2: %+v, %v", in, err)
	}
	if f := fs.Lookup("init"); f.DefValue != "random" {
		t.Errorf("default shows as %q, want random", f.DefValue)
	}
	err := fs.Parse([]string{"-init", "best"})
	if err == nil || !strings.Contains(err.Error(), `bad init "best": want random, kmeans++ or rows`) {
		t.Errorf("-init best: %v", err)
	}
	b, err := json.Marshal(struct{ Init initFlag }{initFlag{method: kmeans.InitKMeansPP}})
	if err != nil || string(b) != `{"Init":"kmeans++"}` {
		t.Errorf("JSON %s, %v", b, err)
	}
}

func TestParseInitFlag(t *testing.T) {
	tests := []struct {
		in      string
		want    initFlag
		wantErr bool
	}{
		{"random", initFlag{method: kmeans.InitRandom}, false},
		{"kmeans++", initFlag{method: kmeans.InitKMeansPP}, false},
		{"rows:3,1,2", initFlag{rows: []int{3, 1, 2}}, false},
		{"rows: 4 ,5", initFlag{rows: []int{4, 5}}, false},
		{"rows:", initFlag{}, true},
		{"rows:1,1", initFlag{}, true},
		{"rows:-1", initFlag{}, true},
		{"rows:a,2", initFlag{}, true},
		{"rows:1,,2", initFlag{}, true},
		{"kmeans", initFlag{}, true},
		{"", initFlag{}, true},
	}
	for _, tt := range tests {
		got, err := parseInit(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseInit(%q) err %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "kmeans: bad init ") {
				t.Errorf("parseInit(%q) err %v", tt.in, err)
			}
			continue
		}
		if got.method != tt.want.method || !slices.Equal(got.rows, tt.want.rows) {
			t.Errorf("parseInit(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if back, _ := parseInit(got.String()); back.method != got.method || !slices.Equal(back.rows, got.rows) {
			t.Errorf("String() %q does not parse back", got.String())
		}
	}
}
