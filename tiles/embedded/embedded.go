package embedded

import (
	"embed"
	"fmt"

	"github.com/tilekmeans/tilekmeans/tiles"
)

//go:generate go run ./gen

//go:embed sheets/*.png
var sheetFS embed.FS

// Layout of every embedded sheet. They match the real USPS sheets, so code
// that cuts sheets into tiles needs no special case for the default data.
const (
	tileSize  = 16 // tile width and height in pixels
	sheetCols = 33 // tiles per row
	sheetRows = 34 // tiles per column
)

// numSheets is the number of embedded sheets; sheet i holds digit i+1.
const numSheets = 5

// Sheets returns the embedded sheets in digit order 1..5, ready for
// tiles.LoadSources: Name is the file name ("mnist_1.png" .. "mnist_5.png";
// sheet i holds digit i+1) and Data the PNG file. Each call returns fresh
// copies, so callers may modify the result freely.
func Sheets() []tiles.Source {
	out := make([]tiles.Source, 0, numSheets)
	for d := 1; d <= numSheets; d++ {
		name := fmt.Sprintf("mnist_%d.png", d)
		data, err := sheetFS.ReadFile("sheets/" + name)
		if err != nil {
			// Unreachable: the files are compiled into the binary and
			// TestSheets checks every name. A missing one is a build
			// mistake, not a run-time condition a caller could handle.
			panic(fmt.Sprintf("embedded: %v", err))
		}
		out = append(out, tiles.Source{Name: name, Data: data})
	}
	return out
}
