package main

import (
	"flag"
	"fmt"
	"image"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	htmlreport "github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/report"
	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/sheetpaths"
	"github.com/tilekmeans/tilekmeans/internal/imageformat"
	"github.com/tilekmeans/tilekmeans/tiles"
)

// One image, one sample: -resize, -fit, -skip-bad, and how samples are
// named in the outputs.

// fitFlag is -fit: tiles.Fit by name.
type fitFlag tiles.Fit

var fitNames = [...]string{tiles.FitStretch: "stretch", tiles.FitPad: "pad", tiles.FitCrop: "crop"}

func (f fitFlag) String() string { return fitNames[f] }

// MarshalText returns the name.
func (f fitFlag) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText accepts stretch, pad or crop.
func (f *fitFlag) UnmarshalText(b []byte) error {
	for i, n := range fitNames {
		if string(b) == n {
			*f = fitFlag(i)
			return nil
		}
	}
	return fmt.Errorf("fit %q: want stretch, pad or crop", b)
}

// resizeFilter names the filter -resize uses (tiles.Options.Filter nil:
// x/image/draw's CatmullRom), for summary.json and the report.
const resizeFilter = "catmullrom"

// registerSamples adds -resize, -fit and -skip-bad to fs.
func (s *sheetFlags) registerSamples(fs *flag.FlagSet) {
	fs.Var(&s.resize, "resize", "make every image one sample, scaled to `WxH` pixels (Catmull-Rom, Pillow's bicubic), never cut into tiles; folders are read recursively")
	fs.TextVar(&s.fit, "fit", fitFlag(tiles.FitStretch), "with -resize, how an image of another aspect ratio fits: stretch | pad (centred on -background) | crop (centred)")
	fs.BoolVar(&s.skipBad, "skip-bad", false, "with -resize or arrays: leave out the files that cannot be read, naming each on stderr, instead of failing")
}

// checkSamples refuses the flags that contradict -resize.
func (s *sheetFlags) checkSamples() error {
	if !s.set["resize"] {
		if s.set["fit"] {
			return usagef("-fit %s: it says how -resize fits an image; give -resize WxH", s.fit)
		}
		return nil
	}
	if s.set["tileset"] {
		return usagef("-resize makes every image one sample: leave -tileset out (a tileset's grid, margin, spacing and colour key cut its sheet into tiles; -images names the image itself)")
	}
	for _, f := range []string{"margin", "spacing", "crop"} {
		if s.set[f] {
			return usagef("-resize makes every image one sample: leave -%s out (it cuts sheets into tiles)", f)
		}
	}
	return nil
}

// samples reports whether the sheet flags make every image one sample.
func (s *sheetFlags) samples() bool { return s.set["resize"] }

// expandImages turns -images into files: folders recursively with
// -resize. It keeps the files for -labels folders, and adjusts opts to
// what the files are: arrays without -tile take their own image size.
func (s *sheetFlags) expandImages(paths []string, exclude string, opts *tiles.Options) ([]string, error) {
	expand := []sheetpaths.ExpandOption{sheetpaths.SkipOutputDirs()}
	if exclude != "" {
		expand = append(expand, sheetpaths.ExcludeTree(exclude))
	}
	if s.samples() {
		expand = append(expand, sheetpaths.Recursive())
	}
	files, err := sheetpaths.ExpandFiles(paths, expand...)
	if err != nil {
		return nil, fmt.Errorf("-images %w", err)
	}
	s.files = files
	arrays := 0
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.Path
		if imageformat.ArrayFormat(f.Path) != "" {
			arrays++
		}
	}
	if arrays > 0 && !s.set["tile"] {
		opts.Grid.TileWidth, opts.Grid.TileHeight = 0, 0
	}
	if s.skipBad && !s.samples() && arrays == 0 {
		return nil, usagef("-skip-bad leaves out files that cannot be read with -resize or among arrays; sheets cut on a grid must all load")
	}
	if s.progress != nil && isTerminal(s.progress) && (s.samples() || arrays > 0) {
		w := s.progress
		opts.Progress = func(done, total int) {
			if done == total {
				fmt.Fprint(w, "\r\033[K")
				return
			}
			fmt.Fprintf(w, "\r\033[Kloading: %d/%d images", done, total)
		}
	}
	return out, nil
}

// leftOut returns the positions that the files -skip-bad left out of t
// had among the samples of every file, in file order, taking each to have
// held one image (for -labels FILE: their labels are dropped); nil when
// none was left out, or when an array was (its count is unknown).
func (s *sheetFlags) leftOut(t *tiles.Set) []int {
	bad := map[string]bool{}
	for _, b := range t.Bad {
		if imageformat.ArrayFormat(b.Path) != "" {
			return nil
		}
		bad[b.Path] = true
	}
	if len(bad) == 0 {
		return nil
	}
	var left []int
	pos, j := 0, 0
	for _, f := range s.files {
		if bad[f.Path] {
			left = append(left, pos)
			pos++
			continue
		}
		for ; j < len(t.Sheets) && t.Sheets[j].Path == f.Path; j++ {
			pos += t.Sheets[j].Rows * t.Sheets[j].Cols
		}
	}
	return left
}

// folderOf is -labels folders' class of a file: the first folder below
// the -images folder it was found in (torchvision's ImageFolder).
func (s *sheetFlags) folderOf(path string) (string, error) {
	if s.byPath == nil {
		s.byPath = make(map[string]sheetpaths.File, len(s.files))
		for _, f := range s.files {
			s.byPath[f.Path] = f
		}
	}
	f, ok := s.byPath[path]
	if !ok {
		return "", fmt.Errorf("%s is not among the -images files", path)
	}
	class, _, nested := strings.Cut(f.Rel(), "/")
	switch {
	case f.Root == "":
		return "", fmt.Errorf("%s was named itself, not found in a folder of class folders given to -images", path)
	case !nested:
		return "", fmt.Errorf("%s lies in %s itself, not in a class folder below it", path, f.Root)
	}
	return class, nil
}

// isArraySheet reports whether a sheet is an array file (its images are
// its rows).
func isArraySheet(sh tiles.Sheet) bool {
	return sh.Format == "npy" || sh.Format == "idx"
}

// sampleNames tells how the outputs name samples: by file (separate
// images), by file and index (arrays), or, for sheets cut on a grid, by
// sheet, row and column (byFile false).
type sampleNames struct {
	byFile, index bool
}

func namesOf(t *tiles.Set) sampleNames {
	var n sampleNames
	for _, sh := range t.Sheets {
		if isArraySheet(sh) {
			n.byFile, n.index = true, true
		}
	}
	if t.Resize != (image.Point{}) {
		n.byFile = true
	}
	return n
}

// name is sample i's name for a person: its sheet's name (the file, and
// for a page of a file of several images "#" and the page: "anim.gif#2"),
// and for an array its index in brackets ("mnist.npy[17]"); short drops
// the folders.
func (n sampleNames) name(t *tiles.Set, i int, short bool) string {
	o := t.Origins[i]
	sh := t.Sheets[o.Sheet]
	p := sh.Name()
	if short {
		p = filepath.Base(sh.Path) + strings.TrimPrefix(p, sh.Path)
	}
	if isArraySheet(sh) {
		return fmt.Sprintf("%s[%d]", p, o.Row)
	}
	return p
}

// stem is a sheet's file name without its extension (and for arrays
// without a .gz before it), with its page after "#" when it is a
// page of a file of several images: "anim#2" for anim.gif's second frame.
// It names the pictures of samples and tiles that are not files of their
// own (in the report, and the PNGs of -export folders).
func stem(sh tiles.Sheet) string {
	base := filepath.Base(sh.Path)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	if isArraySheet(sh) {
		base = strings.TrimSuffix(base, ".gz")
	}
	return base + strings.TrimPrefix(sh.Name(), sh.Path)
}

// imageFiles counts the image files among the sheets of a -resize run
// (arrays aside) and the images they held: more images than files when
// some held several (pages, frames).
func imageFiles(t *tiles.Set) (files, images int) {
	for _, sh := range t.Sheets {
		if isArraySheet(sh) {
			continue
		}
		images++
		if sh.Page <= 1 { // a file's first page, or its one image
			files++
		}
	}
	return files, images
}

// sampleSource says what was loaded, for the run's first line: "60000
// image files", "2 image files holding 4 images", "1 array of 60000
// images"; "" for sheets cut on a grid.
func sampleSource(t *tiles.Set) string {
	arrays, arrayImages := 0, 0
	for _, sh := range t.Sheets {
		if isArraySheet(sh) {
			arrays++
			arrayImages += sh.Rows
		}
	}
	var parts []string
	if files, images := imageFiles(t); files > 0 && t.Resize != (image.Point{}) {
		p := plural(files, "image file")
		if images > files {
			p += fmt.Sprintf(" holding %d images (pages and frames)", images)
		}
		parts = append(parts, p)
	}
	if arrays > 0 {
		parts = append(parts, fmt.Sprintf("%s of %s", plural(arrays, "array"), plural(arrayImages, "image")))
	}
	if len(parts) == 0 {
		return ""
	}
	s := strings.Join(parts, " and ")
	if len(t.Bad) > 0 {
		s += fmt.Sprintf(" (%s left out: -skip-bad)", plural(len(t.Bad), "unreadable file"))
	}
	return s
}

// noteSamples is noteSheets for samples: one line for all the images with
// transparent pixels, and one per file -skip-bad left out.
func noteSamples(w io.Writer, t *tiles.Set, bg background) {
	n, px := 0, 0
	for _, sh := range t.Sheets {
		if sh.Transparent > 0 {
			n++
			px += sh.Transparent
		}
	}
	if n > 0 {
		fmt.Fprintf(w, "tilekmeans: %s had transparent pixels (%d in all), composited over %s (-background)\n", plural(n, "image"), px, bg)
	}
	for _, b := range t.Bad {
		fmt.Fprintf(w, "tilekmeans: left out (-skip-bad): %v\n", b.Err)
	}
}

// header is labels.csv's first columns for samples: sample, file, and
// with arrays the index in the file.
func (n sampleNames) header() []string {
	if n.index {
		return []string{"sample", "file", "index"}
	}
	return []string{"sample", "file"}
}

// fill writes a sample's index column (rec[0] and rec[1] are its number
// and file).
func (n sampleNames) fill(rec []string, o tiles.Origin) {
	if n.index {
		rec[2] = strconv.Itoa(int(o.Row))
	}
}

// imagesEntry sums up the image files of a -resize run in summary.json.
type imagesEntry struct {
	Files int `json:"files"`
	// Images is the images the files held, each a sample, when more than
	// the files: the pages of multi-page TIFFs and the frames of
	// animations.
	Images  int            `json:"images,omitempty"`
	Formats map[string]int `json:"formats"`
	// Smallest and Largest are the sizes, as displayed, with the fewest
	// and the most pixels.
	Smallest string `json:"smallest"`
	Largest  string `json:"largest"`
	// Transparent counts the images with pixels composited over the
	// background, Oriented those that declared an EXIF orientation.
	Transparent int `json:"transparent_images"`
	Oriented    int `json:"oriented_images"`
}

// badEntry is a file -skip-bad left out.
type badEntry struct {
	Path  string `json:"path"`
	Error string `json:"error"`
}

// summarizeSamples adds the -resize facts, the image files summed up and
// the files -skip-bad left out to s.
func summarizeSamples(s *summary, t *tiles.Set) {
	s.Sheets = []sheetEntry{}
	for _, b := range t.Bad {
		s.BadFiles = append(s.BadFiles, badEntry{Path: b.Path, Error: b.Err.Error()})
	}
	s.SkippedBad = len(t.Bad)
	if t.Resize == (image.Point{}) {
		return
	}
	s.Resize = fmt.Sprintf("%dx%d", t.Resize.X, t.Resize.Y)
	s.Fit, s.Filter = fitFlag(t.Fit).String(), resizeFilter
	im := &imagesEntry{Formats: map[string]int{}}
	var images int
	if im.Files, images = imageFiles(t); images > im.Files {
		im.Images = images
	}
	var small, large tiles.Sheet
	seen := 0
	for _, sh := range t.Sheets {
		if isArraySheet(sh) {
			continue
		}
		seen++
		if sh.Page <= 1 {
			im.Formats[sh.Format]++ // files by format
		}
		if sh.Transparent > 0 {
			im.Transparent++
		}
		if sh.Orientation != "" {
			im.Oriented++
		}
		if px := sh.Width * sh.Height; seen == 1 || px < small.Width*small.Height {
			small = sh
		}
		if px := sh.Width * sh.Height; seen == 1 || px > large.Width*large.Height {
			large = sh
		}
	}
	if im.Files > 0 {
		im.Smallest = fmt.Sprintf("%dx%d", small.Width, small.Height)
		im.Largest = fmt.Sprintf("%dx%d", large.Width, large.Height)
		s.Images = im
	}
}

// sampleReport makes the report name samples by file, and sum up the
// inputs rather than list one sheet per image.
func sampleReport(in *htmlreport.Input, t *tiles.Set, s summary) {
	names := namesOf(t)
	if !names.byFile {
		return
	}
	in.Subtitle = fmt.Sprintf("%d samples of %s from %s; %s", s.Tiles, tileDesc(t), sampleSource(t), strings.SplitN(in.Subtitle, "; ", 2)[1])
	// The facts of sheets cut on a grid: samples have no grid, and the
	// inputs are summed up below.
	facts := in.Facts[:0:0]
	for _, f := range in.Facts {
		switch f.Name {
		case "grid", "sheets":
			continue
		case "tiles":
			f.Name = "samples"
		case "blank tiles":
			f.Name = "blank samples"
		}
		facts = append(facts, f)
	}
	in.Facts = facts
	in.Name = func(i int) (string, string) {
		short := names.name(t, i, true)
		if sh := t.Sheets[t.Origins[i].Sheet]; !isArraySheet(sh) {
			short = stem(sh)
		}
		return short, names.name(t, i, false)
	}
	if im := s.Images; im != nil {
		var formats []string
		for f, n := range im.Formats {
			formats = append(formats, fmt.Sprintf("%d %s", n, strings.ToUpper(f)))
		}
		slices.Sort(formats)
		sizes := im.Smallest
		if im.Largest != im.Smallest {
			sizes = fmt.Sprintf("%s to %s pixels", im.Smallest, im.Largest)
		}
		files := fmt.Sprintf("%d (%s)", im.Files, strings.Join(formats, ", "))
		if im.Images > 0 {
			files += fmt.Sprintf(", holding %d images (pages and frames)", im.Images)
		}
		in.Inputs = append(in.Inputs,
			htmlreport.Fact{Name: "image files", Value: files},
			htmlreport.Fact{Name: "sizes", Value: sizes},
			htmlreport.Fact{Name: "resized to", Value: fmt.Sprintf("%s, -fit %s, filter %s", s.Resize, s.Fit, s.Filter)})
		if im.Transparent > 0 {
			in.Inputs = append(in.Inputs, htmlreport.Fact{Name: "transparent", Value: fmt.Sprintf("%s, composited over %s", plural(im.Transparent, "image"), s.Background)})
		}
		if im.Oriented > 0 {
			in.Inputs = append(in.Inputs, htmlreport.Fact{Name: "EXIF orientation", Value: fmt.Sprintf("applied to %s", plural(im.Oriented, "image"))})
		}
	}
	for _, sh := range t.Sheets {
		if isArraySheet(sh) {
			in.Inputs = append(in.Inputs, htmlreport.Fact{Name: "array", Value: fmt.Sprintf("%s: %s of %dx%d (%s)", sh.Path, plural(sh.Rows, "image"), sh.Width, sh.Height, strings.ToUpper(sh.Format))})
		}
	}
	if len(t.Bad) > 0 {
		const shown = 20
		var names []string
		for _, b := range t.Bad[:min(shown, len(t.Bad))] {
			names = append(names, b.Path)
		}
		more := ""
		if len(t.Bad) > shown {
			more = fmt.Sprintf(" and %d more (summary.json lists them)", len(t.Bad)-shown)
		}
		in.Inputs = append(in.Inputs, htmlreport.Fact{Name: "left out (-skip-bad)", Value: fmt.Sprintf("%d unreadable: %s%s", len(t.Bad), strings.Join(names, ", "), more)})
	}
}

// applySamples takes -resize and -fit from a run that resized its images
// (summary.json's resize and fit), refusing a given value that differs.
func (m *runMeta) applySamples(sf *sheetFlags, contradicts func(flag, given, run string) error) error {
	if m.s.Resize == "" {
		return nil
	}
	var size tileSize
	var fit fitFlag
	if err := size.Set(m.s.Resize); err != nil {
		return fmt.Errorf("%s: resize %q: %w", m.path, m.s.Resize, err)
	}
	if err := fit.UnmarshalText([]byte(m.s.Fit)); err != nil {
		return fmt.Errorf("%s: %w", m.path, err)
	}
	switch {
	case sf.set["resize"] && sf.resize != size:
		return contradicts("resize", sf.resize.dims(), size.dims())
	case sf.set["fit"] && sf.fit != fit:
		return contradicts("fit", sf.fit.String(), fit.String())
	}
	sf.resize, sf.fit = size, fit
	sf.set["resize"], sf.set["fit"] = true, true
	return nil
}
