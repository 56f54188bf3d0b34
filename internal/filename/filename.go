// Package filename writes down the names of the files tilekmeans writes
// once, as templates that both expand into names and match them: the
// centroid files of package tiles (WriteCentroids, ReadCentroids) here, and
// the command's output folder (cmd/tilekmeans/internal/outfiles), whose
// table builds on them.
package filename

import "strconv"

// A Template is a file name, or a slash-separated path, in which each
// placeholder ({k}, {i}: the name says what the number is) stands for a
// whole number in decimal. A placeholder is never followed by a digit.
type Template string

// Centroid is the file of one centroid of a set, numbered from 1 (1..K):
// centroid1.png..centroidK.png.
const Centroid Template = "centroid{i}.png"

// placeholder returns the length of the placeholder at the start of s, or
// 0 when s does not start with one.
func placeholder(s string) int {
	if len(s) >= 3 && s[0] == '{' && s[2] == '}' {
		return 3
	}
	return 0
}

// Expand writes nums into the placeholders, in order: for
// "{k}/centroid{i}.png", Expand(5, 2) is "5/centroid2.png".
func (t Template) Expand(nums ...int) string {
	var out []byte
	for s := string(t); s != ""; {
		if n := placeholder(s); n > 0 && len(nums) > 0 {
			out = strconv.AppendInt(out, int64(nums[0]), 10)
			nums, s = nums[1:], s[n:]
			continue
		}
		out, s = append(out, s[0]), s[1:]
	}
	return string(out)
}

// Match reports whether name is t with a run of digits in place of each
// placeholder, and returns those runs in order (leading zeros kept, so
// that a caller can refuse them).
func (t Template) Match(name string) (digits []string, ok bool) {
	for s := string(t); s != ""; {
		if n := placeholder(s); n > 0 {
			d := 0
			for d < len(name) && '0' <= name[d] && name[d] <= '9' {
				d++
			}
			if d == 0 {
				return nil, false
			}
			digits, name, s = append(digits, name[:d]), name[d:], s[n:]
			continue
		}
		if name == "" || name[0] != s[0] {
			return nil, false
		}
		name, s = name[1:], s[1:]
	}
	return digits, name == ""
}
