package tiles

import (
	"bytes"
	"context"
	"image"
	"image/draw"
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

// DecodePages decodes every page of an encoded file as Load cuts them (the
// pages of a TIFF; the frames of a GIF, APNG or WebP composited), each
// copied out of the decoder's canvas.
func DecodePages(name string, data []byte) ([]image.Image, error) {
	hs, err := sniffPages(name, bytes.NewReader(data), int64(len(data)), maxPixels)
	if err != nil {
		return nil, err
	}
	var out []image.Image
	err = decodePages(context.Background(), name, hs, data, nil, func(p int, img image.Image) error {
		c := image.NewRGBA64(img.Bounds())
		draw.Draw(c, c.Rect, img, img.Bounds().Min, draw.Src)
		out = append(out, c)
		return nil
	})
	return out, err
}
