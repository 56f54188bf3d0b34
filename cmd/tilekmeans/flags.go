package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// errHelp is returned after -h printed the usage.
var errHelp = errors.New("help shown")

// listFlag collects repeated string values.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// parseFlags parses args with fs. Bare arguments right after -images (or
// anywhere) are taken as more image paths, so a shell glob works:
// "-images sheets/*.jpg -k 5". Flags after them are still parsed.
func parseFlags(fs *flag.FlagSet, args []string, images *listFlag, stderr io.Writer) error {
	fs.SetOutput(io.Discard)
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fs.Usage()
			return errHelp
		}
		if err != nil {
			return usagef("%s: %v", fs.Name(), err)
		}
		rest := fs.Args()
		i := 0
		for i < len(rest) && (rest[i] == "-" || !strings.HasPrefix(rest[i], "-")) {
			if images == nil {
				return usagef("%s: unexpected argument %q", fs.Name(), rest[i])
			}
			*images = append(*images, rest[i])
			i++
		}
		if i == len(rest) {
			return nil
		}
		args = rest[i:]
	}
}

// parseKs parses "3,4,5", "3-7" or a mix ("2,4-6") into ascending distinct ks.
func parseKs(s string) ([]int, error) {
	var ks []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		lo, hi, isRange := strings.Cut(f, "-")
		a, err1 := strconv.Atoi(lo)
		b, err2 := a, error(nil)
		if isRange {
			b, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil {
			return nil, usagef("-k %q: %q is not a number or range like 3-7", s, f)
		}
		if a < 1 || b < 1 {
			return nil, usagef("-k %q: k must be >= 1", s)
		}
		if b < a {
			return nil, usagef("-k %q: range %q runs backwards", s, f)
		}
		for k := a; k <= b; k++ {
			if !slices.Contains(ks, k) {
				ks = append(ks, k)
			}
		}
	}
	slices.Sort(ks)
	return ks, nil
}

// kColumns formats ks for messages.
func kList(ks []int) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = fmt.Sprint(k)
	}
	return strings.Join(s, ",")
}
