package shaders

import (
	_ "embed"
	"fmt"
	"strings"
)

//go:embed assign.comp
var assign string

//go:embed step.glsl
var step string

//go:embed status.glsl
var status string

//go:embed means.glsl
var means string

//go:embed update.comp
var update string

//go:embed silhouette.comp
var silhouette string

// Kernel is one blocking of the assignment kernel (assign.comp): a work
// group of GroupSize = TX*CY invocations, each holding RT tiles x RC
// centroids of accumulators, computes a block of TX*RT tiles against
// blocks of CY*RC centroids, FC features at a time staged in shared memory.
type Kernel struct {
	Name   string
	TX, CY int // invocations along the tiles and along the centroids
	RT, RC int // tiles and centroids per invocation
	FC     int // features per staged chunk, a multiple of 4
}

// Tiles is the number of tiles in a work group's block (TB).
func (k Kernel) Tiles() int { return k.TX * k.RT }

// Centroids is the number of centroids in a centroid block (CB).
func (k Kernel) Centroids() int { return k.CY * k.RC }

// SharedBytes is the shared memory a work group of the Step program
// declares, about: the staged chunks, the argmin and the inertia digits.
func (k Kernel) SharedBytes() int {
	return 4 * (k.FC*(k.Tiles()+k.Centroids()) + 3*k.CY*k.Tiles() + 6*k.Tiles() + 12*GroupSize + 32)
}

// Kernels are the blockings the host chooses from by k (package gpu):
//
//	narrow  k <= 16: 64 tiles x 16 centroids, 16x4 invocations of 4 tiles
//	        x 4 centroids
//	wide    k > 16: 64 tiles x 64 centroids, 8x8 invocations of 8 tiles x
//	        8 centroids (64 accumulators, the register block of a classic
//	        SGEMM kernel): 4 vec4 shared loads per 192 float operations
//
// Both have 64-tile blocks, so a small data set still makes many work
// groups; RT and RC are multiples of 4 (the staged values are read as vec4).
var Kernels = []Kernel{
	{Name: "narrow", TX: 16, CY: 4, RT: 4, RC: 4, FC: 32},
	{Name: "wide", TX: 8, CY: 8, RT: 8, RC: 8, FC: 32},
}

// GroupSize is local_size_x of every program: TX*CY of every Kernel. 64 is a
// multiple of every current GPU's SIMD width (32 on NVIDIA, 32/64 on AMD,
// 8/16 on llvmpipe and Intel), and far below GL 4.3's guaranteed minimum of
// 1024 invocations per work group. The reductions are written for it.
const GroupSize = 64

// StatusSlots is the number of iteration slots in the status block
// (status.glsl): the most iterations the host runs between two readbacks.
const StatusSlots = 64

// InertiaDigits is the number of 32-bit digits of a slot's exact inertia
// (status.glsl's INERTIA_DIGITS).
const InertiaDigits = 10

// Status block layout in bytes (std430): a 12-byte header (halted,
// groupsDone, meansDone), StatusSlots slots of StatusSlotBytes, then the
// work words.
const (
	StatusHeaderBytes = 12
	StatusSlotBytes   = 4 * (5 + InertiaDigits)
	StatusWork        = StatusHeaderBytes + StatusSlots*StatusSlotBytes
)

// Assign returns the assignment program with blocking k: labels and
// distances of every row.
func Assign(k Kernel) string {
	return splice(assign, k.defines())
}

// Step returns the device Lloyd iteration with blocking k (all of it but
// the means): assign.comp with STEP defined, status.glsl after the version
// line and step.glsl at its marker, so it labels with the very code Assign
// runs.
func Step(k Kernel) string {
	src := splice(assign, k.defines()+"#define STEP 1\n"+status)
	return strings.Replace(src, stepMarker, step, 1)
}

// Update holds the other passes of the device loop (an iteration's means,
// and a relocation's moves and means; uniform uPass picks one), with
// status.glsl and means.glsl spliced in.
var Update = splice(update, status+means)

// SilhouetteColumns is the columns a work group of the Silhouette program
// stages at a time (CW), and SilhouetteFeatures the features of each it
// stages at once (4*FW).
const (
	SilhouetteColumns  = 32
	SilhouetteFeatures = 64
)

// Silhouette is the program of the silhouette's sums of distances
// (silhouette.comp), with CW = SilhouetteColumns and FOR_COLS defined.
var Silhouette = func() string {
	var b strings.Builder
	fmt.Fprintf(&b, "#define CW %d\n#define FOR_COLS(M)", SilhouetteColumns)
	for c := range SilhouetteColumns {
		fmt.Fprintf(&b, " M(%d)", c)
	}
	b.WriteString("\n")
	return splice(silhouette, b.String())
}()

// stepMarker is the line of assign.comp where Step puts step.glsl.
const stepMarker = "//#step: shaders.Step splices step.glsl here\n"

// defines returns the blocking's #defines: the sizes, and FOR_TILES(M),
// FOR_CENTROIDS(M) and FOR_PAIRS(M), which expand to M(r) for r < RT,
// M(c) for c < RC and M(r, c, r*RC+c) for every pair, so the register
// block is written out with constant indices whatever the driver unrolls.
func (k Kernel) defines() string {
	var b strings.Builder
	fmt.Fprintf(&b, "#define TX %d\n#define CY %d\n#define RT %d\n#define RC %d\n#define FC %d\n", k.TX, k.CY, k.RT, k.RC, k.FC)
	b.WriteString("#define FOR_TILES(M)")
	for r := range k.RT {
		fmt.Fprintf(&b, " M(%d)", r)
	}
	b.WriteString("\n#define FOR_CENTROIDS(M)")
	for c := range k.RC {
		fmt.Fprintf(&b, " M(%d)", c)
	}
	b.WriteString("\n#define FOR_TILE_VECS(M)")
	for q := range k.RT / 4 {
		fmt.Fprintf(&b, " M(%d)", q)
	}
	b.WriteString("\n#define FOR_CENTROID_VECS(M)")
	for q := range k.RC / 4 {
		fmt.Fprintf(&b, " M(%d)", q)
	}
	b.WriteString("\n#define FOR_PAIRS(M)")
	for r := range k.RT {
		for c := range k.RC {
			fmt.Fprintf(&b, " M(%d, %d, %d)", r, c, r*k.RC+c)
		}
	}
	b.WriteString("\n")
	return b.String()
}

// splice inserts text after the first line (the #version directive) of src
// and resets the line numbering, so compile errors name the lines of the
// original file (for the parts of it before any later splice).
func splice(src, text string) string {
	i := strings.IndexByte(src, '\n')
	if i < 0 {
		return src
	}
	return src[:i+1] + text + "\n#line 2\n" + src[i+1:]
}
