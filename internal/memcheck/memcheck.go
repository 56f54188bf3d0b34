// Package memcheck says, before the command allocates what a flag asks for,
// or package tiles the tile matrix a file's header or a flag sizes,
// whether the memory is there, so that a size beyond it is one line naming
// the flag or the file and the bytes instead of the Go runtime's fatal "out
// of memory" with its stacks.
//
// The memory available is the smaller of Linux's MemAvailable
// (/proc/meminfo: the kernel's estimate of what new allocations can take
// without swapping, which counts reclaimable caches) and, when this process
// runs in a control group with a memory limit, what that limit leaves
// (cgroup v2 memory.max less memory.current, or v1 memory.limit_in_bytes
// less memory.usage_in_bytes). Where neither can be read (a system without
// /proc), the bound is the address space of a 64-bit process (AddressSpace).
package memcheck

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Available returns the bytes this process can still allocate, and where
// the figure comes from ("MemAvailable in /proc/meminfo", "the memory
// limit of cgroup /x"); ok is false where there is no figure.
func Available() (bytes uint64, source string, ok bool) {
	return available("/")
}

// available is Available with the root of /proc and /sys at root (tests
// give a folder of fixtures).
func available(root string) (bytes uint64, source string, ok bool) {
	if f, err := os.Open(filepath.Join(root, "proc", "meminfo")); err == nil {
		if bytes, ok = parseMeminfo(f); ok {
			source = "MemAvailable in /proc/meminfo"
		}
		f.Close()
	}
	if left, where, limited := cgroupLeft(root); limited && (!ok || left < bytes) {
		bytes, source, ok = left, where, true
	}
	return bytes, source, ok
}

// parseMeminfo returns MemAvailable from /proc/meminfo's text, in bytes.
func parseMeminfo(r io.Reader) (uint64, bool) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		name, rest, _ := strings.Cut(sc.Text(), ":")
		if name != "MemAvailable" {
			continue
		}
		f := strings.Fields(rest) // "24088328 kB"
		if len(f) != 2 || f[1] != "kB" {
			return 0, false
		}
		kb, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return 0, false
		}
		return Mul(kb, 1024), true
	}
	return 0, false
}

// cgroupLeft returns what the memory limit of this process's control
// group leaves: limited is false without a limit (or without cgroups).
func cgroupLeft(root string) (left uint64, where string, limited bool) {
	data, err := os.ReadFile(filepath.Join(root, "proc", "self", "cgroup"))
	if err != nil {
		return 0, "", false
	}
	// Lines are ID:CONTROLLERS:PATH; v2 is "0::PATH", v1's memory
	// controller "N:memory:PATH" (or memory among others, comma-separated).
	for _, line := range strings.Split(string(data), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		var dirs []string
		var limitFile, usageFile string
		switch {
		case parts[0] == "0" && parts[1] == "":
			dirs = []string{filepath.Join(root, "sys", "fs", "cgroup", parts[2]), filepath.Join(root, "sys", "fs", "cgroup", "unified", parts[2])}
			limitFile, usageFile = "memory.max", "memory.current"
		case hasController(parts[1], "memory"):
			// Inside a container the group's path may be the host's: then
			// the container's own group is the mount's root.
			base := filepath.Join(root, "sys", "fs", "cgroup", "memory")
			dirs = []string{filepath.Join(base, parts[2]), base}
			limitFile, usageFile = "memory.limit_in_bytes", "memory.usage_in_bytes"
		default:
			continue
		}
		for _, d := range dirs {
			limit, err1 := readNumber(filepath.Join(d, limitFile))
			usage, err2 := readNumber(filepath.Join(d, usageFile))
			// v1 writes "no limit" as a number near 2^63.
			if err1 != nil || err2 != nil || limit >= 1<<62 {
				continue
			}
			return limit - min(usage, limit), fmt.Sprintf("the memory limit of cgroup %s", parts[2]), true
		}
	}
	return 0, "", false
}

func hasController(list, name string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// readNumber reads a file holding one whole number ("max" is no number).
func readNumber(path string) (uint64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
}

// Mul multiplies, saturating at the largest uint64 instead of wrapping, so
// that a size computed from flags can be compared whatever they say.
func Mul(factors ...uint64) uint64 {
	p := uint64(1)
	for _, f := range factors {
		hi, lo := bits.Mul64(p, f)
		if hi != 0 {
			return ^uint64(0)
		}
		p = lo
	}
	return p
}

// Add adds, saturating as Mul does.
func Add(terms ...uint64) uint64 {
	s := uint64(0)
	for _, t := range terms {
		var carry uint64
		if s, carry = bits.Add64(s, t, 0); carry != 0 {
			return ^uint64(0)
		}
	}
	return s
}

// Size writes bytes for a person, in IEC units as numpy's "Unable to
// allocate 1.4 TiB" does: "512 B", "1.5 KiB", "21.3 GiB", "1.4 TiB".
func Size(b uint64) string {
	const units = "KMGTPE"
	switch {
	case b == ^uint64(0): // a saturated product
		return "more than 16 EiB"
	case b < 1024:
		return fmt.Sprintf("%d B", b)
	}
	v, i := float64(b)/1024, 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if v >= 999.5 { // %.3g would write 1.01e+03
		return fmt.Sprintf("%.0f %ciB", v, units[i])
	}
	return fmt.Sprintf("%.3g %ciB", v, units[i])
}

// Need is a size to check: what a flag asks for, in bytes, and what for.
type Need struct {
	Flag  string // the flag and its value as given: "-sizes 1000000"
	Bytes uint64
	What  string // "5,610,000,000 tiles of 256 features, and the CPU backend's copy"
}

// AddressSpace is the bound where there is no figure of the memory
// available: 128 TiB, the user address space of a 64-bit process on
// x86-64 and arm64 (47 bits of addresses).
const AddressSpace = 1 << 47

// Error reports a need beyond the memory available.
type Error struct {
	Need   Need
	Avail  uint64 // bytes
	Source string // where Avail comes from
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("needs %s (%s), more than the %s of memory available (%s)", Size(e.Need.Bytes), e.Need.What, Size(e.Avail), e.Source)
	if e.Need.Flag != "" {
		msg = e.Need.Flag + ": " + msg
	}
	return msg
}

// Check returns an *Error when need is more than avail bytes: "-sizes
// 1000000: needs 2.61 TiB (what), more than the 21.3 GiB of memory
// available (MemAvailable in /proc/meminfo)"; without a Flag the message
// starts at "needs". Without a figure (ok false) the bound is
// AddressSpace.
func Check(need Need, avail uint64, source string, ok bool) error {
	if !ok {
		avail, source = AddressSpace, "the address space of a 64-bit process; no figure of the memory here"
	}
	if need.Bytes <= avail {
		return nil
	}
	return &Error{Need: need, Avail: avail, Source: source}
}

// Load is what a loader is about to allocate: Matrix bytes of tiles (or
// samples) and Other bytes beside them (their origins, scratch space), and
// what they hold in words ("60000 samples of 784 features from
// train-images-idx3-ubyte.gz").
type Load struct {
	Matrix, Other uint64
	What          string
}

// A Budget decides whether a loader may allocate l: nil, or an error that
// says why not (an *Error, as Check's).
type Budget func(l Load) error

type budgetKey struct{}

// WithBudget returns ctx carrying b, for the loaders of package tiles,
// which take their context from Options.Context: the command passes its
// own, which counts the copy of the matrix its CPU backend makes and names
// the flag that sized it.
func WithBudget(ctx context.Context, b Budget) context.Context {
	return context.WithValue(ctx, budgetKey{}, b)
}

// Alloc is what a loader calls before allocating l: the Budget ctx
// carries, or else Check of the matrix and the rest against the memory
// Available.
func Alloc(ctx context.Context, l Load) error {
	if b, ok := ctx.Value(budgetKey{}).(Budget); ok {
		return b(l)
	}
	avail, source, ok := Available()
	return Check(Need{Bytes: Add(l.Matrix, l.Other), What: l.What}, avail, source, ok)
}
