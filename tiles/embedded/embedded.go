package embedded

import (
	"embed"
	"fmt"
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

// Sheet is one embedded sheet file.
type Sheet struct {
	Name  string // file name, like "mnist_1.png"
	Digit int    // the digit every tile of this sheet shows
	Data  []byte // the PNG file
}

// Sheets returns the embedded sheets in digit order 1..5. Each call returns
// fresh copies, so callers may modify the result freely.
func Sheets() []Sheet {
	out := make([]Sheet, 0, numSheets)
	for d := 1; d <= numSheets; d++ {
		name := fmt.Sprintf("mnist_%d.png", d)
		data, err := sheetFS.ReadFile("sheets/" + name)
		if err != nil {
			// Unreachable: the files are compiled into the binary and
			// TestSheets checks every name. A missing one is a build
			// mistake, not a run-time condition a caller could handle.
			panic(fmt.Sprintf("embedded: %v", err))
		}
		out = append(out, Sheet{Name: name, Digit: d, Data: data})
	}
	return out
}
