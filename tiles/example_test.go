package tiles_test

import (
	"fmt"
	"image"

	"github.com/tilekmeans/tilekmeans/tiles"
	"github.com/tilekmeans/tilekmeans/tiles/embedded"
)

// Load the embedded sheets as 16x16 gray tiles, give them a class per
// sheet, and lay the first tiles out as a montage.
func ExampleLoadSources() {
	var srcs []tiles.Source
	for _, s := range embedded.Sheets() {
		srcs = append(srcs, tiles.Source{Name: s.Name, Data: s.Data})
	}
	t, err := tiles.LoadSources(srcs, tiles.Options{Size: 16})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(t.N(), "tiles of", t.D, "features from", len(t.Sheets), "sheets")

	var spec tiles.LabelSpec
	if err := spec.UnmarshalText([]byte("sheets")); err != nil {
		fmt.Println(err)
		return
	}
	classes, err := spec.Classes(t)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(classes.Names), "classes; tile 1122 is in", classes.Names[classes.Of[1122]])

	mean := make([]float64, t.D)
	for i, v := range t.Tile(0) {
		mean[i] = float64(v)
	}
	m := tiles.Montage([]image.Image{t.Image(mean), t.Image(mean)}, tiles.MontageLayout{Scale: tiles.MontageScale(t.Width, t.Height), Gap: 8})
	fmt.Println("montage", m.Bounds().Dx(), "x", m.Bounds().Dy())
	// Output:
	// 5610 tiles of 256 features from 5 sheets
	// 5 classes; tile 1122 is in mnist_2.png
	// montage 264 x 128
}
