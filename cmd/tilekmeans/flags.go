package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
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
			return usagef("%s", flagError(fs, err))
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

// flagValueError matches package flag's wording for a value its flag
// refused.
var flagValueError = regexp.MustCompile(`^invalid value "(.*)" for flag -([^:]+): (.*)$`)

// flagError words a parse error of the flag set fs as the rest of the
// command does, "-flag value: what is wrong": a value's own error drops its
// leading `... "value": ` (which would say the value twice), and the
// number flags' "parse error" and "value out of range" say what was wanted
// (numberWant). Other errors keep package flag's words after the command
// name.
func flagError(fs *flag.FlagSet, err error) string {
	m := flagValueError.FindStringSubmatch(err.Error())
	if m == nil {
		return fmt.Sprintf("%s: %v", fs.Name(), err)
	}
	value, name, why := m[1], m[2], m[3]
	if _, rest, ok := strings.Cut(why, fmt.Sprintf("%q: ", value)); ok {
		why = rest
	}
	switch why {
	case "parse error":
		why = "not a number"
		if f := fs.Lookup(name); f != nil && negativeInteger.MatchString(value) {
			g, _ := f.Value.(flag.Getter)
			if _, unsigned := g.Get().(uint64); g != nil && unsigned {
				why = "out of range" // -1 to a uint64 flag
			}
		}
	case "value out of range":
		why = "out of range"
	default:
		return fmt.Sprintf("-%s %s: %s", name, value, why)
	}
	if want := numberWant(fs.Lookup(name), why == "out of range"); want != "" {
		why += " (want " + want + ")"
	}
	return fmt.Sprintf("-%s %s: %s", name, value, why)
}

// negativeInteger is a value package flag cannot parse for an unsigned
// flag although it is a number.
var negativeInteger = regexp.MustCompile(`^-[0-9]+$`)

// numberWant says what a number flag of package flag's own kinds takes:
// "a whole number 0..18446744073709551615" for a uint64 (a negative seed
// is no "number" to package flag), "a whole number" for an int (its range
// only when the value was out of it); "" for a flag of another kind.
func numberWant(f *flag.Flag, outOfRange bool) string {
	if f == nil {
		return ""
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return ""
	}
	switch g.Get().(type) {
	case int:
		if outOfRange {
			return fmt.Sprintf("a whole number %d..%d", math.MinInt, math.MaxInt)
		}
		return "a whole number"
	case uint64:
		return fmt.Sprintf("a whole number 0..%d", uint64(math.MaxUint64))
	case time.Duration:
		return "a duration: a number with its unit, like 30s, 1m or 1h30m"
	}
	return ""
}
