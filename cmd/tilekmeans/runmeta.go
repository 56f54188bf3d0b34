package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/outfiles"
	"github.com/tilekmeans/tilekmeans/internal/filename"
	"github.com/tilekmeans/tilekmeans/tiles"
)

// runMeta is what assign knows of the run that wrote a -centroids folder:
// the run's summary.json beside the folder, when the folder is one k of a
// run's output (its name is a k the summary lists).
type runMeta struct {
	path string // the summary.json
	k    int    // the centroids the run wrote into the folder
	s    summary
}

// readRunMeta reads the summary.json of the run that wrote the k folder
// dir; nil, nil when there is none (a bare folder of centroids, or one
// whose name is not a k of the run beside it). dir is what its symbolic
// links lead to (a link to a run's k folder is that folder). A
// summary.json that cannot be read is an error naming it.
func readRunMeta(dir string) (*runMeta, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil
	}
	rel := filepath.Join(filepath.Dir(filepath.Clean(dir)), outfiles.Summary.Expand())
	if real, err := filepath.EvalSymlinks(abs); err == nil && real != abs {
		abs, rel = real, filepath.Join(filepath.Dir(real), outfiles.Summary.Expand())
	}
	parent := filepath.Dir(abs)
	k, err := strconv.Atoi(filepath.Base(abs))
	if err != nil || k < 1 || !outfiles.IsOutputDir(parent) {
		return nil, nil
	}
	data, err := os.ReadFile(filepath.Join(parent, outfiles.Summary.Expand()))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("-centroids %s: %w", dir, err)
	}
	m := &runMeta{path: rel}
	if err := json.Unmarshal(data, &m.s); err != nil {
		return nil, fmt.Errorf("-centroids %s: %s: %w", dir, rel, err)
	}
	for _, r := range m.s.Runs {
		if r.K == k {
			m.k = k
			return m, nil
		}
	}
	return nil, nil
}

// checkCentroids reports centroids that are not those the run wrote into
// dir: fewer or more than its k (a missing file is named), or another size
// or colour than its tiles.
func (m *runMeta) checkCentroids(dir string, c *tiles.Centroids) error {
	switch {
	case c.K < m.k:
		return fmt.Errorf("-centroids %s holds %d centroids, but the run wrote %d (%s): %s is missing",
			dir, c.K, m.k, m.path, filename.Centroid.Expand(c.K+1))
	case c.K > m.k:
		return fmt.Errorf("-centroids %s holds %d centroids, but the run wrote %d (%s): %s is not the run's",
			dir, c.K, m.k, m.path, filename.Centroid.Expand(m.k+1))
	case m.s.TileWidth != 0 && (m.s.TileWidth != c.Width || m.s.TileHeight != c.Height):
		return fmt.Errorf("-centroids %s: the centroids are %dx%d, but the run's tiles were %dx%d (%s)",
			dir, c.Width, c.Height, m.s.TileWidth, m.s.TileHeight, m.path)
	case m.s.Color != "" && m.s.Color != c.Color.String():
		return fmt.Errorf("-centroids %s: the centroids are %s, but the run's tiles were %s (%s)", dir, c.Color, m.s.Color, m.path)
	}
	return nil
}

// apply sets the sheet flags that shape the features (the tile size and
// colour are the centroids' already) as the run had them: -margin,
// -spacing and -background, and, unless given, -crop and -skip-blank
// (they decide which tiles are assigned, not their features). A flag
// given with another value than the run's is a usage error. It returns
// the settings it took, for one line on stderr.
func (m *runMeta) apply(sf *sheetFlags, dir string) (string, error) {
	contradicts := func(flag, given, run string) error {
		return usagef("-%s %s: the run that wrote %s used %s (%s); leave -%s out to cut the sheets as it did",
			flag, given, dir, run, m.path, flag)
	}
	if m.s.ColorKey != "" && sf.tileset == "" {
		return "", usagef("the run that wrote %s cut the tileset %s, whose colour key %s made pixels transparent (%s): give -tileset (that file, or another with the same key) to cut the sheets as it did",
			dir, m.s.Tileset, m.s.ColorKey, m.path)
	}
	if sf.tileset == "" { // a tileset states its own grid: checked once loaded (checkGrid)
		for _, f := range []struct {
			name string
			flag *int
			run  int
		}{{"margin", &sf.margin, m.s.Margin}, {"spacing", &sf.spacing, m.s.Spacing}} {
			if sf.set[f.name] && *f.flag != f.run {
				return "", contradicts(f.name, strconv.Itoa(*f.flag), strconv.Itoa(f.run))
			}
			*f.flag = f.run
		}
	}
	if m.s.Background != "" {
		var bg background
		if err := bg.UnmarshalText([]byte(m.s.Background)); err != nil {
			return "", fmt.Errorf("%s: %w", m.path, err)
		}
		if sf.set["background"] && sf.background != bg {
			return "", contradicts("background", sf.background.String(), bg.String())
		}
		sf.background = bg
	}
	if err := m.applySamples(sf, contradicts); err != nil {
		return "", err
	}
	if !sf.set["crop"] {
		sf.crop = m.s.Crop
	}
	if !sf.set["skip-blank"] {
		sf.skipBlank = m.s.SkipBlank || m.s.SkippedBlank > 0
	}
	took := fmt.Sprintf("margin %d, spacing %d, background %s", m.s.Margin, m.s.Spacing, sf.background)
	if sf.crop {
		took += ", -crop"
	}
	if sf.skipBlank {
		took += ", -skip-blank"
	}
	if sf.samples() {
		took += fmt.Sprintf(", -resize %s -fit %s", sf.resize.dims(), sf.fit)
	}
	return took, nil
}

// checkGrid reports a -tileset whose grid or colour key is not the run's.
func (m *runMeta) checkGrid(sf *sheetFlags, dir string, t *tiles.Set) error {
	if sf.tileset == "" {
		return nil
	}
	if key := colorKey(t); key != m.s.ColorKey {
		none := func(k string) string {
			if k == "" {
				return "none"
			}
			return k
		}
		return usagef("-tileset %s: its colour key is %s, but the run that wrote %s had %s (%s)",
			sf.tileset, none(key), dir, none(m.s.ColorKey), m.path)
	}
	g := t.Grid
	if g.Margin == m.s.Margin && g.Spacing == m.s.Spacing {
		return nil
	}
	return usagef("-tileset %s: its grid has margin %d, spacing %d, but the run that wrote %s had margin %d, spacing %d (%s)",
		sf.tileset, g.Margin, g.Spacing, dir, m.s.Margin, m.s.Spacing, m.path)
}
