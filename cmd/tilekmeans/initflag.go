package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tilekmeans/tilekmeans/kmeans"
)

// initFlag is the value of -init: "random", "kmeans++" or "rows:i,j,..."
// (explicit 0-based tile indices). It implements encoding.TextUnmarshaler
// and TextMarshaler, so it works with flag.TextVar, and String gives the
// form summary.json records.
type initFlag struct {
	method kmeans.InitMethod // InitRandom or InitKMeansPP; "" with rows
	rows   []int             // explicit rows, or nil
}

// parseInit parses -init's text; errors read `kmeans: bad init "TEXT":
// what is wrong`.
func parseInit(s string) (initFlag, error) {
	bad := func(format string, args ...any) (initFlag, error) {
		return initFlag{}, fmt.Errorf("kmeans: bad init %q: %s", s, fmt.Sprintf(format, args...))
	}
	switch {
	case s == "random":
		return initFlag{method: kmeans.InitRandom}, nil
	case s == "kmeans++":
		return initFlag{method: kmeans.InitKMeansPP}, nil
	case strings.HasPrefix(s, "rows:"):
		list := strings.TrimPrefix(s, "rows:")
		if list == "" {
			return bad("lists no rows")
		}
		var rows []int
		for _, f := range strings.Split(list, ",") {
			r, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || r < 0 {
				return bad("row %q is not a non-negative integer", f)
			}
			if slices.Contains(rows, r) {
				return bad("row %d is repeated", r)
			}
			rows = append(rows, r)
		}
		return initFlag{rows: rows}, nil
	}
	return bad("want random, kmeans++ or rows:i,j,...")
}

// UnmarshalText implements encoding.TextUnmarshaler with parseInit.
func (in *initFlag) UnmarshalText(text []byte) error {
	v, err := parseInit(string(text))
	if err != nil {
		return err
	}
	*in = v
	return nil
}

// MarshalText implements encoding.TextMarshaler: the form parseInit reads.
func (in initFlag) MarshalText() ([]byte, error) { return []byte(in.String()), nil }

// String returns the form parseInit reads.
func (in initFlag) String() string {
	switch {
	case in.rows != nil:
		s := make([]string, len(in.rows))
		for i, r := range in.rows {
			s[i] = strconv.Itoa(r)
		}
		return "rows:" + strings.Join(s, ",")
	case in.method == kmeans.InitKMeansPP:
		return "kmeans++"
	}
	return "random"
}

// config sets cfg's Init or InitRows.
func (in initFlag) config(cfg *kmeans.Config) {
	if in.rows != nil {
		cfg.InitRows = in.rows
		return
	}
	cfg.Init = in.method
}
