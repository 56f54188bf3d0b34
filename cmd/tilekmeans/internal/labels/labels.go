// Package labels gives tiles their true classes for the quality metrics
// (purity, NMI, ARI): the command's -labels flag (Spec) and the label files
// it names.
package labels

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"

	"github.com/tilekmeans/tilekmeans/tiles"
)

// Kind says where tiles' true classes come from.
type Kind uint8

const (
	// Sheets: one class per sheet (the zero value).
	Sheets Kind = iota
	// Rows: class = grid row / N, on every sheet (OpenCV's digits.png:
	// 20-pixel tiles, 5 rows per digit).
	Rows
	// Cols: class = grid column / N.
	Cols
	// File: one label per tile, in tile order, from a file.
	File
	// Folders: class = the first folder below the folder the file was
	// found in (torchvision's ImageFolder), for one image, one sample.
	Folders
)

// Spec says how tiles are given true classes for the quality metrics
// (purity, NMI, ARI). Its text form, for flags (flag.TextVar):
//
//	sheets   one class per sheet
//	rows:N   class = grid row / N (N >= 1)
//	cols:N   class = grid column / N
//	folders  class = the first folder level below the -images folder
//	FILE     anything else: a file of labels, one per tile in tile order
//
// The zero Spec is "sheets".
//
// A label file is TSV (tab-separated; by its .tsv extension or when its
// first line has a tab) or CSV (anything else, RFC 4180 quoting). Following
// TensorBoard's projector metadata rules
// (https://www.tensorflow.org/tensorboard/tensorboard_projector_plugin):
// a file with a single column has no header, every line is a label; a file
// with several columns has a header line naming them, and the labels are
// taken from the column headed "label" or "class" (any case), else from the
// first column. Final newlines are optional; in TSV an empty line before a
// label is an error, while CSV skips empty lines (as encoding/csv does); an empty label
// is an error in both. A label file may also be binary: an IDX labels file
// (idx1-ubyte, as MNIST's train-labels-idx1-ubyte, optionally gzipped) or
// a .npy of integers of shape (N,); its classes are numbered in the
// numbers' order. The labels are matched to tiles in tile order: either one per
// grid cell of every sheet (blank tiles included, whether skipped or not), or
// one per tile kept.
//
// The file's text is UTF-8, with or without a byte order mark, or UTF-16
// (little- or big-endian) with its byte order mark, as Windows PowerShell
// 5.1 and Excel's "Unicode Text" save it; the mark tells which, as Python's
// open(encoding="utf-16") does. Other text (Latin-1, UTF-16 without its
// mark) is refused, naming the first byte that gives it away.
type Spec struct {
	Kind Kind
	N    int    // rows or columns per class, for Rows and Cols
	File string // for File
}

// String returns the text form.
func (s Spec) String() string {
	switch s.Kind {
	case Rows:
		return "rows:" + strconv.Itoa(s.N)
	case Cols:
		return "cols:" + strconv.Itoa(s.N)
	case File:
		return s.File
	case Folders:
		return "folders"
	}
	return "sheets"
}

// MarshalText returns the text form.
func (s Spec) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses the text form. "rows:" and "cols:" must be followed
// by a whole number >= 1; a file is not opened here.
func (s *Spec) UnmarshalText(b []byte) error {
	text := string(b)
	switch {
	case text == "sheets":
		*s = Spec{}
		return nil
	case text == "folders":
		*s = Spec{Kind: Folders}
		return nil
	case text == "":
		return errors.New("labels: empty: want sheets, rows:N, cols:N or a file")
	}
	for _, k := range []struct {
		prefix string
		kind   Kind
	}{{"rows:", Rows}, {"cols:", Cols}} {
		if rest, ok := strings.CutPrefix(text, k.prefix); ok {
			n, err := strconv.Atoi(rest)
			if err != nil || n < 1 {
				return fmt.Errorf("labels %q: want %sN with N a whole number >= 1", text, k.prefix)
			}
			*s = Spec{Kind: k.kind, N: n}
			return nil
		}
	}
	*s = Spec{Kind: File, File: text}
	return nil
}

// Classes are the true classes of a set of tiles.
type Classes struct {
	Of    []int    // Of[i]: class of tile i, 0..len(Names)-1
	Names []string // class names, in order of first appearance (rows:N: "0", "1", ...)
	Sizes []int    // tiles per class
}

// QualityNote says why scoring clusters against these classes means
// nothing, or returns "": fewer than two classes (every clustering is
// perfectly pure), or every class a single tile (likewise, and the confusion
// matrix has a row per tile).
func (c *Classes) QualityNote() string {
	switch {
	case len(c.Names) < 2:
		return fmt.Sprintf("%d class: every clustering scores perfectly", len(c.Names))
	case len(c.Names) == len(c.Of):
		return fmt.Sprintf("each of the %d classes holds a single tile", len(c.Names))
	}
	return ""
}

// FileError reports a label file that cannot be used. Line is 1-based, 0
// when the problem is the file as a whole.
type FileError struct {
	Path string
	Line int
	Err  error
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err)
	}
	return e.Path + ": " + e.Err.Error()
}

func (e *FileError) Unwrap() error { return e.Err }

// ErrCount reports a label file whose number of labels matches neither
// the grid cells nor the tiles kept.
var ErrCount = errors.New("wrong number of labels")

// maxLabelBytes bounds the label file read.
const maxLabelBytes = 1 << 30

// Classes gives t's tiles their classes as s says. Errors: *FileError for
// a label file (wrapping ErrCount for a count that fits neither the
// cells nor the tiles), or a plain error for a bad spec.
func (s Spec) Classes(t *tiles.Set) (*Classes, error) { return s.ClassesWithout(t, nil) }

// ClassesWithout is Classes for a set that files were left out of
// (tiles.Options.SkipBad, -skip-bad): left are the positions, 0-based and
// ascending, that their samples had among the labels of a label file in
// file order (one each). A label file with one label per sample of every
// file, those left out included, has those labels dropped; one with a
// label per sample kept is taken as it is.
func (s Spec) ClassesWithout(t *tiles.Set, left []int) (*Classes, error) {
	c := &Classes{Of: make([]int, t.N())}
	index := map[string]int{}
	class := func(name string) int {
		i, ok := index[name]
		if !ok {
			i = len(c.Names)
			index[name] = i
			c.Names = append(c.Names, name)
			c.Sizes = append(c.Sizes, 0)
		}
		c.Sizes[i]++
		return i
	}
	switch s.Kind {
	case Sheets:
		// Names and indices follow sheet order, even for a sheet with no
		// tile kept, so that class i is sheet i.
		for _, sh := range t.Sheets {
			index[sh.Name()] = len(c.Names)
			c.Names = append(c.Names, filepath.Base(sh.Name()))
			c.Sizes = append(c.Sizes, 0)
		}
		for i, o := range t.Origins {
			c.Of[i] = int(o.Sheet)
			c.Sizes[o.Sheet]++
		}
		return c, nil
	case Rows, Cols:
		if s.N < 1 {
			return nil, fmt.Errorf("labels %s: want N >= 1", s)
		}
		maxClass := 0
		for _, o := range t.Origins {
			v := int(o.Row)
			if s.Kind == Cols {
				v = int(o.Col)
			}
			maxClass = max(maxClass, v/s.N)
		}
		// Every class up to the last is named, so class i is named "i".
		for i := range maxClass + 1 {
			class(strconv.Itoa(i))
			c.Sizes[i] = 0
		}
		for i, o := range t.Origins {
			v := int(o.Row)
			if s.Kind == Cols {
				v = int(o.Col)
			}
			c.Of[i] = v / s.N
			c.Sizes[v/s.N]++
		}
		return c, nil
	case File:
	case Folders:
		return nil, errors.New("labels folders: the folders are given by FolderClasses")
	default:
		return nil, fmt.Errorf("labels: unknown kind %d", s.Kind)
	}
	f, err := os.Open(s.File)
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		err = pe.Err // FileError names the file
	}
	if err != nil {
		return nil, &FileError{Path: s.File, Err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxLabelBytes+1))
	if err != nil {
		return nil, &FileError{Path: s.File, Err: err}
	}
	if len(data) > maxLabelBytes {
		return nil, &FileError{Path: s.File, Err: fmt.Errorf("larger than %d bytes", maxLabelBytes)}
	}
	labels, err := parseAny(s.File, data)
	if err != nil {
		return nil, err
	}
	for _, name := range labels.Order {
		index[name] = len(c.Names)
		c.Names = append(c.Names, name)
		c.Sizes = append(c.Sizes, 0)
	}
	cells := 0
	first := make([]int, len(t.Sheets))
	for i, sh := range t.Sheets {
		first[i] = cells
		cells += sh.Rows * sh.Cols
	}
	if len(left) > 0 && len(labels.Values) == cells+len(left) {
		kept := make([]string, 0, cells)
		for i, v := range labels.Values {
			if _, gone := slices.BinarySearch(left, i); !gone {
				kept = append(kept, v)
			}
		}
		labels.Values = kept
	}
	switch len(labels.Values) {
	case cells:
		for i, o := range t.Origins {
			c.Of[i] = class(labels.Values[first[o.Sheet]+int(o.Row)*t.Sheets[o.Sheet].Cols+int(o.Col)])
		}
	case t.N():
		for i := range t.Origins {
			c.Of[i] = class(labels.Values[i])
		}
	default:
		want := fmt.Sprintf("one per tile: %d", cells)
		if t.N() != cells {
			want = fmt.Sprintf("one per grid cell (%d) or per tile kept (%d)", cells, t.N())
		}
		hint := ""
		if labels.Columns == 1 && (len(labels.Values) == cells+1 || len(labels.Values) == t.N()+1) {
			hint = " (a single-column file has no header line, as in TensorBoard's metadata files: is the first line a header?)"
		}
		if len(t.Bad) > 0 {
			hint += fmt.Sprintf(" (-skip-bad left %d files out", len(t.Bad))
			if len(left) > 0 {
				hint += fmt.Sprintf(": with one label per file in file order, the file holds %d", cells+len(left))
			}
			hint += ")"
		}
		column := ""
		if labels.Column != "" {
			column = fmt.Sprintf(" (column %q)", labels.Column)
		}
		return nil, &FileError{Path: s.File, Err: fmt.Errorf("%w: %d labels%s, want %s%s", ErrCount, len(labels.Values), column, want, hint)}
	}
	return c, nil
}

// decodeText returns a label file's text as UTF-8 without a byte order
// mark. The encoding is known by the mark, as Python's open(encoding=
// "utf-16") and pandas' sniffing know it: EF BB BF is UTF-8, FF FE UTF-16
// little-endian (what Windows PowerShell 5.1's Out-File and Excel's
// "Unicode Text" save), FE FF UTF-16 big-endian, FF FE 00 00 and 00 00 FE
// FF UTF-32 little- and big-endian; without a mark the text
// must be UTF-8. Other text (Latin-1, UTF-16 without a mark...) is refused,
// saying where, rather than read as wrong labels.
func decodeText(data []byte) ([]byte, error) {
	if bytes.HasPrefix(data, []byte{0xff, 0xfe, 0, 0}) || bytes.HasPrefix(data, []byte{0, 0, 0xfe, 0xff}) {
		// UTF-32's marks (FF FE 00 00 begins UTF-16 LE's too, but no label
		// file begins with NUL).
		text, err := utf32.UTF32(utf32.BigEndian, utf32.ExpectBOM).NewDecoder().Bytes(data)
		if err != nil {
			return nil, fmt.Errorf("UTF-32 text that does not decode: %w", err)
		}
		data = text
	} else if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		// ExpectBOM: the mark sets the byte order and is dropped.
		text, err := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder().Bytes(data)
		if err != nil {
			return nil, fmt.Errorf("UTF-16 text that does not decode: %w", err)
		}
		data = text
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if i := bytes.IndexByte(data, 0); i >= 0 {
		// No label holds NUL: this is UTF-16 that lost its mark.
		return nil, fmt.Errorf("byte %d is NUL: UTF-16 without a byte order mark? Save the file as UTF-8 (or UTF-16 with its mark)", i)
	}
	if !utf8.Valid(data) {
		i := 0
		for {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		return nil, fmt.Errorf("not UTF-8 text (byte %d is %#02x; only UTF-8, and UTF-16 or UTF-32 with a byte order mark, are read): save the file as UTF-8", i, data[i])
	}
	return data, nil
}

// Parsed is a parsed label file.
type Parsed struct {
	Values  []string // one per data line
	Columns int      // columns per line
	Column  string   // the header of the column used ("" for a single column)
	// Order is the classes in the order to number them (a binary file's
	// numbers, ascending); nil: in order of first appearance.
	Order []string
}

// Parse parses a label file's contents by the rules of Spec;
// path names it in errors (and its extension chooses TSV).
func Parse(path string, data []byte) (*Parsed, error) {
	fail := func(line int, format string, a ...any) (*Parsed, error) {
		return nil, &FileError{Path: path, Line: line, Err: fmt.Errorf(format, a...)}
	}
	data, err := decodeText(data)
	if err != nil {
		return fail(0, "%v", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return fail(0, "empty: no labels")
	}
	firstLine, _, _ := bytes.Cut(data, []byte("\n"))
	tsv := strings.EqualFold(filepath.Ext(path), ".tsv") || bytes.Contains(firstLine, []byte("\t"))
	var rows [][]string
	if tsv {
		// TSV has no quoting (TensorBoard splits lines on tabs).
		// Empty lines at the end (an editor's trailing newlines) are not
		// labels; an empty line before a label is an error.
		text := strings.TrimRight(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
		for _, line := range strings.Split(text, "\n") {
			rows = append(rows, strings.Split(line, "\t"))
		}
	} else {
		r := csv.NewReader(bytes.NewReader(data))
		r.FieldsPerRecord = -1
		r.ReuseRecord = false
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				var pe *csv.ParseError
				if errors.As(err, &pe) {
					return fail(pe.Line, "%v", pe.Err)
				}
				return fail(0, "%v", err)
			}
			rows = append(rows, rec)
		}
	}
	cols := len(rows[0])
	l := &Parsed{Columns: cols}
	col, start := 0, 0
	if cols > 1 {
		start = 1
		for i, h := range rows[0] {
			if name := strings.ToLower(strings.TrimSpace(h)); name == "label" || name == "class" {
				col = i
				break
			}
		}
		l.Column = rows[0][col]
	}
	for i, rec := range rows[start:] {
		line := start + i + 1
		if len(rec) != cols {
			if len(rec) == 1 && rec[0] == "" {
				return fail(line, "empty line")
			}
			return fail(line, "%d columns, but the first line has %d", len(rec), cols)
		}
		v := strings.TrimSpace(rec[col])
		if v == "" && cols == 1 {
			return fail(line, "empty line")
		}
		if v == "" {
			return fail(line, "empty label")
		}
		l.Values = append(l.Values, v)
	}
	if len(l.Values) == 0 {
		return fail(0, "a header line and no labels")
	}
	return l, nil
}
