package tiles_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"

	"github.com/tilekmeans/tilekmeans/tiles"
	"github.com/tilekmeans/tilekmeans/tiles/embedded"
)

// Load the embedded sheets (five 528x544 PNGs) as 16x16 gray tiles: 5 x 33
// x 34 tiles of 256 features, each remembering where it was cut.
func ExampleLoadSources() {
	srcs := embedded.Sheets()
	t, err := tiles.LoadSources(srcs, tiles.Options{Size: 16})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(t.N(), "tiles of", t.D, "features from", len(t.Sheets), "sheets")
	o := t.Origins[1122]
	fmt.Printf("tile 1122: %s, row %d, column %d\n", t.Sheets[o.Sheet].Path, o.Row, o.Col)
	// Output:
	// 5610 tiles of 256 features from 5 sheets
	// tile 1122: mnist_2.png, row 0, column 0
}

// Cut a sheet drawn on a Tiled grid (2 pixels around the grid, 1 between
// tiles) into RGB tiles, its transparent pixels composited over black.
func ExampleLoadSources_grid() {
	// A 2x1 grid of 3x3 tiles: 2 + 3 + 1 + 3 + 2 = 11 by 2 + 3 + 2 = 7
	// pixels, transparent but for one red pixel in each tile.
	img := image.NewNRGBA(image.Rect(0, 0, 11, 7))
	img.Set(2, 2, color.NRGBA{255, 0, 0, 255})
	img.Set(6, 2, color.NRGBA{255, 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		fmt.Println(err)
		return
	}
	t, err := tiles.LoadSources([]tiles.Source{{Name: "sheet.png", Data: b.Bytes()}}, tiles.Options{
		Grid:       tiles.Grid{TileWidth: 3, TileHeight: 3, Margin: 2, Spacing: 1},
		Color:      tiles.RGB,
		Background: color.Black,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(t.N(), "tiles of", t.D, "features;", t.Sheets[0].Transparent, "transparent pixels composited")
	fmt.Println("tile 1 starts", t.Tile(1)[:6])

	// The same sheet without its margin and spacing is not a whole grid:
	// the error says what fits.
	_, err = tiles.LoadSources([]tiles.Source{{Name: "sheet.png", Data: b.Bytes()}}, tiles.Options{Size: 3})
	var ge *tiles.GridError
	if errors.As(err, &ge) {
		fmt.Println(ge.Cols, "x", ge.Rows, "tiles fit, leaving", ge.Right, "x", ge.Bottom, "pixels")
	}
	// Output:
	// 2 tiles of 27 features; 16 transparent pixels composited
	// tile 1 starts [255 0 0 0 0 0]
	// 3 x 2 tiles fit, leaving 2 x 1 pixels
}

// Write two 2x2 gray centroids as centroid1.png and centroid2.png (each
// mean rounded to the nearest pixel value), and read them back.
func ExampleWriteCentroids() {
	means := []float64{
		0, 63.7, 127.5, 255, // centroid 1
		255, 191.2, 127.4, 0, // centroid 2
	}
	dir, err := os.MkdirTemp("", "centroids")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	if _, err := tiles.WriteCentroids(dir, means, 2, 2, 2, tiles.Gray); err != nil {
		fmt.Println(err)
		return
	}
	c, err := tiles.ReadCentroids(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.K, "centroids of", c.Width, "x", c.Height, c.Color, "in", filepath.Base(c.Paths[0]), "and", filepath.Base(c.Paths[1]))
	fmt.Println(c.Values)
	// Output:
	// 2 centroids of 2 x 2 gray in centroid1.png and centroid2.png
	// [0 64 128 255 255 191 127 0]
}
