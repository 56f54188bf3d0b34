package npy

import (
	"bytes"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tilekmeans/tilekmeans/internal/sharedtest"
)

func TestHeaderBytes(t *testing.T) {
	tests := []struct {
		descr string
		shape []int
		dict  string
	}{
		{"|u1", []int{5610, 256}, "{'descr': '|u1', 'fortran_order': False, 'shape': (5610, 256), }"},
		{"<i4", []int{7}, "{'descr': '<i4', 'fortran_order': False, 'shape': (7,), }"},
		{"<f4", []int{}, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }"},
		{"<f4", []int{2, 3, 4}, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }"},
	}
	for _, tt := range tests {
		h, err := preamble(tt.descr, tt.shape)
		if err != nil {
			t.Fatal(err)
		}
		if len(h)%64 != 0 || !bytes.HasPrefix(h, []byte("\x93NUMPY\x01\x00")) || h[len(h)-1] != '\n' {
			t.Errorf("%v: header %q: want magic, v1.0, a multiple of 64 bytes ending in a newline", tt.shape, h)
		}
		if got := int(h[8]) | int(h[9])<<8; got != len(h)-10 {
			t.Errorf("%v: header length field %d, want %d", tt.shape, got, len(h)-10)
		}
		if dict := strings.TrimRight(string(h[10:]), " \n"); dict != tt.dict {
			t.Errorf("dict %q, want %q", dict, tt.dict)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	var b bytes.Buffer
	u := []uint8{0, 1, 2, 250, 255, 7}
	if err := Write(&b, u, 2, 3); err != nil {
		t.Fatal(err)
	}
	a, err := Read[uint8](&b)
	if err != nil || !slices.Equal(a.Data, u) || !slices.Equal(a.Shape, []int{2, 3}) || a.FortranOrder {
		t.Errorf("uint8: %v %v", a, err)
	}

	b.Reset()
	f := []float32{0, -1.5, float32(math.Inf(1)), math.SmallestNonzeroFloat32, 1e30, 3.25}
	if err := Write(&b, f, 3, 2); err != nil {
		t.Fatal(err)
	}
	written := bytes.Clone(b.Bytes())
	af, err := Read[float32](&b)
	if err != nil || !slices.Equal(af.Data, f) || !bytes.Contains(written, []byte("'<f4'")) {
		t.Errorf("float32: %v %v", af, err)
	}
	if _, err := Read[int32](bytes.NewReader(written)); err == nil || errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), `dtype "<f4" is not int32`) {
		t.Errorf("a float32 array read as int32: %v", err)
	}
	if _, err := Read[uint8](bytes.NewReader(written)); err == nil || errors.Is(err, ErrFormat) {
		t.Errorf("a float32 array read as uint8: %v", err)
	}

	b.Reset()
	d := []float64{0, -1.5, math.Inf(-1), math.SmallestNonzeroFloat64, 1e300, 1.0 / 3}
	if err := Write(&b, d, 6); err != nil {
		t.Fatal(err)
	}
	written = bytes.Clone(b.Bytes())
	ad, err := Read[float64](&b)
	if err != nil || !slices.Equal(ad.Data, d) || !bytes.Contains(written, []byte("'<f8'")) {
		t.Errorf("float64: %v %v", ad, err)
	}
	if _, err := Read[float32](bytes.NewReader(written)); err == nil || !strings.Contains(err.Error(), `dtype "<f8" is not float32`) {
		t.Errorf("a float64 array read as float32: %v", err)
	}

	b.Reset()
	l := []int32{0, 4, -1, math.MaxInt32, math.MinInt32}
	if err := Write(&b, l, 5); err != nil {
		t.Fatal(err)
	}
	written = bytes.Clone(b.Bytes())
	al, err := Read[int32](&b)
	if err != nil || !slices.Equal(al.Data, l) || !slices.Equal(al.Shape, []int{5}) {
		t.Errorf("int32: %v %v", al, err)
	}
	if _, err := Read[float32](bytes.NewReader(written)); err == nil {
		t.Error("an int32 array read as float32: no error")
	}
}

func TestWriteErrors(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, make([]uint8, 5), 2, 3); err == nil || !strings.Contains(err.Error(), "shape [2 3] holds 6 values, got 5") {
		t.Errorf("shape mismatch: %v", err)
	}
	if err := Write[float32](&b, nil, -1); err == nil || !strings.Contains(err.Error(), "negative dimension") {
		t.Errorf("negative dimension: %v", err)
	}
	if b.Len() != 0 {
		t.Errorf("failed writes wrote %d bytes", b.Len())
	}
}

// header builds a file from a version, a raw header and data.
func header(major byte, dict string, data []byte) []byte {
	out := []byte("\x93NUMPY")
	out = append(out, major, 0)
	if major == 1 {
		out = append(out, byte(len(dict)), byte(len(dict)>>8))
	} else {
		out = append(out, byte(len(dict)), byte(len(dict)>>8), byte(len(dict)>>16), byte(len(dict)>>24))
	}
	return append(append(out, dict...), data...)
}

func TestReadVersionsAndOrders(t *testing.T) {
	// Version 2.0, big-endian float32, double quotes, keys in another order.
	f := header(2, `{"shape": (2,), "fortran_order": False, "descr": ">f4"}`+"\n", []byte{0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0})
	a, err := Read[float32](bytes.NewReader(f))
	if err != nil || !slices.Equal(a.Data, []float32{1, -2}) {
		t.Errorf("got %v, %v", a, err)
	}
	// Fortran order is reported, not hidden.
	u, err := Read[uint8](bytes.NewReader(header(1, "{'descr': '|u1', 'fortran_order': True, 'shape': (1, 2), }\n", []byte{1, 2})))
	if err != nil || !u.FortranOrder {
		t.Errorf("fortran order: %v, %v", u, err)
	}
	// Trailing data after the array is left unread, as numpy does.
	u, err = Read[uint8](bytes.NewReader(header(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }\n", []byte{9, 9, 9})))
	if err != nil || len(u.Data) != 1 {
		t.Errorf("trailing data: %v, %v", u, err)
	}
}

func TestReadErrors(t *testing.T) {
	ok := "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }\n"
	tests := []struct {
		name string
		file []byte
		msg  string
	}{
		{"empty", nil, "file too short"},
		{"bad magic", []byte("\x93NUMPZ\x01\x00\x00\x00"), "bad magic"},
		{"version", header(4, ok, nil), "unsupported version 4.0"},
		{"short header", header(1, ok, nil)[:20], "header: file too short"},
		{"short data", header(1, ok, []byte{1}), "needs 2 data bytes, found 1"},
		{"not a dict", header(1, "[1, 2]\n", nil), "not a dict"},
		{"unknown key", header(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), 'x': 1}", nil), `unexpected key "x"`},
		{"missing key", header(1, "{'descr': '|u1', 'shape': (2,)}", nil), `no "fortran_order" key`},
		{"repeated key", header(1, "{'descr': '|u1', 'descr': '|u1'}", nil), `key "descr" repeated`},
		{"bad order", header(1, "{'descr': '|u1', 'fortran_order': 0, 'shape': (2,)}", nil), "fortran_order is not True or False"},
		{"shape not tuple", header(1, "{'descr': '|u1', 'fortran_order': False, 'shape': 2}", nil), "want a tuple"},
		{"shape (n)", header(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2)}", nil), "(n) is not a tuple"},
		{"negative dim", header(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (-2,)}", nil), "want a non-negative integer"},
		{"dtype", header(1, "{'descr': '<U8', 'fortran_order': False, 'shape': (2,)}", []byte("xxxxxxxxxxxxxxxx")), `unsupported dtype "<U8"`},
		{"huge shape", header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (400000000000, 400000000000, 400000000000)}", nil), "too large"},
		{"promises more than it has", header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (100000000, 100)}", []byte{1, 2, 3}), "found 3"},
		{"text after dict", header(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2,)} x", nil), "text after the dict"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read[float32](bytes.NewReader(tt.file))
			if err == nil || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %v, want ErrFormat with %q", err, tt.msg)
			}
		})
	}
}

func FuzzRead(f *testing.F) {
	var b bytes.Buffer
	Write(&b, []uint8{1, 2, 3, 4}, 2, 2)
	f.Add(b.Bytes())
	b.Reset()
	Write(&b, []float32{1, 2}, 2)
	f.Add(b.Bytes())
	f.Add(header(2, `{"shape": (), "fortran_order": True, "descr": ">i4"}`, []byte{0, 0, 0, 1}))
	f.Add([]byte("\x93NUMPY\x01\x00\xff\xff{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead[uint8](t, data)
		fuzzRead[int32](t, data)
		fuzzRead[float32](t, data)
	})
}

// fuzzRead reads data as T: an error is ErrFormat or names the dtype; an
// array holds the elements its shape says, and a C-order one writes back
// and reads again the same.
func fuzzRead[T uint8 | int32 | float32 | float64](t *testing.T, data []byte) {
	a, err := Read[T](bytes.NewReader(data))
	if err != nil {
		if !errors.Is(err, ErrFormat) && !strings.Contains(err.Error(), "npy: dtype ") {
			t.Fatalf("error %v is neither ErrFormat nor about the dtype", err)
		}
		return
	}
	n := 1
	for _, d := range a.Shape {
		n *= d
	}
	if len(a.Data) != n {
		t.Fatalf("shape %v with %d elements", a.Shape, len(a.Data))
	}
	if !a.FortranOrder {
		var out bytes.Buffer
		if err := Write(&out, a.Data, a.Shape...); err != nil {
			t.Fatal(err)
		}
		b, err := Read[T](&out)
		if err != nil || !slices.Equal(b.Data, a.Data) || !slices.Equal(b.Shape, a.Shape) {
			// NaN payloads compare unequal: compare the bytes written.
			var again bytes.Buffer
			if err != nil || Write(&again, b.Data, b.Shape...) != nil || !bytes.Equal(again.Bytes(), out.Bytes()) {
				t.Fatalf("rewrite: %v, %v", b, err)
			}
		}
	}
}

func TestNumpyLoads(t *testing.T) {
	py := sharedtest.NumpyPython(t)
	dir := t.TempDir()
	write := func(name string, fn func(*bytes.Buffer) error) string {
		var b bytes.Buffer
		if err := fn(&b); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	u := write("u.npy", func(b *bytes.Buffer) error { return Write(b, []uint8{0, 1, 2, 253, 254, 255}, 2, 3) })
	f := write("f.npy", func(b *bytes.Buffer) error { return Write(b, []float32{0.5, -2, 1e-3}, 1, 3) })
	l := write("l.npy", func(b *bytes.Buffer) error { return Write(b, []int32{3, -1, 0, 7}, 4) })
	d := write("d.npy", func(b *bytes.Buffer) error { return Write(b, []float64{0.1, -2, 1e-300}, 3) })
	script := `
import sys, numpy as np
u = np.load(sys.argv[1]); f = np.load(sys.argv[2]); l = np.load(sys.argv[3]); d = np.load(sys.argv[5])
assert u.dtype == np.uint8 and u.shape == (2, 3) and u.tolist() == [[0, 1, 2], [253, 254, 255]], u
assert f.dtype == np.float32 and f.shape == (1, 3) and f.tolist() == [[0.5, -2.0, np.float32(1e-3).item()]], f
assert l.dtype == np.int32 and l.shape == (4,) and l.tolist() == [3, -1, 0, 7], l
assert d.dtype == np.float64 and d.shape == (3,) and d.tolist() == [0.1, -2.0, 1e-300], d
np.save(sys.argv[4], np.arange(6, dtype=np.float32).reshape(3, 2))
print("ok")
`
	back := filepath.Join(dir, "back.npy")
	out, err := exec.Command(py, "-c", script, u, f, l, back, d).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("numpy: %v\n%s", err, out)
	}
	// And what numpy writes, we read; its header equals ours byte for byte.
	data, err := os.ReadFile(back)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Read[float32](bytes.NewReader(data))
	if err != nil || !slices.Equal(a.Data, []float32{0, 1, 2, 3, 4, 5}) || !slices.Equal(a.Shape, []int{3, 2}) {
		t.Errorf("numpy's file: %v, %v", a, err)
	}
	h, _ := preamble("<f4", []int{3, 2})
	if !bytes.HasPrefix(data, h) {
		t.Errorf("numpy's header %q, ours %q", data[:len(h)], h)
	}
}
