// Package tiles cuts image sheets into tiles for clustering, and writes the
// centroids back as images.
//
// A sheet is an image holding a grid of tiles: digits, glyphs, sprites.
// Load reads sheet files, LoadSources sheets held in memory, and
// LoadTileset the image that a Tiled tileset file names. Each returns a
// Set: N tiles of D uint8 features, tile i at Pix[i*D:(i+1)*D], taken row
// by row, sheet after sheet, each tile flattened row by row, with where it
// was cut from (Origin: its sheet, grid row and column):
//
//	t, err := tiles.Load([]string{"usps_1.jpg", "usps_2.jpg"}, tiles.Options{Size: 16})
//	...
//	data := kmeans.Data{N: t.N(), D: t.D, X: t.Pix}
//
// # The grid
//
// Options.Size cuts square tiles edge to edge. Options.Grid follows Tiled's
// tileset (https://doc.mapeditor.org): tiles of TileWidth x TileHeight
// pixels, Margin pixels before the first column and row and Spacing pixels
// between tiles; the columns and rows follow from the image size by Tiled's
// own rule, which takes the margin off the top and left only (see Grid).
// What is left at the right and bottom past a closing margin and one
// trailing spacing is ignored, as Tiled ignores it, for a tileset's sheet
// and for a grid whose margin and spacing the sheet's pixels bear out
// (Sheet.Cropped says how much); otherwise Load fails with a *GridError
// that says what does fit: how many tiles, the remainder that Options.Crop
// would trim, and, when the pixels show the gutters of another margin or
// spacing better, those grids (then cropping would misalign every tile). Options.SkipBlank leaves out the tiles whose pixels are all equal;
// they are counted either way. LoadTileset applies a tileset's colour key
// (<image trans="ff00ff">): pixels of that colour are transparent.
//
// # Gray or RGB, over a background
//
// Options.Color chooses the features: Gray (the default) is one byte per
// pixel, the ITU-R BT.601 luma of image/color's GrayModel (16-bit gray
// keeps its high byte); RGB is three bytes per pixel, R, G, B interleaved.
// Pixels that are not fully opaque are composited over Options.Background,
// white by default (as ImageMagick's -flatten does), and each sheet counts
// them (Sheet.Transparent), so that black glyphs on a transparent
// background stay black on white rather than vanishing.
//
// # Formats, and errors
//
// A sheet is a JPEG, PNG, GIF, BMP, TIFF or WebP image, known by its
// contents, not its name. A file of several images gives a sheet per page
// (Sheet.Page, Sheet.Name "scan.tif#2"): each page of a multi-page TIFF,
// leaving out reduced-resolution copies (thumbnails), and each frame of an
// animated GIF, PNG (APNG) or WebP, composited as a viewer shows it on a
// canvas that starts transparent, with the frames' offsets, blending and
// disposal methods (pixels no frame covered are transparent, so they are
// composited over the background and counted). A file that is not a regular
// file (a pipe, a FIFO, /dev/stdin) is read once, whole. Sheets are cut as
// viewers show them: the EXIF orientation of a JPEG (APP1 Exif) or TIFF
// (each page's IFD) is applied, and Sheet.Orientation says which. (This
// package reads that one tag itself, fuzz-tested, rather than depend on an
// EXIF library: those on offer are unmaintained or pull in logging, YAML and
// geometry packages for one 16-bit number. PNG's eXIf chunk is not applied,
// as ImageMagick 6 and most viewers do not apply it.)
//
// Errors name the file and say what is wrong; errors.Is tells them apart:
// ErrNotImage; ErrCorrupt (truncated or broken); errors.ErrUnsupported (a
// valid image using a feature the decoder lacks, such as a JPEG with 3x1
// chroma subsampling or a BMP with RLE compression, or a layout that the
// decoder is known to read into wrong pixels: TIFF with separate colour
// planes, PlanarConfiguration 2); ErrTooLarge (more pixels than
// Options.MaxPixels, 2^28 unless set, in a sheet or in all the pages of a
// file together, refused from the headers before the pixels are decoded).
// The tests hold true pixels, written by Pillow, ImageMagick, tiffcp and
// jpegtran, for every format and layout (testdata/formats), so a refusal is
// lifted when the decoder gets it right. (Tiled TIFFs whose size is not a
// multiple of the TIFF tile were read wrongly by golang.org/x/image v0.30;
// v0.48, which this module requires, reads them right, and the tests hold
// their true pixels.)
//
// # Interrupting
//
// Options.Context interrupts loading: no further file is started, a
// decoder stops at its next read of the file, and a wait for a pipe's or
// FIFO's writer ends; the error then wraps the context's error.
//
// # One image, one sample; arrays
//
// Options.Resize makes every image one sample rather than a sheet of
// tiles: its features are scaled to Resize.X x Resize.Y by Options.Filter
// (draw.CatmullRom by default: Pillow's bicubic, an averaging filter when
// shrinking), fitted as Options.Fit says (FitStretch, FitPad on the
// background, FitCrop; the rectangles of Pillow's ImageOps.pad and
// ImageOps.fit). Each image is then a Sheet of one row and one column,
// and each page of a file of several images is an image of its own, named,
// decoded, composited and held to Options.MaxPixels as a sheet's page is.
// A file that is not a regular file (a pipe, a FIFO) is read once, whole,
// as a sheet is; an array through a pipe must be named as one (a FIFO
// called digits.npy), since arrays are known by their names.
//
// Arrays of images are loaded by name: NumPy .npy files of uint8 of shape
// (N, H, W), (N, H, W, 3) or (N, D) (D = W*H or 3*W*H for Grid's tile
// size), C order as numpy.save writes them, and IDX files of unsigned
// bytes with three dimensions (LeCun's format, the files of MNIST,
// Fashion-MNIST and EMNIST: names ending in idx3-ubyte or .idx3,
// optionally gzipped); in memory (LoadSources) by their first bytes. Each
// image is a sample: an array is a Sheet whose Rows are its images (Cols
// 1, Width x Height one image's size, Origin.Row the index). Without
// Resize and a tile size, the samples are the arrays' own size; with
// Resize they are scaled like image files. The data is streamed into the
// tile matrix, never held whole: loading a 2 GB file takes the 2 GB matrix,
// its origins (12 bytes a sample) and buffers of a few megabytes. A
// truncated file, an IDX count that does not match the file's size
// (ErrCorrupt; a gzipped file's header is held to what the file can hold,
// 1032 bytes a compressed byte at most, before anything is allocated),
// another dtype or Fortran order (errors.ErrUnsupported) are errors naming
// the file. Options.SkipBad leaves out the samples' files
// that cannot be read (a file of several images whole, when one of its
// pages cannot be), listed in Set.Bad; Options.Progress reports the
// samples loaded, and Options.Context interrupts the loop over the files
// and the streaming of an array alike.
//
// # Memory and speed
//
// Sheets are decoded in parallel (Options.Workers, GOMAXPROCS by default),
// with the result in the order given. The headers are read first, so the
// tile matrix is allocated once at its final size, and each sheet's encoded
// bytes and decoded pixels are dropped as soon as its tiles are cut: the
// peak memory is about the tile matrix plus a few sheets in flight. The
// decoders are the standard library's and golang.org/x/image's, with one
// exception for speed in folders of many small files: a PNG file of 8 bits
// a sample, not interlaced and without a tRNS chunk is decoded by the
// package's own reader, which reuses one compress/zlib inflater per worker
// (image/png makes a new one, 40 KB, for every file) and gives image/png's
// image exactly; any other PNG file goes to image/png. Before
// the matrix is allocated, its size, which the headers and the options
// fix, is checked against the memory available (Linux's MemAvailable, or
// what a cgroup's memory limit leaves): a matrix beyond it is an error
// naming the files and the bytes, never the Go runtime's fatal "out of
// memory".
//
// # Centroids
//
// CentroidImage renders a centroid (D means, laid out as a tile's
// features) as an image, gray or colour. WriteCentroids writes k of them
// to a folder as centroid1.png..centroidK.png, and ReadCentroids reads
// such a folder back (to assign new tiles to the centroids, as
// kmeans.Predict does).
package tiles
