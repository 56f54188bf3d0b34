package tiles

import (
	"bytes"
	"image"
)

// What the external tests reach of the unexported decoder, EXIF reader and
// tileset reader.
var (
	DecodeImage  = func(name string, data []byte) (image.Image, info, error) { return decodeImage(name, data, 0) }
	ToGray       = toGray
	ReadTileset  = readTileset
	ParseTileset = parseTileset
	GridFit      = Grid.fit
	FitRects     = fitRects
)

type (
	Orientation  = orientation
	Tileset      = tileset
	TilesetError = tilesetError
)

const (
	OrientNormal   = orientNormal
	OrientRotate90 = orientRotate90
)

// OrientationOf returns the EXIF orientation that an encoded image declares
// (JPEG APP1 Exif, TIFF IFD0), or 0 when it declares none or its metadata
// is malformed.
func OrientationOf(data []byte) orientation {
	_, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return 0
	}
	return readOrientation(bytes.NewReader(data), int64(len(data)), format)
}
