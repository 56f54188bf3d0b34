package labels_test

import (
	"bytes"
	"errors"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/cmd/tilekmeans/internal/labels"
	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
	"github.com/tilekmeans/tilekmeans/tiles"
)

func TestLabelSpecText(t *testing.T) {
	for _, c := range []struct {
		in   string
		want labels.Spec
	}{
		{"sheets", labels.Spec{}},
		{"rows:5", labels.Spec{Kind: labels.Rows, N: 5}},
		{"cols:1", labels.Spec{Kind: labels.Cols, N: 1}},
		{"labels.tsv", labels.Spec{Kind: labels.File, File: "labels.tsv"}},
		{"dir/rows.csv", labels.Spec{Kind: labels.File, File: "dir/rows.csv"}},
	} {
		var s labels.Spec
		if err := s.UnmarshalText([]byte(c.in)); err != nil || s != c.want {
			t.Errorf("%q: %+v %v, want %+v", c.in, s, err, c.want)
		}
		if out, _ := s.MarshalText(); string(out) != c.in {
			t.Errorf("%q marshals to %q", c.in, out)
		}
	}
	for _, bad := range []string{"", "rows:", "rows:0", "rows:-2", "cols:x", "rows:1.5"} {
		var s labels.Spec
		if err := s.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	// It works as a flag.
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	var s labels.Spec
	fs.TextVar(&s, "labels", labels.Spec{}, "")
	if err := fs.Parse([]string{"-labels", "rows:5"}); err != nil || s != (labels.Spec{Kind: labels.Rows, N: 5}) {
		t.Errorf("flag: %+v %v", s, err)
	}
}

// gridTiles is 2 sheets of 3 columns x 4 rows of 1x1 tiles, pixel value =
// sheet*100 + row*10 + col (so no tile is blank... all are: 1x1 tiles are
// blank by definition, which SkipBlank tests use).
func gridTiles(t *testing.T, skipBlank bool) *tiles.Set {
	t.Helper()
	var srcs []tiles.Source
	for s := range 2 {
		img := image.NewGray(image.Rect(0, 0, 6, 8))
		for y := range 8 {
			for x := range 6 {
				img.Pix[y*6+x] = uint8(s*100 + (y/2)*10 + x/2)
			}
		}
		if s == 1 {
			for y := range 2 { // make tile (row 0, col 0) of sheet 1 non-blank
				img.Pix[y*6] = 200
			}
			img.Pix[1] = 201
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, tiles.Source{Name: "s" + string(rune('0'+s)) + ".png", Data: b.Bytes()})
	}
	got, err := tiles.LoadSources(srcs, tiles.Options{Size: 2, SkipBlank: skipBlank})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestClasses(t *testing.T) {
	all := gridTiles(t, false) // 24 tiles
	rows := func(spec string, tt *tiles.Set) *labels.Classes {
		t.Helper()
		var s labels.Spec
		if err := s.UnmarshalText([]byte(spec)); err != nil {
			t.Fatal(err)
		}
		c, err := s.Classes(tt)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		return c
	}
	c := rows("sheets", all)
	if len(c.Names) != 2 || c.Names[1] != "s1.png" || c.Of[12] != 1 || !slices.Equal(c.Sizes, []int{12, 12}) || c.QualityNote() != "" {
		t.Errorf("sheets: %+v", c)
	}
	c = rows("rows:2", all) // rows 0-1 -> 0, rows 2-3 -> 1, on both sheets
	if !slices.Equal(c.Names, []string{"0", "1"}) || c.Of[5] != 0 || c.Of[6] != 1 || c.Of[12+7] != 1 || !slices.Equal(c.Sizes, []int{12, 12}) {
		t.Errorf("rows:2: %+v", c)
	}
	c = rows("cols:1", all)
	if len(c.Names) != 3 || c.Of[2] != 2 || c.Of[4] != 1 {
		t.Errorf("cols:1: %+v", c)
	}
	if c = rows("rows:10", all); c.QualityNote() == "" || !strings.Contains(c.QualityNote(), "1 class") {
		t.Errorf("one class: %q", c.QualityNote())
	}

	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	lines := func(n int, f func(i int) string) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(f(i) + "\n")
		}
		return b.String()
	}
	digit := func(i int) string { return string(rune('a' + i%4)) }
	// Single-column TSV: no header (TensorBoard), one label per cell.
	p := write("one.tsv", lines(24, digit))
	c = rows(p, all)
	if len(c.Names) != 4 || c.Of[5] != 1 || c.Names[1] != "b" || c.QualityNote() != "" {
		t.Errorf("one.tsv: %+v", c)
	}
	// Multi-column TSV: a header, the "label" column.
	p = write("multi.tsv", "index\tLabel\tnote\n"+lines(24, func(i int) string { return "x\t" + digit(i) + "\tz" }))
	if c = rows(p, all); c.Of[5] != 1 || len(c.Names) != 4 {
		t.Errorf("multi.tsv: %+v", c)
	}
	// CSV with a header and quoting; no "label" column: the first one.
	p = write("multi.csv", "digit,comment\n"+lines(24, func(i int) string { return digit(i) + `,"a, b"` }))
	if c = rows(p, all); c.Of[6] != 2 {
		t.Errorf("multi.csv: %+v", c)
	}
	// Every tile its own class: meaningless, and said so.
	p = write("unique.tsv", lines(24, func(i int) string { return "t" + string(rune('A'+i)) }))
	if c = rows(p, all); !strings.Contains(c.QualityNote(), "single tile") {
		t.Errorf("unique: %q", c.QualityNote())
	}
	// Blank tiles skipped: labels per grid cell still match, by origin, and
	// so do labels per kept tile.
	kept := gridTiles(t, true)
	if kept.N() != 1 {
		t.Fatalf("kept %d tiles, want the 1 non-blank", kept.N())
	}
	if c = rows(write("cells.tsv", lines(24, digit)), kept); len(c.Of) != 1 || c.Names[0] != digit(12) {
		t.Errorf("cells for kept tiles: %+v", c)
	}
	if c = rows(write("kept.tsv", "only\n"), kept); c.Names[0] != "only" {
		t.Errorf("per kept tile: %+v", c)
	}
	// Trailing empty lines are not labels.
	if c = rows(write("trailing.tsv", lines(24, digit)+"\n\n\r\n"), all); len(c.Of) != 24 {
		t.Errorf("trailing empty lines: %+v", c)
	}

	for _, bad := range []struct{ name, text, msg string }{
		{"empty.tsv", "", "empty: no labels"},
		{"spaces.tsv", " \n\n", "empty: no labels"},
		{"short.tsv", lines(23, digit), "wrong number of labels: 23 labels, want"},
		{"header.tsv", "label\n" + lines(24, digit), "is the first line a header?"},
		{"blankline.tsv", "a\n\nb\n", ":2: empty line"},
		{"emptylabel.tsv", "h1\tlabel\nx\t\n", ":2: empty label"},
		{"ragged.tsv", "h1\th2\nx\n", "1 columns, but the first line has 2"},
		{"onlyheader.tsv", "h1\th2\n", "a header line and no labels"},
		{"badquote.csv", "a,\"b\n", "extraneous"},
	} {
		var s labels.Spec
		if err := s.UnmarshalText([]byte(write(bad.name, bad.text))); err != nil {
			t.Fatal(err)
		}
		_, err := s.Classes(all)
		var le *labels.FileError
		if !errors.As(err, &le) || !strings.Contains(err.Error(), bad.msg) || !strings.Contains(err.Error(), bad.name) {
			t.Errorf("%s: %v, want a *LabelError naming the file and containing %q", bad.name, err, bad.msg)
		}
	}
	if _, err := (labels.Spec{Kind: labels.File, File: filepath.Join(dir, "missing.tsv")}).Classes(all); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
	var le *labels.FileError
	if _, err := (labels.Spec{Kind: labels.File, File: write("n.tsv", lines(5, digit))}).Classes(all); !errors.As(err, &le) || !errors.Is(err, labels.ErrCount) {
		t.Errorf("count: %v does not wrap ErrCount", err)
	}
}

// TestDigitsRows: OpenCV's digits.png with 20-pixel tiles and rows:5 gives
// 10 classes of 500 tiles, class = digit.
func TestDigitsRows(t *testing.T) {
	p := filepath.Join(sharedtest.SharedDir(t, "data", "sheets"), "digits.png")
	got, err := tiles.Load([]string{p}, tiles.Options{Size: 20})
	if err != nil {
		t.Fatal(err)
	}
	c, err := (labels.Spec{Kind: labels.Rows, N: 5}).Classes(got)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Names) != 10 || c.Names[9] != "9" || c.QualityNote() != "" {
		t.Fatalf("classes %v", c.Names)
	}
	for i, n := range c.Sizes {
		if n != 500 {
			t.Errorf("class %d: %d tiles, want 500", i, n)
		}
	}
	if c.Of[0] != 0 || c.Of[100*5] != 1 || c.Of[4999] != 9 {
		t.Errorf("classes of tiles 0, 500, 4999: %d %d %d", c.Of[0], c.Of[500], c.Of[4999])
	}
}

func FuzzParseLabels(f *testing.F) {
	f.Add("a\nb\nc\n", true)
	f.Add("index\tlabel\n0\tx\n1\ty", true)
	f.Add("h,\"q\"\"x\"\n1,2\n", false)
	f.Fuzz(func(t *testing.T, text string, tsv bool) {
		name := "f.csv"
		if tsv {
			name = "f.tsv"
		}
		l, err := labels.Parse(name, []byte(text))
		if err != nil {
			if !strings.HasPrefix(err.Error(), name) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q: want one line naming the file", err)
			}
			return
		}
		if len(l.Values) == 0 || slices.Contains(l.Values, "") {
			t.Errorf("labels %q: empty", l.Values)
		}
	})
}

// TestCase_labels_utf16: ../shared/cases/labels_utf16 is a UTF-16LE file
// with a byte order mark (what Windows PowerShell 5.1 and Excel's "Unicode
// Text" save). Label files are decoded by their mark: UTF-8 (with or
// without), UTF-16 and UTF-32 little- and big-endian, TSV and CSV, LF or CRLF, with or
// without a final newline, all give the same labels; other text (Latin-1,
// UTF-16 that lost its mark) is refused with one line naming the file.
func TestCase_labels_utf16(t *testing.T) {
	utf16 := func(bigEndian bool, s string) []byte {
		out := []byte{0xff, 0xfe}
		if bigEndian {
			out = []byte{0xfe, 0xff}
		}
		for _, r := range s { // the test's text is in the Basic Multilingual Plane
			if bigEndian {
				out = append(out, byte(r>>8), byte(r))
			} else {
				out = append(out, byte(r), byte(r>>8))
			}
		}
		return out
	}
	utf32 := func(bigEndian bool, s string) []byte {
		var out []byte
		for _, r := range "\ufeff" + s {
			if bigEndian {
				out = append(out, 0, byte(r>>16), byte(r>>8), byte(r))
			} else {
				out = append(out, byte(r), byte(r>>8), byte(r>>16), 0)
			}
		}
		return out
	}
	tsv := "0\n1\n2\nÉtoile\n"
	csv := "tile,label\n0,0\n1,1\n2,2\n3,Étoile\n"
	want := []string{"0", "1", "2", "Étoile"}
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"a.tsv", []byte(tsv)},
		{"a.tsv", append([]byte("\xef\xbb\xbf"), tsv...)},
		{"a.tsv", utf16(false, tsv)},
		{"a.tsv", utf16(true, tsv)},
		{"a.tsv", utf16(false, strings.TrimSuffix(tsv, "\n"))},
		{"a.tsv", utf16(true, strings.ReplaceAll(tsv, "\n", "\r\n"))},
		{"a.csv", []byte(csv)},
		{"a.csv", utf16(false, csv)},
		{"a.csv", utf16(true, strings.ReplaceAll(csv, "\n", "\r\n"))},
		{"a.csv", utf16(false, strings.TrimSuffix(csv, "\n"))},
		{"a.tsv", utf32(false, tsv)},
		{"a.csv", utf32(true, strings.ReplaceAll(csv, "\n", "\r\n"))},
	} {
		l, err := labels.Parse(c.name, c.data)
		if err != nil || !slices.Equal(l.Values, want) {
			t.Errorf("%s % x...: %v, %v; want %q", c.name, c.data[:4], l, err, want)
		}
	}
	for _, c := range []struct {
		data []byte
		msg  string
	}{
		{[]byte("0\n1\n\xc9toile\n"), "a.tsv: not UTF-8 text (byte 4 is 0xc9; only UTF-8, and UTF-16 or UTF-32 with a byte order mark, are read): save the file as UTF-8"},
		{utf16(false, tsv)[2:], "a.tsv: byte 1 is NUL: UTF-16 without a byte order mark?"},
		{utf16(true, tsv)[2:], "a.tsv: byte 0 is NUL: UTF-16 without a byte order mark?"},
	} {
		_, err := labels.Parse("a.tsv", c.data)
		var fe *labels.FileError
		if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), c.msg) || strings.Contains(err.Error(), "\n") {
			t.Errorf("% x...: error %v, want one line starting %q", c.data[:4], err, c.msg)
		}
	}
	// The case's two files: 20 labels, 3 classes, tile i of class i%3.
	for _, name := range []string{"utf16.tsv", "utf16_noeol.tsv"} {
		data, err := os.ReadFile(sharedtest.Shared(t, "cases/labels_utf16/"+name))
		if err != nil {
			t.Fatal(err)
		}
		l, err := labels.Parse(name, data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var want []string
		for i := range 20 {
			want = append(want, string(rune('0'+i%3)))
		}
		if !slices.Equal(l.Values, want) {
			t.Errorf("%s: labels %q, want %q", name, l.Values, want)
		}
	}
}
