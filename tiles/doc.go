// Package tiles is the host I/O of tilekmeans: it finds sheet images on disk,
// decodes them to 8-bit gray, cuts them into square tiles, and writes
// centroid images back as PNG files, atomically.
//
// A sheet is any JPEG, PNG, GIF, BMP or TIFF image. Colour, paletted and
// 16-bit images become 8-bit gray with the standard (ITU-R BT.601) luma
// weights of image/color's GrayModel; 16-bit gray keeps its high byte. The
// tiles of a sheet are taken row-major, each flattened row-major into Size*Size
// uint8 features, and remember where they came from (sheet, row, column).
package tiles
