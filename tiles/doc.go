// Package tiles is the host I/O of tilekmeans: it finds sheet images on
// disk, decodes them, cuts them into tiles on a grid, gives tiles their true
// classes, and writes centroid images and montages back as PNG files,
// atomically.
//
// # Loading
//
// Load (files) and LoadSources (bytes in memory) cut sheets into a Tiles
// matrix: N tiles of D uint8 features, tile i at Pix[i*D:(i+1)*D], each
// remembering its sheet, grid row and column (Origin). Tiles are taken
// row-major, sheet after sheet, and each tile is flattened row-major.
//
//	t, err := tiles.Load(paths, tiles.Options{Size: 16})
//
// A sheet is any JPEG, PNG, GIF, BMP or TIFF image. Sheets are decoded in
// parallel (Options.Workers, GOMAXPROCS by default) with the result in path
// order. The headers are read first, so the tile matrix is allocated once at
// its final size, and each sheet's encoded bytes and decoded pixels are
// dropped as soon as its tiles are cut: the peak memory is about the tile
// matrix plus a few sheets in flight.
//
// # The grid
//
// Options.Grid follows Tiled's tileset (https://doc.mapeditor.org): tiles of
// TileWidth x TileHeight pixels, Margin pixels around the grid and Spacing
// pixels between tiles; the columns and rows follow from the image size
// (Grid.Count). Options.Size is the shorthand for square tiles edge to edge.
// A sheet must be a whole grid, up to one trailing spacing at the right and
// bottom; otherwise Load fails with a *GridError that carries the numbers:
// how many tiles fit, the remainder that Options.Crop would trim, and, when
// the pixels show gutters of another margin or spacing, the grids that fit
// exactly (then cropping would misalign every tile). ReadTileset reads a
// Tiled .tsx file, and LoadTileset loads its image on its grid.
//
// # Colour and transparency
//
// Options.Color chooses the features: Gray (the default) is one byte per
// pixel, the ITU-R BT.601 luma of image/color's GrayModel, byte for byte what
// earlier versions produced for opaque sheets (16-bit gray keeps its high
// byte); RGB is three bytes per pixel, R, G, B interleaved. Pixels that are
// not fully opaque are composited over Options.Background, White by default
// (as ImageMagick's -flatten does over its default background), and each
// sheet counts them (Sheet.Transparent), so that black glyphs on a
// transparent background stay black on white rather than vanishing.
//
// # Reading images right, or refusing clearly
//
// Decoding errors say what is wrong: ErrNotImage, *CorruptError (truncated
// or broken), *UnsupportedError (a valid image using a feature the decoder
// lacks, such as a JPEG with 3x1 chroma subsampling or a BMP with RLE
// compression), *TooLargeError (more than MaxPixels). Layouts that the
// decoder is known to read into wrong pixels are refused with an
// *UnsupportedError rather than cut: today TIFF with separate colour planes
// (PlanarConfiguration 2). The tests hold true pixels, written by Pillow,
// ImageMagick and tiffcp, for every format and layout (testdata/formats), so
// a refusal is lifted when the decoder gets it right. (Tiled TIFFs whose size
// is not a multiple of the TIFF tile were read wrongly by golang.org/x/image
// v0.30; v0.48, which this module requires, reads them right, and the tests
// hold their true pixels.)
//
// Sheets are cut as viewers show them: the EXIF Orientation of a JPEG (APP1
// Exif) or TIFF (IFD0) is applied, and Sheet.Orientation says which. This
// package reads that one tag itself (exif.go, fuzz-tested) rather than
// depend on an EXIF library: those on offer are unmaintained or pull in
// logging, YAML and geometry packages for one 16-bit number. PNG's eXIf chunk
// is not applied, as ImageMagick 6 and most viewers do not apply it.
//
// # Classes
//
// LabelSpec (a flag.TextVar value: "sheets", "rows:N", "cols:N" or a file)
// gives every tile its true class for the quality metrics; label files
// follow TensorBoard's projector metadata rules (a single column has no
// header, several columns have one). Classes.Meaningless says when scoring
// against them means nothing.
//
// # Output
//
// WriteAtomic and WritePNG write through a temporary file and a rename.
// WriteCentroids and ReadCentroids write and read a k's centroid1.png ..
// centroidK.png (gray or colour, any tile size); MeanImage renders one.
// Montage lays centroids out in rows that wrap at MontageLayout.MaxWidth.
// Expand resolves files, folders and globs into sheet paths; with
// ExcludeTree and SkipOutputDirs it never returns the tool's own outputs
// (folders marked with OutputMarker, see IsOutputDir).
package tiles
